# Input functions and parameters of the spatiotemporal fusion rules (pairing, train, predict, evaluate): each
# method's family from the registry (stfusion.methods), the model each deep method reads (stfusion.shared_models),
# the pairing checkpoint's groups (pairs_of), the dates each method predicts and the coarse scenes that fill each
# (gapfill_dates), the truth of a date (truth_path) and the no-skill warning. Uses RESULTS and SCENES (common.smk),
# site_scenes (scene_inputs.smk) and, for the ensemble family, which combines other methods' predictions instead of
# predicting from reference pairs, ensemble_inputs.smk (ensemble_dates, ensemble_folder, ensemble_benchmark,
# ensemble_roles), which is included after this file and calls it.
import json

from snakemake.logging import logger

from stfusion.config import site_methods
from stfusion.ensemble.members import is_ensemble
from stfusion.gapfill import filling_scenes
from stfusion.methods import FUSION, fusion_method
from stfusion.scenes import table_pair_dates
from stfusion.schedule import method_dates
from stfusion.shared_models import model_owners, sharing, training_settings
from stfusion.skill import estimated_training_groups, few_groups_warning


def family(method):
    """deep, classical or naive: the family of a config method's model (stfusion.methods.FUSION)."""
    return fusion_method(config, method).family


def is_deep(method):
    return family(method) == "deep"


def uses_gpu(method):
    """Whether the method's jobs ask for a GPU (stfusion.methods); they run on the CPU when there is none."""
    return fusion_method(config, method).gpu


MODEL_OWNERS = model_owners(config["methods"])  # deep method -> the method its model is trained under


def model_of(method):
    """The name the deep method's model is trained under (rule train's {method}): the first method of the config
    with identical training settings, itself when none comes before (stfusion.shared_models)."""
    return MODEL_OWNERS[method]


def log_shared_models():
    """Say once, in the main process, which methods read a model trained under another method's name."""
    if workflow.is_main_process:
        for owner, readers in sharing(MODEL_OWNERS).items():
            logger.info(f"methods {', '.join(readers)} have identical training settings: one model, trained under "
                        f"the name of the first, {RESULTS}/<site>/models/{owner}/, which all their predictions read")


log_shared_models()


def fusion_ratio(site):
    """Fine pixels per coarse pixel of the site's fusion pair."""
    spec = config["sites"][site]
    return spec["sensors"][spec["fusion"]["coarse"]]


def fine_storage_override(site):
    """The site's `storage` keys of its fine sensor (how an integer truth is read; empty: the sensor's own)."""
    spec = config["sites"][site]
    return spec.get("storage", {}).get(spec["fusion"]["fine"], {})


def predict_references(method):
    spec = config["methods"][method]
    return spec.get("predict_references", spec["references"])


def pairs_of(site):
    """The site's pairing (a checkpoint: known once the quality filter has run)."""
    with open(checkpoints.pairing.get(site=site).output[0]) as handle:
        pairs = json.load(handle)
    warn_few_groups(site, lambda k: len(pairs["references"][str(k)]["training"]), exact=True)
    return pairs


WARNED = set()  # (site, method) already warned in this run


def warn_few_groups(site, training_count, exact):
    """One warning per deep method of the site with fewer training groups (``training_count(references)``) than its
    model needs for skill from random weights (stfusion.skill), in the main process only."""
    for name in site_methods(config, site):
        if not is_deep(name) or (site, name) in WARNED or not workflow.is_main_process:
            continue
        method = config["methods"][name]
        message = few_groups_warning(name, method, site, training_count(method["references"]), exact)
        if message:
            WARNED.add((site, name))
            logger.warning(message)


def warn_before_pairing():
    """Before the pairing checkpoint only the scene table is known: its pair dates bound a site's training groups
    from above (the quality filter can only drop pairs), so a bound below a model's need warns at DAG build already;
    pairs_of warns with the exact count for the other methods once the pairing exists."""
    for site in config["sites"]:
        if site_methods(config, site):
            pairs = table_pair_dates(SCENES, config, site)
            warn_few_groups(site, lambda k: estimated_training_groups(pairs, config["pairing"], k, config["seed"]),
                            exact=False)


warn_before_pairing()


def prediction_groups_of(site, method):
    """The method's prediction groups: of the dates it predicts (every usable coarse date, and the site's schedule
    for the schedule's methods: stfusion.schedule), those with reference pairs."""
    pairs = pairs_of(site)
    dates = set(method_dates(config, site, method, pairs["coarse_dates"]))
    groups = pairs["references"][str(predict_references(method))]["prediction"]
    return [g for g in groups if g["target"] in dates]


