# Input functions of the per-pixel uncertainty (uncertainty.smk; stfusion.uncertainty): which predictions calibrate a
# method (its held-out scored dates, or the pooled ones of the site's other methods where it holds out too few), and
# the files a prediction's features are read from. Uses RESULTS (common.smk), the fusion functions
# (fusion_inputs.smk: pairs_of, held_out_dates, truth_path, family, fusion_ratio, fine_storage_override) and
# series_predictions (series_inputs.smk), which waits for the pairing checkpoint.
from stfusion.config import site_methods
from stfusion.ensemble.members import is_ensemble
from stfusion.uncertainty import sources
from stfusion.uncertainty.method import LEAVE_ONE_OUT


def uncertainty_folder(site, method):
    """The method's calibration (calibration.json, leave_one_out/, reliability.tsv) and its maps (half_widths/)."""
    return f"{RESULTS}/{site}/uncertainty/{method}"


def uncertainty_outputs(site):
    """The `{date}_uncertainty.tif` beside every prediction of the site."""
    return [f"{path[: -len('.tif')]}_uncertainty.tif" for path in prediction_outputs(site)]


def calibration_methods(site, method):
    """The methods whose held-out residuals calibrate ``method`` (stfusion.uncertainty.sources)."""
    methods = site_methods(config, site)
    return sources.calibration_methods(method, site, {m: held_out_dates(site, m) for m in methods},
                                       {m: family(m) for m in methods})


def spread_predictions(predictions, date):
    """Every prediction of the date that the methods' spread is taken over: those of methods that are not
    ensembles (an ensemble combines the others' predictions; it adds no opinion of its own)."""
    return [by_date[date] for m, by_date in predictions.items()
            if date in by_date and not is_ensemble(config["methods"], m)]


def date_files(site, method, date, predictions):
    """The files of one prediction's features (stfusion.uncertainty.date_files.DateFiles): its quality COG is the
    one beside it where a rule writes one, else that of another method's prediction of the date."""
    spread = spread_predictions(predictions, date)
    beside = [f"{path[: -len('.tif')]}_quality.tif" for path in [predictions[method][date], *spread]]
    return {"prediction": predictions[method][date], "quality": next(q for q in beside if made_by_a_rule(q)),
            "spread": spread, "coarse": f"{RESULTS}/{site}/filled/{date}.tif"}


def site_scenes_of_pairs(site):
    """The matched fine and coarse scenes of the site's kept pairs by date, and the fine-to-coarse ratio
    (stfusion.uncertainty.date_files.SiteScenes)."""
    fusion = config["sites"][site]["fusion"]
    pairs = pairs_of(site)["pairs"]
    return {role: {d: f"{RESULTS}/{site}/matched/{fusion[role]}/{d}.tif" for d in pairs} for role in ("fine", "coarse")} | {
        "ratio": fusion_ratio(site)}


def calibration_predictions(wildcards):
    """The predictions whose residuals calibrate the method: {method, date, files, truth} each."""
    site, predictions = wildcards.site, series_predictions(wildcards.site)
    return [{"method": m, "date": d, "files": date_files(site, m, d, predictions), "truth": truth_path(site, d)}
            for m in calibration_methods(site, wildcards.method) for d in held_out_dates(site, m)]


def files_of(files):
    """Every path of a DateFiles mapping."""
    return [files["prediction"], files["quality"], *files["spread"], files["coarse"]]


def scene_paths(site):
    scenes = site_scenes_of_pairs(site)
    return [*scenes["fine"].values(), *scenes["coarse"].values()]


def calibration_inputs(wildcards):
    """The calibrating predictions' files and truths, the references' matched scenes, the matched bands, and how a
    truth of the config is read (rule evaluate's `truth_read`)."""
    site, entries = wildcards.site, calibration_predictions(wildcards)
    fine = config["sites"][site]["fusion"]["fine"]
    return {
        "predictions": sorted({p for e in entries for p in files_of(e["files"])}),
        "truths": sorted({e["truth"] for e in entries}),
        "scenes": scene_paths(site),
        "bands": f"{RESULTS}/{site}/matched/bands.json",
        "truth_read": [f"{RESULTS}/{site}/grid.json", *sensor_files([fine])] if config["sites"][site].get("truth") else [],
    }


def method_dates_files(wildcards):
    """{date: DateFiles mapping} of every prediction of the method (rule uncertainty)."""
    predictions = series_predictions(wildcards.site)
    return {d: date_files(wildcards.site, wildcards.method, d, predictions)
            for d in sorted(predictions.get(wildcards.method, {}))}


def uncertainty_inputs(wildcards):
    """The method's calibration, and its predictions' files and the references' matched scenes."""
    folder = uncertainty_folder(wildcards.site, wildcards.method)
    dates = method_dates_files(wildcards)
    return {"model": f"{folder}/calibration.json", "leave_one_out": f"{folder}/{LEAVE_ONE_OUT}",
            "predictions": sorted({p for files in dates.values() for p in files_of(files)}),
            "scenes": scene_paths(wildcards.site)}


def half_width_folder(wildcards):
    return f"{uncertainty_folder(wildcards.site, wildcards.method)}/half_widths"
