# Config and scene-table validation, and the input functions shared by every rule file.
import os
import sys

from snakemake.logging import logger
from snakemake.utils import validate

# The stfusion package; scripts import it through the workflow/scripts/stfusion link, because
# Snakemake puts a script's own folder on its sys.path.
sys.path.insert(0, os.path.join(workflow.basedir, "workflow"))

import json

from stfusion.config import check_config, check_schema, site_grid, site_methods
from stfusion.demo.scenario import all_raw_files, truth_files
from stfusion.ingest import table_products
from stfusion.methods import FUSION, SPECTRAL, STS, fusion_method
from stfusion.products import Product
from stfusion.scenes import check_scene_table, check_sts_scenes, read_scene_table
from stfusion.skill import estimated_training_groups, few_groups_warning


check_schema(config, os.path.join(workflow.basedir, "config/schemas/config.schema.yaml"))
validate(config, "../../config/schemas/config.schema.yaml")
check_config(config)

RESULTS = config.get("results", "results")
DEMO_DIR = config["demo"]["out_dir"] if config.get("demo", {}).get("enabled") else None
SCENES = read_scene_table(config["scenes"])
check_scene_table(SCENES, config, config["scenes"], generated_dir=DEMO_DIR)
validate(SCENES, "../../config/schemas/scenes.schema.yaml")
GRIDS = {site: site_grid(config, site) for site in config["sites"]}
check_sts_scenes(config, SCENES, config["scenes"])


PRODUCTS = table_products(SCENES, config, generated_dir=DEMO_DIR)


wildcard_constraints:
    site=r"[A-Za-z0-9_\-]+",
    sensor=r"[A-Za-z0-9_]+",
    date=r"\d{4}-\d{2}-\d{2}",
    source=r"[A-Za-z0-9_]+",
    method=r"[A-Za-z0-9_]+",
    k=r"[12]",


def scene_row(wildcards):
    """The scene-table row of (site, sensor, date)."""
    rows = SCENES[
        (SCENES.site == wildcards.site) & (SCENES.sensor == wildcards.sensor) & (SCENES.date == wildcards.date)
    ]
    return rows.iloc[0]


def scene_product(row):
    """The product of a scene-table row (a demo scene: the raster it will be)."""
    return PRODUCTS.get((row.site, row.sensor, row.date), Product(path=row.path, family="raster"))


def raw_inputs(wildcards):
    """The files a scene is read from (a raster, or a product's metadata, band and QA files) and the table's QA file."""
    row = scene_row(wildcards)
    files = {"scene": scene_product(row).files}
    return {**files, "qa": row.qa} if row.qa else files


def site_scenes(site):
    """(sensor, date) of every scene of a site."""
    rows = SCENES[SCENES.site == site]
    return list(zip(rows.sensor, rows.date))


def site_raw_files(wildcards):
    rows = SCENES[SCENES.site == wildcards.site]
    products = [scene_product(r) for r in rows.itertuples()]
    return sorted({f for p in products for f in p.files} | set(p for p in rows.qa if p))


def matched_outputs(site):
    fusion = config["sites"][site].get("fusion")
    if not fusion:
        return []
    return [
        f"{RESULTS}/{site}/matched/{sensor}/{date}.tif"
        for sensor, date in site_scenes(site)
        if sensor in (fusion["fine"], fusion["coarse"])
    ]


def simulated_outputs():
    return [
        f"{RESULTS}/{sim['site']}/simulated/{sim['target']}/from_{sim['source']}/{date}.tif"
        for sim in config.get("simulate", [])
        for sensor, date in site_scenes(sim["site"])
        if sensor == sim["source"]
    ]


def preprocessing_outputs():
    outputs = simulated_outputs()
    for site in SCENES.site.unique():  # a site without scenes (spectral only) has nothing to preprocess
        outputs.append(f"{RESULTS}/{site}/qa/inventory.tsv")
        outputs += matched_outputs(site)
    return outputs


def all_predictions(wildcards):
    """Predictions of every site (known once each site's pairing and series-plan checkpoints have run)."""
    return [path for site in config["sites"] for path in prediction_outputs(site) + sts_predictions(site)]


def all_summaries():
    """Every site's score tables (spatio-temporal-spectral ones where a truth exists to score against)."""
    fusion = [f"{RESULTS}/{site}/metrics/summary.tsv" for site in config["sites"] if site_methods(config, site)]
    sts = [f"{RESULTS}/{site}/sts/summary.tsv" for site, spec in config["sites"].items()
           if spec.get("sts", {}).get("methods") and spec["sts"].get("truth")]
    spectral = [f"{RESULTS}/{site}/spectral/summary.tsv" for site, spec in config["sites"].items() if spec.get("spectral")]
    return fusion + sts + spectral


def family(method):
    """deep, classical or naive: the family of a config method's model (stfusion.methods.FUSION)."""
    return fusion_method(config, method).family


def is_deep(method):
    return family(method) == "deep"


def uses_gpu(method):
    """Whether the method's jobs ask for a GPU (stfusion.methods); they run on the CPU when there is none."""
    return fusion_method(config, method).gpu