def prediction_dates(site, method):
    """The dates a method predicts: those of its prediction groups, and an ensemble's those every member predicts."""
    if is_ensemble(config["methods"], method):
        return ensemble_dates(site, method)
    return [group["target"] for group in prediction_groups_of(site, method)]


def prediction_outputs(site):
    """One prediction per method and date it predicts (that has reference pairs, or an ensemble's members')."""
    return [
        f"{RESULTS}/{site}/predictions/{method}/{date}.tif"
        for method in site_methods(config, site)
        for date in prediction_dates(site, method)
    ]


def references_key(references):
    """The {references} wildcard of a reference group: its reference dates joined by `_`."""
    return "_".join(references)


def reference_groups(site, method):
    """{references key: the dates the method predicts from those references, in order}: one rule predict job each."""
    groups = {}
    for group in prediction_groups_of(site, method):
        groups.setdefault(references_key(group["references"]), []).append(group["target"])
    return groups


def group_folder(site, method, key):
    """The folder rule predict writes the dates of one reference group into."""
    return f"{RESULTS}/{site}/predictions/{method}/by_references/{key}"


def group_dates(wildcards):
    """The dates of a reference group (a parameter of rule predict: a date added to the group re-runs its job)."""
    return reference_groups(wildcards.site, wildcards.method)[wildcards.references]


def group_benchmark(site, method, key):
    return f"{RESULTS}/benchmarks/{site}/predict_{method}_{key}.tsv"


def prediction_jobs(site, method):
    """{the benchmark file of a job that predicts dates of the method: those dates}: one rule predict job per
    reference group, and an ensemble's one job (rule ensemble_predict)."""
    if is_ensemble(config["methods"], method):
        return {ensemble_benchmark(site, method): ensemble_dates(site, method)}
    return {group_benchmark(site, method, key): dates for key, dates in reference_groups(site, method).items()}


def date_benchmarks(site, method, dates):
    """{date: [the benchmark file of the job that predicted it, the number of dates that job predicted]} (rule
    evaluate charges each date its share of the job's time)."""
    jobs = prediction_jobs(site, method)
    of_date = {d: benchmark for benchmark, predicted in jobs.items() for d in predicted}
    return {d: [of_date[d], len(jobs[of_date[d]])] for d in dates}


def gapfill_dates(wildcards):
    """The coarse dates whose matched scenes fill the date's coarse image (stfusion.gapfill.filling_scenes)."""
    masked = pairs_of(wildcards.site)["coarse_masked"]
    return filling_scenes(wildcards.date, masked, config["gap_filling"]["max_gap_days"],
                          config["quality"]["coarse_usable"]["max_masked"])


def gapfill_scenes(wildcards):
    coarse = config["sites"][wildcards.site]["fusion"]["coarse"]
    return [f"{RESULTS}/{wildcards.site}/matched/{coarse}/{d}.tif" for d in gapfill_dates(wildcards)]


def truth_path(site, date):
    """The truth of a date: ``sites.<site>.truth`` (a pattern with {site}, {sensor}, {date}) or,
    without it, the kept fine observation of that date (only pair dates have one)."""
    spec = config["sites"][site]
    pattern = spec.get("truth")
    if pattern:
        return pattern.format(site=site, sensor=spec["fusion"]["fine"], date=date)
    return f"{RESULTS}/{site}/matched/{spec['fusion']['fine']}/{date}.tif"


def prediction_group(wildcards):
    """The reference group of a prediction (the rules read parameters, not the pairing file as an input: a new scene
    changes pairs.json, and only the jobs whose own group or scenes change should run again)."""
    return next(g for g in prediction_groups_of(wildcards.site, wildcards.method) if g["target"] == wildcards.date)


def prediction_folder(wildcards):
    """The folder that holds a date's prediction (rule link_prediction's input): its reference group's, or the
    ensemble's (rule ensemble_predict)."""
    if is_ensemble(config["methods"], wildcards.method):
        return ensemble_folder(wildcards.site, wildcards.method)
    return group_folder(wildcards.site, wildcards.method, references_key(prediction_group(wildcards)["references"]))


def training_groups(wildcards):
    """The training and validation groups of a site for {k} references (a rule parameter, see prediction_group).
    Not the prediction groups: a new coarse date adds one of those and must not re-cut the patches."""
    groups = pairs_of(wildcards.site)["references"][wildcards.k]
    return {split: groups[split] for split in ("training", "validation")}


def training_scenes(wildcards):
    """The matched scenes of the training and validation groups of a site for {k} references."""
    fusion = config["sites"][wildcards.site]["fusion"]
    groups = training_groups(wildcards)
    dates = sorted({d for split in ("training", "validation") for g in groups[split] for d in (g["target"], *g["references"])})
    return [f"{RESULTS}/{wildcards.site}/matched/{fusion[role]}/{d}.tif" for d in dates for role in ("fine", "coarse")]


