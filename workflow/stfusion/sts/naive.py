"""The naive spatio-temporal-spectral baseline: the hyperspectral image of the nearest date, upsampled.

What a user has without fusion: the HS observation nearest in time (the earlier one on a tie), brought to
the fine grid by bicubic interpolation (``spectral.naive.upsampled``, the stronger of bilinear and bicubic, as
the spectral baseline). A method that does not beat it on the dates without an HS image adds nothing there
(Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning",
section 4: the methods are judged on those dates).
"""
from __future__ import annotations

import numpy as np

from ..spectral.naive import upsampled
from .data import SiteSeries
from .method import SRF, STSMethod
from .resample import nearest_index


class NearestHS(STSMethod):
    """The HS image of the date nearest ``day``, upsampled to the fine grid (NaN stays NaN over the missing HS
    pixel and its interpolation neighbours); learns nothing."""

    def predict(self, series: SiteSeries, srf: SRF, day: float) -> np.ndarray:
        return upsampled(series.hs[nearest_index(series.hs_days, day)], series.ratio("hs"))
