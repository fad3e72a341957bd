"""STARFM: Gao, Masek, Schwaller & Hall 2006, "On the blending of the Landsat and MODIS surface reflectance:
predicting daily Landsat surface reflectance", IEEE TGRS 44(8), 2207-2218.

The fine image at t1 is a weighted mean, over the spectrally similar pixels of a moving window and over
the K reference pairs, of each pixel's fine reference plus its coarse change (Eq. 5):
    L(t1) = sum_ijk W_ijk (M_ij(t1) + L_ij(tk) - M_ij(tk)).
Every band is predicted on its own, as in the paper. The coarse images are resampled to the fine grid
bilinearly (the paper takes MODIS already resampled to the Landsat grid with the MODIS Reprojection Tool).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .kernels import LANES, offset_weights, starfm_sums
from .similar import check_inputs, check_window, pad, row_strips, run_in_blocks, similarity_thresholds, window_views

# S * T below this counts as zero (both differences under 1e-6 reflectance, float32 noise). The weights
# W = (1 / C) / sum 1 / C would be infinite there; the floor lets such candidates share the weight, in
# inverse proportion to D.
ZERO_CLOSENESS = 1e-12
# dates per sweep of a block in ``predict_starfm_dates``: each holds about 9 planes of the block's size per pair
# and band (about 200 MB for 2 pairs, 6 bands and a block of 512: 1.9 GB peak for 8 dates, bench/series.py)
DATES_PER_SWEEP = 8


def starfm(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int, *, block: int = 512,
           device: str | torch.device = "cpu", window: int = 51, classes: float = 40.0,
           fine_uncertainty: float = 0.005, coarse_uncertainty: float = 0.005,
           distance_scale: float | None = None) -> np.ndarray:
    """Predict the fine image at t1 (C, H, W) from K = 1 or 2 pairs; NaN where it cannot be predicted.

    fine_refs (K, C, H, W), coarse_refs (K, C, H / ratio, W / ratio), coarse_t1 (C, H / ratio, W / ratio):
    float reflectance, NaN where masked. Defaults:
    - ``window`` 51 fine pixels: the 750 m search distance of the reference implementation (STARFM v1.2,
      MAX_SEARCH_DISTANCE) at 30 m, both ways, plus the central pixel.
    - ``classes`` m = 40 in the similarity tolerance 2 sigma / m (reference implementation, NUM_SLICE_PURE_TEST).
    - ``fine_uncertainty`` sigma_l and ``coarse_uncertainty`` sigma_m, 0.005 reflectance each (the
      reference implementation's 50 on its 0-10000 scale); the sample filtering of Eqs. 15-16 allows
      sigma_lm = sqrt(sigma_l^2 + sigma_m^2) and sigma_mm = sqrt(2) sigma_m.
    - ``distance_scale`` A in D = 1 + d / A (d in fine pixels): the half window when None, as in
      the reference implementation (search distance / resolution).
    """
    check_inputs(fine_refs, coarse_refs, coarse_t1, ratio, (1, 2), "STARFM")
    state = prepare_starfm(fine_refs, coarse_refs, ratio, block=block, device=device, window=window, classes=classes,
                           fine_uncertainty=fine_uncertainty, coarse_uncertainty=coarse_uncertainty,
                           distance_scale=distance_scale)
    return predict_starfm(state, coarse_t1)


class StarfmState(NamedTuple):
    """``prepare_starfm``'s result: the reference pairs and STARFM on one block with their scene-wide thresholds."""

    fine_refs: np.ndarray
    coarse_refs: np.ndarray
    ratio: int
    window: int
    block: int
    device: torch.device
    block_function: Callable[[Tensor, Tensor, Tensor, tuple[slice, slice]], Tensor]


def prepare_starfm(fine_refs: np.ndarray, coarse_refs: np.ndarray, ratio: int, *, block: int = 512,
                   device: str | torch.device = "cpu", window: int = 51, classes: float = 40.0,
                   fine_uncertainty: float = 0.005, coarse_uncertainty: float = 0.005,
                   distance_scale: float | None = None) -> StarfmState:
    """STARFM's scene-wide work on the reference pairs alone: the similarity thresholds of the fine scenes.
    The rest of the shared work (the similar-pixel test, the spectral filter of Eq. 15 and 1 / D, Gao et al.
    2006) is per pixel and window offset, too big to keep (about 8 GB per megapixel with a 51-pixel window),
    so ``predict_starfm_dates`` does it once per block for several dates. Parameters as for ``starfm``."""
    check_inputs(fine_refs, coarse_refs, coarse_refs[0], ratio, (1, 2), "STARFM")
    check_window(window, "STARFM")
    thresholds = similarity_thresholds(fine_refs, classes)
    half = window // 2
    scale = max(half, 1) if distance_scale is None else distance_scale
    device = torch.device(device)
    sums = compiled_sums if device.type == "cpu" else swept_sums

    def block_function(fine: Tensor, coarse: Tensor, dates: Tensor, core: tuple[slice, slice]) -> Tensor:
        return starfm_block(fine, coarse, dates, thresholds, half, scale, core,
                            spectral_uncertainty=math.hypot(fine_uncertainty, coarse_uncertainty),
                            temporal_uncertainty=math.sqrt(2.0) * coarse_uncertainty, sums=sums)

    return StarfmState(fine_refs, coarse_refs, ratio, window, block, device, block_function)


def predict_starfm(state: StarfmState, coarse_t1: np.ndarray) -> np.ndarray:
    """The fine image at the date of ``coarse_t1`` (C, H / ratio, W / ratio) from ``prepare_starfm``'s state."""
    check_inputs(state.fine_refs, state.coarse_refs, coarse_t1, state.ratio, (1, 2), "STARFM")
    return predict_starfm_dates(state, coarse_t1[None])[0]


def predict_starfm_dates(state: StarfmState, coarse_dates: np.ndarray, out=None):
    """The fine images (n, C, H, W) of n dates, ``coarse_dates`` (n, C, H / ratio, W / ratio), from one state.

    Each block is swept once per ``DATES_PER_SWEEP`` dates: the reference part of every window (``starfm_sums``)
    serves them all. Each date equals its ``predict_starfm``. ``out``: where the blocks go, as for
    ``blocks.predict_in_blocks`` (a writer of windows keeps a long series of a whole scene out of memory).
    """
    if coarse_dates.ndim != 4:
        raise ValueError(f"STARFM: coarse_dates must be (n, C, H/ratio, W/ratio); got shape {coarse_dates.shape}")
    check_inputs(state.fine_refs, state.coarse_refs, coarse_dates[0], state.ratio, (1, 2), "STARFM")

    def sweeps(fine: Tensor, coarse: Tensor, dates: Tensor, core: tuple[slice, slice]) -> Tensor:
        return torch.cat([state.block_function(fine, coarse, dates[first : first + DATES_PER_SWEEP], core)
                          for first in range(0, len(dates), DATES_PER_SWEEP)])

    return run_in_blocks(sweeps, state.fine_refs, state.coarse_refs, coarse_dates, state.ratio, state.window,
                         state.block, state.device, out)


class References(NamedTuple):
    """Each pixel's quantities in each reference pair (K, C, h, w) and its spectral filter limit (C, h, w)."""

    centre: Tensor          # L(tk), NaN where L(tk) or M(tk) is masked
    spectral: Tensor        # S, Eq. 6
    spectral_limit: Tensor  # max_k S_k + sigma_lm, Eq. 15


class Dates(NamedTuple):
    """Each pixel's quantities of n dates in each pair (n, K, C, h, w) and its temporal filter limit (n, C, h, w)."""

    value: Tensor           # its term of Eq. 5, M(t1) + L(tk) - M(tk)
    usable: Tensor          # fine, coarse and t1 all present
    temporal: Tensor        # T, Eq. 7
    closeness: Tensor       # S T = C / D, Eq. 10
    temporal_limit: Tensor  # max_k T_k + sigma_mm, Eq. 16


def reference_terms(fine: Tensor, coarse: Tensor, spectral_uncertainty: float) -> References:
    """STARFM's per-pixel quantities of the reference pairs of a block: fine and coarse (K, C, h, w), fine grid.

    The spectral limit is the maximum over the pairs present at a pixel; where the date's t1 is masked
    the pixel is neither predicted nor a candidate (``Dates.usable``), so a limit over fewer pairs is not needed.
    """
    present = (fine - coarse).isfinite()
    spectral = (fine - coarse).abs()
    spectral_limit = spectral.masked_fill(~present, -math.inf).amax(0) + spectral_uncertainty
    return References(fine.masked_fill(~present, math.nan), spectral, spectral_limit)


def date_terms(fine: Tensor, coarse: Tensor, dates: Tensor, spectral: Tensor, temporal_uncertainty: float) -> Dates:
    """STARFM's per-pixel quantities of n dates (n, C, h, w) against the pairs (fine, coarse, S: (K, C, h, w))."""
    dates = dates[:, None]
    value = dates + fine - coarse
    usable = value.isfinite()
    temporal = (coarse - dates).abs()
    temporal_limit = temporal.masked_fill(~usable, -math.inf).amax(1) + temporal_uncertainty
    return Dates(value, usable, temporal, spectral * temporal, temporal_limit)


def starfm_block(fine: Tensor, coarse: Tensor, dates: Tensor, thresholds: np.ndarray, half: int, distance_scale: float,
                 core: tuple[slice, slice], spectral_uncertainty: float, temporal_uncertainty: float,
                 sums: Callable[..., tuple[Tensor, Tensor]]) -> Tensor:
    """STARFM on one block: fine, coarse (K, C, h, w) and n dates (n, C, h, w), fine grid -> core (n, C, ., .).

    A neighbour is a candidate for the central pixel in pair k and band b when it is valid, spectrally
    similar (|L_k(q) - L_k(p)| <= 2 sigma_kb / m, ``thresholds`` (K, C)) and passes the sample filtering of
    Eqs. 15-16: S_k(q) <= max_k S_k(p) + sigma_lm and T_k(q) <= max_k T_k(p) + sigma_mm. Its weight is 1 / C
    with C = S T D (Eqs. 6, 7, 10), normalised over all candidates of all pairs. A pair whose central pixel
    is masked takes no part for that pixel. As the paper states, a central pixel with S = 0 or T = 0 in a
    pair is predicted by its own term of Eq. 5 (the mean of them if both pairs have one). ``sums`` gives
    the sums over the candidates (``compiled_sums`` or ``swept_sums``, equal to float rounding).
    """
    references = reference_terms(fine, coarse, spectral_uncertainty)
    terms = date_terms(fine, coarse, dates, references.spectral, temporal_uncertainty)
    weight_sum, weighted_value = sums(references, terms, thresholds, half, distance_scale, core)
    prediction = weighted_value / weight_sum                        # NaN where no candidate
    value, usable, closeness = (x[(..., *core)] for x in (terms.value, terms.usable, terms.closeness))
    exact = usable & (closeness <= ZERO_CLOSENESS)
    own = torch.where(exact, value, 0.0).sum(1) / exact.sum(1)
    return torch.where(exact.any(1), own, prediction)


def inverse_terms(terms: Dates) -> tuple[Tensor, Tensor]:
    """1 / (S T) and (1 / (S T)) x the term of Eq. 5, 0 where a pixel is not usable (the floor: ZERO_CLOSENESS)."""
    inverse = torch.where(terms.usable, 1.0 / terms.closeness.clamp_min(ZERO_CLOSENESS), 0.0)
    return inverse, inverse * terms.value.nan_to_num()


def compiled_sums(references: References, terms: Dates, thresholds: np.ndarray, half: int, distance_scale: float,
                  core: tuple[slice, slice]) -> tuple[Tensor, Tensor]:
    """The sums over the candidates of each core pixel, summed over the pairs (n, C, ., .): the CPU kernel."""
    inverse, inverse_value = inverse_terms(terms)
    weights = offset_weights(half, distance_scale)
    extra = -weights.shape[1] % LANES  # zero-weight columns: each window row a whole number of SIMD vectors
    padded = [F.pad(x, (half, half + extra, half, half), value=v).numpy()
              for x, v in ((references.centre, math.nan), (references.spectral, math.nan), (terms.temporal, math.nan),
                           (inverse, 0.0), (inverse_value, 0.0))]
    rows, cols = core
    shape = (*terms.temporal_limit.shape[:2], rows.stop - rows.start, cols.stop - cols.start)
    weight_sum, weighted_value = np.empty(shape, np.float32), np.empty(shape, np.float32)
    starfm_sums(*padded, thresholds, references.spectral_limit.numpy(), terms.temporal_limit.numpy(),
                np.pad(weights, ((0, 0), (0, extra))), rows.start, cols.start, weight_sum, weighted_value)
    return torch.from_numpy(weight_sum), torch.from_numpy(weighted_value)


def swept_sums(references: References, terms: Dates, thresholds: np.ndarray, half: int, distance_scale: float,
               core: tuple[slice, slice]) -> tuple[Tensor, Tensor]:
    """The same sums by whole-block tensor operations, one date and window offset at a time (the GPU path)."""
    inverse, inverse_value = inverse_terms(terms)
    tolerance = torch.from_numpy(thresholds).to(inverse.device)[:, :, None, None]
    fine_q, spectral_q = pad(references.centre, half, math.nan), pad(references.spectral, half, math.nan)
    weight_sum, weighted_value = torch.zeros_like(inverse), torch.zeros_like(inverse)
    for date in range(inverse.shape[0]):
        neighbours = [fine_q, spectral_q, pad(terms.temporal[date], half, math.nan), pad(inverse[date], half, 0.0),
                      pad(inverse_value[date], half, 0.0)]
        for rows in row_strips(inverse[date]):
            at = (..., rows, slice(None))
            centre_p, spectral_p = references.centre[at], references.spectral_limit[at]
            temporal_p = terms.temporal_limit[date][at]
            difference, chosen, passes = (torch.empty_like(centre_p) for _ in range(3))
            for distance, views in window_views(neighbours, half, rows):
                fine_v, spectral_v, temporal_v, inverse_v, inverse_value_v = views
                # masks as 0/1 floats (comparisons into float run several times faster than into bool on CPU);
                # every comparison with a masked pixel (NaN) is false
                torch.sub(fine_v, centre_p, out=difference).abs_()
                torch.le(difference, tolerance, out=chosen)
                chosen.mul_(torch.le(spectral_v, spectral_p, out=passes))
                chosen.mul_(torch.le(temporal_v, temporal_p, out=passes))
                inverse_distance = 1.0 / (1.0 + distance / distance_scale)   # 1 / D, D = 1 + d / A
                weight_sum[date][at].addcmul_(inverse_v, chosen, value=inverse_distance)
                weighted_value[date][at].addcmul_(inverse_value_v, chosen, value=inverse_distance)
    return weight_sum.sum(1)[(..., *core)], weighted_value.sum(1)[(..., *core)]
