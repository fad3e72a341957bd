# Input functions of the report (report.smk): every file the page is made from, per site and experiment. Uses
# RESULTS and SCENES (common.smk), the spatiotemporal experiment's functions (fusion_inputs.smk: prediction_outputs,
# scored_dates, truth_path, is_deep, family, model_of, pairs_of,
# prediction_jobs), the ensembles' (ensemble_inputs.smk: ensemble_weights_file), the fused series' (series_inputs.smk:
# series_predictions), the uncertainty's (uncertainty_inputs.smk: uncertainty_folder), the spatio-temporal-spectral
# one's (sts_inputs.smk: sts_plan, sts_truth, sts_trained, sts_model) and the rules' benchmark files (`rules`, known
# when the report job is planned).
from stfusion.config import site_methods
from stfusion.methods import STS, fusion_method


def fusion_report_files(site):
    """The files of a site's spatiotemporal experiment that the report reads; None without methods."""
    methods = site_methods(config, site)
    if not methods:
        return None
    folder = f"{RESULTS}/{site}"
    # a model shared by methods with identical training settings (model_of): its history and training job in each
    histories = {m: f"{folder}/models/{model_of(m)}/history.csv" for m in methods if is_deep(m)}
    benchmarks = {m: [rules.train.benchmark.format(site=site, method=model_of(m))] if is_deep(m) else [] for m in methods}
    for method in methods:  # one predict job per reference group, an ensemble's one job
        benchmarks[method] += list(prediction_jobs(site, method))
    for artefact in {a for m in methods for a in fusion_method(config, m).pretrained}:  # e.g. EDCSTFN's autoencoder
        histories[artefact] = f"{folder}/{artefact}/history.csv"
        benchmarks[artefact] = [getattr(rules, artefact).benchmark.format(site=site)]
    return {
        "summary": f"{folder}/metrics/summary.tsv",
        "own_dates": f"{folder}/metrics/summary_own_dates.tsv",
        "cross_validation": f"{folder}/metrics/cross_validation.tsv",
        "ensembles": {m: ensemble_weights_file(site, m) for m in methods if family(m) == "ensemble"},
        "scores": {m: f"{folder}/metrics/{m}.csv" for m in methods},
        "bands": f"{folder}/matched/bands.json",
        "predictions": {m: {d: f"{folder}/predictions/{m}/{d}.tif" for d in scored_dates(site, m)} for m in methods},
        "truths": {d: truth_path(site, d) for m in methods for d in scored_dates(site, m)},
        "histories": histories,
        "benchmarks": benchmarks,
        "naive": [m for m in methods if family(m) == "naive"],
        "series": series_report_files(site),
        "uncertainty": {"reliability": {m: f"{uncertainty_folder(site, m)}/reliability.tsv" for m in methods},
                        "maps": {m: {d: f"{folder}/predictions/{m}/{d}_uncertainty.tif" for d in scored_dates(site, m)}
                                 for m in methods}},
    }


def series_report_files(site):
    """The files of a site's time-series figures (stfusion.report.series): every prediction, the kept fine scenes
    (pair dates, matched), the gap-filled coarse image and fill info of each predicted date, and the seed of the
    choice of sample pixels. Only files the figures show: the report runs again when one of them changes."""
    folder = f"{RESULTS}/{site}"
    predictions = series_predictions(site)
    dates = sorted({d for by_date in predictions.values() for d in by_date})
    fine = config["sites"][site]["fusion"]["fine"]
    return {
        "predictions": predictions,
        "fine": {d: f"{folder}/matched/{fine}/{d}.tif" for d in pairs_of(site)["pairs"]},
        "coarse": {d: f"{folder}/filled/{d}.tif" for d in dates},
        "fill": {d: f"{folder}/filled/{d}_fill.tif" for d in dates},
        "seed": config["seed"],
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
    """Every path in a nested mapping of files (the report rule's inputs); the key `sensor` names a sensor,
    `naive` the naive baselines among the methods and `seed` the config's seed."""
    if isinstance(files, str):
        return [files]
    values = [v for k, v in files.items() if k not in ("sensor", "naive", "seed")] if isinstance(files, dict) else files or []
    return [path for value in values for path in paths_in(value)]
