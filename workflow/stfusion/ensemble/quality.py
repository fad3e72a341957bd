"""The quality COG of an ensemble's prediction (stfusion.quality_band's bands): the coarse bands are its members'
(they all predict the date from the same gap-filled coarse image), and ``reference_days`` is the nearest clear
reference of the members the date's weights use (a positive weight in some band): the ensemble's value at a pixel
is a mean of theirs, so it rests on fine information no older than its nearest one; -1 where none of them had a
clear reference there."""
from __future__ import annotations

import numpy as np

from ..quality_band import NO_CLEAR_REFERENCE, QUALITY_BANDS

REFERENCE_DAYS = QUALITY_BANDS.index("reference_days")


def ensemble_quality(qualities: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The (3, rows, cols) quality of the ensemble from its members' (members, 3, rows, cols) and the date's weights
    (bands, members)."""
    used = qualities[weights.max(axis=0) > 0, REFERENCE_DAYS]
    with np.errstate(invalid="ignore"):
        nearest = np.where(used >= 0, used, np.inf).min(axis=0)
    days = np.where(np.isfinite(nearest), nearest, NO_CLEAR_REFERENCE)
    coarse = qualities[0, :REFERENCE_DAYS]
    return np.concatenate([coarse, np.where(np.isnan(coarse[0]), np.nan, days)[None]]).astype(np.float32)
