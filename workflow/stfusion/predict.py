"""Prediction inputs, the check of a prediction's output, and the naive baselines every deep model must beat.

Networks never see NaN: a missing coarse pixel is filled with its band's mean and its fine pixels
are NaN in the prediction; a missing fine reference pixel (cloud, gap) is filled with the coarse
image of the same date, which is the best estimate the inputs hold for it. A prediction that is NaN wherever
its inputs are valid (a damaged or diverged model) stops its job (``require_predicted``).
"""
from __future__ import annotations

import numpy as np

from .bilinear import upsample_bilinear
from .errors import InputDataError


def upsample_nearest(coarse: np.ndarray, ratio: int) -> np.ndarray:
    """Each coarse pixel repeated ``ratio x ratio`` times (last two axes)."""
    return np.repeat(np.repeat(coarse, ratio, axis=-2), ratio, axis=-1)


def _fill_band_mean(image: np.ndarray) -> np.ndarray:
    means = np.nanmean(image.reshape(*image.shape[:-2], -1), axis=-1)[..., None, None]
    return np.where(np.isnan(image), np.nan_to_num(means), image)


def prepare_inputs(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int):
    """NaN-free inputs, and the fine-grid mask of pixels that cannot be predicted (coarse t1 missing)."""
    missing = upsample_nearest(np.isnan(coarse_t1).any(axis=0), ratio)
    coarse_refs = _fill_band_mean(coarse_refs)
    fine_refs = np.where(np.isnan(fine_refs), upsample_nearest(coarse_refs, ratio), fine_refs)
    return fine_refs.astype(np.float32), coarse_refs.astype(np.float32), _fill_band_mean(coarse_t1).astype(np.float32), missing


def valid_inputs(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int) -> np.ndarray:
    """The fine-grid mask (rows, cols) of pixels valid in every band of every input (before ``prepare_inputs``)."""
    coarse_missing = np.isnan(coarse_t1).any(axis=0) | np.isnan(coarse_refs).any(axis=(0, 1))
    return ~upsample_nearest(coarse_missing, ratio) & ~np.isnan(fine_refs).any(axis=(0, 1))


def require_predicted(prediction: np.ndarray, valid: np.ndarray, what: str, fix: str) -> None:
    """InputDataError naming ``what`` and ``fix`` when ``prediction`` (bands, rows, cols) is NaN in every band at
    every pixel of ``valid`` (rows, cols), the pixels whose inputs are valid: such a file would be written and
    scored as empty, and the run would end with exit 0."""
    if valid.any() and not np.isfinite(prediction[:, valid]).any():
        raise InputDataError(f"{what} is NaN at all {int(valid.sum())} pixels where its inputs are valid: {fix}")


def fill_from_coarse(prediction: np.ndarray, coarse_t1: np.ndarray, ratio: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels that a classical method leaves NaN although the date's coarse pixel is known (every similar pixel or a
    reference is masked there: STARFM, ESTARFM and FSDAF read only clear fine pixels) take the date's coarse image,
    upsampled bilinearly (the ``coarse_upsampled`` baseline), so a prediction is NaN only outside the data. Returns
    the prediction and the (rows, cols) mask of the pixels so filled (``reference_days`` -1 in the quality COG)."""
    holes = np.isnan(prediction).any(axis=0) & ~upsample_nearest(np.isnan(coarse_t1).any(axis=0), ratio)
    if not holes.any():
        return prediction, holes
    upsampled = coarse_upsampled(None, None, _fill_band_mean(coarse_t1), ratio, [])
    return np.where(holes, upsampled, prediction).astype(prediction.dtype), holes


# The naive baselines take the NaN-free inputs (prepare_inputs) and ``target_days``, |t1 - tk| per reference.


def nearest_reference(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int,
                      target_days: list[int]) -> np.ndarray:
    """Naive baseline: the temporally nearest fine reference as it is."""
    return fine_refs[int(np.argmin(target_days))]


def coarse_upsampled(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int,
                     target_days: list[int]) -> np.ndarray:
    """Naive baseline: the coarse image at t1 on the fine grid (bilinear, as a sharpening-free prediction)."""
    return upsample_bilinear(coarse_t1, ratio)
