"""Two-stage spatio-temporal-spectral baselines of paper 000 (Section 4.2, Tables 4-5): ESTARFM+CNMF,
ESTARFM+SRECNN, STFDCNN+CNMF and STFDCNN+SRECNN.

The paper's comparison methods chain a spatiotemporal fusion (ESTARFM or STFDCNN) with a spectral one
(CNMF or SRECNN). ``two_stage`` runs both stages on a ``protocol.SimulatedSeries`` and returns the fine
hyperspectral cube of every MS date. The choices made here (the paper does not spell them out):

Stage 1, spatiotemporal (ESTARFM or STFDCNN): the fine multispectral image on every MS date.
- The MS sensor's bands differ from the fine sensor's, so the MS images are first mapped to the fine
  bands by a linear transform ``A`` (C_f x C_m) plus an offset (C_f), fitted by least squares over all
  pixels of all fine dates between the fine images degraded to the MS grid (``simulate.degrade`` with the
  simulation's ``degradation``) and the MS images of the same dates (``fit_band_map``).
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

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..classical.estarfm import estarfm
from ..classical.similar import upsample_bilinear
from ..errors import ConfigError
from ..simulate import degrade
from ..spectral.cnmf import cnmf
from ..spectral.srecnn import apply_srecnn, train_srecnn
from ..tiling import predict_scene
from ..train import TrainingSettings
from .protocol import SimulatedSeries
from .resample import day_numbers, nearest_index
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


def default_training(seed: int = 0, device: str = "cpu") -> TrainingSettings:
    """SRECNN training settings used when ``two_stage`` is given none (every HS pixel a sample)."""
    return TrainingSettings(epochs=30, lr=1e-3, batch_size=64, seed=seed, device=device, mixed_precision=False,
                            augment=False)


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


def stage_one(series: SimulatedSeries, spatiotemporal: str = "estarfm", *, ms_ratio: int = 2,
              degradation: str = "bilinear", block: int = 512, device: str = "cpu",
              stfdcnn: STFDCNNStage | None = None) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Fine multispectral image (C_f, H, W) of every MS date by ``spatiotemporal`` ("estarfm" or "stfdcnn";
    module docstring), the band map A and offset. ``stfdcnn``: STFDCNN's training (required for it)."""
    if spatiotemporal not in SPATIOTEMPORAL_METHODS:
        raise ConfigError(f"two-stage fusion: unknown spatiotemporal method {spatiotemporal!r}; use one of "
                          f"{', '.join(SPATIOTEMPORAL_METHODS)}")
    ms_days, fine_days = day_numbers(series.ms_dates), day_numbers(series.fine_dates)
    ms_of = dict(zip(series.ms_dates, series.ms))
    missing = sorted(set(series.fine_dates) - set(series.ms_dates))
    if missing:
        raise ConfigError(f"two-stage fusion: the fine dates {', '.join(missing)} have no MS image")
    fine_low = np.stack([degrade(image, ms_ratio, degradation) for image in series.fine])
    a, offset = fit_band_map(fine_low, np.stack([ms_of[d] for d in series.fine_dates]))
    mapped = {d: apply_band_map(a, offset, image) for d, image in zip(series.ms_dates, series.ms)}
    if spatiotemporal == "stfdcnn":
        if stfdcnn is None:
            raise ValueError("stage_one with STFDCNN needs its training settings (`stfdcnn`)")
        model = train_stfdcnn_stage(series.fine.astype(np.float32), np.stack([mapped[d] for d in series.fine_dates]),
                                    ms_ratio, stfdcnn.training, stfdcnn.checkpoint, patch=stfdcnn.patch,
                                    stride=stfdcnn.stride)
    out = {}
    for date, day in zip(series.ms_dates, ms_days):
        if date in series.fine_dates:
            out[date] = np.asarray(series.fine[series.fine_dates.index(date)], np.float32).copy()
            continue
        before = np.flatnonzero(fine_days < day)
        after = np.flatnonzero(fine_days > day)
        pair = [before[np.argmax(fine_days[before])], after[np.argmin(fine_days[after])]] \
            if len(before) and len(after) else [nearest_index(fine_days, day)]
        refs = np.stack([series.fine[i] for i in pair]).astype(np.float32)
        coarse_refs = np.stack([mapped[series.fine_dates[i]] for i in pair])
        if spatiotemporal == "stfdcnn":
            out[date] = predict_scene(model, refs, coarse_refs, mapped[date], tile=block, device=device)
        elif len(pair) == 2:
            out[date] = estarfm(refs, coarse_refs, mapped[date], ms_ratio, block=block, device=device)
        else:  # fine dates on one side only: nearest fine image plus the upsampled mapped-MS change
            change = torch.from_numpy(mapped[date] - coarse_refs[0])
            out[date] = (refs[0] + upsample_bilinear(change, ms_ratio).numpy()).astype(np.float32)
    return out, a, offset


