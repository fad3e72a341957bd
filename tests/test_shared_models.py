"""One trained model per training setting (issue 27): the grouping of methods by training settings
(stfusion.shared_models), and the DAG of a tiny project with two methods that differ only in a prediction option."""
from __future__ import annotations

import pytest

from conftest import dry_run_jobs, field, snakemake
from stfusion.shared_models import model_owners, sharing, training_settings
from test_bad_input import SITE, Scenario, landsat, landsat_qa, modis

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
    assert shared == [f"results/{SITE}/predictions/edcstfn_1ref_to_2/2021-06-09.tif"]  # two references: one date
    assert all(weights in inputs for path, inputs in predictions.items() if "/edcstfn" in path)
    assert "identical training settings" in result.stdout + result.stderr
