"""The STS-MTL chain of one site (Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method
via Multi-task Learning"): PCA, samples, training, tiled prediction.

``train_sts`` fits the PCA of the hyperspectral series (``pca``), cuts training samples of time-encoded
resampled inputs (``resample``, ``data``) and trains the three-branch network (``network``) with
``stfusion.train.fit`` on the learnable-weight multi-task loss of the observation model (``losses``);
``TrainedSTS.predict`` gives one date's whole scene in tiles, transformed back to all HS bands.

Training modes: **supervised** when a fine hyperspectral truth series is given (simulated data: the
truth of each of its dates is a label besides the observation tasks); **Wald's protocol** otherwise
(every series degraded by the HS ratio so that the real HS images are the labels, the network trained
at that scale and applied at the original one).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..artefacts import arrays_sha256, fingerprint
from ..errors import ConfigError, InputDataError
from ..evaluation import score_cube
from ..models.base import closeness_weights
from ..runlog import progress
from ..tiling import halo_windows
from ..train import TrainingSettings, fit, resolve_device, settings_from_config
from .data import (
    SiteSeries,
    bracketing_references,
    crop,
    cut_windows,
    date_sample,
    fill_gaps,
    reference_choices,
    stack,
    wald_series,
    with_truth,
)
from .losses import MultiTaskObjective, ObservationModel
from .network import STSMTLNetwork
from .pca import HyperspectralPCA
from .resample import SCALE_DAYS, day_numbers

log = logging.getLogger("stfusion")


@dataclass(frozen=True)
class STSSettings:
    """Hyper-parameters of the chain. Sizes are in fine pixels and must be multiples of lcm(MS, HS ratios).

    kernels: the residual blocks' kernel set (cardinality; Peng et al. (STS-MTL) compare (1,), (1, 3), (1, 3, 5));
    pca_variance: explained-variance fraction of the kept components; degradation: ``area`` or
    ``bilinear`` spatial degradation of the observation model (match how the coarse data were made);
    other_references: also train on references of other dates (``data.reference_choices``);
    observation_dates: also train on the MS dates without a label, on the observation tasks alone (the
    multi-task learning of Peng et al., section 3.2: every observed series constrains Z on its own dates);
    validation_fraction: share of training windows held out to pick the best weights; tile: prediction
    tile size (memory bound of prediction); training: ``stfusion.train.fit``'s settings (epochs, rate,
    schedule, batch size, device, seed; the seed also seeds the PCA and the network's initial weights).
    """

    kernels: tuple[int, ...]
    features: int
    blocks: int
    pca_variance: float
    degradation: str
    patch: int
    stride: int
    tile: int
    training: TrainingSettings
    time_resampling: str = "linear"
    time_scale_days: float = SCALE_DAYS
    other_references: bool = True
    observation_dates: bool = True
    validation_fraction: float = 0.1

    @classmethod
    def from_config(cls, method: Mapping, spec: Mapping, training: Mapping, seed: int) -> STSSettings:
        """The settings of a validated config (schema defaults applied): ``method`` its ``sts_methods`` entry,
        ``spec`` the site's ``sts`` block (the degradation of its observation model), ``training`` and ``seed``
        the config's. The fields with a config key have no default here (the schema's are the only ones); those
        without one are the chain's fixed choices."""
        return cls(kernels=tuple(method["kernels"]), features=method["features"], blocks=method["blocks"],
                   pca_variance=method["pca_variance"], degradation=spec["degradation"], patch=method["patch"],
                   stride=method["stride"], tile=method["tile"],
                   training=settings_from_config(method, training, seed, schedule=method["schedule"]))


