"""ESTARFM: Zhu, Chen, Gao, Chen & Masek 2010, "An enhanced spatial and temporal adaptive reflectance fusion
model for complex heterogeneous regions", Remote Sensing of Environment 114, 2610-2623.

Two pairs, at tm and tn. For each fine pixel and each pair k (Sect. 2.2 of the paper):
    F_k(tp) = F(tk) + sum_i W_i V (C_i(tp) - C_i(tk)),
over the similar pixels i of a moving window (|F_i(tk, B) - F(tk, B)| <= 2 sigma(B) / m in every band B
at both dates), with W_i = (1 / D_i) / sum 1 / D_i and D_i = (1 - R_i) d_i: R_i the correlation of the
pixel's fine and coarse spectral-temporal vectors, d_i = 1 + distance / (w / 2) with w / 2 the half
window (25 for 51 pixels, as in the authors' code). V, the conversion coefficient, is the slope of a
linear regression of fine on coarse reflectance over the similar pixels of both dates. The two
predictions are blended with temporal weights T_k proportional to 1 / |sum over the window of
C(tk) - C(tp)|. The coarse images are resampled to the fine grid bilinearly (the paper takes MODIS
already resampled to the Landsat grid).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats
from torch import Tensor

from ..runlog import progress
from ..bilinear import bilinear_weights
from .blocks import Block, scene_blocks
from .kernels import estarfm_coarse_weights, estarfm_sums, fold_coarse, offset_weights
from .similar import (check_inputs, check_window, pad, row_strips, run_in_blocks, similarity_thresholds,
                      upsample_bilinear, window_views)

# R when it is undefined (a flat spectral-temporal vector), as in the authors' released IDL code.
UNDEFINED_CORRELATION = 0.5
# 1 - R below this counts as zero (float32 noise): W_i would give such pixels infinite weight; the
# floor lets them share it, in inverse proportion to d.
ZERO_DISSIMILARITY = 1e-6


def estarfm(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int, *, block: int = 512,
            device: str | torch.device = "cpu", window: int = 51, classes: float = 4.0,
            min_coarse_change: float = 0.02, significance: float = 0.05, max_conversion: float = 5.0) -> np.ndarray:
    """Predict the fine image at tp (C, H, W) from K = 2 pairs; NaN where it cannot be predicted.

    fine_refs (2, C, H, W), coarse_refs (2, C, H / ratio, W / ratio), coarse_t1 (C, H / ratio, W / ratio):
    float reflectance, NaN where masked. A pixel takes part only where all its bands are present.
    Defaults, from Zhu 2010 and the authors' released ESTARFM code (IDL):
    - ``window`` 51 fine pixels (half window w = 25) and ``classes`` m = 4 in the tolerance 2 sigma / m.
    - The regression slope is used as V only where it can be trusted, otherwise V = 1: the similar
      pixels' mean coarse reflectance changes by at least ``min_coarse_change`` between tm and tn (2 %
      of the data range), the regression is significant at ``significance`` (F test), and
      0 < V <= ``max_conversion``.
    One date's ``prepare_estarfm`` then ``predict_estarfm``; a series of dates prepares once.
    """
    check_inputs(fine_refs, coarse_refs, coarse_t1, ratio, (2,), "ESTARFM")
    state = prepare_estarfm(fine_refs, coarse_refs, ratio, block=block, device=device, window=window,
                            classes=classes, min_coarse_change=min_coarse_change, significance=significance,
                            max_conversion=max_conversion, fold=False)  # one date: the fold would cost more
    return predict_estarfm(state, coarse_t1)


class FoldedBlock(NamedTuple):
    """What a block's prediction needs of its references alone (Zhu et al. 2010, Eqs. 7-11), for its core."""

    conversion: Tensor   # V (C, ., .), Eq. 11
    weight_sum: Tensor   # sum_i 1 / D_i over the similar pixels (., .)
    folded: np.ndarray   # the weights W_i folded onto the coarse pixels, ``kernels.estarfm_coarse_weights``
    first_row: np.ndarray  # (core rows,): the first coarse row of the fold of each core row, in the block
    first_col: np.ndarray  # (core cols,)


