# Input functions and parameters of the ensemble family's rules (ensemble.smk; issue 26): an ensemble's members at a
# site, the dates it is fitted on (checked once the pairing is known: too few fail there, naming methods.<name>),
# the dates it predicts, what each scored date is to it (rule evaluate's roles) and the files of its two jobs. Uses
# RESULTS (common.smk) and fusion_inputs.smk (prediction_dates, scored_dates, held_out_dates, method_roles, truth_path,
# truth_read_inputs), which calls ensemble_dates, ensemble_roles, ensemble_folder and ensemble_benchmark back.
from stfusion.config import site_methods
from stfusion.ensemble.members import check_fitting_dates, ensemble_members


def members_of(site, method):
    """The members of the ensemble at the site (methods.<method>.members, by default the site's other methods)."""
    return ensemble_members(config["methods"], method, site_methods(config, site))


def fitting_dates(site, method):
    """The dates every member holds out, on which the ensemble is fitted and scored leave-one-date-out; a
    ConfigError naming methods.<method> and the fixes when they are too few (stfusion.ensemble.members)."""
    return check_fitting_dates(method, site, {m: held_out_dates(site, m) for m in members_of(site, method)})


def ensemble_dates(site, method):
    """The dates every member predicts (its fitting dates checked first: every target of the ensemble asks this)."""
    fitting_dates(site, method)
    return sorted(set.intersection(*(set(prediction_dates(site, m)) for m in members_of(site, method))))


def ensemble_roles(site, method):
    """An ensemble's scores are held out on its fitting dates (each predicted with the weights fitted without it),
    and in-sample (``training``) on its other scored dates: some member trained or chose its weights on those."""
    fitting = set(fitting_dates(site, method))
    return {"training": [d for d in scored_dates(site, method) if d not in fitting], "validation": []}


def ensemble_folder(site, method):
    """The folder rule ensemble_predict writes every date of the ensemble into."""
    return f"{RESULTS}/{site}/predictions/{method}/combined"


def ensemble_benchmark(site, method):
    return f"{RESULTS}/benchmarks/{site}/ensemble_{method}.tsv"


def ensemble_weights_file(site, method):
    return f"{RESULTS}/{site}/ensemble/{method}/weights.json"


def ensemble_weights_inputs(wildcards):
    """The members' scores (their cross-validated RMSE; `best` chooses on them) and, for a stacked ensemble, the
    members' predictions and the truth of each fitting date, date by date and member by member in each date."""
    site, method = wildcards.site, wildcards.method
    members, dates = members_of(site, method), fitting_dates(site, method)
    inputs = {"bands": f"{RESULTS}/{site}/matched/bands.json",
              "scores": [f"{RESULTS}/{site}/metrics/{m}.csv" for m in members]}
    if config["methods"][method]["model"] == "ensemble":
        inputs |= {"predictions": [f"{RESULTS}/{site}/predictions/{m}/{d}.tif" for d in dates for m in members],
                   "truths": [truth_path(site, d) for d in dates], "truth_read": truth_read_inputs(site)}
    return inputs


def ensemble_prediction_inputs(wildcards):
    """The weights, and the members' prediction and quality COGs of every date the ensemble predicts, date by date
    and member by member in each date."""
    site, method = wildcards.site, wildcards.method
    members, dates = members_of(site, method), ensemble_dates(site, method)
    folder = f"{RESULTS}/{site}/predictions"
    return {"weights": ensemble_weights_file(site, method),
            "predictions": [f"{folder}/{m}/{d}.tif" for d in dates for m in members],
            "qualities": [f"{folder}/{m}/{d}_quality.tif" for d in dates for m in members]}
