"""Two-stage spatio-temporal-spectral baselines of Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning" (Section 4.2, Tables 4-5): ESTARFM+CNMF,
ESTARFM+SRECNN, STFDCNN+CNMF and STFDCNN+SRECNN.

The paper's comparison methods chain a spatiotemporal fusion (ESTARFM or STFDCNN) with a spectral one
(CNMF or SRECNN). ``fit_two_stage`` fits what a method learns from a site's series (``data.SiteSeries``,
observed or simulated) and ``predict_two_stage`` gives the fine hyperspectral cube of one date, so that
training and prediction are separate jobs. The choices made here (the paper does not spell them out):

Stage 1, spatiotemporal (ESTARFM or STFDCNN): the fine multispectral image on every MS date.
- The MS sensor's bands differ from the fine sensor's, so the MS images are first mapped to the fine
  bands by a linear transform ``A`` (C_f x C_m) plus an offset (C_f), fitted by least squares over all
  pixels of all fine dates between the fine images degraded to the MS grid (``simulate.degrade`` with the
  series' ``degradation``) and the MS series on the same dates (``fit_band_map``). The MS series on a date
  is its image of that date, or where it has none its linear interpolation in time
  (``resample.resample_in_time``, as STS-MTL resamples it).
- On a date with a fine image, stage 1 is that image.
- Otherwise the nearest fine date before and the nearest after are the two reference pairs (coarse: the
  A-mapped MS images on the MS grid, ratio ``ms_ratio``) of ESTARFM, or of STFDCNN trained on the fine dates
  (``stfdcnn_stage``) and applied in tiles (``tiling.predict_scene``).
- When the fine dates lie on one side only, STFDCNN takes the nearest pair alone; ESTARFM, which needs two,
  falls back to the nearest fine image plus the change of the mapped MS image between its date and the
  target date, upsampled bilinearly (pixel centres aligned, as ESTARFM resamples coarse images:
  ``classical.similar.upsample_bilinear``).

Stage 2, spectral, on each stage-1 image:
- ``"cnmf"``: CNMF of the HS image of the nearest HS date (the spectral library; the earlier date on a
  tie) with the stage-1 fine multispectral image, srf = ``series.hs_to_fine``, ratio ``hs_ratio`` and the
  simulation's ``degradation`` as CNMF's spatial degradation S.
- ``"srecnn"``: one SRECNN trained once, by ``train_srecnn`` with ratio ``hs_ratio`` and the simulation's
  ``degradation``, on the HS dates (the stage-1 fine multispectral image of each HS date paired with its
  HS image; the dates' images are laid side by side into one mosaic, which keeps them apart for the
  default 1 x 1 kernels and patch 1), then applied to every stage-1 image.

NaN (missing data) propagates: a pixel missing in an input is NaN in the output where the methods say so.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..classical.estarfm import estarfm
from ..classical.similar import upsample_bilinear
from ..errors import ConfigError, InputDataError
from ..io import atomic_path
from ..models.stfdcnn import STFDCNN
from ..simulate import degrade
from ..spectral.cnmf import cnmf
from ..spectral.srecnn import SRECNN, apply_srecnn, train_srecnn
from ..tiling import predict_scene
from ..train import TrainingSettings
from .data import SiteSeries
from .resample import nearest_index, resample_in_time
from .stfdcnn_stage import train_stfdcnn_stage

SPATIOTEMPORAL_METHODS = ("estarfm", "stfdcnn")
SPECTRAL_METHODS = ("cnmf", "srecnn")


@dataclass(frozen=True)
class STFDCNNStage:
    """STFDCNN's training as the first stage: ``train.fit`` settings, checkpoint file, patch and stride in MS
    pixels (``stfdcnn_stage.train_stfdcnn_stage``)."""

    training: TrainingSettings
    checkpoint: str | Path
    patch: int = 16
    stride: int = 8


def fit_band_map(fine_low: np.ndarray, ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``A`` (C_f, C_m) and ``offset`` (C_f,) with fine_low ~ A ms + offset.

    fine_low (N, C_f, h, w): fine images degraded to the MS grid; ms (N, C_m, h, w): the MS images of the
    same dates. Pixels with any NaN band in either are left out.
    """
    if fine_low.ndim != 4 or ms.ndim != 4 or fine_low.shape[0] != ms.shape[0] or fine_low.shape[2:] != ms.shape[2:]:
        raise ValueError(f"band map: fine {fine_low.shape} and MS {ms.shape} must be (N, C, h, w) on one grid")
    y = np.moveaxis(fine_low, 1, -1).reshape(-1, fine_low.shape[1]).astype(np.float64)
    x = np.moveaxis(ms, 1, -1).reshape(-1, ms.shape[1]).astype(np.float64)
    keep = np.isfinite(y).all(axis=1) & np.isfinite(x).all(axis=1)
    if keep.sum() <= ms.shape[1]:
        raise ValueError(f"band map: {int(keep.sum())} complete pixels cannot fit {ms.shape[1]} bands plus an offset")
    design = np.hstack([x[keep], np.ones((int(keep.sum()), 1))])
    solution, *_ = np.linalg.lstsq(design, y[keep], rcond=None)
    return solution[:-1].T.copy(), solution[-1].copy()


