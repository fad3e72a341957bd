"""Per-pixel float64 references for STARFM (Gao et al. 2006) and ESTARFM (Zhu et al. 2010).

Written straight from the papers' equations, one pixel and one band at a time, with NumPy on each
pixel's window and scipy's regression test: deliberately slow and plain, so that the vectorised
versions in stfusion.classical can be checked against them. The conventions the papers leave open
(bilinear resampling, zero differences, undefined correlation, the trust tests of V) are those
documented in the fast modules.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats
from ..estarfm import UNDEFINED_CORRELATION, ZERO_DISSIMILARITY
from ..starfm import ZERO_CLOSENESS


def bilinear(coarse: np.ndarray, ratio: int) -> np.ndarray:
    """(..., h, w) -> (..., h ratio, w ratio): linear in each axis between coarse pixel centres, edges clamped;
    NaN where a coarse pixel with a non-zero weight is NaN."""
    h, w = coarse.shape[-2:]
    out = np.empty((*coarse.shape[:-2], h * ratio, w * ratio))
    for y in range(h * ratio):
        sy = min(max((y + 0.5) / ratio - 0.5, 0.0), h - 1)
        y0, fy = math.floor(sy), sy - math.floor(sy)
        y1 = min(y0 + 1, h - 1)
        for x in range(w * ratio):
            sx = min(max((x + 0.5) / ratio - 0.5, 0.0), w - 1)
            x0, fx = math.floor(sx), sx - math.floor(sx)
            x1 = min(x0 + 1, w - 1)
            total = np.zeros(coarse.shape[:-2])
            for (yy, xx), weight in (((y0, x0), (1 - fy) * (1 - fx)), ((y0, x1), (1 - fy) * fx),
                                     ((y1, x0), fy * (1 - fx)), ((y1, x1), fy * fx)):
                if weight > 0:
                    total = total + weight * coarse[..., yy, xx]
            out[..., y, x] = total
    return out


def window_around(y: int, x: int, half: int, shape: tuple[int, int]):
    """Index slices of the window clipped to the image, and each window pixel's distance to (y, x)."""
    y0, y1, x0, x1 = max(0, y - half), min(shape[0], y + half + 1), max(0, x - half), min(shape[1], x + half + 1)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    return (slice(y0, y1), slice(x0, x1)), np.hypot(yy - y, xx - x)


def on_fine_grid(fine_refs, coarse_refs, coarse_t1, ratio):
    """The inputs in float64, the coarse images resampled bilinearly to the fine grid (both papers' input)."""
    return (fine_refs.astype(np.float64), bilinear(coarse_refs.astype(np.float64), ratio),
            bilinear(coarse_t1.astype(np.float64), ratio))


def starfm_reference(fine_refs, coarse_refs, coarse_t1, ratio, window=51, classes=40.0, fine_uncertainty=0.005,
                     coarse_uncertainty=0.005, distance_scale=None, only=(slice(None), slice(None))) -> np.ndarray:
    """STARFM, Gao 2006 (Eqs. 5-7, 10, 15-16), for K = 1 or 2 pairs; returns (C, H, W) float64, NaN outside
    the pixels ``only`` (rows, cols) when given (the benchmark times pixels whose whole window is inside)."""
    fine, coarse, t1 = on_fine_grid(fine_refs, coarse_refs, coarse_t1, ratio)
    pairs, bands, height, width = fine.shape
    sigma = np.nanstd(fine, axis=(2, 3))
    half = window // 2
    a = max(half, 1) if distance_scale is None else distance_scale
    sigma_lm = math.sqrt(fine_uncertainty ** 2 + coarse_uncertainty ** 2)
    sigma_mm = math.sqrt(2) * coarse_uncertainty
    out = np.full((bands, height, width), np.nan)
    for b in range(bands):
        for y in range(height)[only[0]]:
            for x in range(width)[only[1]]:
                usable = [k for k in range(pairs)
                          if np.isfinite([fine[k, b, y, x], coarse[k, b, y, x], t1[b, y, x]]).all()]
                if not usable:
                    continue
                s_centre = {k: abs(fine[k, b, y, x] - coarse[k, b, y, x]) for k in usable}       # Eq. 6
                t_centre = {k: abs(coarse[k, b, y, x] - t1[b, y, x]) for k in usable}            # Eq. 7
                exact = [k for k in usable if s_centre[k] * t_centre[k] <= ZERO_CLOSENESS]
                if exact:   # the paper: S = 0 or T = 0 at the central pixel decides the prediction
                    out[b, y, x] = np.mean([t1[b, y, x] + fine[k, b, y, x] - coarse[k, b, y, x] for k in exact])
                    continue
                s_limit = max(s_centre.values()) + sigma_lm                                         # Eq. 15
                t_limit = max(t_centre.values()) + sigma_mm                                         # Eq. 16
                (rows, cols), distance = window_around(y, x, half, (height, width))
                numerator = denominator = 0.0
                for k in usable:
                    l_k, m_k, m_1 = fine[k, b, rows, cols], coarse[k, b, rows, cols], t1[b, rows, cols]
                    s, t = np.abs(l_k - m_k), np.abs(m_k - m_1)
                    with np.errstate(invalid="ignore"):
                        take = (np.abs(l_k - fine[k, b, y, x]) <= 2 * sigma[k, b] / classes) & \
                            (s <= s_limit) & (t <= t_limit)
                    c = np.maximum(s * t, ZERO_CLOSENESS) * (1 + distance / a)                      # Eq. 10
                    numerator += np.sum((m_1 + l_k - m_k)[take] / c[take])                          # Eq. 5
                    denominator += np.sum(1 / c[take])
                if denominator > 0:
                    out[b, y, x] = numerator / denominator
    return out


