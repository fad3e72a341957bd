"""What is known of a prediction's reliability at prediction time, per fine pixel and band (issue 26, item 3): the raw
features that the difficulty model (stfusion.uncertainty.calibration) turns into an expected error.

- ``spread``: the standard deviation (ddof 0) of the site's methods' predictions of the date, per band; undefined
  (NaN) where fewer than two methods predict the date, as on the dates only coarse_upsampled's schedule has;
- ``coarse_change``: |C(t) - C(t_k)| between the target date's (gap-filled) coarse image and a reference's coarse
  image, the least over the references, on the coarse grid and then resampled to the fine grid bilinearly
  (stfusion.bilinear): where the coarse sensor saw little change, the fine reference holds;
- ``coarse_state``, ``coarse_days_to_clear``, ``reference_days``: the prediction's quality band
  (stfusion.quality_band): whether the coarse value was observed (0) or gap-filled (1, 2), days to the nearest
  clear coarse observation used, days to the nearest reference clear at the pixel (-1 none);
- ``heterogeneity``: the standard deviation of the fine reference in the 3 x 3 fine pixels around the pixel (the
  window clipped at the image's edge, NaN pixels left out), per band, the mean over the references: edges and mixed
  pixels are where fusion methods disagree with the truth most.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter

from ..bilinear import upsample_bilinear
from ..quality_band import QUALITY_BANDS

RAW_FEATURES = ("spread", "coarse_change", *QUALITY_BANDS, "heterogeneity")
HETEROGENEITY_WINDOW = 3  # fine pixels on a side


def prediction_spread(predictions: np.ndarray) -> np.ndarray | None:
    """The spread of (methods, bands, rows, cols) predictions of one date: their standard deviation over the methods
    (ddof 0, so two methods a and b give |a - b| / 2); None with fewer than two methods."""
    if len(predictions) < 2:
        return None
    return predictions.astype(np.float64).std(axis=0).astype(np.float32)


def coarse_change(coarse_target: np.ndarray, coarse_refs: np.ndarray, ratio: int) -> np.ndarray:
    """|C(t) - C(t_k)| of the target's (bands, rows, cols) coarse image and the (references, bands, rows, cols)
    coarse references, the least over the references where any is finite, resampled to the fine grid bilinearly."""
    change = np.fmin.reduce(np.abs(coarse_target[None] - coarse_refs), axis=0)
    return upsample_bilinear(change, ratio)


def local_std(image: np.ndarray, size: int = HETEROGENEITY_WINDOW) -> np.ndarray:
    """Per band of (bands, rows, cols), the standard deviation (ddof 0) of the finite pixels in the size x size
    window centred on each pixel, the window clipped at the image's edge; NaN where the window has no finite
    pixel."""
    finite = np.isfinite(image)
    values = np.where(finite, image, 0).astype(np.float64)
    window = (1, size, size)
    count = uniform_filter(finite.astype(np.float64), window, mode="constant")
    total = uniform_filter(values, window, mode="constant")
    squares = uniform_filter(values ** 2, window, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        variance = np.maximum(squares / count - mean ** 2, 0)
    return np.where(count > 0.5 / size ** 2, np.sqrt(variance), np.nan).astype(np.float32)


def heterogeneity(fine_refs: np.ndarray, size: int = HETEROGENEITY_WINDOW) -> np.ndarray:
    """The local standard deviation (``local_std``) of each (references, bands, rows, cols) fine reference, the
    mean over the references where finite."""
    each = np.stack([local_std(reference, size) for reference in fine_refs])
    finite = np.isfinite(each)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.where(finite, each, 0).sum(axis=0) / finite.sum(axis=0)).astype(np.float32)


@dataclass(frozen=True)
class PixelFeatures:
    """The raw features of one prediction (the module docstring says what each is): ``spread`` (bands, rows, cols)
    or None, ``coarse_change`` and ``heterogeneity`` (bands, rows, cols), ``quality`` the (3, rows, cols) quality
    band (stfusion.quality_band.QUALITY_BANDS)."""

    spread: np.ndarray | None
    coarse_change: np.ndarray
    heterogeneity: np.ndarray
    quality: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        """(bands, rows, cols) of the prediction."""
        return self.coarse_change.shape

    def table(self, pixels: np.ndarray | None = None) -> np.ndarray:
        """(pixels, bands, RAW_FEATURES) float64 at the flat pixel indices ``pixels`` (every pixel when None); the
        spread column NaN where it is undefined."""
        bands, rows, cols = self.shape
        chosen = np.arange(rows * cols) if pixels is None else np.asarray(pixels)
        per_band = [np.full((bands, rows * cols), np.nan) if self.spread is None else self.spread.reshape(bands, -1),
                    self.coarse_change.reshape(bands, -1)]
        per_pixel = [np.broadcast_to(q.reshape(1, -1), (bands, rows * cols)) for q in self.quality]
        columns = per_band + per_pixel + [self.heterogeneity.reshape(bands, -1)]
        return np.stack([column[:, chosen] for column in columns], axis=-1).transpose(1, 0, 2).astype(np.float64)


def pixel_features(predictions: np.ndarray, fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_target: np.ndarray,
                   quality: np.ndarray, ratio: int) -> PixelFeatures:
    """The features of a prediction of date t from every method's prediction of t (methods, bands, rows, cols; the
    one scored among them), its fine references (references, bands, rows, cols), their coarse images and t's
    (gap-filled) coarse image (on the coarse grid) and its quality band (3, rows, cols)."""
    return PixelFeatures(prediction_spread(predictions), coarse_change(coarse_target, coarse_refs, ratio),
                         heterogeneity(fine_refs), quality.astype(np.float32))
