"""Torch files the pipeline writes (model weights, training checkpoints, fitted STS methods) with the SHA-256 of
their content inside, read with ``torch.load(weights_only=True)``.

The payload (tensors, numbers, strings, and lists and dicts of them) is serialised to bytes by ``torch.save``, and
the file holds those bytes with their SHA-256 (``integrity``): loading checks the digest before it unpickles
anything, so a file with flipped bytes is refused instead of giving an all-NaN prediction. Both loads are
``weights_only``: a swapped file whose pickle would build other objects (and so could run code) is refused too.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Mapping

import torch

from .errors import InputDataError
from .integrity import require_digest
from .io import atomic_path

FORMAT = "stfusion-artefact-1"


def save_artefact(path: str | Path, payload: Mapping) -> str:
    """Write ``payload`` atomically with the SHA-256 of its bytes; return the digest."""
    buffer = io.BytesIO()
    torch.save(dict(payload), buffer)
    content = buffer.getvalue()
    digest = _sha256(content)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "sha256": digest,
                    "content": torch.frombuffer(bytearray(content), dtype=torch.uint8)}, tmp)
    return digest


def load_artefact(path: str | Path, fix: str) -> dict:
    """The payload ``save_artefact`` wrote to ``path``. InputDataError naming ``path`` and ``fix`` (what to do, e.g.
    ``integrity.rerun_hint``) when the file cannot be read, is not such a file, fails its digest, or holds objects
    other than tensors and plain values. Torch's own messages are left out (they suggest ``weights_only=False``)."""
    try:
        sealed = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(sealed, dict) or sealed.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file (one written by stfusion.torch_artefact.save_artefact)")
        content, recorded = sealed["content"].numpy().tobytes(), str(sealed["sha256"])
    except OSError as err:
        raise InputDataError(f"{path} cannot be read ({type(err).__name__}: {err}): {fix}") from err
    except Exception as err:  # a damaged zip or pickle raises many types (RuntimeError, UnpicklingError, KeyError...)
        raise InputDataError(f"{path} cannot be read ({type(err).__name__}): it is damaged, or was written by another "
                             f"program or an older stfusion; {fix}") from err
    require_digest(path, _sha256(content), recorded, fix)
    try:
        return torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    except Exception as err:  # weights_only refuses objects other than tensors and plain values
        raise InputDataError(f"{path} holds objects other than tensors and plain values, which could run code and are "
                             f"never loaded ({type(err).__name__}): {fix}") from err


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()

