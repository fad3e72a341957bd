"""The quality COG beside each prediction, ``{date}_quality.tif`` (issue 25, item 3; in the spirit of HLS's Fmask and
the ROBOT cube's QA layer): per fine pixel, how the prediction's inputs were made. Float32 bands, NaN only where the
prediction is NaN (no clear coarse observation within ``gap_filling.max_gap_days``: outside the data):

- ``coarse_state``: 0 the coarse value of the date was observed; 1 filled, linear in time between the nearest clear
  observations before and after; 2 filled from one side only (the nearest clear observation held)
  (stfusion.gapfill);
- ``coarse_days_to_clear``: days from the date to the nearest clear coarse observation used (0 observed);
- ``reference_days``: days from the date to the nearest reference pair whose fine pixel is clear; -1 where the fine
  pixel of every reference is cloud, shadow or nodata (the deep and naive methods take the coarse reference there,
  stfusion.predict.prepare_inputs), or where a classical method can use no fine pixel and the prediction is the
  date's coarse image upsampled (stfusion.predict.fill_from_coarse).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .predict import upsample_nearest

QUALITY_BANDS = ("coarse_state", "coarse_days_to_clear", "reference_days")
NO_CLEAR_REFERENCE = -1.0
DESCRIPTION = ("coarse_state: 0 observed, 1 filled linear in time between clear observations, 2 filled from one side "
               "(nearest clear observation held); coarse_days_to_clear: days to the nearest clear coarse observation "
               "used; reference_days: days to the nearest reference pair clear at the pixel, -1 none (or none a classical "
               "method could use: the coarse image upsampled); NaN outside the data")


def quality_band(state: np.ndarray, days_to_clear: np.ndarray, fine_refs: np.ndarray, reference_days: Sequence[int],
                 ratio: int) -> np.ndarray:
    """The (3, rows, cols) quality array of a prediction from the coarse fill info (coarse rows, cols), the fine
    references as read (references, bands, rows, cols; NaN where masked) and |t - t_k| of each reference."""
    clear = np.isfinite(fine_refs).all(axis=1)
    distance = np.where(clear, np.asarray(reference_days, dtype=np.float32)[:, None, None], np.inf).min(axis=0)
    nearest = np.where(np.isfinite(distance), distance, NO_CLEAR_REFERENCE)
    coarse = upsample_nearest(np.stack([state, days_to_clear]), ratio)
    outside = np.isnan(coarse[0])
    return np.concatenate([coarse, np.where(outside, np.nan, nearest)[None]]).astype(np.float32)
