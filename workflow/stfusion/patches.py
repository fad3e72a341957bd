"""Patches: training samples cut once per group and stored, never re-read per patch.

Windows are laid on the coarse grid (size and stride in coarse pixels: 50 and 30 for MODIS at ratio 16 in
Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep Convolutional Model for Spatiotemporal Image Fusion",
Remote Sensing 11(24), 2898) with the last window flush with the far edge, so the whole scene is used; the
fine windows are the same windows times the ratio. A window with a NaN in any input is skipped:
NaN never reaches a network. A stored patch set carries the SHA-256 of its arrays (``integrity``), checked on
loading.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .errors import ConfigError, InputDataError
from .integrity import named_arrays_sha256, require_digest, rerun_hint
from .io import atomic_path

ARRAYS = ("fine_refs", "coarse_refs", "coarse_t1", "target")


def window_starts(length: int, size: int, stride: int) -> list[int]:
    """Start offsets of windows of ``size`` every ``stride`` that cover ``[0, length)``."""
    if size > length:
        raise ConfigError(
            f"patch size {size} coarse pixels is larger than the scene ({length} coarse pixels): "
            "lower `patches.size` in the config"
        )
    starts = list(range(0, length - size + 1, stride))
    return starts if starts[-1] == length - size else [*starts, length - size]


def window_split(length: int, size: int, stride: int, validation_fraction: float) -> tuple[list[int], list[int]]:
    """Row starts of training and of held-out windows, for a site with one training target (issue 16).

    The last ``validation_fraction`` of the window rows (at least one) is held out, a band along the far
    edge of every group, and the training rows end above its first row: windows straddling the edge are
    dropped, so that no training window overlaps a held-out one. ``(starts, [])`` when the scene has no
    room for both.
    """
    starts = window_starts(length, size, stride)
    edge = starts[-max(1, round(validation_fraction * len(starts)))]
    training = [s for s in starts if s + size <= edge]
    return (training, [s for s in starts if s >= edge]) if training else (starts, [])


def cut_patches(
    fine_refs: np.ndarray,
    coarse_refs: np.ndarray,
    coarse_t1: np.ndarray,
    target: np.ndarray,
    ratio: int,
    size: int,
    stride: int,
    rows: Sequence[int] | None = None,
) -> dict[str, np.ndarray]:
    """Patches of one group: fine_refs (K, C, H, W), coarse_refs (K, C, h, w), coarse_t1 (C, h, w),
    target (C, H, W) -> arrays with a leading patch axis; windows holding NaN are left out. ``rows``:
    the window row starts to cut (``window_split``), all of them by default."""
    patches: dict[str, list[np.ndarray]] = {name: [] for name in ARRAYS}
    height, cols = coarse_t1.shape[-2:]
    for r in window_starts(height, size, stride) if rows is None else rows:
        for c in window_starts(cols, size, stride):
            coarse = np.s_[..., r : r + size, c : c + size]
            fine = np.s_[..., r * ratio : (r + size) * ratio, c * ratio : (c + size) * ratio]
            sample = {
                "fine_refs": fine_refs[fine],
                "coarse_refs": coarse_refs[coarse],
                "coarse_t1": coarse_t1[coarse],
                "target": target[fine],
            }
            if not any(np.isnan(a).any() for a in sample.values()):
                for name, array in sample.items():
                    patches[name].append(array)
    return {name: np.stack(arrays).astype(np.float32) if arrays else np.empty((0,), np.float32) for name, arrays in patches.items()}


def save_patches(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Store a patch set (``ARRAYS``, ``group``, ``validation``) as an uncompressed ``.npz`` with one more entry,
    ``sha256``: the digest of the others (``integrity.named_arrays_sha256``)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays, sha256=np.array(named_arrays_sha256(arrays)))


def load_patches(path: str | Path) -> tuple[dict, dict]:
    """(training, validation) dicts of float32 torch tensors from a stored patch set; InputDataError naming the
    file when it cannot be read or its arrays fail their SHA-256."""
    import torch

    fix = rerun_hint(path, "patches")
    try:
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in stored.files}
        recorded = str(arrays.pop("sha256"))
    except Exception as err:  # a damaged zip raises many types (BadZipFile, ValueError, KeyError, OSError...)
        raise InputDataError(f"{path} cannot be read as a patch set ({type(err).__name__}: {err}): {fix}") from err
    require_digest(path, named_arrays_sha256(arrays), recorded, fix)
    validation = arrays["validation"]
    split = [{name: torch.from_numpy(arrays[name][mask]) for name in ARRAYS} for mask in (~validation, validation)]
    return split[0], split[1]
