"""``model: best``: the member with the lowest cross-validated RMSE, as one-hot weights (``stacking.DateWeights``) so
that it is applied like a stacked ensemble (``stacking.combine``) and scored as honestly: the member used for a
common held-out date is chosen on the other common dates only."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .stacking import MIN_FITTING_DATES, DateWeights


def best_member(scores: Mapping[str, float]) -> str:
    """The member with the lowest cross-validated RMSE in ``scores`` (member -> RMSE); an empty (NaN) score is
    skipped, and of equal scores the first member given wins."""
    scored = {member: score for member, score in scores.items() if not math.isnan(score)}
    if not scored:
        raise ValueError(f"no member has a cross-validated RMSE: {dict(scores)}")
    return min(scored, key=scored.get)


def one_hot(members: Sequence[str], chosen: str, bands: int) -> np.ndarray:
    """Weights (bands, members) that give every band of ``chosen`` and nothing of the others."""
    weights = np.zeros((bands, len(members)))
    weights[:, list(members).index(chosen)] = 1.0
    return weights


def leave_one_date_out_best(rmse: pd.DataFrame, members: Sequence[str], bands: int) -> DateWeights:
    """One-hot ``DateWeights`` of the best member on all the dates of ``rmse`` (dates x members, e.g.
    ``cross_validation.rmse_by_date``) and, for each date, on the other dates only."""
    if len(rmse) < MIN_FITTING_DATES:
        raise ValueError(f"leave-one-date-out needs {MIN_FITTING_DATES} dates or more, got {list(rmse.index)}: "
                         "check them first with members.check_fitting_dates")
    table = rmse[list(members)]
    return DateWeights(one_hot(members, best_member(table.mean()), bands),
                       {date: one_hot(members, best_member(table.drop(index=date).mean()), bands)
                        for date in table.index})