def estarfm_reference(fine_refs, coarse_refs, coarse_t1, ratio, window=51, classes=4.0, min_coarse_change=0.02,
                      significance=0.05, max_conversion=5.0, only=(slice(None), slice(None))) -> np.ndarray:
    """ESTARFM, Zhu 2010 Sect. 2.2, two pairs; returns (C, H, W) float64 (NaN outside ``only``, as STARFM's)."""
    fine, coarse, t1 = on_fine_grid(fine_refs, coarse_refs, coarse_t1, ratio)
    _, bands, height, width = fine.shape
    sigma = np.nanstd(fine, axis=(2, 3))
    half = window // 2
    valid = np.isfinite(fine).all((0, 1)) & np.isfinite(coarse).all((0, 1)) & np.isfinite(t1).all(0)
    out = np.full((bands, height, width), np.nan)
    for y in range(height)[only[0]]:
        for x in range(width)[only[1]]:
            usable = [k for k in (0, 1) if np.isfinite(fine[k, :, y, x]).all() and np.isfinite(t1[:, y, x]).all()]
            if not usable:
                continue
            (rows, cols), distance = window_around(y, x, half, (height, width))
            similar = valid[rows, cols].copy()
            for k in usable:                                                          # similar pixels
                for b in range(bands):
                    with np.errstate(invalid="ignore"):
                        similar &= np.abs(fine[k, b, rows, cols] - fine[k, b, y, x]) <= 2 * sigma[k, b] / classes
            if not similar.any():
                continue
            f_i = fine[:, :, rows, cols][:, :, similar].reshape(2 * bands, -1)        # spectral-temporal vectors
            c_i = coarse[:, :, rows, cols][:, :, similar].reshape(2 * bands, -1)
            f_dev, c_dev = f_i - f_i.mean(0), c_i - c_i.mean(0)                                         # R_i
            spread = np.sqrt((f_dev ** 2).sum(0) * (c_dev ** 2).sum(0))
            r = np.full(f_i.shape[1], UNDEFINED_CORRELATION)
            r[spread > 0] = (f_dev * c_dev).sum(0)[spread > 0] / spread[spread > 0]
            d = np.maximum(1 - r, ZERO_DISSIMILARITY) * (1 + distance[similar] / max(half, 1))        # D_i
            weights = (1 / d) / np.sum(1 / d)                                                           # W_i
            window_valid = valid[rows, cols]
            for b in range(bands):
                c_m, c_n = coarse[0, b, rows, cols][similar], coarse[1, b, rows, cols][similar]
                f_m, f_n = fine[0, b, rows, cols][similar], fine[1, b, rows, cols][similar]
                conversion = 1.0
                if abs(c_m.mean() - c_n.mean()) >= min_coarse_change and c_m.size > 1:
                    fit = stats.linregress(np.concatenate([c_m, c_n]), np.concatenate([f_m, f_n]))
                    if fit.pvalue <= significance and 0 < fit.slope <= max_conversion:
                        conversion = fit.slope
                c_p = t1[b, rows, cols][similar]
                prediction = {k: fine[k, b, y, x] + conversion * np.sum(weights * (c_p - (c_m, c_n)[k]))
                              for k in usable}
                change = {k: abs(np.sum((t1[b, rows, cols] - coarse[k, b, rows, cols])[window_valid]))    # T_k
                          for k in (0, 1)}
                if len(usable) == 1:
                    out[b, y, x] = prediction[usable[0]]
                elif change[0] + change[1] == 0:
                    out[b, y, x] = (prediction[0] + prediction[1]) / 2
                else:
                    out[b, y, x] = (change[1] * prediction[0] + change[0] * prediction[1]) / (change[0] + change[1])
    return out
