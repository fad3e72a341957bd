"""Whole scenes in bounded memory for the classical methods: blocks with halos.

A block's core is computed from a window grown by ``halo`` fine pixels (the method's half-window,
rounded up to whole coarse pixels and clipped at the scene edge); only the core is kept. Scene-wide
quantities (a standard deviation, class centres, a regression over all coarse pixels) must be
computed once on the whole scene and closed over by ``method``, so that every block sees the same
ones and the blocks together equal a single-block run exactly.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..runlog import progress
from ..tiling import halo_windows

# (fine refs, coarse refs, coarse t1) of a window, and the core's (rows, cols) within it -> the core's prediction
BlockMethod = Callable[[np.ndarray, np.ndarray, np.ndarray, tuple[slice, slice]], np.ndarray]


def predict_in_blocks(method: BlockMethod, fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray,
                      ratio: int, halo: int, block: int = 512) -> np.ndarray:
    """Apply ``method(fine_refs, coarse_refs, coarse_t1, core) -> (C, core rows, core cols)`` block by block.

    fine_refs (K, C, H, W) and coarse_refs (K, C, H / ratio, W / ratio), coarse_t1 (C, H / ratio,
    W / ratio), as for the deep models; ``block`` and ``halo`` in fine pixels, ``block`` rounded
    down and ``halo`` up to multiples of ``ratio`` so that every window starts on a coarse pixel edge.
    """
    _, channels, height, width = fine_refs.shape
    if fine_refs.shape[-2:] != (coarse_t1.shape[-2] * ratio, coarse_t1.shape[-1] * ratio):
        raise ValueError(f"fine images {fine_refs.shape[-2:]} are not {ratio} x the coarse ones {coarse_t1.shape[-2:]}")
    block = max(ratio, block // ratio * ratio)
    halo = math.ceil(halo / ratio) * ratio
    out = np.empty((channels, height, width), np.float32)
    for (rows, cols), core, inner in progress(halo_windows(height, width, block, halo), "block"):
        coarse = np.s_[rows.start // ratio : rows.stop // ratio, cols.start // ratio : cols.stop // ratio]
        out[:, core[0], core[1]] = method(fine_refs[:, :, rows, cols], coarse_refs[:, :, coarse[0], coarse[1]],
                                          coarse_t1[:, coarse[0], coarse[1]], inner)
    return out
