"""Raster output: float32 Cloud-Optimized GeoTIFFs written atomically, with band names and tags.

A killed job must never leave a half-written raster that Snakemake could mistake for a finished
one, so every file is written to a temporary name beside its target and renamed at the end. A job killed
outright (SIGKILL, power loss) leaves that hidden temporary file behind; the next run of the job removes it.
"""
from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np
import rasterio
from affine import Affine

from . import __version__


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds. Temporary files
    of ``path`` that a killed job left behind (``stale_parts``) are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_parts(path):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def stale_parts(path: Path) -> list[Path]:
    """The temporary files ``atomic_path`` made for ``path`` and did not rename (``.<name>.<8 random
    characters>.part``, as ``tempfile.mkstemp`` names them): only one job writes ``path`` at a time, so any there
    when it starts are left by a killed run."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.part")
    return sorted(p for p in path.parent.glob(f".{glob_escape(path.name)}.*.part") if pattern.fullmatch(p.name))


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