class EstarfmState(NamedTuple):
    """``prepare_estarfm``'s result: the references, the method on one block (for a date whose coarse image has
    gaps in it), the fold of one block's weights and each block's folded weights (None when not folded, and on a
    GPU: every date runs the whole method)."""

    fine_refs: np.ndarray
    coarse_refs: np.ndarray
    ratio: int
    window: int
    block: int
    device: torch.device
    block_function: Callable[[Tensor, Tensor, Tensor, tuple[slice, slice]], Tensor]
    fold_block: Callable[[Block], FoldedBlock]
    folded: list[FoldedBlock] | None


def prepare_estarfm(fine_refs: np.ndarray, coarse_refs: np.ndarray, ratio: int, *, block: int = 512,
                    device: str | torch.device = "cpu", window: int = 51, classes: float = 4.0,
                    min_coarse_change: float = 0.02, significance: float = 0.05,
                    max_conversion: float = 5.0, fold: bool = True) -> EstarfmState:
    """ESTARFM's work on the two reference pairs alone, once for all the dates between them.

    The similar pixels, their weights W_i and the conversion coefficients V depend on F(tm), F(tn), C(tm) and
    C(tn) only (Zhu et al. 2010, Eqs. 7-11), as long as the date's coarse image is present wherever it is
    resampled: a date's change then enters linearly, sum_i W_i V (C_i(tp) - C_i(tk)), and since C_i is a
    bilinear mixture of coarse pixels, W_i folds onto the few coarse pixels a window reaches. Folding costs
    about two thirds of a date and makes a further date about a tenth of one (``bench/series.py``); ``fold``
    False skips it, for a single date. Other parameters as for ``estarfm``.
    """
    check_inputs(fine_refs, coarse_refs, coarse_refs[0], ratio, (2,), "ESTARFM")
    check_window(window, "ESTARFM")
    thresholds = similarity_thresholds(fine_refs, classes)
    # Regression sums are taken about the scene means, so that float32 keeps their differences.
    means = [torch.from_numpy(np.nanmean(x, axis=(0, 2, 3), dtype=np.float64).astype(np.float32))
             for x in (coarse_refs, fine_refs)]
    # F(1, df) exceeded with probability ``significance``, for every df a window can give (2 N - 2).
    degrees = np.arange(2 * window * window)
    critical = torch.from_numpy(stats.f.isf(significance, 1, np.maximum(degrees, 1)).astype(np.float32))
    device = torch.device(device)
    sums = compiled_sums if device.type == "cpu" else swept_sums
    half = window // 2

    def block_function(fine: Tensor, coarse: Tensor, t1: Tensor, core: tuple[slice, slice]) -> Tensor:
        return estarfm_block(fine, coarse, t1, thresholds, half, *(m.to(fine.device) for m in means),
                             critical.to(fine.device), min_coarse_change, max_conversion, core, sums)

    def fold_block(b: Block) -> FoldedBlock:
        fine, coarse = (torch.from_numpy(np.ascontiguousarray(x[(..., *w)], dtype=np.float32))
                        for x, w in ((fine_refs, b.window), (coarse_refs, b.coarse)))
        terms = similar_terms(fine, upsample_bilinear(coarse, ratio), torch.zeros_like(fine[0]), thresholds,
                              *means)  # t1 present
        count, weight_sum, _, regression = compiled_sums(terms, half, b.inner)
        conversion = conversion_coefficient(regression, count, critical, min_coarse_change, max_conversion)
        return FoldedBlock(conversion, weight_sum, *coarse_weights(terms, coarse.shape[-2:], ratio, half, b.inner))

    folded = None
    if fold and device.type == "cpu":
        folded = [fold_block(b) for b in progress(estarfm_blocks(fine_refs.shape[-2:], ratio, window, block), "block")]
    return EstarfmState(fine_refs, coarse_refs, ratio, window, block, device, block_function, fold_block, folded)


