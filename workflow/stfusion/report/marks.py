"""Marks on the report's metric tables (issue 16): a dagger on every method whose held-out score is worse than the
best naive baseline's, per date and on average, and a double dagger on every deep method whose training kept its
start (no epoch beat the initial weights on the validation groups).

The score compared is RMSE (``PRIMARY``), the error that the tables of Tan et al. (2019) and issue 16 lead with.
Only held-out scores compare: a method is worse on a date when its RMSE there is higher than the lowest of the naive baselines'
(nearest_reference and coarse_upsampled in the spatiotemporal tables, hs_nearest in the spatio-temporal-spectral
ones) on that date; ties are not marked. On an STS date the hyperspectral sensor observed, hs_nearest is the
observation itself: not held out, so no method is marked against it.
"""
from __future__ import annotations

from typing import Collection, Mapping

import pandas as pd

from ..metrics import METRICS

PRIMARY = "rmse"
MEAN = "held-out mean"  # the key of the mean table's marks
WORSE, KEPT = "†", "‡"


def held_out_losses(scores: pd.DataFrame, naive: Collection[str], metric: str = PRIMARY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scores`` (methods x dates, NaN where a method is not held out) as losses (lower is better), split into the
    naive baselines' rows and the other methods' rows."""
    loss = scores.apply(pd.to_numeric, errors="coerce")
    loss = -loss if METRICS[metric].best == "highest" else loss
    is_naive = loss.index.isin(list(naive))
    return loss[is_naive], loss[~is_naive]


def worse_on_date(scores: pd.DataFrame, date: str, naive: Collection[str], metric: str = PRIMARY) -> set[str]:
    """Methods held out on ``date`` whose score is worse than the best held-out naive baseline's that day."""
    baselines, methods = held_out_losses(scores, naive, metric)
    best = baselines[date].min() if date in scores.columns else float("nan")
    return set() if pd.isna(best) else set(methods.index[methods[date] > best])


def worse_on_average(scores: pd.DataFrame, naive: Collection[str], metric: str = PRIMARY) -> set[str]:
    """Methods whose mean score over their held-out dates is worse than the best naive baseline's mean over the same
    dates (a deep method's training and validation targets are not held out: means over different dates would not
    compare); a baseline lacking one of those dates is left out."""
    baselines, methods = held_out_losses(scores, naive, metric)
    worse = set()
    for method, row in methods.iterrows():
        dates = row.dropna().index
        means = baselines[dates].dropna().mean(axis=1)
        if len(dates) and not means.empty and row[dates].mean() > means.min():
            worse.add(method)
    return worse


def worse_marks(scores: pd.DataFrame, naive: Collection[str], tables: Mapping[str, str],
                mean_dates: Collection[str] | None = None) -> dict[str, set[str]]:
    """The methods to mark per table: each per-date table (caption -> date in ``tables``) and ``MEAN``, the mean over
    ``mean_dates`` when given (the dates of the mean table: those every method holds out), else over each method's
    held-out dates."""
    if not naive:
        return {}
    mean = scores if mean_dates is None else scores[[d for d in scores.columns if d in set(mean_dates)]]
    return {caption: worse_on_date(scores, date, naive) for caption, date in tables.items()} | {
        MEAN: worse_on_average(mean, naive)}


def marked(frame: pd.DataFrame, worse: Collection[str], kept_start: Collection[str] = ()) -> pd.DataFrame:
    """The table with each method's label followed by its marks: † worse than the best naive baseline,
    ‡ kept its start."""
    def label(method: object) -> object:
        marks = (WORSE if method in worse else "") + (KEPT if method in kept_start else "")
        return f"{method} {marks}" if marks else method
    return frame.rename(index=label)


def marks_legend(naive: Collection[str], kept_start: Collection[str] = (), metric: str = PRIMARY) -> str:
    """What the marks of an experiment's tables mean; empty when nothing can be marked."""
    lines = []
    if naive:
        lines.append(f"{WORSE} worse than the best naive baseline ({', '.join(naive)}) in held-out "
                     f"{METRICS[metric].label}: on that date in a per-date table; in the held-out mean, averaged "
                     "over the dates of that table")
    if kept_start:
        lines.append(f"{KEPT} kept its start: no training epoch beat the initial weights on the validation groups, "
                     "so the weights used are the initial ones")
    return "; ".join(lines) + "." if lines else ""
