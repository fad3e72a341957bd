"""A deliberately plain FSDAF (Zhu et al. 2016), pixel by pixel in float64 NumPy, to check the fast one against.

Written from the method's description (the module docstring of stfusion.classical.fsdaf lists the steps and
the choices made where the paper leaves room), not from the fast code: loops over coarse pixels, fine pixels
and window positions; the bounded least squares by trying every set of active bounds. It takes the class map
of step 1 as input (``labels``, -1 where unclassified) so that both versions unmix the same classes.
"""
from __future__ import annotations

import itertools
import math

import numpy as np


def fsdaf_reference(fine: np.ndarray, coarse_ref: np.ndarray, coarse_t1: np.ndarray, ratio: int, labels: np.ndarray,
                    n_classes: int, half_window: int = 20, n_similar: int = 20, n_pure: int = 100,
                    data_range: tuple[float, float] | None = (0.0, 1.0),
                    only: tuple[slice, slice] = (slice(None), slice(None))) -> np.ndarray:
    """The prediction (C, H, W) for fine (C, H, W), coarse_ref and coarse_t1 (C, H/ratio, W/ratio); step 6 only at
    the pixels ``only`` (rows, cols) when given, NaN elsewhere (the benchmark times pixels with whole windows)."""
    fine, coarse_ref, coarse_t1 = (np.asarray(a, np.float64) for a in (fine, coarse_ref, coarse_t1))
    channels, height, width = fine.shape
    coarse_h, coarse_w = height // ratio, width // ratio
    m = ratio * ratio

    coarse_valid = np.zeros((coarse_h, coarse_w), bool)
    for i in range(coarse_h):
        for j in range(coarse_w):
            coarse_valid[i, j] = np.all(np.isfinite(coarse_ref[:, i, j])) and np.all(np.isfinite(coarse_t1[:, i, j]))
    predictable = np.zeros((height, width), bool)
    for y in range(height):
        for x in range(width):
            predictable[y, x] = labels[y, x] >= 0 and coarse_valid[y // ratio, x // ratio]

    # step 2: fractions, the purest coarse pixels of each class, bounded least squares per band
    fractions = np.zeros((n_classes, coarse_h, coarse_w))
    eligible = np.zeros((coarse_h, coarse_w), bool)
    for i in range(coarse_h):
        for j in range(coarse_w):
            block = labels[i * ratio : (i + 1) * ratio, j * ratio : (j + 1) * ratio]
            for c in range(n_classes):
                fractions[c, i, j] = np.sum(block == c) / m
            eligible[i, j] = coarse_valid[i, j] and np.all(block >= 0)
    rows = []
    for c in range(n_classes):
        candidates = [(i, j) for i in range(coarse_h) for j in range(coarse_w)
                      if eligible[i, j] and fractions[c, i, j] > 0]
        candidates = sorted(candidates, key=lambda p: -fractions[c, p[0], p[1]])  # stable: ties in raster order
        rows += candidates[:n_pure]
    delta_coarse = coarse_t1 - coarse_ref
    class_change = np.zeros((n_classes, channels))
    for b in range(channels):
        observed = np.array([delta_coarse[b, i, j] for i in range(coarse_h) for j in range(coarse_w)
                             if coarse_valid[i, j]])
        low, high = observed.min() - observed.std(), observed.max() + observed.std()
        design = np.array([[fractions[c, i, j] for c in range(n_classes)] for i, j in rows])
        target = np.array([delta_coarse[b, i, j] for i, j in rows])
        present = [c for c in range(n_classes) if np.any(design[:, c] > 0)]
        class_change[:, b] = observed.mean()
        class_change[present, b] = _box_least_squares(design[:, present], target, low, high)

    # step 3: temporal prediction and the residual of each coarse pixel
    temporal = np.zeros_like(fine)
    for y in range(height):
        for x in range(width):
            if predictable[y, x]:
                temporal[:, y, x] = fine[:, y, x] + class_change[labels[y, x]]
    residual = np.zeros((channels, coarse_h, coarse_w))
    for i in range(coarse_h):
        for j in range(coarse_w):
            members = [(y, x) for y in range(i * ratio, (i + 1) * ratio) for x in range(j * ratio, (j + 1) * ratio)
                       if predictable[y, x]]
            if members:
                mean_change = np.mean([temporal[:, y, x] - fine[:, y, x] for y, x in members], axis=0)
                residual[:, i, j] = delta_coarse[:, i, j] - mean_change

    # step 4: bicubic convolution of coarse t1 at every fine pixel centre
    spatial = np.zeros_like(fine)
    for y in range(height):
        for x in range(width):
            if not predictable[y, x]:
                continue
            u, v = (y + 0.5) / ratio - 0.5, (x + 0.5) / ratio - 0.5
            for b in range(channels):
                numerator = denominator = 0.0
                for ci in range(math.floor(u) - 1, math.floor(u) + 3):
                    for cj in range(math.floor(v) - 1, math.floor(v) + 3):
                        value = coarse_t1[b, min(max(ci, 0), coarse_h - 1), min(max(cj, 0), coarse_w - 1)]
                        if np.isfinite(value):
                            weight = _keys(u - ci) * _keys(v - cj)
                            numerator += weight * value
                            denominator += weight
                spatial[b, y, x] = numerator / denominator

    # step 5: homogeneity index and the distribution of the residuals
    half = ratio // 2
    homogeneity = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            if labels[y, x] >= 0:
                window = labels[max(0, y - half) : y + half + 1, max(0, x - half) : x + half + 1]
                homogeneity[y, x] = np.sum(window == labels[y, x]) / np.sum(window >= 0)
    change = np.zeros_like(fine)
    for i in range(coarse_h):
        for j in range(coarse_w):
            members = [(y, x) for y in range(i * ratio, (i + 1) * ratio) for x in range(j * ratio, (j + 1) * ratio)
                       if predictable[y, x]]
            for b in range(channels):
                r = residual[b, i, j]
                cw = []
                for y, x in members:
                    e_ho = spatial[b, y, x] - temporal[b, y, x]
                    e_ho = abs(e_ho) if (e_ho > 0 if r > 0 else e_ho < 0) else 0.0
                    cw.append(e_ho * homogeneity[y, x] + abs(r) * (1 - homogeneity[y, x]))
                total = sum(cw)
                for (y, x), weight in zip(members, cw):
                    share = weight / total if total > 0 else 1 / len(members)
                    value = temporal[b, y, x] + len(members) * r * share
                    if data_range is not None:
                        value = min(max(value, data_range[0]), data_range[1])
                    change[b, y, x] = value - fine[b, y, x]

    # step 6: the n most similar pixels in the window, weighted by inverse distance
    thresholds = np.array([np.float32(2 * np.nanstd(fine[b]) / n_classes) for b in range(channels)], np.float64)
    prediction = np.full_like(fine, np.nan)
    for y in range(height)[only[0]]:
        for x in range(width)[only[1]]:
            if not predictable[y, x]:
                continue
            top, left = max(0, y - half_window), max(0, x - half_window)
            window = fine[:, top : y + half_window + 1, left : x + half_window + 1]
            difference = np.abs(window - fine[:, y, x, None, None])
            similar = predictable[top : y + half_window + 1, left : x + half_window + 1] & np.all(
                difference <= thresholds[:, None, None], axis=0)
            keys = difference[0].copy()
            for band in range(1, channels):
                keys += difference[band]
            places = [(top + yy, left + xx) for yy, xx in zip(*np.nonzero(similar))]  # raster order
            keys = keys[similar]
            chosen = [places[k] for k in np.argsort(keys, kind="stable")[:n_similar]]
            weights = np.array([1 / (1 + math.hypot(yy - y, xx - x) / half_window) for yy, xx in chosen])
            weights /= weights.sum()
            value = fine[:, y, x] + sum(w * change[:, yy, xx] for w, (yy, xx) in zip(weights, chosen))
            prediction[:, y, x] = value if data_range is None else np.clip(value, *data_range)
    return prediction


def _keys(s: float, a: float = -0.5) -> float:
    """Keys (1981) cubic convolution kernel."""
    s = abs(s)
    if s <= 1:
        return (a + 2) * s**3 - (a + 3) * s**2 + 1
    if s < 2:
        return a * s**3 - 5 * a * s**2 + 8 * a * s - 4 * a
    return 0.0


def _box_least_squares(design: np.ndarray, target: np.ndarray, low: float, high: float) -> np.ndarray:
    """min ||design x - target|| with low <= x <= high: the best feasible point over all sets of active bounds."""
    if high <= low:
        return np.full(design.shape[1], low)
    best, best_cost = None, np.inf
    for states in itertools.product((None, low, high), repeat=design.shape[1]):
        x = np.array([low if s is None else s for s in states], np.float64)
        free = np.array([s is None for s in states])
        if free.any():
            x[free] = np.linalg.lstsq(design[:, free], target - design[:, ~free] @ x[~free], rcond=None)[0]
        if np.all(x >= low - 1e-12) and np.all(x <= high + 1e-12):
            cost = np.sum((design @ x - target) ** 2)
            if cost < best_cost - 1e-15:
                best, best_cost = x, cost
    return np.clip(best, low, high)
