# Spatio-temporal-spectral fusion (SPEC 3.7, paper 000). A site's `sts:` block names its hyperspectral, fine
# and multispectral (MS) sensors. By default (`protocol: observed`) the three series are the site's cleaned
# scenes of those sensors that the inventory kept; `protocol: simulated` is paper 000's Dataset I, the series
# simulated from a fine hyperspectral truth. The series plan (sts/series.json) says which scenes train and
# which predict each MS date; sts_train fits a method once, sts_predict predicts one date, and where a truth
# exists every date is scored.


def sts_spec(wildcards):
    """The site's `sts:` block without its method list and truth (a rule parameter, so a change re-runs the
    jobs that use it, but a method added to the list or a truth for scoring does not re-run the others)."""
    return {k: v for k, v in config["sites"][wildcards.site]["sts"].items() if k not in ("methods", "truth")}


def sts_simulated(site):
    return config["sites"][site]["sts"].get("protocol", "observed") == "simulated"


def sts_series_inputs(wildcards):
    """The inventory of an observed site (its keep/drop decisions); nothing for a simulation."""
    return [] if sts_simulated(wildcards.site) else [f"{RESULTS}/{wildcards.site}/qa/inventory.tsv"]


def sts_plan(site):
    """The site's series plan (a checkpoint: known once the inventory, or the simulation's dates, are)."""
    with open(checkpoints.sts_series.get(site=site).output[0]) as handle:
        return json.load(handle)


def sts_scene(site, role, date):
    """The raster of one scene of a series: a cleaned scene, or a simulated observation."""
    sensor = config["sites"][site]["sts"][f"{role}_sensor"]
    folder = "sts/simulated" if sts_simulated(site) else "clean"
    return f"{RESULTS}/{site}/{folder}/{sensor}/{date}.tif"


def sts_scenes(site, dates):
    """{role: [raster of each date]} of a plan's {role: [dates]}."""
    return {role: [sts_scene(site, role, d) for d in dates[role]] for role in ("fine", "ms", "hs")}


def sts_training_dates(wildcards):
    """The training dates of the plan (a rule parameter, not series.json as an input: a new MS date after
    the last fine or HS date changes the plan but not these, and must not re-run the training)."""
    return sts_plan(wildcards.site)["training"]


def sts_prediction_dates(wildcards):
    return sts_plan(wildcards.site)["predict"][wildcards.date]


def sts_model(method):
    return config["sts_methods"][method]["model"]


def sts_trained(method):
    """Every method but the naive hs_nearest learns from the series (an sts_train job)."""
    return sts_model(method) != "hs_nearest"


def sts_training_inputs(wildcards):
    inputs = sts_scenes(wildcards.site, sts_training_dates(wildcards))
    if sts_simulated(wildcards.site):  # supervised: the truth of every HS date is a label
        inputs["truths"] = [sts_truth(wildcards.site, d) for d in sts_training_dates(wildcards)["hs"]]
    return inputs


def sts_prediction_inputs(wildcards):
    inputs = sts_scenes(wildcards.site, sts_prediction_dates(wildcards))
    if sts_trained(wildcards.method):
        inputs["model"] = f"{RESULTS}/{wildcards.site}/sts/{wildcards.method}/model.pt"
    return inputs


def sts_truth(site, date):
    return config["sites"][site]["sts"]["truth"].format(site=site, date=date)


def sts_predictions(site):
    """Every method's prediction of every MS date of the site."""
    spec = config["sites"][site].get("sts", {})
    dates = sts_plan(site)["ms"] if spec.get("methods") else []
    return [f"{RESULTS}/{site}/sts/{m}/predictions/{d}.tif" for m in spec.get("methods", []) for d in dates]


def sts_evaluation_inputs(wildcards):
    site, method = wildcards.site, wildcards.method
    dates = sts_plan(site)["ms"]
    benchmarks = f"{RESULTS}/benchmarks/{site}/sts"
    return {
        "predictions": [f"{RESULTS}/{site}/sts/{method}/predictions/{d}.tif" for d in dates],
        "truths": [sts_truth(site, d) for d in dates],
        "benchmarks": [f"{benchmarks}/predict_{method}_{d}.tsv" for d in dates]
        + ([f"{benchmarks}/train_{method}.tsv"] if sts_trained(method) else []),
    }


def sts_sensors(wildcards):
    """The config's own definitions of the site's three STS sensors (registry sensors have none)."""
    spec = config["sites"][wildcards.site]["sts"]
    own = config.get("sensors", {})
    return {spec[r]: own[spec[r]] for r in ("hs_sensor", "fine_sensor", "ms_sensor") if spec[r] in own}


checkpoint sts_series:
    input:
        sts_series_inputs,
    output:
        f"{RESULTS}/{{site}}/sts/series.json",
    log:
        f"{RESULTS}/logs/{{site}}/sts_series.log",
    conda:
        "../../envs/geo.yaml"
    params:
        spec=sts_spec,
    script:
        "../scripts/sts_series.py"


rule sts_simulate:
    input:
        lambda wildcards: sts_truth(wildcards.site, wildcards.date),
    output:
        f"{RESULTS}/{{site}}/sts/simulated/{{sensor}}/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/sts_simulate/{{sensor}}_{{date}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        spec=sts_spec,
        sensors=sts_sensors,
    script:
        "../scripts/sts_simulate.py"


rule sts_train:
    input:
        unpack(sts_training_inputs),
    output:
        model=f"{RESULTS}/{{site}}/sts/{{method}}/model.pt",
        record=f"{RESULTS}/{{site}}/sts/{{method}}/training.json",
    log:
        f"{RESULTS}/logs/{{site}}/sts_train_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/sts/train_{{method}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: workflow.cores
    resources:
        gpu=1,
    params:
        dates=sts_training_dates,
        spec=sts_spec,
        method=lambda wildcards: config["sts_methods"][wildcards.method],
        sensors=sts_sensors,
        training=config["training"],
        seed=config["seed"],
    script:
        "../scripts/sts_train.py"


rule sts_predict:
    input:
        unpack(sts_prediction_inputs),
    output:
        f"{RESULTS}/{{site}}/sts/{{method}}/predictions/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/sts_predict/{{method}}_{{date}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/sts/predict_{{method}}_{{date}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores if sts_trained(wildcards.method) else 1
    resources:
        gpu=lambda wildcards: int(sts_trained(wildcards.method)),
    params:
        dates=sts_prediction_dates,
        spec=sts_spec,
        method=lambda wildcards: config["sts_methods"][wildcards.method],
        sensors=sts_sensors,
        device=config["training"]["device"],
        block=config["prediction"]["block"],
        seed=config["seed"],
    script:
        "../scripts/sts_predict.py"


rule sts_evaluate:
    input:
        unpack(sts_evaluation_inputs),
    output:
        f"{RESULTS}/{{site}}/sts/metrics/{{method}}.csv",
    log:
        f"{RESULTS}/logs/{{site}}/sts_evaluate_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        held_out=lambda wildcards: sts_plan(wildcards.site)["held_out"],
    script:
        "../scripts/sts_evaluate.py"


rule sts_summary:
    input:
        lambda wildcards: [
            f"{RESULTS}/{wildcards.site}/sts/metrics/{m}.csv" for m in config["sites"][wildcards.site]["sts"]["methods"]
        ],
    output:
        report(
            f"{RESULTS}/{{site}}/sts/summary.tsv",
            caption="../report/sts_summary.rst",
            category="{site}",
            subcategory="Spatio-temporal-spectral fusion",
        ),
    log:
        f"{RESULTS}/logs/{{site}}/sts_summary.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/sts_summary.py"