def target_roles(wildcards):
    """The dates a method's scores are not held out on (rule evaluate's roles; method_roles)."""
    return method_roles(wildcards.site, wildcards.method)


def method_roles(site, name):
    """The targets of a deep method's training and of its validation groups (those that chose its kept weights):
    the dates its scores are not held out on; none for the methods that are not trained. A method trained with a
    pretrained artefact (EDCSTFN's feature autoencoder, rule autoencoder) learnt from that artefact's fine targets
    too, those of the 1-reference groups: they are not held out either. An ensemble's: ensemble_roles."""
    if is_ensemble(config["methods"], name):
        return ensemble_roles(site, name)
    if not is_deep(name):
        return {"training": [], "validation": []}
    method = config["methods"][name]
    counts = {str(method["references"])} | ({"1"} if FUSION[method["model"]].pretrained else set())
    groups = pairs_of(site)["references"]
    return {split: sorted({g["target"] for k in counts for g in groups[k][split]}) for split in ("training", "validation")}


def held_out_dates(site, method):
    """The scored dates a method holds out: neither its training nor its validation targets."""
    roles = method_roles(site, method)
    taken = set(roles["training"]) | set(roles["validation"])
    return [date for date in scored_dates(site, method) if date not in taken]


def scored_dates(site, method):
    """Prediction dates of a method that have a truth: with ``sites.<site>.truth``, its coarse dates of the scene
    table (stfusion.truth checks those; a scheduled date without a coarse scene has none), else its pair dates."""
    pairs = pairs_of(site)
    if config["sites"][site].get("truth"):
        spec = config["sites"][site]
        truths = {d for sensor, d in site_scenes(site) if sensor == spec["fusion"]["coarse"]}
    else:
        truths = set(pairs["pairs"])
    return [date for date in prediction_dates(site, method) if date in truths]


def evaluation_inputs(wildcards):
    site, method = wildcards.site, wildcards.method
    dates = scored_dates(site, method)
    return {
        "bands": f"{RESULTS}/{site}/matched/bands.json",
        "predictions": [f"{RESULTS}/{site}/predictions/{method}/{d}.tif" for d in dates],
        "qualities": [f"{RESULTS}/{site}/predictions/{method}/{d}_quality.tif" for d in dates],
        "truths": [truth_path(site, d) for d in dates],
        "benchmarks": sorted({path for path, _ in date_benchmarks(site, method, dates).values()}),
        "training": [f"{RESULTS}/benchmarks/{site}/train_{model_of(method)}.tsv"] if is_deep(method) else [],
        "truth_read": truth_read_inputs(site),
    }


def truth_read_inputs(site):
    """What a truth of the config is read with, like a scene of the fine sensor onto the site's grid (stfusion.truth):
    the grid and the sensor's definition; none for a kept fine observation (read as it is)."""
    if not config["sites"][site].get("truth"):
        return []
    return [f"{RESULTS}/{site}/grid.json", *sensor_files([config["sites"][site]["fusion"]["fine"]])]


def training_inputs(wildcards):
    method = config["methods"][wildcards.method]
    inputs = {"patches": f"{RESULTS}/{wildcards.site}/patches/{method['references']}ref.npz"}
    for artefact in FUSION[method["model"]].pretrained:  # e.g. EDCSTFN's feature autoencoder (rule autoencoder)
        inputs[artefact] = f"{RESULTS}/{wildcards.site}/{artefact}/weights.pt"
    return inputs


def prediction_inputs(wildcards):
    """Weights (deep models), the matched scenes of the group's references (kept pairs), and the gap-filled coarse
    image of each of its dates with its fill info, in the order of group_dates."""
    site, method = wildcards.site, wildcards.method
    fusion = config["sites"][site]["fusion"]
    references, dates = wildcards.references.split("_"), group_dates(wildcards)
    matched = f"{RESULTS}/{site}/matched"
    inputs = {
        "coarse": [f"{RESULTS}/{site}/filled/{d}.tif" for d in dates],
        "fill": [f"{RESULTS}/{site}/filled/{d}_fill.tif" for d in dates],
        "fine_refs": [f"{matched}/{fusion['fine']}/{d}.tif" for d in references],
        "coarse_refs": [f"{matched}/{fusion['coarse']}/{d}.tif" for d in references],
    }
    if is_deep(method):
        inputs["weights"] = f"{RESULTS}/{site}/models/{model_of(method)}/weights.pt"
    return inputs