@dataclass
class TrainedSTS:
    """A trained STS-MTL model with everything prediction needs; ``predict`` gives one date at a time, so a
    caller can write each date's cube before predicting the next (memory bounded by one date)."""

    network: STSMTLNetwork
    pca: HyperspectralPCA
    series: SiteSeries
    hs_scores: np.ndarray
    settings: STSSettings
    history: list[dict]
    task_weights: dict[str, float]

    def predict(self, date) -> np.ndarray:
        """The fine hyperspectral image (C_h, H, W) of ``date`` (ISO string, ``datetime.date`` or day number), in
        tiles; NaN where the MS image of the date is missing.

        Between two reference dates the network predicts from the references before and from those after
        ``date`` (``data.bracketing_references``), and the two predictions are blended per pixel by temporal
        closeness in MS space (``models.base.closeness_weights``, as StfNet and STFDCNN blend their two
        references: the reference whose MS image, resampled to its fine date, is closest to the MS image of
        ``date`` around a pixel weighs most; the band weights are averaged, one weight per pixel)."""
        day = float(day_numbers([date])[0])
        series, settings, network = self.series, self.settings, self.network
        scores, ms_refs = [], []
        for fine_index, hs_index in bracketing_references(day, series.fine_days, series.hs_days):
            sample = date_sample(series, self.hs_scores, day, fine_index, hs_index, settings.time_resampling,
                                 settings.time_scale_days)
            inputs, missing = fill_gaps({name: sample[name] for name in STSMTLNetwork.INPUTS}, network.ms_ratio)
            scores.append(predict_scores(network, inputs, settings.tile, resolve_device(settings.training.device)))
            ms_refs.append(inputs["ms_ref_fine"])
        weights = closeness_weights(torch.from_numpy(np.stack(ms_refs))[None], torch.from_numpy(inputs["ms_t"])[None],
                                    network.ms_ratio, radius=1)[0].mean(dim=1, keepdim=True).numpy()
        cube = self.pca.inverse_transform((weights * np.stack(scores)).sum(axis=0))
        cube[:, missing] = np.nan
        return cube

    def state(self) -> dict:
        """What prediction needs besides the series and the settings (network weights, PCA) and the training record,
        as tensors and plain values (``torch_artefact``)."""
        return {"state": self.network.state_dict(), "pca": self.pca.state(), "history": self.history,
                "task_weights": self.task_weights}

    @classmethod
    def from_state(cls, saved: Mapping, series: SiteSeries, settings: STSSettings) -> TrainedSTS:
        """The model of a ``state`` (saved with the fitted ``stsmtl.STSMTL``) trained with ``settings``, predicting
        from ``series`` (any dates, e.g. one MS date and its references: ``series.prediction_dates``)."""
        pca = HyperspectralPCA.from_state(saved["pca"])
        network = STSMTLNetwork(series.fine.shape[1], series.ms.shape[1], pca.n_components, series.ratio("ms"),
                                series.ratio("hs"), settings.features, settings.blocks, settings.kernels)
        try:
            network.load_state_dict(saved["state"])
        except RuntimeError as err:
            raise InputDataError("the STS-MTL model was trained on other bands or ratios than the series "
                                 f"given ({str(err).splitlines()[0]}): rerun sts_train") from err
        return cls(network.eval(), pca, series, pca.transform(series.hs), settings, saved["history"],
                   saved["task_weights"])


