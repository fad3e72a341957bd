"""The naive spectral baseline: the HS image upsampled bicubically to the MS grid (``models.base.upsample_bicubic``,
the stronger of bilinear and bicubic here, so that a method that beats it adds something)."""
from __future__ import annotations

import numpy as np
import torch

from ..models.base import upsample_bicubic
from .method import SpectralMethod


def upsampled(image: np.ndarray, ratio: int) -> np.ndarray:
    """(C, h, w) -> (C, h ratio, w ratio) float32, bicubic (NaN stays NaN over its interpolation neighbours)."""
    return upsample_bicubic(torch.from_numpy(np.ascontiguousarray(image, np.float32))[None], ratio)[0].numpy()


class UpsampledHS(SpectralMethod):
    """The HS image upsampled; the MS image is not used."""

    def predict(self, ms: np.ndarray, hs: np.ndarray, ratio: int, srf: np.ndarray) -> np.ndarray:
        return upsampled(hs, ratio)
