"""Bilinear resampling weights from a coarse grid to a fine one ``ratio`` times finer, without PyTorch: the naive
coarse_upsampled baseline, the uncertainty's coarse-change feature and STARFM/ESTARFM's resampling of the coarse
images share them."""
from __future__ import annotations

import numpy as np


def bilinear_weights(size: int, ratio: int) -> np.ndarray:
    """(size ratio, size) matrix of 1-D linear interpolation, pixel centres aligned, edges clamped.

    Fine pixel x sits at coarse coordinate s = (x + 0.5) / ratio - 0.5 (clamped to [0, size - 1]); it takes
    1 - (s - floor s) of coarse pixel floor(s) and s - floor(s) of the next one. Built in float64 so that
    weights that should be zero are exactly zero.
    """
    s = np.clip((np.arange(size * ratio) + 0.5) / ratio - 0.5, 0, size - 1)
    low = np.floor(s).astype(int)
    high = np.minimum(low + 1, size - 1)
    weights = np.zeros((size * ratio, size))
    np.add.at(weights, (np.arange(size * ratio), low), 1 - (s - low))
    np.add.at(weights, (np.arange(size * ratio), high), s - low)
    return weights


def upsample_bilinear(coarse: np.ndarray, ratio: int) -> np.ndarray:
    """(..., rows, cols) on the coarse grid to (..., rows ratio, cols ratio), float32, with ``bilinear_weights`` on
    both axes (computed in float64)."""
    rows, cols = (bilinear_weights(n, ratio) for n in coarse.shape[-2:])
    return (rows @ coarse.astype(np.float64) @ cols.T).astype(np.float32)