def train_sts(
    fine: np.ndarray, fine_dates: Sequence, ms: np.ndarray, ms_dates: Sequence, hs: np.ndarray, hs_dates: Sequence,
    hs_to_ms: np.ndarray, hs_to_fine: np.ndarray, settings: STSSettings, checkpoint: str | Path,
    truth: np.ndarray | None = None, truth_dates: Sequence | None = None,
) -> TrainedSTS:
    """Fit the PCA and train the network of one site with ``stfusion.train.fit``.

    fine (T_f, C_f, H, W), ms (T, C_m, H/r_m, W/r_m), hs (T_h, C_h, H/r_h, W/r_h): reflectance, NaN for
    missing; dates as ISO strings, ``datetime.date`` or day numbers, increasing. hs_to_ms (C_m, C_h)
    and hs_to_fine (C_f, C_h): SRF integration matrices (``simulate.spectral_weights``). truth
    (T_t, C_h, H, W) on ``truth_dates`` (default the MS dates) selects supervised training; without it
    Wald's protocol is used. ``checkpoint``: the training checkpoint (resumed under the same inputs and
    settings).
    """
    series = SiteSeries(np.asarray(fine, np.float32), day_numbers(fine_dates), np.asarray(ms, np.float32),
                        day_numbers(ms_dates), np.asarray(hs, np.float32), day_numbers(hs_dates))
    r_ms, r_hs = series.ratio("ms"), series.ratio("hs")
    _check_settings(settings, np.lcm(r_ms, r_hs))
    pca = HyperspectralPCA(settings.pca_variance, seed=settings.training.seed).fit(series.hs)
    log.info("STS-MTL: %d principal components keep %.5f of the HS variance", pca.n_components,
             pca.explained_variance_ratio.sum())
    hs_scores = pca.transform(series.hs)
    if truth is not None:
        days = series.ms_days if truth_dates is None else day_numbers(truth_dates)
        if len(truth) != len(days) or tuple(np.shape(truth)[-2:]) != tuple(series.shape):
            raise InputDataError(f"the truth series {np.shape(truth)} must have one fine image per truth date "
                                 f"({len(days)}) on the fine grid {series.shape}")
        train_series, train_scores, labels = series, hs_scores, dict(zip(days, pca.transform(truth)))
    else:
        train_series, label_cubes = wald_series(series, settings.degradation)
        train_scores = pca.transform(train_series.hs)
        labels = dict(zip(series.hs_days, pca.transform(label_cubes)))
    train, validation = _training_data(train_series, train_scores, labels, settings)
    log.info("STS-MTL (%s): %d training and %d validation windows", "supervised" if truth is not None else "Wald",
             len(train["ms_t"]), len(validation.get("ms_t", [])))
    torch.manual_seed(settings.training.seed)
    network = STSMTLNetwork(series.fine.shape[1], series.ms.shape[1], pca.n_components, r_ms, r_hs,
                            settings.features, settings.blocks, settings.kernels)
    network.standardise(*(torch.from_numpy(images) for images in (train_series.fine, train_series.ms, train_scores)))
    objective = MultiTaskObjective(network, ObservationModel(pca.components, pca.mean, np.asarray(hs_to_ms),
                                                             np.asarray(hs_to_fine), r_ms, r_hs, settings.degradation))
    data = arrays_sha256(series.fine, series.ms, series.hs, series.fine_days, series.ms_days, series.hs_days,
                         hs_to_ms, hs_to_fine, truth, list(labels))
    key = fingerprint(asdict(settings), data)
    best, history = fit(objective, lambda module, batch: module(batch), train, validation, settings.training,
                         checkpoint, key)
    objective.load_state_dict(best)
    return TrainedSTS(network.eval(), pca, series, hs_scores, settings, history, objective.weights.weights())


def wald_scores(model: TrainedSTS) -> list[dict]:
    """How the model predicts at the scale Wald's protocol trained it on: every HS date predicted on the
    degraded grid (``data.wald_series``) from the other dates' fine and HS images, its own withheld, and
    scored against its HS image (``evaluation.score_cube``), as the dates without HS images are predicted
    at full scale. One row per HS date (date, CC, SAM, PSNR, SSIM, RMSE); none without a second date."""
    degraded, labels = wald_series(model.series, model.settings.degradation)
    rows = []
    for index, day in enumerate(degraded.hs_days):
        own_fine, own_hs = degraded.fine_days == day, np.arange(len(degraded.hs_days)) == index
        if own_fine.all() or own_hs.all():
            continue
        others = SiteSeries(degraded.fine[~own_fine], degraded.fine_days[~own_fine], degraded.ms, degraded.ms_days,
                            degraded.hs[~own_hs], degraded.hs_days[~own_hs])
        withheld = TrainedSTS(model.network, model.pca, others, model.pca.transform(others.hs), model.settings,
                              model.history, model.task_weights)
        date = str(np.datetime64(int(day), "D"))
        rows.append({"date": date, **score_cube(labels[index], withheld.predict(day))})
    return rows


