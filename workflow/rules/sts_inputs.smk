# Input functions and parameters of the spatio-temporal-spectral rules (sts.smk), among them the series plan
# (sts_plan, the sts_series checkpoint's output). Uses RESULTS (common.smk).
import json

from stfusion.methods import STS


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
    """The training dates of the plan (a parameter of the rules, not series.json as an input; a new MS date after
    the last fine or HS date changes the plan but not these, and must not re-run the training)."""
    return sts_plan(wildcards.site)["training"]


def sts_prediction_dates(wildcards):
    return sts_plan(wildcards.site)["predict"][wildcards.date]


def sts_model(method):
    return config["sts_methods"][method]["model"]


def sts_trained(method):
    """Every method but the naive baselines (hs_nearest) learns from the series (an sts_train job)."""
    return STS[sts_model(method)].family != "naive"


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
