"""The naive spatio-temporal-spectral baseline: the hyperspectral image of the nearest date, upsampled.

What a user has without fusion: the HS observation nearest in time (the earlier one on a tie), brought to
the fine grid by bicubic interpolation (``models.base.upsample_bicubic``, the stronger of bilinear and
bicubic, as ``spectral.wald``'s ``hs_upsampled``). A method that does not beat it on the dates without an
HS image adds nothing there (Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via
Multi-task Learning", section 4: the methods are judged on those dates).
"""
from __future__ import annotations

import numpy as np
import torch

from ..models.base import upsample_bicubic
from .data import SiteSeries
from .resample import nearest_index


def nearest_hs(series: SiteSeries, day: float) -> np.ndarray:
    """(C_h, H, W) float32: the HS image of the date nearest ``day``, upsampled to the fine grid (NaN stays
    NaN over the missing HS pixel and its interpolation neighbours)."""
    image = series.hs[nearest_index(series.hs_days, day)]
    tensor = torch.from_numpy(np.ascontiguousarray(image, np.float32))[None]
    return upsample_bicubic(tensor, series.ratio("hs"))[0].numpy()


__all__ = ["nearest_hs"]
