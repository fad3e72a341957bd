# The targets of a whole run (the inputs of the Snakefile's target `all`), one input function each: the
# predictions are known only once their checkpoints (pairing, sts_series) have run, and an input function is what
# lets them wait without holding back the other targets. Uses RESULTS and SCENES (common.smk), site_scenes
# (scene_inputs.smk), prediction_outputs (fusion_inputs.smk) and sts_predictions (sts_inputs.smk).
from stfusion.config import site_methods


def matched_outputs(site):
    """The matched scenes of the site's fusion pair of sensors."""
    fusion = config["sites"][site].get("fusion")
    if not fusion:
        return []
    return [
        f"{RESULTS}/{site}/matched/{sensor}/{date}.tif"
        for sensor, date in site_scenes(site)
        if sensor in (fusion["fine"], fusion["coarse"])
    ]


def simulated_outputs():
    """Every simulated scene of the config's `simulate` entries."""
    return [
        f"{RESULTS}/{sim['site']}/simulated/{sim['target']}/from_{sim['source']}/{date}.tif"
        for sim in config.get("simulate", [])
        for sensor, date in site_scenes(sim["site"])
        if sensor == sim["source"]
    ]


def preprocessing_targets(wildcards):
    """The simulated scenes, then per site with scenes its inventory and matched scenes."""
    outputs = simulated_outputs()
    for site in SCENES.site.unique():  # a site without scenes (spectral only) has nothing to preprocess
        outputs.append(f"{RESULTS}/{site}/qa/inventory.tsv")
        outputs += matched_outputs(site)
    return outputs


def prediction_targets(wildcards):
    """Predictions of every site, each with its uncertainty (known once each site's pairing and series-plan
    checkpoints have run)."""
    return [path for site in config["sites"]
            for path in prediction_outputs(site) + uncertainty_outputs(site) + sts_predictions(site)]


def summary_targets(wildcards):
    """Every site's score tables (spatio-temporal-spectral ones where a truth exists to score against)."""
    fusion = [f"{RESULTS}/{site}/metrics/summary.tsv" for site in config["sites"] if site_methods(config, site)]
    sts = [f"{RESULTS}/{site}/sts/summary.tsv" for site, spec in config["sites"].items()
           if spec.get("sts", {}).get("methods") and spec["sts"].get("truth")]
    spectral = [f"{RESULTS}/{site}/spectral/summary.tsv" for site, spec in config["sites"].items() if spec.get("spectral")]
    return fusion + sts + spectral


def series_targets(wildcards):
    """Per site with fusion methods a cube per method and the STAC collection (series.smk; their jobs wait for the
    pairing checkpoint, the paths do not)."""
    return [path for site in config["sites"] if site_methods(config, site)
            for path in [*(f"{RESULTS}/{site}/series/{m}.zarr" for m in site_methods(config, site)),
                         f"{RESULTS}/{site}/stac/collection.json"]]


def report_target(wildcards):
    """The run's report page."""
    return f"{RESULTS}/report.html"
