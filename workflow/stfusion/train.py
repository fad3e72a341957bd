"""Training shared by every deep model: Adam, learning-rate schedule, mixed precision, checkpoints,
resume.

Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep Convolutional Model for Spatiotemporal Image Fusion",
Remote Sensing 11(24), 2898: Adam (lr 1e-3, 8e-4 for single-band), learning rate times 0.1 when the validation
loss has not improved for 5 epochs, 60 epochs; the weights kept are those of the best validation loss. Given a
``score_fn`` (the fusion models: the squared error of their prediction) the weights kept are those of the
lowest validation RMSE instead, the score the report ranks methods by: a loss with perceptual terms can
fall while the RMSE rises. The initial weights are epoch 0 of that choice: a start that carries skill
(the change-transfer starts of ``models``) is kept when no epoch of fine-tuning on a few pairs beats it,
and the log says so.
A cosine schedule is the alternative for short trainings (``_scheduler``). With ``mixed_precision`` the
loss runs under bfloat16 autocast where the device has native bfloat16 matrix units (``native_bfloat16``).
A checkpoint is written atomically after every epoch, with its SHA-256 (``torch_artefact``); a run that was
killed resumes from it, and because batch order is seeded per epoch, a resumed run ends with the same weights as
an uninterrupted one.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import torch

from .errors import InputDataError
from .packaged import schema_defaults
from .runlog import duration
from .torch_artefact import load_artefact, save_artefact

log = logging.getLogger("stfusion")
Batch = Mapping[str, torch.Tensor]
LossFn = Callable[[torch.nn.Module, Batch], torch.Tensor]
ScoreFn = Callable[[torch.nn.Module, Batch], torch.Tensor]  # the per-band mean squared error of a batch's prediction


TRAINING = schema_defaults("config", "training")


@dataclass(frozen=True)
class TrainingSettings:
    """How ``fit`` trains a network: the method's epochs, learning rate and batch size, the seed, and the config's
    ``training`` section. ``settings_from_config`` builds it from a validated config; the defaults, for callers
    outside the pipeline (tests, benches), are the config schema's. ``schedule``: ReduceLROnPlateau on the
    validation loss as Tan et al. (2019) train EDCSTFN, or ``cosine`` (an ``sts_methods`` entry's choice)."""

    epochs: int
    lr: float
    batch_size: int
    seed: int
    factor: float = TRAINING["factor"]
    patience: int = TRAINING["patience"]
    schedule: str = "plateau"
    device: str = TRAINING["device"]
    mixed_precision: bool = TRAINING["mixed_precision"]
    augment: bool = TRAINING["augment"]


def settings_from_config(run: Mapping, training: Mapping, seed: int, **fixed) -> TrainingSettings:
    """Settings from a method's (or the autoencoder's) epochs/lr/batch_size and the config's `training`;
    ``fixed``: the settings a model fixes or takes from its own entry instead (e.g. SRECNN trains unaugmented in
    float32, STS-MTL has its own ``schedule``)."""
    return TrainingSettings(**{
        "epochs": run["epochs"], "lr": run["lr"], "batch_size": run["batch_size"], "seed": seed,
        "factor": training["factor"], "patience": training["patience"], "device": training["device"],
        "mixed_precision": training["mixed_precision"], "augment": training["augment"], **fixed,
    })


def resolve_device(name: str) -> torch.device:
    """``auto`` is the first CUDA GPU when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bfloat16 matrices natively, so that mixed precision pays: a CUDA GPU, or a
    CPU with AMX tiles (Intel Xeon 4th generation and later), where oneDNN's bfloat16 convolutions train the
    deep models 1.8 to 3.2 times faster than float32 (bench/deep_models.py). Elsewhere on a CPU, bfloat16 is
    emulated and slower, and training stays in float32."""
    return device.type == "cuda" or (device.type == "cpu" and torch.cpu._is_amx_tile_supported())


def _batches(data: Mapping[str, torch.Tensor], batch_size: int, generator: torch.Generator | None):
    n = len(next(iter(data.values())))
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield {k: v[index] for k, v in data.items()}


def augment(batch: Batch, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """The same random rotation by a multiple of 90 degrees and flip for every array of a batch.

    Fine and coarse arrays turn together (a coarse pixel's block of fine pixels turns with it), so
    every pair stays co-registered; the 8 symmetries of the square multiply the patch set.
    """
    turns, flip = (int(v) for v in torch.randint(0, 4, (2,), generator=generator))
    out = {k: torch.rot90(v, turns, dims=(-2, -1)) for k, v in batch.items()}
    return {k: v.flip(-1) for k, v in out.items()} if flip % 2 else out


def _epoch_loss(module, loss_fn, data, settings, device, optimizer=None, generator=None) -> float:
    """Mean loss over an epoch; one optimiser step per batch when ``optimizer`` is given."""
    total, count = 0.0, 0
    amp = settings.mixed_precision and native_bfloat16(device)
    for batch in _batches(data, settings.batch_size, generator):
        if optimizer is not None and settings.augment:
            batch = augment(batch, generator)
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp), torch.set_grad_enabled(optimizer is not None):
            loss = loss_fn(module, batch)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        size = len(next(iter(batch.values())))
        total += float(loss.detach()) * size
        count += size
    return total / max(count, 1)


def _validation_rmse(module, score_fn: ScoreFn, data, settings, device) -> float:
    """Band-averaged RMSE over a set: per band the mean of its batches' mean squared errors weighted by their
    sizes (the set's mean squared error), its square root, and the mean over the bands."""
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in _batches(data, settings.batch_size, None):
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            size = len(next(iter(batch.values())))
            total, count = total + score_fn(module, batch).double().cpu() * size, count + size
    return float(torch.sqrt(total / max(count, 1)).mean())


def _scheduler(optimizer: torch.optim.Optimizer, settings: TrainingSettings):
    """``plateau``, as in Tan et al. (2019): the rate times ``factor`` after ``patience`` epochs without a
    better validation loss. ``cosine``: the rate falls from ``lr`` to 0 along a half cosine over the epochs
    (Loshchilov and Hutter 2017, SGDR without restarts), which settles a short training without waiting for
    plateaus."""
    if settings.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=settings.factor, patience=settings.patience)
    if settings.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings.epochs)
    raise ValueError(f"unknown learning-rate schedule {settings.schedule!r}: use plateau or cosine")


