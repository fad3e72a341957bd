"""The cross-validation table of a site (issue 26): each method's RMSE per scored date and band, what the date was to
the method (``role``: held out, validation or training target; ``evaluation.target_role``) and whether every method
holds it out (``common``). Read by the report and by the ``ensemble`` family (stfusion.ensemble).

No method is retrained per fold: a method's out-of-sample predictions are those of the dates it holds out. A
classical or naive method holds out every date it predicts (a prediction group's references never include its
target in pairs.json, so its prediction of a pair date already leaves that pair out); a deep method holds out the
dates that are neither its training nor validation targets (nor its pretrained autoencoder's). On a site with a
truth on every date (the demo), every scored date of a method that is not trained counts.
"""
from __future__ import annotations

import pandas as pd

from .evaluation import HELD_OUT, TRAINING_JOB, common_held_out_dates

TABLE_COLUMNS = ["method", "date", "band", "rmse", "role", "common"]


def cross_validation_table(scores: pd.DataFrame) -> pd.DataFrame:
    """The table (``TABLE_COLUMNS``) from the tidy scores of the methods' metrics CSVs (``evaluation.SCORE_COLUMNS``):
    one row per method, scored date and band (``all``: the band average), sorted; ``common``: the date is among the
    dates every method of ``scores`` holds out (``evaluation.common_held_out_dates``, the dates summary.tsv averages;
    pass the scores of an ensemble's members for the dates every member holds out)."""
    dates = set(common_held_out_dates(scores))
    rows = scores[(scores.metric == "rmse") & (scores.date != TRAINING_JOB)]
    table = rows.rename(columns={"value": "rmse"}).assign(common=rows.date.isin(dates))[TABLE_COLUMNS]
    return table.sort_values(["method", "date", "band"]).reset_index(drop=True)


def rmse_by_date(table: pd.DataFrame, band: str = "all") -> pd.DataFrame:
    """Dates x methods: the RMSE of ``band`` (``all``: the band average) of each method on the common held-out dates
    of the cross-validation ``table``."""
    rows = table[table.common & (table.band == band) & (table.role == HELD_OUT)]
    return rows.pivot(index="date", columns="method", values="rmse")


def cross_validated_rmse(table: pd.DataFrame) -> pd.Series:
    """Per method, its band-averaged RMSE averaged over the common held-out dates: the RMSE column of summary.tsv."""
    return rmse_by_date(table).mean()
