"""Each EDCSTFN of the default run against its own start (issue 16), on a copy of the run."""

import json

import pandas as pd
import pytest
import yaml

from conftest import REPO, add_start_twins, copy_run, snakemake
from stfusion.evaluation import score_prediction
from stfusion.grid import SiteGrid
from stfusion.io import read_raster
from stfusion.sensors import read_sensors
from stfusion.truth import read_truth


def validation_dates(run, method: str) -> list[str]:
    """The targets of a method's validation groups, the dates whose predictions chose its kept weights."""
    table = pd.read_csv(run / f"results/demo/metrics/{method}.csv", dtype={"date": str})
    return sorted(set(table[table.role == "validation"].date))


@pytest.fixture(scope="module")
def starts_run(demo_run, tmp_path_factory):
    """A copy of the default run with each EDCSTFN's start as a method of its own (``<method>_start``, ``epochs: 0``):
    only their trainings (the start's losses) and their predictions of the method's validation dates run. What it
    buys: the demo's check that training never ends worse than its start, without a second run of the demo."""
    run = tmp_path_factory.mktemp("starts") / "run"
    copy_run(demo_run, run)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    twins = add_start_twins(config, "demo")
    (run / "starts.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    dates = {method: validation_dates(run, method) for method in twins}
    targets = [f"results/demo/predictions/{twins[m]}/{d}.tif" for m in twins for d in dates[m]]
    snakemake(run, *targets, "--configfile", str(run / "starts.yaml"))
    return run, twins, dates


def start_rmse(run, start: str, date: str) -> float:
    """The band-averaged RMSE of a start's prediction against the demo's truth, as the rule evaluate scores it."""
    matched = json.loads((run / "results/demo/matched/bands.json").read_text())["bands"]
    fine = read_sensors([str(run / "results/sensors/landsat8_oli.yaml")])["landsat8_oli"]
    truth = read_truth(str(run / f"data/demo/truth/demo/landsat8_oli/{date}.tif"), fine, fine.storage,
                       SiteGrid.from_json(run / "results/demo/grid.json"))
    rows = score_prediction(read_raster(run / f"results/demo/predictions/{start}/{date}.tif"), truth, matched, 1 / 16)
    return next(row["value"] for row in rows if row["metric"] == "rmse" and row["band"] == "all")


def test_each_edcstfn_is_not_worse_than_its_start_on_its_validation_dates(starts_run):
    """Issue 16: the start counts as epoch 0 and validation dates are never training targets, so the kept
    weights score at most the start's RMSE on the validation dates, whose predictions chose them (issue 27: the mean
    over them is summary_own_dates.tsv's; on the dates held out, training has no such guarantee)."""
    run, twins, dates = starts_run
    own = pd.read_csv(run / "results/demo/metrics/summary_own_dates.tsv", sep="\t", index_col=["method", "role"])
    assert sorted(twins) == ["edcstfn_1ref", "edcstfn_2ref"]
    for method, start in twins.items():
        assert dates[method], method
        kept = own.loc[(method, "validation"), "rmse"]
        first = sum(start_rmse(run, start, date) for date in dates[method]) / len(dates[method])
        assert kept <= first, (method, kept, first)
