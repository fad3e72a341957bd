"""One trained model per training setting (issue 27): the grouping of methods by training settings
(stfusion.shared_models), and the DAG of a tiny project with two methods that differ only in a prediction option;
on the same project, one prediction job per reference group (issue 28) and the jobs an ensemble adds, or the
error of one whose members hold out too few common dates (issue 26)."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import dry_run_jobs, field, snakemake
from stfusion.shared_models import model_owners, sharing, training_settings
from test_bad_input import SITE, Scenario, landsat, landsat_qa, modis

NAIVE = {"nearest": {"model": "nearest_reference", "references": 1},
         "upsampled": {"model": "coarse_upsampled", "references": 1}}
EDCSTFN = {"model": "edcstfn", "references": 1, "epochs": 6, "lr": 1.0e-4, "batch_size": 4, "options": {}}


def test_a_prediction_option_is_not_a_training_setting():
    assert training_settings({**EDCSTFN, "predict_references": 2}) == EDCSTFN


def test_methods_with_identical_training_settings_read_the_first_ones_model():
    methods = {
        "starfm": {"model": "starfm", "references": 1},  # not trained: no model
        "a": EDCSTFN,
        "b": {**EDCSTFN, "predict_references": 2},  # differs in a prediction option only
        "c": {**EDCSTFN, "epochs": 7},
        "d": {**EDCSTFN, "options": {"init": "default"}},
        "e": {**EDCSTFN, "references": 2},  # other training groups and patches
        "f": {**EDCSTFN, "model": "stfnet"},
        "g": dict(reversed(EDCSTFN.items())),  # the same settings, written in another order
    }
    owners = model_owners(methods)
    assert owners == {"a": "a", "b": "a", "c": "c", "d": "d", "e": "e", "f": "f", "g": "a"}
    assert sharing(owners) == {"a": ["a", "b", "g"]}


def test_the_first_method_in_the_config_owns_the_model():
    assert model_owners({"later": EDCSTFN, "earlier": EDCSTFN}) == {"later": "later", "earlier": "later"}


# ---------------------------------------------------------------- the DAG

DATES = {"landsat8_oli": ["2021-06-01", "2021-06-17"], "modis": ["2021-06-01", "2021-06-09", "2021-06-17"]}


@pytest.fixture(scope="module")
def paired(tmp_path_factory) -> Scenario:
    """The tiny valid project of test_bad_input with two pairs 16 days apart and a MODIS date between them, run up to
    its pairing (the checkpoint that the training and prediction jobs wait for). What it buys: a dry run that plans
    the training and prediction jobs in about 13 s, without waiting for the default run (whose file is long)."""
    scenario = Scenario(tmp_path_factory.mktemp("shared") / "work", rasters=False)
    landsat(scenario.path("data/landsat.tif"))
    landsat_qa(scenario.path("data/landsat_qa.tif"))
    modis(scenario.path("data/modis.tif"))
    scenario.rows = [{"site": SITE, "sensor": sensor, "date": date, "path": f"data/{sensor.split('8')[0]}.tif",
                      "qa": "data/landsat_qa.tif" if sensor == "landsat8_oli" else ""}
                     for sensor, dates in DATES.items() for date in dates]
    scenario.config["patches"] = {"size": 4, "stride": 4}  # the 4 x 4 coarse pixels of the tiny site
    scenario.config["pairing"] = {"window_days": 20, "validation_fraction": 0.5}
    scenario.config["methods"] = {
        "edcstfn_1ref": EDCSTFN,
        "edcstfn_1ref_to_2": {**EDCSTFN, "predict_references": 2},
        "starfm": {"model": "starfm", "references": 1},
    }
    scenario.write()  # targets before --configfile, which takes every argument after it
    snakemake(scenario.workdir, f"results/{SITE}/pairs/pairs.json", "--configfile", str(scenario.path("config.yaml")))
    return scenario


def test_two_methods_differing_in_a_prediction_option_train_once(paired):
    result = paired.run("-n")
    assert result.returncode == 0, paired.messages(result)[-3000:]
    jobs = dry_run_jobs(result.stdout)
    weights = f"results/{SITE}/models/edcstfn_1ref/weights.pt"
    assert [field(block, "output")[0] for rule, block in jobs if rule == "train"] == [weights]
    predictions = {field(block, "output")[0]: field(block, "input") for rule, block in jobs if rule == "predict"}
    shared = [path for path in predictions if "/edcstfn_1ref_to_2/" in path]
    # two references: one reference group, of one date, which a local job links to its path of before
    assert shared == [f"results/{SITE}/predictions/edcstfn_1ref_to_2/by_references/2021-06-01_2021-06-17"]
    links = {field(block, "output")[0]: field(block, "input") for rule, block in jobs if rule == "link_prediction"}
    assert links[f"results/{SITE}/predictions/edcstfn_1ref_to_2/2021-06-09.tif"] == shared
    assert all(weights in inputs for path, inputs in predictions.items() if "/edcstfn" in path)
    assert "identical training settings" in result.stdout + result.stderr


def test_a_new_coarse_date_reruns_only_the_prediction_job_of_its_reference_group(paired, tmp_path):
    """Issue 28: the predictions of a naive method made (one job per reference group, each date linked to its path),
    a MODIS date added between the pairs re-runs only the job of the group it joins, and the links of that group's
    dates; the other group's job and links stay as they are."""
    run = paired.copy(tmp_path / "work")
    run.config["methods"] = {"nearest": {"model": "nearest_reference", "references": 1}}  # no training, no numba
    folder = f"results/{SITE}/predictions/nearest"
    targets = [f"{folder}/{d}{suffix}.tif" for d in DATES["modis"] for suffix in ("", "_quality")]

    def make(*args: str):  # targets before --configfile, which takes every argument after it
        run.write()
        return snakemake(run.workdir, *args, "--configfile", str(run.path("config.yaml")))

    make(*targets)
    # one reference each, the nearer (the earlier on a tie): 2021-06-01 predicts 06-09 and 06-17, 2021-06-17 06-01
    groups = run.path(f"{folder}/by_references")
    assert {p.name: sorted(f.name for f in p.glob("*.tif")) for p in groups.iterdir()} == {
        "2021-06-01": ["2021-06-09.tif", "2021-06-09_quality.tif", "2021-06-17.tif", "2021-06-17_quality.tif"],
        "2021-06-17": ["2021-06-01.tif", "2021-06-01_quality.tif"]}
    assert (run.path(f"{folder}/2021-06-09.tif").stat().st_ino
            == run.path(f"{folder}/by_references/2021-06-01/2021-06-09.tif").stat().st_ino)  # a hard link
    assert dry_run_jobs(make("-n", *targets).stdout) == []  # the links are not older than their folders

    shutil.copy(run.path("data/modis.tif"), run.path("data/modis_new.tif"))
    run.rows.append({"site": SITE, "sensor": "modis", "date": "2021-06-13", "path": "data/modis_new.tif", "qa": ""})
    make(f"results/{SITE}/pairs/pairs.json")
    groups = json.loads(run.path(f"results/{SITE}/pairs/pairs.json").read_text())["references"]["1"]["prediction"]
    assert {g["target"]: g["references"] for g in groups}["2021-06-13"] == ["2021-06-17"]
    targets += [f"{folder}/2021-06-13.tif"]
    jobs = dry_run_jobs(make("-n", *targets).stdout)
    assert [field(block, "output")[0] for rule, block in jobs if rule == "predict"] == [
        f"{folder}/by_references/2021-06-17"]
    linked = sorted(field(block, "output")[0] for rule, block in jobs if rule == "link_prediction")
    assert linked == [f"{folder}/2021-06-01.tif", f"{folder}/2021-06-13.tif"], linked
    assert {rule for rule, _ in jobs} == {"match_bands", "gapfill", "predict", "link_prediction"}, jobs



