"""Trained-model files: what a training rule writes and a prediction rule reads back (``torch_artefact``: with the
SHA-256 of their content, read with ``weights_only``)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Mapping

import numpy as np

from .errors import InputDataError
from .integrity import rerun_hint
from .models import build_model
from .models.base import FusionModel
from .torch_artefact import load_artefact, save_artefact


def save_model(path: str | Path, model: str, channels: int, ratio: int, options: Mapping, state: Mapping, **extra) -> None:
    """Weights with everything needed to rebuild the network (name, channels, ratio, options: plain values)."""
    save_artefact(path, {"model": model, "channels": channels, "ratio": ratio, "options": dict(options),
                         "state_dict": dict(state), **extra})


def load_model(path: str | Path) -> FusionModel:
    """Rebuild a trained fusion model from its file (written by the rule train)."""
    saved = load_artefact(path, rerun_hint(path, "train"))
    try:
        model = build_model(saved["model"], channels=saved["channels"], ratio=saved["ratio"], **saved["options"])
        model.load_state_dict(saved["state_dict"])
    except (RuntimeError, KeyError, TypeError) as err:
        raise InputDataError(f"model file {path} does not hold the weights of a fusion model "
                             f"({type(err).__name__}: {err}): "
                             f"{rerun_hint(path, 'train')}") from err
    return model.eval()


def arrays_sha256(*arrays) -> str:
    """SHA-256 of in-memory arrays (None allowed): data a checkpoint was trained on, when it is not a file."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(b"-" if array is None else np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def fingerprint(*parts: object, files: tuple[str | Path, ...] = ()) -> str:
    """A hash of settings and input files: a checkpoint is resumed only under the same fingerprint."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    for file in files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()
