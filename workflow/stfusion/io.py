"""Raster output: float32 Cloud-Optimized GeoTIFFs written atomically, with band names and tags.

A killed job must never leave a half-written raster that Snakemake could mistake for a finished
one, so every file is written to a temporary name beside its target and renamed at the end.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np
import rasterio
from affine import Affine

from . import __version__


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; it replaces ``path`` (a folder this pipeline wrote) only if
    the block succeeds, so ``path`` is never seen half-written (a Zarr store, a STAC catalogue)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if path.exists():  # rename(2) replaces an empty folder only: the old one goes aside, then away
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_cog(
    path: str | Path,
    data: np.ndarray,
    crs: str,
    transform: Affine,
    band_names: Sequence[str],
    tags: Mapping[str, object] | None = None,
    nodata: float | None = float("nan"),
) -> None:
    """Write a (bands, rows, cols) array as a deflate-compressed COG with names and tags."""
    if data.ndim != 3 or data.shape[0] != len(band_names):
        raise ValueError(f"data of shape {data.shape} does not match {len(band_names)} band names")
    profile = dict(
        driver="COG",
        count=data.shape[0],
        height=data.shape[1],
        width=data.shape[2],
        dtype=data.dtype.name,
        crs=crs,
        transform=transform,
        nodata=nodata,
        compress="deflate",
        predictor=3 if data.dtype.kind == "f" else 2,
        blocksize=256,
        overview_resampling="average",
    )
    all_tags = {"stfusion_version": __version__, **(tags or {})}
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data)
            dst.descriptions = tuple(band_names)
            dst.update_tags(**{k: str(v) for k, v in all_tags.items()})


@dataclass(frozen=True)
class Raster:
    """A raster's bands as float32 with NaN for nodata, and what is needed to write a sibling."""

    data: np.ndarray
    crs: str
    transform: Affine
    names: list[str]
    tags: dict[str, str]


def read_raster(path: str | Path) -> Raster:
    """Open a raster once: its bands (float32, NaN nodata), CRS, transform, band names and tags."""
    with rasterio.open(path) as src:
        data = src.read(masked=True).astype("float32").filled(np.nan)
        return Raster(data, str(src.crs), src.transform, list(src.descriptions), src.tags())


def read_stack(path: str | Path) -> np.ndarray:
    """All bands of a raster as float32 (bands, rows, cols), nodata as NaN."""
    return read_raster(path).data


def write_text(path: str | Path, text: str) -> None:
    """Write a small text file (TSV, JSON) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