def estarfm_blocks(shape: tuple[int, int], ratio: int, window: int, block: int) -> list[Block]:
    """The blocks of a scene of ``shape`` fine pixels: the half window plus one coarse pixel of resampling as halo."""
    return scene_blocks(*shape, ratio, window // 2 + ratio, block)


def predict_estarfm(state: EstarfmState, coarse_t1: np.ndarray) -> np.ndarray:
    """The fine image at the date of ``coarse_t1`` (C, H / ratio, W / ratio) from ``prepare_estarfm``'s state:
    equal to ``estarfm`` on the same inputs (to float rounding). A block whose coarse image has a gap runs
    the whole method, since the gap removes pixels from the similar sets."""
    check_inputs(state.fine_refs, state.coarse_refs, coarse_t1, state.ratio, (2,), "ESTARFM")
    if state.folded is None:
        return run_in_blocks(state.block_function, state.fine_refs, state.coarse_refs, coarse_t1, state.ratio,
                             state.window, state.block, state.device)
    return predict_estarfm_dates(state, coarse_t1[None])[0]


def predict_estarfm_dates(state: EstarfmState, coarse_dates: np.ndarray, out=None):
    """The fine images (n, C, H, W) of n dates, ``coarse_dates`` (n, C, H / ratio, W / ratio), block by block: each
    block's weights are folded once for all the dates (or taken from the state where it kept them), so a state
    prepared with ``fold`` False shares them too, holding one block's fold at a time (keeping every block's
    takes about 172 bytes per fine pixel: 2.9 GB for 4096 x 4096). On a GPU every date runs the whole method.
    Each date equals its ``predict_estarfm``. ``out`` as for ``blocks.predict_in_blocks``.
    """
    if coarse_dates.ndim != 4:
        raise ValueError(f"ESTARFM: coarse_dates must be (n, C, H/ratio, W/ratio); got shape {coarse_dates.shape}")
    check_inputs(state.fine_refs, state.coarse_refs, coarse_dates[0], state.ratio, (2,), "ESTARFM")
    fine_refs, coarse_refs, ratio = state.fine_refs, state.coarse_refs, state.ratio
    if out is None:
        out = np.empty((len(coarse_dates), *fine_refs.shape[1:]), np.float32)
    blocks = estarfm_blocks(fine_refs.shape[-2:], ratio, state.window, state.block)
    for index, b in enumerate(progress(blocks, "block")):
        folded = (state.folded[index] if state.folded is not None else
                  state.fold_block(b) if state.device.type == "cpu" else None)
        fine, coarse = (torch.from_numpy(np.ascontiguousarray(x[(..., *w)], dtype=np.float32))
                        for x, w in ((fine_refs, b.window), (coarse_refs, b.coarse)))
        coarse_fine = upsample_bilinear(coarse, ratio)
        for date, coarse_t1 in enumerate(coarse_dates):
            t1 = torch.from_numpy(np.ascontiguousarray(coarse_t1[(..., *b.coarse)], dtype=np.float32))
            t1_fine = upsample_bilinear(t1[None], ratio)[0]
            if folded is not None and t1.isfinite().all():
                prediction = folded_block(folded, fine, coarse, t1, coarse_fine, t1_fine, state.window, b.inner)
            else:
                prediction = state.block_function(*(x.to(state.device) for x in (fine, coarse_fine, t1_fine)), b.inner)
            out[(date, ..., *b.core)] = prediction.cpu().numpy()
    return out


def coarse_weights(terms: Terms, coarse_shape: tuple[int, int], ratio: int, half: int,
                   core: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fold of the core's weights onto the block's coarse pixels, and the first coarse row and column of each
    core row and column (``kernels.estarfm_coarse_weights``)."""
    (row_taps, reach_rows), (col_taps, reach_cols) = (bilinear_taps(n, ratio, half) for n in coarse_shape)
    rows, cols = core
    folded = np.empty((rows.stop - rows.start, cols.stop - cols.start, reach_rows, reach_cols), np.float32)

    def planes(x: Tensor, fill: float, padded: bool = True) -> np.ndarray:
        x = x.reshape(-1, *x.shape[-2:])
        return (pad(x, half, fill) if padded else x).contiguous().numpy()

    estarfm_coarse_weights(planes(terms.candidate, math.nan), planes(terms.centre, 0.0, False),
                           planes(terms.tolerance, 0.0, False), planes(terms.inverse, 0.0)[0],
                           offset_weights(half, max(half, 1)), rows.start, cols.start, row_taps, col_taps, folded)
    return folded, row_taps[0, rows].astype(np.int64), col_taps[0, cols].astype(np.int64)


def bilinear_taps(size: int, ratio: int, half: int) -> tuple[np.ndarray, int]:
    """(4, size ratio): per fine row, the first coarse row its window of half-width ``half`` reaches, its own
    two coarse rows in ``bilinear_weights`` and the first one's weight; and the most coarse rows a window reaches."""
    weights = bilinear_weights(size, ratio)
    fine = np.arange(size * ratio)
    low = np.argmax(weights > 0, axis=1)
    high = np.minimum(low + 1, size - 1)
    first = low[np.maximum(fine - half, 0)]
    reach = int((high[np.minimum(fine + half, len(fine) - 1)] - first).max()) + 1
    return np.stack([first, low, high, weights[fine, low]]).astype(np.float32), reach


def folded_block(folded: FoldedBlock, fine: Tensor, coarse: Tensor, t1: Tensor, coarse_fine: Tensor, t1_fine: Tensor,
                 window: int, core: tuple[slice, slice]) -> Tensor:
    """A date on one block from its folded weights, where the date's coarse image ``t1`` is present everywhere."""
    change = (t1[None] - coarse).nan_to_num()                        # C(tp) - C(tk) on the coarse grid (2, C, ., .)
    weighted = np.empty((change.shape[0] * change.shape[1], *folded.weight_sum.shape), np.float32)
    fold_coarse(folded.folded, folded.first_row, folded.first_col, change.flatten(0, 1).contiguous().numpy(),
                weighted)
    weighted_change = torch.from_numpy(weighted).reshape(*change.shape[:2], *weighted.shape[-2:])
    predictions = fine[(..., *core)] + folded.conversion * weighted_change / folded.weight_sum
    valid = fine.isfinite().all(0).all(0) & coarse_fine.isfinite().all(0).all(0)
    totals = window_change(torch.where(valid, t1_fine - coarse_fine, 0.0), window)[(..., *core)]
    return blend_in_time(predictions, totals, fine.isfinite().all(1)[(..., *core)])


def correlation(fine: Tensor, coarse: Tensor) -> Tensor:
    """R per pixel: Pearson correlation of the fine and the coarse spectral-temporal vectors.

    fine and coarse (2, C, h, w): each pixel's vector holds its C bands at tm and at tn. -> (h, w).
    """
    f = fine.flatten(0, 1)
    c = coarse.flatten(0, 1)
    f = f - f.mean(0)
    c = c - c.mean(0)
    r = (f * c).sum(0) / ((f * f).sum(0) * (c * c).sum(0)).sqrt()
    return r.nan_to_num(UNDEFINED_CORRELATION, UNDEFINED_CORRELATION, UNDEFINED_CORRELATION)


class Terms(NamedTuple):
    """Each pixel's quantities in a block: as a central pixel, and as a similar pixel of its neighbours."""

    usable: Tensor      # (2, h, w): pair k can predict the pixel (its fine bands and t1 present)
    centre: Tensor      # (2, C, h, w): fine references, 0 where the pair is not usable
    tolerance: Tensor   # (2, C, h, w): 2 sigma_kb / m, infinite where the pair is not usable (no condition)
    candidate: Tensor   # (2, C, h, w): fine references, NaN where the pixel may not serve (not valid in all five)
    inverse: Tensor     # (h, w): 1 / (1 - R), 0 where not valid
    change: Tensor      # (2, C, h, w): C(tp) - C(tk), 0 where not valid
    sums: Tensor        # (6, C, h, w): x, y, x^2, xy, y^2 summed over both dates and x(tm) - x(tn), 0 where not valid


def similar_terms(fine: Tensor, coarse: Tensor, t1: Tensor, thresholds: np.ndarray, coarse_mean: Tensor,
                  fine_mean: Tensor) -> Terms:
    """ESTARFM's per-pixel quantities: fine, coarse (2, C, h, w) and t1 (C, h, w) on the fine grid."""
    band = (None, slice(None), None, None)
    valid = fine.isfinite().all(0).all(0) & coarse.isfinite().all(0).all(0) & t1.isfinite().all(0)
    usable = fine.isfinite().all(1) & t1.isfinite().all(0)
    tolerance = torch.from_numpy(thresholds).to(fine.device)[:, :, None, None]
    inverse = torch.where(valid, 1.0 / (1.0 - correlation(fine, coarse)).clamp_min(ZERO_DISSIMILARITY), 0.0)
    x, y = coarse - coarse_mean[band], fine - fine_mean[band]
    sums = torch.stack([x.sum(0), y.sum(0), (x * x).sum(0), (x * y).sum(0), (y * y).sum(0), x[0] - x[1]])
    return Terms(usable, torch.where(usable[:, None], fine, 0.0), torch.where(usable[:, None], tolerance, math.inf),
                 fine.masked_fill(~valid, math.nan), inverse, torch.where(valid, t1 - coarse, 0.0),
                 torch.where(valid, sums, 0.0))


def estarfm_block(fine: Tensor, coarse: Tensor, t1: Tensor, thresholds: np.ndarray, half: int, coarse_mean: Tensor,
                  fine_mean: Tensor, critical: Tensor, min_coarse_change: float, max_conversion: float,
                  core: tuple[slice, slice], sums: Callable[..., tuple[Tensor, ...]]) -> Tensor:
    """ESTARFM on one block: fine, coarse (2, C, h, w) and t1 (C, h, w), all on the fine grid -> the core (C, ., .).

    Similar pixels: valid in all five images and within 2 sigma_kb / m (``thresholds`` (2, C)) of the
    central pixel in every band of both fine references (of the one reference whose central pixel is
    present, when the other is masked there). A pair whose central pixel is masked takes no part for that
    pixel. ``sums`` gives the window sums (``compiled_sums`` or ``swept_sums``, equal to float rounding).
    """
    terms = similar_terms(fine, coarse, t1, thresholds, coarse_mean, fine_mean)
    count, weight_sum, weighted_change, regression = sums(terms, half, core)
    conversion = conversion_coefficient(regression, count, critical, min_coarse_change, max_conversion)
    predictions = fine[(..., *core)] + conversion * weighted_change / weight_sum      # F_k(tp), (2, C, ., .)
    totals = window_change(terms.change, 2 * half + 1)[(..., *core)]
    return blend_in_time(predictions, totals, terms.usable[(..., *core)])


def compiled_sums(terms: Terms, half: int, core: tuple[slice, slice]) -> tuple[Tensor, ...]:
    """count (., .), weight sum (., .), weighted change (2, C, ., .) and regression sums (6, C, ., .) over the
    similar pixels of each core pixel: the CPU kernel, on planes of the terms."""
    def planes(*parts: Tensor, fill: float = 0.0, padded: bool = True) -> np.ndarray:
        x = torch.cat([p.reshape(-1, *p.shape[-2:]) for p in parts])
        return (pad(x, half, fill) if padded else x).contiguous().numpy()

    rows, cols = core
    shape = (rows.stop - rows.start, cols.stop - cols.start)
    bands = terms.centre.shape[1]
    counted = planes(torch.ones_like(terms.inverse), terms.sums)
    weighted = planes(terms.inverse, terms.inverse * terms.change)
    counts, weighted_sums = (np.empty((len(x), *shape), np.float32) for x in (counted, weighted))
    estarfm_sums(planes(terms.candidate, fill=math.nan), planes(terms.centre, padded=False),
                 planes(terms.tolerance, padded=False), counted, weighted, offset_weights(half, max(half, 1)),
                 rows.start, cols.start, counts, weighted_sums)
    counts, weighted_sums = torch.from_numpy(counts), torch.from_numpy(weighted_sums)
    return (counts[0], weighted_sums[0], weighted_sums[1:].reshape(2, bands, *shape),
            counts[1:].reshape(6, bands, *shape))


def swept_sums(terms: Terms, half: int, core: tuple[slice, slice]) -> tuple[Tensor, ...]:
    """The same sums by whole-block tensor operations, one window offset at a time (the GPU path)."""
    neighbours = [pad(terms.candidate, half, math.nan), pad(terms.inverse, half, 0.0), pad(terms.change, half, 0.0),
                  pad(terms.sums, half, 0.0)]
    count, weight_sum = torch.zeros_like(terms.inverse), torch.zeros_like(terms.inverse)
    weighted_change, regression = torch.zeros_like(terms.change), torch.zeros_like(terms.sums)
    for rows in row_strips(terms.centre):
        at = (..., rows, slice(None))
        centre_p, tolerance_p = terms.centre[at], terms.tolerance[at]
        difference, close = torch.empty_like(centre_p), torch.empty_like(centre_p)
        chosen, weight = torch.empty_like(count[at]), torch.empty_like(count[at])
        for distance, (fine_q, inverse_q, change_q, sums_q) in window_views(neighbours, half, rows):
            # masks as 0/1 floats (comparisons into float run several times faster than into bool on CPU);
            # a comparison with a masked pixel (NaN) is false
            torch.sub(fine_q, centre_p, out=difference).abs_()
            torch.le(difference, tolerance_p, out=close)
            torch.prod(close.flatten(0, 1), 0, out=chosen)                      # close in every band and date
            count[at] += chosen
            regression[at].addcmul_(sums_q, chosen)
            torch.mul(inverse_q, chosen, out=weight).mul_(1.0 / (1.0 + distance / max(half, 1)))   # 1 / D_i
            weight_sum[at] += weight
            weighted_change[at].addcmul_(change_q, weight)
    return tuple(x[(..., *core)] for x in (count, weight_sum, weighted_change, regression))


def conversion_coefficient(regression: Tensor, count: Tensor, critical: Tensor, min_coarse_change: float,
                           max_conversion: float) -> Tensor:
    """V per pixel and band (C, h, w): the least-squares slope of fine on coarse over the 2 N samples.

    ``regression`` holds the sums of x, y, x^2, xy, y^2 and x(tm) - x(tn) over the N similar pixels (x
    coarse, y fine, both dates); V = 1 where the slope cannot be trusted (see ``estarfm``).
    """
    sx, sy, sxx, sxy, syy, sdx = regression
    samples = 2 * count
    sxx, sxy, syy = sxx - sx * sx / samples, sxy - sx * sy / samples, syy - sy * sy / samples
    slope = sxy / sxx
    explained = sxy * sxy / (sxx * syy)                                         # r^2
    degrees = (samples - 2).clamp(0, critical.numel() - 1).long()
    # F = r^2 df / (1 - r^2) against the critical F(1, df); no test without a degree of freedom
    significant = (degrees > 0) & (explained * degrees >= critical[degrees] * (1 - explained))
    changed = sdx.abs() >= min_coarse_change * count
    trusted = significant & changed & (slope > 0) & (slope <= max_conversion)
    return torch.where(trusted, slope, 1.0)


def window_change(change: Tensor, window: int) -> Tensor:
    """|sum over the window of (C(tp) - C(tk))| per pair, band and pixel (2, C, h, w), zero beyond the block:
    box sums by running sums along each axis (float64, so the differences keep their digits), O(1) per pixel
    whatever the window."""
    half = window // 2
    running = F.pad(change.double(), (half + 1, half, half + 1, half)).cumsum(-2)
    running = (running[..., window:, :] - running[..., :-window, :]).cumsum(-1)
    return (running[..., window:] - running[..., :-window]).abs().float()


def blend_in_time(predictions: Tensor, totals: Tensor, usable: Tensor) -> Tensor:
    """T_k proportional to 1 / ``totals`` (``window_change``), per band; F = sum_k T_k F_k(tp).

    A pair whose central pixel is masked (``usable`` False) gets no weight; a pair with no coarse change
    takes all of it.
    """
    total = totals.sum(0)
    weight_m = torch.where(total > 0, totals[1] / total, 0.5)                   # (1/a_m) / (1/a_m + 1/a_n)
    weight_m = torch.where(usable[1], weight_m, 1.0).masked_fill(~usable[0], 0.0)
    blended = weight_m * predictions[0].nan_to_num() + (1 - weight_m) * predictions[1].nan_to_num()
    return blended.masked_fill(~usable.any(0) | predictions.isnan().all(0), math.nan)
