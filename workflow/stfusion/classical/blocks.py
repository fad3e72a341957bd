"""Whole scenes in bounded memory for the classical methods: blocks with halos.

A block's core is computed from a window grown by ``halo`` fine pixels (the method's half-window,
rounded up to whole coarse pixels and clipped at the scene edge); only the core is kept. Scene-wide
quantities (a standard deviation, class centres, a regression over all coarse pixels) must be
computed once on the whole scene and closed over by ``method``, so that every block sees the same
ones and the blocks together equal a single-block run exactly.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

from ..runlog import progress
from ..tiling import halo_windows

# (fine refs, coarse refs, coarse t1) of a window, and the core's (rows, cols) within it -> the core's prediction
BlockMethod = Callable[[np.ndarray, np.ndarray, np.ndarray, tuple[slice, slice]], np.ndarray]


class Block(NamedTuple):
    """One block: its window (rows, cols) on the fine grid, the same on the coarse grid, its core in the scene
    and its core within the window."""

    window: tuple[slice, slice]
    coarse: tuple[slice, slice]
    core: tuple[slice, slice]
    inner: tuple[slice, slice]


def scene_blocks(height: int, width: int, ratio: int, halo: int, block: int = 512) -> list[Block]:
    """The blocks of a ``height`` x ``width`` fine scene, ``block`` rounded down and ``halo`` up to multiples of
    ``ratio`` so that every window starts on a coarse pixel edge."""
    block = max(ratio, block // ratio * ratio)
    halo = math.ceil(halo / ratio) * ratio
    return [Block((rows, cols), (slice(rows.start // ratio, rows.stop // ratio),
                                 slice(cols.start // ratio, cols.stop // ratio)), core, inner)
            for (rows, cols), core, inner in halo_windows(height, width, block, halo)]


def check_ratio(fine: np.ndarray, coarse: np.ndarray, ratio: int) -> None:
    """ValueError unless the fine images are ``ratio`` x the coarse ones."""
    if fine.shape[-2:] != (coarse.shape[-2] * ratio, coarse.shape[-1] * ratio):
        raise ValueError(f"fine images {fine.shape[-2:]} are not {ratio} x the coarse ones {coarse.shape[-2:]}")


def predict_in_blocks(method: BlockMethod, fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray,
                      ratio: int, halo: int, block: int = 512, out=None):
    """Apply ``method(fine_refs, coarse_refs, coarse_t1, core) -> (..., C, core rows, core cols)`` block by block.

    fine_refs (K, C, H, W) and coarse_refs (K, C, H / ratio, W / ratio), coarse_t1 (..., C, H / ratio,
    W / ratio), as for the deep models, with leading axes for several dates where ``method`` takes them;
    ``block`` and ``halo`` in fine pixels (see ``scene_blocks``). The blocks go into ``out`` (..., C, H, W), an
    array or anything that takes ``out[..., rows, cols] = block`` (a writer of windows: a whole series of a
    whole scene need not be held), a new float32 array when None; returns ``out``.
    """
    _, channels, height, width = fine_refs.shape
    check_ratio(fine_refs, coarse_t1, ratio)
    if out is None:
        out = np.empty((*coarse_t1.shape[:-3], channels, height, width), np.float32)
    for b in progress(scene_blocks(height, width, ratio, halo, block), "block"):
        out[..., b.core[0], b.core[1]] = method(fine_refs[(..., *b.window)], coarse_refs[(..., *b.coarse)],
                                              coarse_t1[(..., *b.coarse)], b.inner)
    return out