@torch.no_grad()
def predict_scores(network: STSMTLNetwork, inputs: dict[str, np.ndarray], tile: int,
                   device: torch.device | str = "cpu") -> np.ndarray:
    """Component scores (K, H, W) of a whole scene, predicted in tiles of ``tile`` fine pixels.

    Each tile is computed from a window grown by the network's honest ``halo`` (clipped at the scene
    edge, where the network pads as on the whole scene), so the result equals the whole-scene output
    up to float rounding; only one window's activations are in memory at a time.
    """
    network.eval().to(device)
    rows, cols = inputs["fine_ref"].shape[-2:]
    align, halo = network.alignment, network.halo
    tile = max(align, tile // align * align)
    out = np.empty((network.components, rows, cols), np.float32)
    for window, core, inner in progress(halo_windows(rows, cols, tile, halo), "STS-MTL tile"):
        cropped = crop(inputs, *window, network.ms_ratio, network.hs_ratio)
        tensors = [torch.from_numpy(np.ascontiguousarray(cropped[name][None])).to(device)
                   for name in STSMTLNetwork.INPUTS]
        out[:, core[0], core[1]] = network(*tensors)[0].float().cpu().numpy()[:, inner[0], inner[1]]
    return out


def _training_data(series: SiteSeries, scores: np.ndarray, labels: dict, settings: STSSettings):
    """(training, validation) tensors: windows of every labelled date (and with ``observation_dates`` of every
    other MS date, without a label) with each of its reference choices; every (1 / validation_fraction)-th
    window is held out for validation."""
    r_ms, r_hs = series.ratio("ms"), series.ratio("hs")
    align = int(np.lcm(r_ms, r_hs))
    size = min(settings.patch, min(series.shape) // align * align)
    if size < settings.patch:
        log.warning("STS-MTL: patch size lowered from %d to %d fine pixels to fit the training scene %s",
                    settings.patch, size, series.shape)
    windows = []
    unlabelled = [day for day in series.ms_days if day not in labels] if settings.observation_dates else []
    for day, truth in [*labels.items(), *((day, None) for day in unlabelled)]:
        for fine_index, hs_index in reference_choices(day, series.fine_days, series.hs_days, settings.other_references):
            sample = date_sample(series, scores, day, fine_index, hs_index, settings.time_resampling,
                                 settings.time_scale_days)
            windows += cut_windows(with_truth(sample, truth), size, settings.stride, r_ms, r_hs)
    if not windows:
        raise InputDataError("STS-MTL: every training window holds a NaN (clouds or gaps in the inputs): "
                             "lower the patch size or drop the cloudiest scenes")
    every = round(1 / settings.validation_fraction) if settings.validation_fraction > 0 else len(windows) + 1
    held = [i % every == every - 1 for i in range(len(windows))]
    train = [w for w, h in zip(windows, held) if not h]
    validation = [w for w, h in zip(windows, held) if h]
    return _tensors(train), _tensors(validation)


def _tensors(windows: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(array) for name, array in stack(windows).items()}


def _check_settings(settings: STSSettings, align: int) -> None:
    for name in ("patch", "stride", "tile"):
        value = getattr(settings, name)
        if value <= 0 or value % align:
            raise ConfigError(f"STS-MTL setting `{name}` = {value} must be a positive multiple of {align} fine pixels "
                              "(the lcm of the MS and HS ratios), so every window starts on an MS and an HS pixel edge")
    if not 0 <= settings.validation_fraction < 1:
        raise ConfigError(f"STS-MTL setting `validation_fraction` = {settings.validation_fraction} must be in [0, 1)")


__all__ = ["STSSettings", "TrainedSTS", "predict_scores", "train_sts", "wald_scores"]
