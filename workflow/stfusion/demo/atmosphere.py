"""Clouds, their shadows, and scan-line nodata stripes for the demo products (masks only)."""
from __future__ import annotations

import math

import numpy as np

from .landscape import smooth_noise

_CLOUD_SCALES_M = ((1200.0, 0.8), (250.0, 0.45))  # (sigma, weight): cloud fields, then fractal edges
_OPAQUE_ABOVE_THRESHOLD = 1.0  # noise std above the cloud threshold at which thickness reaches 1


def shadow_offset_px(
    pixel_size_m: float, sun_azimuth_deg: float, sun_elevation_deg: float, cloud_height_m: float
) -> tuple[float, float]:
    """(rows, cols) displacement of a cloud's shadow from the cloud, on a north-up grid.

    The shadow lies height / tan(elevation) metres from the cloud in the anti-solar direction
    (azimuth + 180 deg, azimuth clockwise from north): east = -sin(az), north = -cos(az), and
    rows grow southwards.
    """
    distance_px = cloud_height_m / math.tan(math.radians(sun_elevation_deg)) / pixel_size_m
    azimuth = math.radians(sun_azimuth_deg)
    return distance_px * math.cos(azimuth), -distance_px * math.sin(azimuth)


def _cloud_field(shape: tuple[int, int], pixel_size_m: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance two-scale smooth noise: km-sized cloud cells with ragged edges."""
    field = sum(w * smooth_noise(shape, pixel_size_m, sigma, rng) for sigma, w in _CLOUD_SCALES_M)
    return field / math.hypot(*(w for _, w in _CLOUD_SCALES_M))


def cloud_and_shadow(
    shape: tuple[int, int],
    pixel_size_m: float,
    cover_fraction: float,
    sun_azimuth_deg: float,
    sun_elevation_deg: float,
    cloud_height_m: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cloud, shadow, thickness) for a grid of `shape` pixels.

    Clouds are thresholded smooth noise, the threshold being the (1 - cover_fraction) quantile
    of the image, so the cloud mask covers cover_fraction of it. The noise is drawn on a grid
    padded by the shadow offset, so clouds just outside the image cast shadows into it; the
    shadow is the cloud mask shifted by shadow_offset_px, minus the cloud. thickness (0..1,
    float32, 0 outside clouds) rises linearly with the noise above the threshold, so cloud
    edges are thin and semi-transparent.
    """
    h, w = shape
    if cover_fraction <= 0.0:
        return np.zeros(shape, bool), np.zeros(shape, bool), np.zeros(shape, np.float32)
    d_row, d_col = shadow_offset_px(pixel_size_m, sun_azimuth_deg, sun_elevation_deg, cloud_height_m)
    pad_r, pad_c = int(math.ceil(abs(d_row))) + 1, int(math.ceil(abs(d_col))) + 1
    field = _cloud_field((h + 2 * pad_r, w + 2 * pad_c), pixel_size_m, np.random.default_rng(seed))
    inner = field[pad_r:pad_r + h, pad_c:pad_c + w]
    threshold = np.quantile(inner, 1.0 - cover_fraction) if cover_fraction < 1.0 else -np.inf
    padded_cloud = field > threshold

    shift_r, shift_c = int(round(d_row)), int(round(d_col))
    caster = padded_cloud[pad_r - shift_r:pad_r - shift_r + h, pad_c - shift_c:pad_c - shift_c + w]
    cloud = padded_cloud[pad_r:pad_r + h, pad_c:pad_c + w]
    thickness = np.clip((inner - threshold) / _OPAQUE_ABOVE_THRESHOLD, 0.0, 1.0).astype(np.float32)
    return cloud, caster & ~cloud, np.where(cloud, thickness, 0.0).astype(np.float32)


def nodata_stripes(shape: tuple[int, int], n_stripes: int, width_px: float, seed: int) -> np.ndarray:
    """Boolean mask of n_stripes scan-line gaps, width_px wide, slightly slanted across the image.

    Like MODIS swath gaps / bow-tie seams or Landsat 7 SLC-off gaps: bands running across the
    track (here, along rows) with a common small slope, spaced evenly with random jitter.
    """
    h, w = shape
    if n_stripes <= 0:
        return np.zeros(shape, bool)
    rng = np.random.default_rng(seed)
    slope = rng.uniform(-0.05, 0.05)
    spacing = h / n_stripes
    centres = (np.arange(n_stripes) + rng.uniform(0.2, 0.8, n_stripes)) * spacing
    rows, cols = np.mgrid[0:h, 0:w]
    along = rows - slope * (cols - 0.5 * w)
    mask = np.zeros(shape, bool)
    for centre in centres:
        mask |= np.abs(along - centre) < 0.5 * width_px
    return mask