def with_methods(paired, tmp_path, methods):
    run = paired.copy(tmp_path / "work")
    run.config["methods"] = methods
    return run


def test_an_ensemble_adds_its_weights_job_and_one_prediction_job_linked_per_date(paired, tmp_path):
    run = with_methods(paired, tmp_path, {**NAIVE, "stack": {"model": "ensemble"}})
    result = run.run("-n")
    assert result.returncode == 0, run.messages(result)[-3000:]
    jobs = dry_run_jobs(result.stdout)
    weights = [block for rule, block in jobs if rule == "ensemble_weights"]
    assert [field(b, "output") for b in weights] == [[f"results/{SITE}/ensemble/stack/weights.json"]]
    assert {f"results/{SITE}/metrics/{m}.csv" for m in NAIVE} <= set(field(weights[0], "input"))
    folder = f"results/{SITE}/predictions/stack/combined"
    [predict] = [block for rule, block in jobs if rule == "ensemble_predict"]
    assert field(predict, "output") == [folder]
    assert not any(rule == "predict" and "/stack/" in block for rule, block in jobs)
    links = {field(block, "output")[0]: field(block, "input") for rule, block in jobs if rule == "link_prediction"}
    # every date both members predict, the MODIS date between the pairs too
    assert {p: links[p] for p in links if "/stack/" in p} == {
        f"results/{SITE}/predictions/stack/{d}.tif": [folder] for d in DATES["modis"]}


def test_an_ensemble_whose_members_hold_out_too_few_common_dates_fails_at_dag_build(paired, tmp_path):
    """ESTARFM (two references) predicts no pair date of two pairs: no date both members hold out."""
    methods = {"nearest": NAIVE["nearest"], "estarfm": {"model": "estarfm", "references": 2},
               "stack": {"model": "ensemble"}}
    run = with_methods(paired, tmp_path, methods)
    result = run.run("-n")
    text = run.messages(result)
    assert result.returncode != 0 and "Job stats" not in text
    assert ("methods.stack: at site tiny its members (nearest, estarfm) hold out 0 common date(s) (none)" in text
            ), text[-3000:]
