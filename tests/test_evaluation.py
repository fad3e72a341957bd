"""The summary tables of a site (stfusion.evaluation, issue 27): methods compared over the dates they all hold out,
each method's own dates apart, validation targets never called held out; on a hand-made metrics table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stfusion.evaluation import (HELD_OUT, SCORE_COLUMNS, TRAINING, VALIDATION, common_held_out_dates,
                                 own_dates_summary, summary, target_role)


def test_a_date_is_held_out_only_when_neither_a_training_nor_a_validation_target():
    assert target_role("d1", ["d1"], ["d2"]) == TRAINING
    assert target_role("d2", ["d1"], ["d2"]) == VALIDATION
    assert target_role("d3", ["d1"], ["d2"]) == HELD_OUT


def rows(method: str, role: str, date: str, rmse: float) -> list[dict]:
    """A method's band-averaged RMSE and SSIM of one date, and a per-band row that the summaries must not average."""
    return [{"site": "s", "method": method, "date": date, "references": "", "role": role, "band": band,
             "metric": metric, "value": value}
            for band, metric, value in (("all", "rmse", rmse), ("all", "ssim", 1 - rmse), ("red", "rmse", 9.0))]


@pytest.fixture
def scores() -> pd.DataFrame:
    """The issue's case: STARFM with one reference predicts d1 and d2, with two references d2 only (RMSE 0.0127 and
    0.0067 against 0.0083: 0.0097 against 0.0083 over their own dates, 0.0067 against 0.0083 on the common date);
    a deep method trained on d1, validated on d3 and holding out d2 and d4; and its training job's row."""
    table = [*rows("starfm_1ref", HELD_OUT, "d1", 0.0127), *rows("starfm_1ref", HELD_OUT, "d2", 0.0067),
             *rows("starfm", HELD_OUT, "d2", 0.0083),
             *rows("deep", TRAINING, "d1", 0.0010), *rows("deep", HELD_OUT, "d2", 0.0050),
             *rows("deep", VALIDATION, "d3", 0.0040), *rows("deep", HELD_OUT, "d4", 0.0090),
             {"site": "s", "method": "deep", "date": "training", "references": "", "role": TRAINING, "band": "all",
              "metric": "job_seconds", "value": 12.0}]
    return pd.DataFrame(table, columns=SCORE_COLUMNS)


def test_the_summary_compares_every_method_over_the_dates_all_of_them_hold_out(scores):
    assert common_held_out_dates(scores) == ["d2"]
    table = summary(scores, metrics=("rmse", "ssim"))
    assert list(table.columns) == ["rmse", "ssim", "dates"] and list(table.index) == ["deep", "starfm", "starfm_1ref"]
    assert table.rmse.to_dict() == pytest.approx({"deep": 0.0050, "starfm": 0.0083, "starfm_1ref": 0.0067})
    assert (table.dates == 1).all()


def test_each_methods_own_dates_are_summarised_apart_by_role(scores):
    table = own_dates_summary(scores, metrics=("rmse", "ssim"))
    assert list(table.index) == [("deep", HELD_OUT), ("deep", VALIDATION), ("starfm", HELD_OUT),
                                 ("starfm_1ref", HELD_OUT)]
    assert table.rmse.to_list() == pytest.approx([0.0070, 0.0040, 0.0083, 0.0097])
    assert table.dates.to_list() == [2, 1, 1, 2]


def test_without_a_common_held_out_date_the_summary_has_every_method_and_no_score(scores):
    only_validated = scores[~((scores.method == "deep") & (scores.role == HELD_OUT))]
    assert common_held_out_dates(only_validated) == []
    table = summary(only_validated, metrics=("rmse", "ssim"))
    assert list(table.index) == ["deep", "starfm", "starfm_1ref"] and list(table.columns) == ["rmse", "ssim", "dates"]
    assert np.isnan(table[["rmse", "ssim"]].to_numpy()).all() and (table.dates == 0).all()


def test_a_method_without_a_scored_date_leaves_the_common_dates_as_they_are(scores):
    """A method whose every prediction lacks a truth (only its training job's row) has nothing to compare."""
    unscored = scores[scores.date == "training"].assign(method="deep_other_dates")
    table = summary(pd.concat([scores, unscored]), metrics=("rmse",))
    assert table.rmse.to_dict() == pytest.approx({"deep": 0.0050, "deep_other_dates": np.nan, "starfm": 0.0083,
                                                  "starfm_1ref": 0.0067}, nan_ok=True)
