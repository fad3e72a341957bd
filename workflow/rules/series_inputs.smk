# Input functions of the fused series as products (series.smk): a method's cube and a site's STAC collection take
# the prediction COGs (and the quality and uncertainty COGs beside them where a rule writes those). Uses RESULTS
# (common.smk), site_scenes (scene_inputs.smk), sensor_files (job_params.smk) and prediction_outputs
# (fusion_inputs.smk), which waits for the pairing checkpoint.
import os


def made_by_a_rule(path):
    """Whether a rule of this workflow writes ``path``."""
    return any(rule.is_producer(path) for rule in workflow.rules)


def series_predictions(site):
    """{method: {date: prediction COG}} of the site's predictions."""
    found = {}
    for path in prediction_outputs(site):
        method, date = os.path.basename(os.path.dirname(path)), os.path.basename(path)[: -len(".tif")]
        found.setdefault(method, {})[date] = path
    return found


def series_beside(predictions, suffix):
    """{method: {date: COG}}: the ``{date}{suffix}.tif`` beside each prediction, where a rule writes one: the
    quality (``_quality``, issue 25, item 3) and the uncertainty (``_uncertainty``, issue 26); none where no rule
    does."""
    beside = {m: {d: f"{p[: -len('.tif')]}{suffix}.tif" for d, p in dates.items()} for m, dates in predictions.items()}
    return {m: {d: q for d, q in dates.items() if made_by_a_rule(q)} for m, dates in beside.items()}


def series_layers(predictions):
    """The prediction COGs and those beside them by kind: predictions, qualities, uncertainties."""
    return {"predictions": predictions, "qualities": series_beside(predictions, "_quality"),
            "uncertainties": series_beside(predictions, "_uncertainty")}


def site_like(site):
    """A raster on the grid and bands of the site's predictions (its first matched fine scene)."""
    fine = config["sites"][site]["fusion"]["fine"]
    date = min(d for sensor, d in site_scenes(site) if sensor == fine)
    return f"{RESULTS}/{site}/matched/{fine}/{date}.tif"


def cube_files(wildcards):
    """The method's prediction, quality and uncertainty COGs by date (the last two empty where no rule writes
    them)."""
    predictions = series_predictions(wildcards.site).get(wildcards.method, {})
    return {kind: by_method[wildcards.method] for kind, by_method in series_layers({wildcards.method: predictions}).items()}


def cube_inputs(wildcards):
    """The prediction, quality and uncertainty COGs in date order; a method without dates: a raster with their grid and bands."""
    files = cube_files(wildcards)
    return {kind: [by_date[d] for d in sorted(by_date)] for kind, by_date in files.items()} | {
        "like": [] if files["predictions"] else [site_like(wildcards.site)]}


def catalogue_files(wildcards):
    """Every method's prediction, quality and uncertainty COGs of the site by date."""
    return series_layers(series_predictions(wildcards.site))


def catalogue_inputs(wildcards):
    """The COGs of the items; the site's grid (the collection's extent); the matched bands and the fine sensor's
    definition (the eo bands)."""
    site, files = wildcards.site, catalogue_files(wildcards)
    return {
        "cogs": [path for by_method in files.values() for by_date in by_method.values() for path in by_date.values()],
        "grid": f"{RESULTS}/{site}/grid.json",
        "bands": f"{RESULTS}/{site}/matched/bands.json",
        "sensor": sensor_files([config["sites"][site]["fusion"]["fine"]]),
    }
