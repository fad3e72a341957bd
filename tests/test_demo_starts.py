"""Each EDCSTFN of the default run against its own start (issue 16), on a copy of the run."""

import pandas as pd
import pytest
import yaml

from conftest import REPO, add_start_twins, copy_run, snakemake


@pytest.fixture(scope="module")
def starts_run(demo_run, tmp_path_factory):
    """A copy of the default run with each EDCSTFN's start as a method of its own (``<method>_start``, ``epochs: 0``):
    only their trainings (the start's losses), predictions and the scoring run. What it buys: the demo's check that
    training never ends worse than its start, without a second run of the demo."""
    run = tmp_path_factory.mktemp("starts") / "run"
    copy_run(demo_run, run)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    twins = add_start_twins(config, "demo")
    (run / "starts.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    snakemake(run, "results/demo/metrics/summary.tsv", "--configfile", str(run / "starts.yaml"))
    return run, twins


def test_each_edcstfn_is_not_worse_than_its_start_on_its_validation_dates(starts_run):
    """Issue 16: the start counts as epoch 0 and validation dates are never training targets, so the kept
    weights score at most the start's RMSE on the validation dates, whose predictions chose them (issue 27: the mean
    over them is summary_own_dates.tsv's; on the dates held out, training has no such guarantee)."""
    run, twins = starts_run
    own = pd.read_csv(run / "results/demo/metrics/summary_own_dates.tsv", sep="\t", index_col=["method", "role"])
    assert sorted(twins) == ["edcstfn_1ref", "edcstfn_2ref"]
    for method, start in twins.items():
        kept, first = own.loc[(method, "validation"), "rmse"], own.loc[(start, "validation"), "rmse"]
        assert kept <= first, (method, own.loc[[method, start]])
