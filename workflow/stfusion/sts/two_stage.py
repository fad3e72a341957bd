"""Two-stage spatio-temporal-spectral baselines of Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning" (Section 4.2, Tables 4-5): ESTARFM+CNMF,
ESTARFM+SRECNN, STFDCNN+CNMF and STFDCNN+SRECNN.

The paper's comparison methods chain a spatiotemporal fusion (ESTARFM or STFDCNN) with a spectral one
(CNMF or SRECNN). ``TwoStage`` (an ``sts.method.STSMethod``) takes its two
stages from its registry entry's options (``methods.STS``): ``spatiotemporal``, a ``methods.FUSION`` method, and
``spectral``, a ``methods.SPECTRAL`` one; ``fit`` fits what it learns from a site's series (``data.SiteSeries``,
observed or simulated) and ``predict`` gives the fine hyperspectral cube of one date, so that training and
prediction are separate jobs. The choices made here (the paper does not spell them out):

Stage 1, spatiotemporal (ESTARFM or STFDCNN): the fine multispectral image on every MS date.
- The MS sensor's bands differ from the fine sensor's, so the MS images are first mapped to the fine
  bands by a linear transform ``A`` (C_f x C_m) plus an offset (C_f), fitted by least squares over all
  pixels of all fine dates between the fine images degraded to the MS grid (``simulate.degrade`` with the
  series' ``degradation``) and the MS series on the same dates (``fit_band_map``). The MS series on a date
  is its image of that date, or where it has none its linear interpolation in time
  (``resample.resample_in_time``, as STS-MTL resamples it).
- On a date with a fine image, stage 1 is that image.
- Otherwise the nearest fine date before and the nearest after are the two reference pairs (coarse: the
  A-mapped MS images on the MS grid, ratio ``ms_ratio``) of ESTARFM, in blocks of the config's
  ``prediction.block``, or of STFDCNN trained on the fine dates (``deep_stage``, the entry's block named after it,
  e.g. ``sts_methods.<name>.stfdcnn``) and applied in tiles (``tiling.predict_scene`` with the config's
  ``prediction`` tile, overlap and batch pixels, as the spatiotemporal methods; before, the tiling's own
  defaults). Stage 1 of the HS dates when fitting SRECNN uses the same settings (before, ESTARFM's blocks there
  were 512 pixels whatever the config), so the rule sts_train takes ``prediction`` as a param and a change of it
  retrains these methods. Blocks and tiles carry their halos, so they change the output by float rounding at most.
- When the fine dates lie on one side only, STFDCNN takes the nearest pair alone; ESTARFM, which needs two
  (the reference counts of its registry entry), falls back to the nearest fine image plus the change of the
  mapped MS image between its date and the target date, upsampled bilinearly (pixel centres aligned, as ESTARFM
  resamples coarse images: ``classical.similar.upsample_bilinear``).

Stage 2, spectral, on each stage-1 image:
- CNMF (``spectral.cnmf.CNMFMethod``): CNMF of the HS image of the nearest HS date (the spectral library; the
  earlier date on a tie) with the stage-1 fine multispectral image, srf = ``series.hs_to_fine``, ratio ``hs_ratio`` and the
  simulation's ``degradation`` as CNMF's spatial degradation S.
- SRECNN (``spectral.srecnn.SRECNNMethod``): one SRECNN trained once, by ``train_srecnn`` with ratio ``hs_ratio``
  and the simulation's ``degradation``, on the HS dates (the stage-1 fine multispectral image of each HS date
  paired with its HS image; the dates' images are laid side by side into one mosaic, which keeps them apart for
  the default 1 x 1 kernels and patch 1), then applied to every stage-1 image. It trains unaugmented and in
  float32 whatever ``training.mixed_precision`` says, as by Wald's protocol (``spectral.wald``); before, the
  two-stage SRECNN followed ``training.mixed_precision``.

NaN (missing data) propagates: a pixel missing in an input is NaN in the output where the methods say so.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..classical.similar import upsample_bilinear
from ..methods import FUSION, SPECTRAL
from ..models.base import FusionModel
from ..simulate import degrade
from ..spectral.method import SpectralMethod, spectral_method
from ..tiling import predict_scene
from ..train import TrainingSettings, resolve_device, settings_from_config
from .data import SiteSeries
from .deep_stage import train_deep_stage
from .method import SRF, STSMethod
from .resample import nearest_index, resample_in_time


@dataclass(frozen=True)
class DeepStage:
    """The training of a deep first stage: ``train.fit`` settings (unaugmented), patch and stride in MS pixels
    (``deep_stage.train_deep_stage``)."""

    training: TrainingSettings
    patch: int
    stride: int


@dataclass(frozen=True)
class TwoStageSettings:
    """``degradation``: the series' (the site's ``sts.degradation``); ``block``: ESTARFM's and SRECNN's blocks,
    ``tile``, ``overlap`` and ``batch_pixels``: a deep first stage's tiles (the config's ``prediction``, as for the
    spatiotemporal methods); ``device``: where the networks run; ``deep``: a deep first stage's training (None for a
    classical one)."""

    degradation: str
    block: int
    tile: int
    overlap: int
    batch_pixels: int
    device: str
    deep: DeepStage | None


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


class TwoStage(STSMethod):
    """A two-stage baseline (module docstring): ``spatiotemporal`` names its ``methods.FUSION`` stage, ``spectral``
    its ``spectral.method`` stage; after ``fit``: the band map, the ratios and the trained deep first stage."""

    def __init__(self, spatiotemporal: str, spectral: str, second: SpectralMethod, settings: TwoStageSettings) -> None:
        self.spatiotemporal, self.spectral, self.second, self.settings = spatiotemporal, spectral, second, settings
        self.band_map: tuple[np.ndarray, np.ndarray] | None = None
        self.ms_ratio = self.hs_ratio = 0
        self.first: FusionModel | None = None

    @classmethod
    def from_config(cls, method: Mapping, spec: Mapping, config: Mapping, *, spatiotemporal: str,
                    spectral: str) -> TwoStage:
        """The stages of the registry entry's options; the spectral stage's training is the entry's epochs, lr
        and batch size, a deep first stage's the entry's block named after it."""
        training, seed, prediction = config["training"], config["seed"], config["prediction"]
        deep = None
        if FUSION[spatiotemporal].family == "deep":
            stage = method[spatiotemporal]
            deep = DeepStage(settings_from_config(stage, training, seed, augment=False), stage["patch"], stage["stride"])
        settings = TwoStageSettings(spec["degradation"], prediction["block"], prediction["tile"], prediction["overlap"],
                                    prediction["batch_pixels"], training["device"], deep)
        return cls(spatiotemporal, spectral, spectral_method(spectral, method, spec["degradation"], config), settings)

    def fit(self, series: SiteSeries, srf: SRF, folder: Path, truth: np.ndarray | None = None) -> dict:
        """Fit the band map on the fine dates, a deep first stage on them, and a trained spectral stage on the
        stage-1 images of the HS dates (checkpoints in ``folder``)."""
        degradation = self.settings.degradation
        self.ms_ratio, self.hs_ratio = series.ratio("ms"), series.ratio("hs")
        fine_low = np.stack([degrade(image, self.ms_ratio, degradation) for image in series.fine])
        self.band_map = fit_band_map(fine_low, resample_in_time(series.ms, series.ms_days, series.fine_days))
        deep = self.settings.deep
        if deep is not None:
            self.first = train_deep_stage(FUSION[self.spatiotemporal].load(), series.fine.astype(np.float32),
                                          self._mapped_ms(series, series.fine_days), self.ms_ratio, deep.training,
                                          Path(folder) / f"checkpoint_{self.spatiotemporal}.pt", patch=deep.patch,
                                          stride=deep.stride)
        if SPECTRAL[self.spectral].family == "deep":
            ms_mosaic = np.concatenate([self.stage_one(series, day) for day in series.hs_days], axis=2)
            self.second.fit(ms_mosaic, np.concatenate(list(series.hs), axis=2), self.hs_ratio, srf.hs_to_fine,
                            Path(folder) / "checkpoint.pt")
        return {}

    def fitted_state(self) -> dict:
        """The ratios, the band map, a deep first stage's weights and the spectral stage's fitted state."""
        if self.band_map is None:
            raise ValueError("a two-stage method is saved once fitted: call fit first")
        return {"ms_ratio": self.ms_ratio, "hs_ratio": self.hs_ratio,
                "band_map": [torch.from_numpy(array) for array in self.band_map],
                "first": None if self.first is None else self.first.state_dict(), "second": self.second.fitted_state()}

    def restore_fitted(self, state: Mapping) -> None:
        self.ms_ratio, self.hs_ratio = int(state["ms_ratio"]), int(state["hs_ratio"])
        a, offset = (tensor.numpy() for tensor in state["band_map"])
        self.band_map = a, offset
        if state["first"] is not None:
            first = FUSION[self.spatiotemporal].load()(a.shape[0], self.ms_ratio)
            first.load_state_dict(state["first"])
            self.first = first.eval()
        self.second.restore_fitted(state["second"])

    def _mapped_ms(self, series: SiteSeries, days) -> np.ndarray:
        """The MS series resampled in time to ``days`` (``resample.resample_in_time``: the MS image itself on an MS
        date) and mapped to the fine bands by the band map."""
        return np.stack([apply_band_map(*self.band_map, image)
                         for image in resample_in_time(series.ms, series.ms_days, days)])

    def stage_one(self, series: SiteSeries, day: float) -> np.ndarray:
        """The fine multispectral image (C_f, H, W) of ``day`` by stage 1 (module docstring): the fine image on a
        fine date, else the spatiotemporal stage from the nearest fine dates before and after (the nearest alone
        when they lie on one side; a stage that takes two references then adds the upsampled change of the mapped
        MS image to it)."""
        fine_days, settings = series.fine_days, self.settings
        if day in fine_days:
            return np.asarray(series.fine[int(np.flatnonzero(fine_days == day)[0])], np.float32).copy()
        before, after = np.flatnonzero(fine_days < day), np.flatnonzero(fine_days > day)
        pair = [before[np.argmax(fine_days[before])], after[np.argmin(fine_days[after])]] \
            if len(before) and len(after) else [nearest_index(fine_days, day)]
        refs = np.stack([series.fine[i] for i in pair]).astype(np.float32)
        coarse_refs = self._mapped_ms(series, fine_days[pair])
        coarse_t1 = self._mapped_ms(series, [day])[0]
        device = resolve_device(settings.device)
        if len(pair) not in FUSION[self.spatiotemporal].references:
            change = torch.from_numpy(coarse_t1 - coarse_refs[0])
            return (refs[0] + upsample_bilinear(change, self.ms_ratio).numpy()).astype(np.float32)
        if self.first is not None:
            return predict_scene(self.first, refs, coarse_refs, coarse_t1, settings.tile, settings.overlap, device,
                                 settings.batch_pixels)
        return FUSION[self.spatiotemporal].load()(refs, coarse_refs, coarse_t1, self.ms_ratio, block=settings.block,
                                                  device=device)

    def predict(self, series: SiteSeries, srf: SRF, day: float) -> np.ndarray:
        """Stage 1, then the spectral stage with the HS image of the nearest HS date (the earlier on a tie)."""
        library = series.hs[nearest_index(series.hs_days, day)]
        return self.second.predict(self.stage_one(series, day), library, self.hs_ratio, srf.hs_to_fine)
