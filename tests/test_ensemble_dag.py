"""The ensemble family in the DAG (issue 26): on test_shared_models' tiny project (two pairs 16 days apart and a
MODIS date between them, run up to its pairing), the jobs an ensemble adds, the error of an ensemble whose members
hold out too few common dates, and one real run of a stacked ensemble of the two naive baselines: its prediction of
a fitting date is its members' combined with the weights fitted without that date."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import dry_run_jobs, field, read_nan, snakemake
from stfusion.ensemble.stacking import combine, moments, simplex_weights
from test_bad_input import SITE
from test_shared_models import DATES, paired  # noqa: F401 (the fixture)

NAIVE = {"nearest": {"model": "nearest_reference", "references": 1},
         "upsampled": {"model": "coarse_upsampled", "references": 1}}
PAIRS = DATES["landsat8_oli"]  # each held out by both naive methods (predicted from the other pair)


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


@pytest.fixture(scope="module")
def stacked(paired, tmp_path_factory):
    """The two naive baselines and their stacked ensemble, run up to the site's summary."""
    run = with_methods(paired, tmp_path_factory.mktemp("stacked"), {**NAIVE, "stack": {"model": "ensemble"}})
    run.write()
    snakemake(run.workdir, f"results/{SITE}/metrics/summary.tsv", "--configfile", str(run.path("config.yaml")))
    return run.path(f"results/{SITE}")


def test_a_held_out_date_is_predicted_with_the_weights_fitted_without_it(stacked):
    fitted = json.loads((stacked / "ensemble/stack/weights.json").read_text())
    assert fitted["members"] == list(NAIVE) and fitted["fitting_dates"] == PAIRS
    bands = [pair["name"] for pair in json.loads((stacked / "matched/bands.json").read_text())["bands"]]
    held, other = PAIRS

    def members(date):
        return np.stack([read_nan(stacked / f"predictions/{m}/{date}.tif") for m in NAIVE])

    truth = read_nan(stacked / f"matched/landsat8_oli/{other}.tif")
    without = simplex_weights(moments(members(other), truth), bands)  # the other fitting date alone
    assert np.allclose([[fitted["without"][held][b][m] for m in NAIVE] for b in bands], without)
    expected = combine(members(held), without)
    assert np.allclose(read_nan(stacked / f"predictions/stack/{held}.tif"), expected, atol=1e-6, equal_nan=True)
    quality = read_nan(stacked / f"predictions/stack/{held}_quality.tif")
    member_quality = read_nan(stacked / f"predictions/nearest/{held}_quality.tif")
    assert np.array_equal(quality[:2], member_quality[:2], equal_nan=True)  # the same coarse image


def test_the_ensemble_is_scored_held_out_on_its_fitting_dates_in_the_cross_validation_table(stacked):
    table = pd.read_csv(stacked / "metrics/cross_validation.tsv", sep="\t", dtype={"date": str})
    assert list(table.columns) == ["method", "date", "band", "rmse", "role", "common"]
    rows = table[(table.method == "stack") & (table.band == "all")]
    assert list(rows.date) == PAIRS and set(rows.role) == {"held_out"} and rows.common.all()
    assert (stacked / f"predictions/stack/combined/{DATES['modis'][1]}.tif").is_file()  # predicted, not scored