def load_checkpoint(path: Path, fingerprint: str) -> dict | None:
    """The checkpoint at ``path`` if it belongs to this run's settings, else None; InputDataError when it is damaged
    (``torch_artefact``)."""
    if not path.exists():
        return None
    fix = "delete it and rerun the job: training restarts from its first epoch"
    state = load_artefact(path, fix)
    if "epoch" not in state:
        raise InputDataError(f"checkpoint {path} is not a stfusion training checkpoint: {fix}")
    if state.get("fingerprint") != fingerprint:
        log.warning("checkpoint %s was made with other settings: starting again", path)
        return None
    return state


def fit(
    module: torch.nn.Module,
    loss_fn: LossFn,
    train: Mapping[str, torch.Tensor],
    validation: Mapping[str, torch.Tensor],
    settings: TrainingSettings,
    checkpoint: str | Path,
    fingerprint: str,
    score_fn: ScoreFn | None = None,
) -> tuple[dict[str, torch.Tensor], list[dict]]:
    """Train ``module``; return the best weights and the per-epoch history.

    The best weights are those of the lowest validation loss, or with ``score_fn`` of the lowest validation
    RMSE (history column ``validation_rmse``). Epoch 0 is the initial weights, evaluated without a step (its
    train_loss is the loss of the start on the training set): when no epoch beats it, the start is returned
    (``best_epoch``).
    ``validation`` may be empty (a site whose scenes leave no room for held-out windows): the training
    loss then picks the best weights, and the log says so.
    """
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    module.to(device)
    trainable = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=settings.lr)
    scheduler = _scheduler(optimizer, settings)
    history: list[dict] = []
    state = load_checkpoint(Path(checkpoint), fingerprint)
    if state is not None:
        module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, best = state["history"], state["best"]
        log.info("resuming from %s after epoch %d", checkpoint, state["epoch"])
    has_validation = len(next(iter(validation.values()), [])) > 0
    if not has_validation:
        log.warning("no validation group: the best weights are chosen by the training loss")
    if not history:
        module.eval()
        start_loss = _epoch_loss(module, loss_fn, train, settings, device)
        val_loss = _epoch_loss(module, loss_fn, validation, settings, device) if has_validation else start_loss
        history = [{"epoch": 0, "train_loss": start_loss, "validation_loss": val_loss, "lr": settings.lr}]
        if score_fn is not None:
            history[0]["validation_rmse"] = _validation_rmse(module, score_fn, validation if has_validation else train,
                                                             settings, device)
        best = {"loss": _criterion(history[0]), "state": _copy(module)}
        log.info("epoch 0 (the initial weights)  train %.6f  validation %s", start_loss, _scores(history[0]))
    first, start = history[-1]["epoch"] + 1, time.perf_counter()
    for epoch in range(first, settings.epochs + 1):
        generator = torch.Generator().manual_seed(settings.seed * 100_003 + epoch)
        module.train()
        train_loss = _epoch_loss(module, loss_fn, train, settings, device, optimizer, generator)
        module.eval()
        val_loss = _epoch_loss(module, loss_fn, validation, settings, device) if has_validation else train_loss
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val_loss)
        else:
            scheduler.step()
        history.append({"epoch": epoch, "train_loss": train_loss, "validation_loss": val_loss, "lr": optimizer.param_groups[0]["lr"]})
        if score_fn is not None:
            history[-1]["validation_rmse"] = _validation_rmse(module, score_fn, validation if has_validation else train,
                                                              settings, device)
        if _criterion(history[-1]) < best["loss"]:
            best = {"loss": _criterion(history[-1]), "state": _copy(module)}
        save_artefact(checkpoint, {"epoch": epoch, "model": module.state_dict(), "optimizer": optimizer.state_dict(),
                                   "scheduler": scheduler.state_dict(), "history": history, "best": best,
                                   "fingerprint": fingerprint})
        left = (time.perf_counter() - start) / (epoch - first + 1) * (settings.epochs - epoch)
        log.info("epoch %d/%d  train %.6f  validation %s  lr %.2e  (about %s left)", epoch, settings.epochs,
                 train_loss, _scores(history[-1]), history[-1]["lr"], duration(left))
    kept, name = best_epoch(history), "validation RMSE" if score_fn is not None else "validation loss"
    if kept == 0:
        log.info("no epoch beat the initial weights (%s %.6f): keeping the start", name, best["loss"])
    else:
        log.info("keeping epoch %d (%s %.6f; the initial weights had %.6f)", kept, name, best["loss"],
                 _criterion(history[0]))
    return best["state"], history


def _criterion(row: dict) -> float:
    """What the kept weights minimise: the validation RMSE where the history has one, else the validation loss."""
    return row.get("validation_rmse", row["validation_loss"])


def _scores(row: dict) -> str:
    return f"{row['validation_loss']:.6f}" + (f"  RMSE {row['validation_rmse']:.6f}" if "validation_rmse" in row else "")


def _copy(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def best_epoch(history: list[dict]) -> int:
    """The epoch whose weights ``fit`` returns: the first with the lowest ``_criterion``, 0 for the start."""
    return min(history, key=_criterion)["epoch"]
