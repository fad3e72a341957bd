"""Whole-scene prediction in tiles, in bounded memory and close to the speed of one forward pass.

Each tile's core is predicted from a window that adds the model's receptive ``halo`` (its true receptive radius,
``models.base``) on every side that is not the scene edge, where the network pads exactly as it does on the
whole scene; the core then equals the whole-scene output up to float rounding, whatever the tiling. Along each
axis the scene is cut into the fewest tiles of at most ``tile`` pixels and these are evened out so that every
window has one size (at most ``tile + 2 halo``, whole coarse pixels): no window computes more than its tile
needs, and windows can be stacked, as many per forward call as ``batch_pixels`` fine pixels allow, which
bounds the memory of the activations. Tiles need no overlap; with ``overlap`` > 0 neighbouring cores overlap
by that many pixels and are blended there with linear ramps, which averages equal values.
"""
from __future__ import annotations

import numpy as np
import torch

from .models.base import FusionModel
from .packaged import schema_defaults
from .runlog import progress

# The defaults of ``predict_scene`` for callers outside the pipeline (tests, benches): the config schema's
# ``prediction`` defaults, which the rules pass from the validated config.
PREDICTION = schema_defaults("config", "prediction")
TILE = PREDICTION["tile"]  # largest tile core in fine pixels (the halos at ratio 16 are 32-64 px)
BATCH_PIXELS = PREDICTION["batch_pixels"]  # fine pixels of windows per forward call: one window of a default tile


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


def axis_tiles(length: int, tile: int, halo: int, ratio: int, overlap: int = 0) -> tuple[int, list[tuple[int, int, int]]]:
    """The window size and each tile's (window start, core start, core end) along an axis of ``length`` fine
    pixels (a multiple of ``ratio``). n = ceil((length - 2 h) / tile) windows of w = ceil((length + 2 (n - 1) h) / n)
    pixels, h = halo + overlap / 2, both in whole coarse pixels, start evenly from 0 to length - w; neighbours
    overlap by at least 2 h and split their overlap in the middle, cores grown by ``overlap`` / 2 on each side
    that meets another tile, so every core keeps ``halo`` pixels of its window on its inner sides."""
    before, after = overlap // 2, overlap - overlap // 2
    h = -(-(halo + after) // ratio)  # coarse pixels
    count = max(1, -(-(length - 2 * h * ratio) // tile))
    if count == 1:
        return length, [(0, 0, length)]
    cells = length // ratio
    window = -(-(cells + 2 * (count - 1) * h) // count)
    starts = [k * (cells - window) // (count - 1) for k in range(count)]
    bounds = [0, *((a + window + b) // 2 * ratio for a, b in zip(starts, starts[1:])), length]
    return window * ratio, [(start * ratio, max(0, a - before), min(length, b + after))
                            for start, a, b in zip(starts, bounds, bounds[1:])]


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    """1 inside, rising linearly over ``overlap`` pixels at each side that meets another tile."""
    weight = np.ones(length, np.float32)
    ramp = ((np.arange(overlap) + 1) / (overlap + 1)).astype(np.float32)
    if overlap and not at_start:
        weight[:overlap] = ramp
    if overlap and not at_end:
        weight[length - overlap :] = ramp[::-1]
    return weight


def predict_scene(
    model: FusionModel,
    fine_refs: np.ndarray,
    coarse_refs: np.ndarray,
    coarse_t1: np.ndarray,
    tile: int = TILE,
    overlap: int = PREDICTION["overlap"],
    device: torch.device | str = "cpu",
    batch_pixels: int = BATCH_PIXELS,
) -> np.ndarray:
    """Predict a scene: fine_refs (K, C, H, W), coarse_refs (K, C, h, w), coarse_t1 (C, h, w) -> (C, H, W) float32.

    ``tile`` (the largest core) and ``overlap`` are in fine pixels (``axis_tiles``). Memory: the inputs, the
    float32 output and its (H, W) blend weights, and the activations of ``batch_pixels`` fine pixels of windows
    (at least one window). One date of ``predict_scene_dates``.
    """
    return predict_scene_dates(model, fine_refs, coarse_refs, coarse_t1[None], tile, overlap, device, batch_pixels)[0]


@torch.no_grad()
def predict_scene_dates(
    model: FusionModel,
    fine_refs: np.ndarray,
    coarse_refs: np.ndarray,
    coarse_dates: np.ndarray,
    tile: int = TILE,
    overlap: int = PREDICTION["overlap"],
    device: torch.device | str = "cpu",
    batch_pixels: int = BATCH_PIXELS,
) -> np.ndarray:
    """Predict n dates from the same references: coarse_dates (n, C, h, w) -> (n, C, H, W) float32, each date
    equal to its ``predict_scene`` up to float rounding.

    Each batch of tile windows computes the model's ``reference_features`` (EDCSTFN's fine branch; nothing for
    the other models) once and predicts every date from them (``forward_shared``). Memory as ``predict_scene``,
    with n outputs, plus the features of one batch of windows (never the whole scene's).
    """
    _, channels, height, width = fine_refs.shape
    if coarse_dates.ndim != 4 or coarse_dates.shape[1:] != coarse_refs.shape[1:]:
        raise ValueError(f"coarse_dates must be (n, C, h, w) with (C, h, w) = {coarse_refs.shape[1:]} of the "
                         f"coarse references; got shape {coarse_dates.shape}")
    r = model.ratio
    (wh, rows), (ww, cols) = (axis_tiles(n, tile, model.halo, r, overlap) for n in (height, width))
    tiles = [(row, col) for row in rows for col in cols]
    per_call = max(1, batch_pixels // (wh * ww))
    out = np.zeros((len(coarse_dates), channels, height, width), np.float32)
    weight = np.zeros((height, width), np.float32)
    model.eval().to(device)
    for first in progress(range(0, len(tiles), per_call), "tile batch"):
        batch = tiles[first : first + per_call]
        fine, coarse, dates = (
            torch.from_numpy(np.stack([a[..., wy // s : (wy + wh) // s, wx // s : (wx + ww) // s]
                                       for (wy, _, _), (wx, _, _) in batch], axis=axis)).to(device)
            for a, s, axis in ((fine_refs, 1, 0), (coarse_refs, r, 0), (coarse_dates, r, 1)))
        blends = [np.outer(_ramp(y1 - y0, overlap, y0 == 0, y1 == height),
                           _ramp(x1 - x0, overlap, x0 == 0, x1 == width)) for (_, y0, y1), (_, x0, x1) in batch]
        features = model.reference_features(fine, coarse)
        for date, t1 in enumerate(dates):
            pred = model.forward_shared(features, fine, coarse, t1).float().cpu().numpy()
            for p, w, ((wy, y0, y1), (wx, x0, x1)) in zip(pred, blends, batch):
                out[date, :, y0:y1, x0:x1] += p[:, y0 - wy : y1 - wy, x0 - wx : x1 - wx] * w
        for w, ((_, y0, y1), (_, x0, x1)) in zip(blends, batch):
            weight[y0:y1, x0:x1] += w
    out /= weight
    return out
