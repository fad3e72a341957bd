"""From reflectance bands to what a screen shows: composite band choice, percentile stretch, NDVI."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..metrics import ndvi

TRUE_COLOUR_NM = (650.0, 550.0, 470.0)  # red, green, blue
COLOUR_INFRARED_NM = (850.0, 650.0, 550.0)  # NIR, red, green shown as red, green, blue
RED_NM, NIR_NM = 650.0, 850.0
TOLERANCE_NM = 50.0


def nearest_bands(centres_nm: Sequence[float], targets_nm: Sequence[float], tolerance_nm: float = TOLERANCE_NM) -> list[int] | None:
    """Index of the band whose centre is nearest each target; None when one is farther than the tolerance
    or two targets would share a band."""
    centres = np.asarray(centres_nm, dtype=float)
    if not centres.size:
        return None
    picked = [int(np.argmin(np.abs(centres - target))) for target in targets_nm]
    close = all(abs(centres[i] - t) <= tolerance_nm for i, t in zip(picked, targets_nm))
    return picked if close and len(set(picked)) == len(picked) else None


def composite_bands(centres_nm: Sequence[float]) -> tuple[list[int], str]:
    """The bands of an RGB composite and its name: true colour (bands nearest 650/550/470 nm), else colour
    infrared (850/650/550 nm), else the first three bands (or the first band as grey)."""
    for targets, name in ((TRUE_COLOUR_NM, "true colour"), (COLOUR_INFRARED_NM, "colour infrared (NIR, red, green)")):
        picked = nearest_bands(centres_nm, targets)
        if picked is not None:
            return picked, name
    if len(centres_nm) >= 3:
        return [0, 1, 2], "bands 1, 2, 3"
    return [0, 0, 0], "band 1 (grey)"


def red_nir_bands(centres_nm: Sequence[float]) -> tuple[int, int] | None:
    """(red, NIR) band indices (nearest 650 and 850 nm, within the tolerance), or None."""
    picked = nearest_bands(centres_nm, (RED_NM, NIR_NM))
    return (picked[0], picked[1]) if picked else None


def percentile_limits(image: np.ndarray, low: float = 2.0, high: float = 98.0) -> tuple[np.ndarray, np.ndarray]:
    """Per band (first axis) low and high percentiles of the finite values: the stretch of a composite."""
    flat = image.reshape(image.shape[0], -1)
    return np.nanpercentile(flat, low, axis=1), np.nanpercentile(flat, high, axis=1)


def stretch(image: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """(bands, rows, cols) to an RGBA (rows, cols, 4) picture in 0..1: each band linearly from its lower to
    upper limit, clipped; pixels with a missing band are transparent."""
    span = np.where(upper > lower, upper - lower, 1.0)
    scaled = (image - lower[:, None, None]) / span[:, None, None]
    valid = np.isfinite(scaled).all(axis=0)
    rgb = np.clip(np.nan_to_num(scaled), 0.0, 1.0)
    return np.dstack([*rgb, valid.astype(float)])


def ndvi_map(image: np.ndarray, bands: tuple[int, int]) -> np.ndarray:
    """NDVI of a (bands, rows, cols) image from its (red, NIR) band indices; NaN where undefined."""
    return ndvi(image, red=bands[0], nir=bands[1])


def absolute_error(truth: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Per pixel mean over the bands of |prediction - truth| (NaN where every band is missing)."""
    difference = np.abs(prediction - truth)
    counts = np.isfinite(difference).sum(axis=0)
    return np.where(counts > 0, np.nansum(difference, axis=0) / np.maximum(counts, 1), np.nan)