def fusion_ratio(site):
    """Fine pixels per coarse pixel of the site's fusion pair."""
    spec = config["sites"][site]
    return spec["sensors"][spec["fusion"]["coarse"]]


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


def scene_table_pairs(site):
    """Dates on which the scene table has both the fine and the coarse scene of the site's fusion pair."""
    fusion, rows = config["sites"][site]["fusion"], SCENES[SCENES.site == site]
    return sorted(set(rows[rows.sensor == fusion["fine"]].date) & set(rows[rows.sensor == fusion["coarse"]].date))


def warn_before_pairing():
    """Before the pairing checkpoint only the scene table is known: its pair dates bound a site's training groups
    from above (the quality filter can only drop pairs), so a bound below a model's need warns at DAG build already;
    pairs_of warns with the exact count for the other methods once the pairing exists."""
    for site in config["sites"]:
        if site_methods(config, site):
            pairs = scene_table_pairs(site)
            warn_few_groups(site, lambda k: estimated_training_groups(pairs, config["pairing"], k, config["seed"]),
                            exact=False)


warn_before_pairing()


def prediction_outputs(site):
    """One prediction per method and coarse date that has reference pairs."""
    methods = site_methods(config, site)
    if not methods:
        return []
    pairs = pairs_of(site)
    return [
        f"{RESULTS}/{site}/predictions/{method}/{group['target']}.tif"
        for method in methods
        for group in pairs["references"][str(predict_references(method))]["prediction"]
    ]


def truth_path(site, date):
    """The truth of a date: ``sites.<site>.truth`` (a pattern with {site}, {sensor}, {date}) or,
    without it, the kept fine observation of that date (only pair dates have one)."""
    spec = config["sites"][site]
    pattern = spec.get("truth")
    if pattern:
        return pattern.format(site=site, sensor=spec["fusion"]["fine"], date=date)
    return f"{RESULTS}/{site}/matched/{spec['fusion']['fine']}/{date}.tif"


def prediction_group(wildcards):
    """The reference group of a prediction (a parameter of the rule, not the pairing file as an input: a new scene
    changes pairs.json, and only the jobs whose own group or scenes change should run again)."""
    groups = pairs_of(wildcards.site)["references"][str(predict_references(wildcards.method))]["prediction"]
    return next(g for g in groups if g["target"] == wildcards.date)


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


def trained_targets(wildcards):
    """Dates a method was trained on (the targets of its training groups): not held out in the evaluation."""
    method = config["methods"][wildcards.method]
    return [g["target"] for g in pairs_of(wildcards.site)["references"][str(method["references"])]["training"]]


def scored_dates(site, method):
    """Prediction dates of a method that have a truth."""
    pairs = pairs_of(site)
    groups = pairs["references"][str(predict_references(method))]["prediction"]
    has_truth = config["sites"][site].get("truth")
    return [g["target"] for g in groups if has_truth or g["target"] in pairs["pairs"]]


def evaluation_inputs(wildcards):
    site, method = wildcards.site, wildcards.method
    dates = scored_dates(site, method)
    return {
        "bands": f"{RESULTS}/{site}/matched/bands.json",
        "predictions": [f"{RESULTS}/{site}/predictions/{method}/{d}.tif" for d in dates],
        "truths": [truth_path(site, d) for d in dates],
        "benchmarks": [f"{RESULTS}/benchmarks/{site}/predict_{method}_{d}.tsv" for d in dates],
        "training": [f"{RESULTS}/benchmarks/{site}/train_{method}.tsv"] if is_deep(method) else [],
    }


def training_inputs(wildcards):
    method = config["methods"][wildcards.method]
    inputs = {"patches": f"{RESULTS}/{wildcards.site}/patches/{method['references']}ref.npz"}
    for artefact in FUSION[method["model"]].pretrained:  # e.g. EDCSTFN's feature autoencoder (rule autoencoder)
        inputs[artefact] = f"{RESULTS}/{wildcards.site}/{artefact}/weights.pt"
    return inputs


def prediction_inputs(wildcards):
    """Weights (deep models), the pairing, and the matched scenes of the date and its references."""
    site, method = wildcards.site, wildcards.method
    fusion = config["sites"][site]["fusion"]
    group = prediction_group(wildcards)
    matched = f"{RESULTS}/{site}/matched"
    inputs = {
        "coarse_t1": f"{matched}/{fusion['coarse']}/{wildcards.date}.tif",
        "fine_refs": [f"{matched}/{fusion['fine']}/{d}.tif" for d in group["references"]],
        "coarse_refs": [f"{matched}/{fusion['coarse']}/{d}.tif" for d in group["references"]],
    }
    if is_deep(method):
        inputs["weights"] = f"{RESULTS}/{site}/models/{method}/weights.pt"
    return inputs


EXPERIMENT_KEYS = ("methods", "truth", "sts", "spectral")  # what a site runs and scores, not how its scenes are read


