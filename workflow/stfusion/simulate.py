"""Spectral and spatial simulation.

Spectral: a target band is the SRF-weighted mean of the source bands, with the target SRF sampled
at the source band centres and the weights normalised to sum to 1 (the spectral observation model
of Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning",
section 2). Spatial: degradation by an integer ratio, by bilinear interpolation at the coarse pixel centres
(the simulation protocol of Peng et al.), by area mean (a box PSF), or by a Gaussian PSF followed by sampling
at the coarse pixel centres.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .errors import ConfigError
from .sensors import Sensor

DEGRADE_METHODS = ("bilinear", "area", "gaussian")


def spectral_weights(source_centres_nm: np.ndarray, target: Sensor) -> np.ndarray:
    """(target bands, source bands) weights; each row sums to 1."""
    response = target.response(np.asarray(source_centres_nm, dtype=float))
    totals = response.sum(axis=1, keepdims=True)
    empty = [b for b, t in zip(target.band_names, totals[:, 0]) if t <= 0]
    if empty:
        raise ConfigError(
            f"{target.name} bands {empty} have no response at any source band centre "
            f"({float(np.min(source_centres_nm)):.0f}-{float(np.max(source_centres_nm)):.0f} nm): "
            "simulate only from a source that covers the target's bands"
        )
    return response / totals


def srf_coverage(source_centres_nm: np.ndarray, target: Sensor, step_nm: float = 1.0) -> np.ndarray:
    """Per target band, the share of its SRF (area, sampled every ``step_nm``) between the first and the last
    source band centre: how much of the band a source sensor can simulate (1 = all of it)."""
    low, high = float(np.min(source_centres_nm)), float(np.max(source_centres_nm))
    wavelengths = np.arange(300.0, 2600.0 + step_nm, step_nm)
    response = target.response(wavelengths)
    inside = (wavelengths >= low) & (wavelengths <= high)
    return response[:, inside].sum(axis=1) / np.maximum(response.sum(axis=1), 1e-12)


def simulate_spectral(cube: np.ndarray, source_centres_nm: np.ndarray, target: Sensor) -> np.ndarray:
    """(source bands, rows, cols) -> (target bands, rows, cols) by SRF integration."""
    weights = spectral_weights(source_centres_nm, target).astype(cube.dtype)
    return np.tensordot(weights, cube, axes=1)


def degrade(image: np.ndarray, ratio: int, method: str = "bilinear", psf_fwhm: float | None = None) -> np.ndarray:
    """Degrade (bands, rows, cols) by an integer ``ratio``; rows and cols must be multiples of it.

    ``psf_fwhm`` (fine pixels) sets the Gaussian PSF width; default: the ratio itself.
    """
    bands, rows, cols = image.shape
    if rows % ratio or cols % ratio:
        raise ValueError(f"image of {rows} x {cols} pixels is not a whole number of {ratio} x {ratio} blocks")
    if ratio == 1:
        return image.copy()
    if method == "area":
        return image.reshape(bands, rows // ratio, ratio, cols // ratio, ratio).mean(axis=(2, 4))
    if method not in DEGRADE_METHODS:
        raise ConfigError(f"unknown degradation method {method!r}: use one of {', '.join(DEGRADE_METHODS)}")
    centres_r = np.arange(rows // ratio) * ratio + (ratio - 1) / 2
    centres_c = np.arange(cols // ratio) * ratio + (ratio - 1) / 2
    grid_r, grid_c = np.meshgrid(centres_r, centres_c, indexing="ij")
    out = np.empty((bands, rows // ratio, cols // ratio), dtype=image.dtype)
    sigma = (psf_fwhm or ratio) / (2 * np.sqrt(2 * np.log(2)))
    for b in range(bands):
        band = ndimage.gaussian_filter(image[b], sigma, mode="nearest") if method == "gaussian" else image[b]
        out[b] = ndimage.map_coordinates(band, [grid_r, grid_c], order=1, mode="nearest")
    return out
