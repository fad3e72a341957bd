"""Moving-window machinery shared by STARFM and ESTARFM.

Both methods look, for every fine pixel, at the pixels of a ``window`` x ``window`` neighbourhood that
are spectrally similar to it. Instead of a loop per pixel, the loop here runs over the window's
offsets: at each offset (dy, dx) every pixel of a block sees its neighbour through one shifted view
of the block, so each step is a handful of whole-block tensor operations (on the GPU when asked).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..bilinear import bilinear_weights
from .blocks import predict_in_blocks

# (fine refs (K, C, h, w), coarse refs resampled to the fine grid (K, C, h, w), coarse t1 resampled (C, h, w),
#  the core (rows, cols) within the block) -> the core's prediction (C, core rows, core cols)
BlockFunction = Callable[[Tensor, Tensor, Tensor, tuple[slice, slice]], Tensor]
# Values per tensor in one strip of the window loop (see ``row_strips``), measured on a 2-core EPYC.
STRIP_VALUES = 1 << 17


def check_inputs(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int,
                 pairs: tuple[int, ...], method: str) -> None:
    """Raise ValueError unless the arrays have the documented shapes and K is one of ``pairs``."""
    if fine_refs.ndim != 4 or coarse_refs.ndim != 4 or coarse_t1.ndim != 3:
        raise ValueError(f"{method} expects fine_refs (K, C, H, W), coarse_refs (K, C, H/ratio, W/ratio) and "
                         f"coarse_t1 (C, H/ratio, W/ratio); got {fine_refs.shape}, {coarse_refs.shape}, "
                         f"{coarse_t1.shape}")
    k, channels, height, width = fine_refs.shape
    if k not in pairs:
        raise ValueError(f"{method} takes {' or '.join(map(str, pairs))} reference pair(s); got K = {k} fine images")
    if not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise ValueError(f"{method}: ratio must be a positive integer; got {ratio!r}")
    coarse = (channels, height // ratio, width // ratio)
    if height % ratio or width % ratio or coarse_refs.shape != (k, *coarse) or coarse_t1.shape != coarse:
        raise ValueError(f"{method} (ratio {ratio}) needs coarse_refs of shape {(k, *coarse)} and coarse_t1 of shape "
                         f"{coarse} for fine_refs {fine_refs.shape} (H and W multiples of the ratio); got "
                         f"coarse_refs {coarse_refs.shape} and coarse_t1 {coarse_t1.shape}")


def check_window(window: int, method: str) -> None:
    """The moving window must be an odd number of fine pixels, so that it has a central pixel."""
    if not isinstance(window, (int, np.integer)) or window < 1 or window % 2 == 0:
        raise ValueError(f"{method}: window must be an odd positive number of fine pixels; got {window!r}")


def similarity_thresholds(fine_refs: np.ndarray, classes: float) -> np.ndarray:
    """2 sigma / m per reference and band, (K, C): the similar-pixel tolerance of Gao 2006 and Zhu 2010.

    sigma is the standard deviation of the whole fine scene of that date and band (NaN ignored), computed
    once so that every block uses the same threshold; m is the estimated number of land-cover classes.
    """
    sigma = np.nanstd(fine_refs, axis=(2, 3), dtype=np.float64)
    return (2.0 * sigma / classes).astype(np.float32)


def upsample_bilinear(coarse: Tensor, ratio: int) -> Tensor:
    """Bilinear resampling of (..., h, w) to (..., h ratio, w ratio) with ``bilinear_weights`` on both axes.

    A fine pixel is NaN when a coarse pixel with a non-zero weight in its interpolation is NaN. The reach
    is one coarse pixel, so a block's halo must exceed the window's half-width by ``ratio`` fine pixels.
    """
    if ratio == 1:
        return coarse
    rows, cols = (torch.from_numpy(bilinear_weights(n, ratio)).to(coarse) for n in coarse.shape[-2:])
    missing = coarse.isnan()
    values = rows @ coarse.masked_fill(missing, 0.0) @ cols.T
    touched = rows @ missing.to(coarse.dtype) @ cols.T
    return values.masked_fill(touched > 0, math.nan)


def pad(x: Tensor, half: int, value: float) -> Tensor:
    """``x`` padded by ``half`` pixels with ``value`` on its last two axes (pixels beyond the block)."""
    return F.pad(x, (half, half, half, half), value=value)


def row_strips(like: Tensor, values: int = STRIP_VALUES) -> list[slice]:
    """Row ranges of a block, each holding about ``values`` values of a tensor shaped ``like``.

    The window loop runs strip by strip so that its working set stays in the CPU cache; on a GPU the
    whole block is one strip.
    """
    height = like.shape[-2]
    rows = height if like.is_cuda else max(1, values // (like.numel() // height))
    return [slice(top, min(top + rows, height)) for top in range(0, height, rows)]


def window_views(padded: Sequence[Tensor], half: int, rows: slice) -> Iterator[tuple[float, list[Tensor]]]:
    """For each offset (dy, dx) of a (2 half + 1)^2 window: its distance and each tensor's neighbour view.

    ``padded`` are tensors padded by ``half`` (see ``pad``); the view at (dy, dx) holds, at every pixel
    (y, x) of the unpadded block's ``rows``, the value at (y + dy, x + dx).
    """
    width = padded[0].shape[-1] - 2 * half
    for dy in range(-half, half + 1):
        for dx in range(-half, half + 1):
            view = slice(half + dy + rows.start, half + dy + rows.stop), slice(half + dx, half + dx + width)
            yield math.hypot(dy, dx), [t[..., view[0], view[1]] for t in padded]


def run_in_blocks(block_function: BlockFunction, fine_refs: np.ndarray, coarse_refs: np.ndarray,
                  coarse_t1: np.ndarray, ratio: int, window: int, block: int, device: str | torch.device, out=None):
    """The whole scene, block by block (``predict_in_blocks``), each block on ``device`` as float32 tensors.

    The coarse images are resampled to the fine grid inside each block (``upsample_bilinear``); the halo
    is the window's half-width plus one coarse pixel for the resampling. ``coarse_t1`` may carry a leading
    axis of dates (n, C, h, w) for a ``block_function`` that takes them. ``out`` as for ``predict_in_blocks``.
    """
    device = torch.device(device)

    def tensor(array: np.ndarray) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(device)

    @torch.no_grad()
    def on_block(fine: np.ndarray, coarse: np.ndarray, t1: np.ndarray, core: tuple[slice, slice]) -> np.ndarray:
        coarse_fine = upsample_bilinear(tensor(coarse), ratio)
        t1_fine = upsample_bilinear(tensor(t1)[None], ratio)[0]
        return block_function(tensor(fine), coarse_fine, t1_fine, core).cpu().numpy()

    return predict_in_blocks(on_block, fine_refs, coarse_refs, coarse_t1, ratio, halo=window // 2 + ratio,
                             block=block, out=out)