def apply_band_map(a: np.ndarray, offset: np.ndarray, ms: np.ndarray) -> np.ndarray:
    """(C_m, h, w) -> (C_f, h, w) float32: A ms + offset per pixel."""
    return (np.tensordot(a, ms.astype(np.float64), axes=1) + offset[:, None, None]).astype(np.float32)


@dataclass
class TwoStageModel:
    """A fitted two-stage baseline (module docstring): the band map, STFDCNN (stage 1 ``stfdcnn``) and SRECNN
    (stage 2 ``srecnn``) where the method has them, and the ratios and degradation it was fitted with."""

    spatiotemporal: str
    spectral: str
    band_map: tuple[np.ndarray, np.ndarray]
    ms_ratio: int
    hs_ratio: int
    degradation: str
    stfdcnn: STFDCNN | None = None
    srecnn: SRECNN | None = None

    def save(self, path: str | Path) -> None:
        """Write the fitted model atomically (``load`` reads it back)."""
        with atomic_path(path) as tmp:
            torch.save(self, tmp)

    @staticmethod
    def load(path: str | Path) -> TwoStageModel:
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, EOFError) as err:
            raise InputDataError(f"two-stage model file {path} cannot be read ({err}): delete it and rerun sts_train") from err


def _check_methods(spatiotemporal: str, spectral: str) -> None:
    for what, name, known in (("spatiotemporal", spatiotemporal, SPATIOTEMPORAL_METHODS),
                              ("spectral", spectral, SPECTRAL_METHODS)):
        if name not in known:
            raise ConfigError(f"two-stage fusion: unknown {what} method {name!r}; use one of {', '.join(known)}")


def _mapped_ms(model: TwoStageModel, series: SiteSeries, days) -> np.ndarray:
    """The MS series resampled in time to ``days`` (``resample.resample_in_time``: the MS image itself on an MS
    date) and mapped to the fine bands by the band map."""
    return np.stack([apply_band_map(*model.band_map, image)
                     for image in resample_in_time(series.ms, series.ms_days, days)])