def site_config(wildcards):
    """The site's config entry without its experiment keys: a parameter of the preprocessing rules, so that a change
    to the grid, sensors, storage or QA re-runs them, and a method added or a truth named does not."""
    return {k: v for k, v in config["sites"][wildcards.site].items() if k not in EXPERIMENT_KEYS}


def demo_files(out_dir):
    """Every file that the demo writes (raw scenes or products in its layout, QA files and the truth)."""
    return all_raw_files(out_dir, config["demo"].get("layout", "stacked")) + truth_files(out_dir)


def simulation(wildcards):
    """The config's `simulate` entry for this site, target and source."""
    for sim in config.get("simulate", []):
        if (sim["site"], sim["target"], sim["source"]) == (wildcards.site, wildcards.sensor, wildcards.source):
            return sim
    raise ValueError(f"no `simulate` entry for {wildcards}")


# The report's inputs (workflow/rules/report.smk): every file the page is made from.


def fusion_report_files(site):
    """The files of a site's spatiotemporal experiment that the report reads; None without methods."""
    methods = site_methods(config, site)
    if not methods:
        return None
    folder = f"{RESULTS}/{site}"
    histories = {m: f"{folder}/models/{m}/history.csv" for m in methods if is_deep(m)}
    benchmarks = {m: [rules.train.benchmark.format(site=site, method=m)] if is_deep(m) else [] for m in methods}
    for path in prediction_outputs(site):
        method, date = os.path.basename(os.path.dirname(path)), os.path.basename(path)[: -len(".tif")]
        benchmarks[method].append(rules.predict.benchmark.format(site=site, method=method, date=date))
    for artefact in {a for m in methods for a in fusion_method(config, m).pretrained}:  # e.g. EDCSTFN's autoencoder
        histories[artefact] = f"{folder}/{artefact}/history.csv"
        benchmarks[artefact] = [getattr(rules, artefact).benchmark.format(site=site)]
    return {
        "summary": f"{folder}/metrics/summary.tsv",
        "scores": {m: f"{folder}/metrics/{m}.csv" for m in methods},
        "bands": f"{folder}/matched/bands.json",
        "predictions": {m: {d: f"{folder}/predictions/{m}/{d}.tif" for d in scored_dates(site, m)} for m in methods},
        "truths": {d: truth_path(site, d) for m in methods for d in scored_dates(site, m)},
        "histories": histories,
        "benchmarks": benchmarks,
        "naive": [m for m in methods if family(m) == "naive"],
    }


def sts_report_files(site):
    """The files of a site's spatio-temporal-spectral experiment that the report reads; None without methods
    or without a truth to score against."""
    spec = config["sites"][site].get("sts", {})
    methods = spec.get("methods")
    if not methods or not spec.get("truth"):
        return None
    folder = f"{RESULTS}/{site}/sts"
    trained = [m for m in methods if sts_trained(m)]
    benchmarks = {m: [rules.sts_predict.benchmark.format(site=site, method=m, date=d) for d in sts_plan(site)["ms"]]
                  + ([rules.sts_train.benchmark.format(site=site, method=m)] if m in trained else []) for m in methods}
    return {
        "summary": f"{folder}/summary.tsv",
        "scores": {m: f"{folder}/metrics/{m}.csv" for m in methods},
        "sensor": spec["hs_sensor"],
        "predictions": {m: {d: f"{folder}/{m}/predictions/{d}.tif" for d in sts_plan(site)["ms"]} for m in methods},
        "trainings": {m: f"{folder}/{m}/training.json" for m in trained},
        "truths": {d: sts_truth(site, d) for d in sts_plan(site)["ms"]},
        "benchmarks": benchmarks,
        "naive": [m for m in methods if STS[sts_model(m)].family == "naive"],
    }


def spectral_report_files(site):
    """The files of a site's spectral super-resolution experiment (Wald's protocol); None without one."""
    spec = config["sites"][site].get("spectral")
    if not spec:
        return None
    folder = f"{RESULTS}/{site}/spectral"
    return {
        "summary": f"{folder}/summary.tsv",
        "sensor": spec["hs_sensor"],
        "truth": spec["hs"],
        "predictions": {m: f"{folder}/{m}.tif" for m in spec["methods"]},
        "benchmarks": {m: [rules.spectral_fuse.benchmark.format(site=site, method=m)] for m in spec["methods"]},
    }


def report_files():
    """Per site the files of the report: the scene inventory (sites with scenes) and each experiment's files."""
    with_scenes = set(SCENES.site)
    return {
        site: {"inventory": f"{RESULTS}/{site}/qa/inventory.tsv" if site in with_scenes else None,
               "fusion": fusion_report_files(site), "sts": sts_report_files(site),
               "spectral": spectral_report_files(site)}
        for site in config["sites"]
    }


def paths_in(files):
    """Every path in a nested mapping of files (the report rule's inputs); the key `sensor` names a sensor and
    `naive` the naive baselines among the methods."""
    if isinstance(files, str):
        return [files]
    values = [v for k, v in files.items() if k not in ("sensor", "naive")] if isinstance(files, dict) else files or []
    return [path for value in values for path in paths_in(value)]
