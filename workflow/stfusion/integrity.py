"""SHA-256 digests that the pipeline's files carry inside themselves, and the error a loader raises when a file no
longer hashes to its digest (bytes flipped on disk, a truncated copy, an edit).

A damaged file must stop the job that reads it: a network loaded from flipped bytes predicts NaN or nonsense and
the run would still end with exit 0. Torch files (weights, checkpoints, fitted STS methods) carry the digest of
their payload (``torch_artefact``); patch sets (``.npz``) carry the digest of their arrays as one more entry
(``patches``). This module imports no torch, so the rules that only write patches need none.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Mapping

import numpy as np

from .errors import InputDataError


def named_arrays_sha256(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of named arrays: each name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def rerun_hint(path: str | Path, rule: str) -> str:
    """What to do about a damaged file the rule ``rule`` writes: delete it and make it again."""
    return f"delete it and rerun the rule {rule} that writes it (`snakemake --cores 1 {path}`, or your whole run)"


def require_digest(path: str | Path, actual: str, recorded: str, fix: str) -> None:
    """InputDataError naming ``path`` and ``fix`` unless the content's digest ``actual`` is the ``recorded`` one."""
    if actual != recorded:
        raise InputDataError(f"{path} is damaged: its content hashes to SHA-256 {actual}, the file records "
                             f"{recorded} (bytes changed on disk, a truncated copy or an edit): {fix}")
