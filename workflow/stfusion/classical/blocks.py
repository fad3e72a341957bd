"""Whole scenes in bounded memory for the classical methods (SPEC 3.5): blocks with halos.

A block's core is computed from a window grown by ``halo`` fine pixels (the method's half-window,
rounded up to whole coarse pixels and clipped at the scene edge); only the core is kept. Scene-wide
quantities (a standard deviation, class centres, a regression over all coarse pixels) must be
computed once on the whole scene and closed over by ``method``, so that every block sees the same
ones and the blocks together equal a single-block run exactly.
"""
from __future__ import annotations

import logging
import math
from typing import Callable

import numpy as np

log = logging.getLogger("stfusion")
BlockMethod = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def predict_in_blocks(method: BlockMethod, fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray,
                      ratio: int, halo: int, block: int = 512) -> np.ndarray:
    """Apply ``method(fine_refs, coarse_refs, coarse_t1) -> (C, h, w)`` block by block.

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
    rows, cols = range(0, height, block), range(0, width, block)  # the last block may be shorter
    for i, y0 in enumerate(rows):
        for x0 in cols:
            y1, x1 = min(y0 + block, height), min(x0 + block, width)
            wy0, wx0 = max(0, y0 - halo), max(0, x0 - halo)
            wy1, wx1 = min(height, y1 + halo), min(width, x1 + halo)
            coarse = np.s_[wy0 // ratio : wy1 // ratio, wx0 // ratio : wx1 // ratio]
            result = method(fine_refs[:, :, wy0:wy1, wx0:wx1], coarse_refs[:, :, coarse[0], coarse[1]],
                            coarse_t1[:, coarse[0], coarse[1]])
            out[:, y0:y1, x0:x1] = result[:, y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0]
        log.info("block row %d/%d", i + 1, len(rows))
    return out
