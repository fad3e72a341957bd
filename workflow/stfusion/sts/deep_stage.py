"""A deep spatiotemporal model as the first stage of the two-stage baselines of Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning" (STFDCNN+CNMF, STFDCNN+SRECNN).

STFDCNN (``models.stfdcnn``, Song et al. 2018), the paper's, learns coarse -> fine super-resolution on the dates that
have both images and predicts other dates by high-pass modulation of the fine references. Here its
coarse images are the MS images mapped to the fine sensor's bands (``two_stage.fit_band_map``), its fine
images the fine series, and its ratio the MS ratio. Training follows that of the spatiotemporal models:
patches of ``patch`` coarse pixels every ``stride`` cut from every fine date (windows with NaN left out,
``patches.cut_patches``), every tenth patch held out for validation, ``train.fit`` with its checkpoint.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..artefacts import arrays_sha256, fingerprint
from ..errors import InputDataError
from ..models.base import FusionModel
from ..patches import cut_patches
from ..train import TrainingSettings, fit

VALIDATION_EVERY = 10


def train_deep_stage(build: Callable[[int, int], FusionModel], fine: np.ndarray, coarse: np.ndarray, ratio: int,
                     settings: TrainingSettings, checkpoint: str | Path, *, patch: int, stride: int) -> FusionModel:
    """The model ``build(channels, ratio)`` (a ``methods.FUSION`` deep model's class, built after seeding) trained on
    fine (N, C, H, W) and its coarse images (N, C, H/ratio, W/ratio) of the same dates."""
    if fine.shape[:2] != coarse.shape[:2] or tuple(fine.shape[2:]) != tuple(s * ratio for s in coarse.shape[2:]):
        raise ValueError(f"deep stage: fine {fine.shape} and coarse {coarse.shape} must be one series at ratio {ratio}")
    size = min(patch, *coarse.shape[2:])
    groups = [cut_patches(f[None], c[None], c, f, ratio, size, stride) for f, c in zip(fine, coarse)]
    groups = [g for g in groups if len(g["target"])]
    if not groups:
        raise InputDataError("deep first stage: every training patch holds a NaN: lower `patch` or drop cloudy dates")
    patches = {name: np.concatenate([g[name] for g in groups]) for name in groups[0]}
    held = np.arange(len(patches["target"])) % VALIDATION_EVERY == VALIDATION_EVERY - 1
    train, validation = ({name: torch.from_numpy(array[mask]) for name, array in patches.items()} for mask in (~held, held))
    torch.manual_seed(settings.seed)
    model = build(fine.shape[1], ratio)
    key = fingerprint({"patch": size, "stride": stride}, settings, arrays_sha256(fine, coarse))
    best, _ = fit(model, lambda module, batch: module.training_loss(batch["fine_refs"], batch["coarse_refs"],
                                                                     batch["coarse_t1"], batch["target"]),
                  train, validation, settings, checkpoint, key)
    model.load_state_dict(best)
    return model.eval()