def fit_two_stage(series: SiteSeries, spatiotemporal: str, spectral: str, *,
                  degradation: str = "bilinear", training: TrainingSettings | None = None,
                  checkpoint: str | Path | None = None, stfdcnn: STFDCNNStage | None = None, block: int = 512,
                  device: str = "cpu") -> TwoStageModel:
    """Fit the band map on the fine dates, STFDCNN on them (``stfdcnn``: its training, required with it) and
    SRECNN on the stage-1 images of the HS dates (``training`` and ``checkpoint``: its settings and training
    checkpoint, required with it)."""
    _check_methods(spatiotemporal, spectral)
    ms_ratio, hs_ratio = series.ratio("ms"), series.ratio("hs")
    fine_low = np.stack([degrade(image, ms_ratio, degradation) for image in series.fine])
    band_map = fit_band_map(fine_low, resample_in_time(series.ms, series.ms_days, series.fine_days))
    model = TwoStageModel(spatiotemporal, spectral, band_map, ms_ratio, hs_ratio, degradation)
    if spatiotemporal == "stfdcnn":
        if stfdcnn is None:
            raise ValueError("two-stage fusion with STFDCNN needs its training settings (`stfdcnn`)")
        model.stfdcnn = train_stfdcnn_stage(series.fine.astype(np.float32), _mapped_ms(model, series, series.fine_days),
                                            ms_ratio, stfdcnn.training, stfdcnn.checkpoint, patch=stfdcnn.patch,
                                            stride=stfdcnn.stride)
    if spectral == "srecnn":
        if training is None or checkpoint is None:
            raise ValueError("two-stage fusion with SRECNN needs its training settings and checkpoint")
        ms_mosaic = np.concatenate([stage_one_date(model, series, day, block, device) for day in series.hs_days], axis=2)
        hs_mosaic = np.concatenate(list(series.hs), axis=2)
        model.srecnn = train_srecnn(ms_mosaic, hs_mosaic, hs_ratio, training, checkpoint, degradation=degradation)
    return model


def stage_one_date(model: TwoStageModel, series: SiteSeries, day: float, block: int = 512,
                   device: str = "cpu") -> np.ndarray:
    """The fine multispectral image (C_f, H, W) of ``day`` by stage 1 (module docstring): the fine image on a fine
    date, else ESTARFM or STFDCNN from the nearest fine dates before and after (the nearest alone when they lie
    on one side; ESTARFM then adds the upsampled change of the mapped MS image). ``block``: ESTARFM's block size;
    STFDCNN runs in ``tiling.predict_scene``'s default tiles."""
    fine_days = series.fine_days
    if day in fine_days:
        return np.asarray(series.fine[int(np.flatnonzero(fine_days == day)[0])], np.float32).copy()
    before, after = np.flatnonzero(fine_days < day), np.flatnonzero(fine_days > day)
    pair = [before[np.argmax(fine_days[before])], after[np.argmin(fine_days[after])]] \
        if len(before) and len(after) else [nearest_index(fine_days, day)]
    refs = np.stack([series.fine[i] for i in pair]).astype(np.float32)
    coarse_refs = _mapped_ms(model, series, fine_days[pair])
    coarse_t1 = _mapped_ms(model, series, [day])[0]
    if model.spatiotemporal == "stfdcnn":
        return predict_scene(model.stfdcnn, refs, coarse_refs, coarse_t1, device=device)
    if len(pair) == 2:
        return estarfm(refs, coarse_refs, coarse_t1, model.ms_ratio, block=block, device=device)
    change = torch.from_numpy(coarse_t1 - coarse_refs[0])
    return (refs[0] + upsample_bilinear(change, model.ms_ratio).numpy()).astype(np.float32)


def predict_two_stage(model: TwoStageModel, series: SiteSeries, day: float, hs_to_fine: np.ndarray, *,
                      block: int = 512, device: str = "cpu", seed: int = 0) -> np.ndarray:
    """The fine hyperspectral cube (C_h, H, W) of ``day``: stage 1, then CNMF with the HS image of the nearest HS
    date (the earlier on a tie; ``seed``: CNMF's VCA seed) or the fitted SRECNN."""
    fine_ms = stage_one_date(model, series, day, block, device)
    if model.spectral == "cnmf":
        library = series.hs[nearest_index(series.hs_days, day)]
        return cnmf(library, fine_ms, hs_to_fine, model.hs_ratio, degradation=model.degradation, seed=seed)
    return apply_srecnn(model.srecnn, fine_ms, block=block)


__all__ = ["SPATIOTEMPORAL_METHODS", "SPECTRAL_METHODS", "STFDCNNStage", "TwoStageModel", "apply_band_map",
           "fit_band_map", "fit_two_stage", "predict_two_stage", "stage_one_date"]
