"""Whole-scene prediction in overlapping tiles (SPEC 2.9), in bounded memory.

Each tile's core is predicted from a window grown by the model's receptive ``halo`` (clipped at the
scene edge, where the network pads exactly as it would on the whole scene), so a tile's output
equals the whole-scene output. Neighbouring cores also overlap by ``overlap`` pixels and are
blended there with linear ramps; with an honest halo the blend averages equal values, and the
result does not depend on the tile size beyond float rounding. Only one tile's activations are in
memory at a time.
"""
from __future__ import annotations

import numpy as np
import torch

from .models.base import FusionModel
from .runlog import progress


def tile_starts(length: int, tile: int, step: int) -> list[int]:
    """Tile origins every ``step`` pixels, the last one flush with the far edge."""
    if tile >= length:
        return [0]
    starts = list(range(0, length - tile + 1, step))
    return starts if starts[-1] == length - tile else [*starts, length - tile]


def halo_windows(height: int, width: int, block: int, halo: int) -> list[tuple[tuple[slice, slice], ...]]:
    """Blocks of ``block`` pixels (the last ones shorter) covering the image, each read through a window grown
    by ``halo`` on every side and clipped at the edges: (window, core, core within the window), each a
    (rows, cols) pair of slices. Computing the window and keeping the core gives, with an honest halo,
    the whole-image result in the memory of one window.
    """
    out = []
    for y0 in range(0, height, block):
        for x0 in range(0, width, block):
            y1, x1 = min(y0 + block, height), min(x0 + block, width)
            wy0, wx0 = max(0, y0 - halo), max(0, x0 - halo)
            window = (slice(wy0, min(height, y1 + halo)), slice(wx0, min(width, x1 + halo)))
            out.append((window, (slice(y0, y1), slice(x0, x1)), (slice(y0 - wy0, y1 - wy0), slice(x0 - wx0, x1 - wx0))))
    return out


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    """1 inside, rising linearly over ``overlap`` pixels at each side that meets another tile."""
    weight = np.ones(length, np.float64)
    ramp = (np.arange(overlap) + 1) / (overlap + 1)
    if overlap and not at_start:
        weight[:overlap] = ramp
    if overlap and not at_end:
        weight[length - overlap :] = ramp[::-1]
    return weight


@torch.no_grad()
def predict_scene(
    model: FusionModel,
    fine_refs: np.ndarray,
    coarse_refs: np.ndarray,
    coarse_t1: np.ndarray,
    tile: int = 512,
    overlap: int | None = None,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Predict a scene: fine_refs (K, C, H, W), coarse_refs (K, C, h, w), coarse_t1 (C, h, w) -> (C, H, W).

    ``tile`` and ``overlap`` are in fine pixels and are rounded to multiples of the ratio so tiles
    start on coarse pixel edges; ``overlap`` defaults to one coarse pixel.
    """
    r = model.ratio
    _, channels, height, width = fine_refs.shape
    tile = max(r, tile // r * r)
    overlap = r if overlap is None else overlap // r * r
    step = max(r, tile - overlap)
    halo = model.halo
    out = np.zeros((channels, height, width), np.float64)
    weight = np.zeros((height, width), np.float64)
    model.eval().to(device)
    rows, cols = tile_starts(height, tile, step), tile_starts(width, tile, step)
    for i, y0 in progress(enumerate(rows), "tile row"):
        for j, x0 in enumerate(cols):
            y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
            wy0, wx0 = max(0, y0 - halo), max(0, x0 - halo)
            wy1, wx1 = min(height, y1 + halo), min(width, x1 + halo)
            fine = torch.from_numpy(fine_refs[None, :, :, wy0:wy1, wx0:wx1]).to(device)
            coarse = np.s_[wy0 // r : wy1 // r, wx0 // r : wx1 // r]
            refs = torch.from_numpy(coarse_refs[None, :, :, coarse[0], coarse[1]]).to(device)
            t1 = torch.from_numpy(coarse_t1[None, :, coarse[0], coarse[1]]).to(device)
            pred = model(fine, refs, t1)[0].float().cpu().numpy()[:, y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0]
            w = np.outer(
                _ramp(y1 - y0, overlap, i == 0, i == len(rows) - 1),
                _ramp(x1 - x0, overlap, j == 0, j == len(cols) - 1),
            )
            out[:, y0:y1, x0:x1] += pred * w
            weight[y0:y1, x0:x1] += w
    return (out / weight).astype(np.float32)