def two_stage(series: SimulatedSeries, spectral: str, *, spatiotemporal: str = "estarfm", ms_ratio: int = 2,
              hs_ratio: int = 3, degradation: str = "bilinear", training: TrainingSettings | None = None,
              checkpoint: str | Path | None = None, stfdcnn: STFDCNNStage | None = None, block: int = 512,
              device: str = "cpu", seed: int = 0) -> dict[str, np.ndarray]:
    """``spatiotemporal`` ("estarfm" or "stfdcnn") + ``spectral`` ("cnmf" or "srecnn"): date -> fine
    hyperspectral cube (C_h, H, W) for every date of ``series.ms_dates`` (the choices are in the module
    docstring). ``stfdcnn``: STFDCNN's training settings and checkpoint (required with "stfdcnn").

    ``degradation``: how the simulation degraded the coarse series (used for the band map, CNMF's S and
    SRECNN's training pairs). ``training``: SRECNN settings (default ``default_training(seed, device)``);
    ``checkpoint``: SRECNN's training checkpoint (default: a temporary file). ``block``/``device``: ESTARFM's
    block size and torch device. ``seed``: CNMF's VCA seed.
    """
    if spectral not in SPECTRAL_METHODS:
        raise ConfigError(f"two-stage fusion: unknown spectral method {spectral!r}; use one of "
                          f"{', '.join(SPECTRAL_METHODS)}")
    fine_ms, _, _ = stage_one(series, spatiotemporal, ms_ratio=ms_ratio, degradation=degradation, block=block,
                              device=device, stfdcnn=stfdcnn)
    if spectral == "cnmf":
        hs_days = day_numbers(series.hs_dates)
        out = {}
        for date, day in zip(series.ms_dates, day_numbers(series.ms_dates)):
            library = series.hs[nearest_index(hs_days, day)]
            out[date] = cnmf(library, fine_ms[date], series.hs_to_fine, hs_ratio, degradation=degradation, seed=seed)
        return out
    missing = sorted(set(series.hs_dates) - set(series.ms_dates))
    if missing:
        raise ConfigError(f"ESTARFM+SRECNN: the HS dates {', '.join(missing)} have no MS image to train on")
    settings = default_training(seed, device) if training is None else training
    ms_mosaic = np.concatenate([fine_ms[d] for d in series.hs_dates], axis=2)
    hs_mosaic = np.concatenate(list(series.hs), axis=2)
    if checkpoint is None:
        with tempfile.TemporaryDirectory() as folder:
            model = train_srecnn(ms_mosaic, hs_mosaic, hs_ratio, settings, Path(folder) / "srecnn.pt",
                                 degradation=degradation)
    else:
        model = train_srecnn(ms_mosaic, hs_mosaic, hs_ratio, settings, checkpoint, degradation=degradation)
    return {date: apply_srecnn(model, fine_ms[date], block=block) for date in series.ms_dates}


__all__ = ["SPATIOTEMPORAL_METHODS", "SPECTRAL_METHODS", "STFDCNNStage", "apply_band_map", "default_training",
           "fit_band_map", "stage_one", "two_stage"]
