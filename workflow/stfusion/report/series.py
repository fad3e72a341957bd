"""A site's fused time series as the report shows them (issue 25, item 5): a few sample pixels, one per land-cover
cluster of the first fine observation, with every method's fused series and the fine and gap-filled coarse
observations at them; and the share of gap-filled coarse pixels per date.

Cheap by construction: the fine scene is clustered on at most CLUSTER_SIDE rows and columns (read from its COG
overviews), each series COG is read in windows of one pixel, and each fill COG in its first band only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.windows import Window
from scipy.cluster.vq import kmeans2

from ..gapfill import FILLED_BETWEEN, FILLED_ONE_SIDE

CLUSTERS = 4  # sample pixels: one per k-means cluster of the fine observation's bands
CLUSTER_SIDE = 256  # rows and columns the clustering reads at most


@dataclass
class Observations:
    """Values of the sample pixels on each date: ``values`` (dates, pixels, bands), dates sorted."""

    dates: list[str]
    values: np.ndarray


@dataclass
class SiteSeries:
    """What the time-series figures show: the sample pixels (row, col), the band names, per method its fused
    series, the fine observations, the gap-filled coarse images with their state per date and pixel
    (stfusion.gapfill: OBSERVED, FILLED_BETWEEN, FILLED_ONE_SIDE; NaN out of reach), and per date the share of the
    site's coarse pixels filled between two observations and from one side."""

    pixels: list[tuple[int, int]]
    names: list[str]
    centres_nm: list[float]
    methods: dict[str, Observations]
    fine: Observations
    coarse: Observations
    coarse_state: np.ndarray  # (dates, pixels)
    filled: dict[str, tuple[float, float]]  # date -> (between, one side)


def sample_pixels(path: str, clusters: int, seed: int) -> list[tuple[int, int]]:
    """(row, col) of one pixel per cluster of k-means (k-means++ start, seeded) on the bands of the raster at
    ``path``: the pixel nearest each centroid among those with every band finite, clusters ordered by the mean of
    their centroid's bands (dark to bright); fewer where the raster has fewer distinct clear pixels."""
    with rasterio.open(path) as src:
        shape = (min(src.height, CLUSTER_SIDE), min(src.width, CLUSTER_SIDE))
        data = src.read(out_shape=(src.count, *shape), resampling=Resampling.nearest, masked=True)
        data = data.astype("float64").filled(np.nan)
        scale = (src.height / shape[0], src.width / shape[1])
    rows, cols = np.nonzero(np.isfinite(data).all(axis=0))
    if not rows.size:
        raise ValueError(f"{path}: no pixel with every band finite to choose the report's sample pixels from; "
                         "keep a fine scene with clear pixels (quality thresholds in the config)")
    points = data[:, rows, cols].T
    k = min(clusters, len(np.unique(points, axis=0)))
    centroids, _ = kmeans2(points, k, minit="++", seed=np.random.default_rng(seed))
    nearest = [int(np.argmin(((points - c) ** 2).sum(axis=1))) for c in centroids[np.argsort(centroids.mean(axis=1))]]
    chosen = dict.fromkeys((int(rows[i] * scale[0] + scale[0] / 2), int(cols[i] * scale[1] + scale[1] / 2))
                           for i in nearest)
    return list(chosen)


def pixel_values(path: str, pixels: Sequence[tuple[int, int]], fine: Affine) -> np.ndarray:
    """The bands of a raster at each fine pixel (row, col) of the fine grid ``fine`` (its transform), (pixels, bands),
    nodata as NaN: one-pixel windows of the raster's own pixel that holds the fine pixel's centre (a coarse raster's,
    such as a filled coarse image or its fill COG, holds ratio x ratio fine pixels)."""
    with rasterio.open(path) as src:
        at = [src.index(*(fine * (col + 0.5, row + 0.5))) for row, col in pixels]
        return np.stack([src.read(window=Window(c, r, 1, 1), masked=True).astype("float32").filled(np.nan)[:, 0, 0]
                         for r, c in at])


def observations(paths: Mapping[str, str], pixels: Sequence[tuple[int, int]], bands: int, fine: Affine) -> Observations:
    """The sample pixels' values of each date's raster (``paths``: date -> path)."""
    dates = sorted(paths)
    values = (np.stack([pixel_values(paths[d], pixels, fine) for d in dates]) if dates
              else np.empty((0, len(pixels), bands)))
    return Observations(dates, values)


def filled_shares(path: str) -> tuple[float, float]:
    """Of a fill COG (rule gapfill; first band the state), the shares of all its pixels filled between two clear
    observations and from one side."""
    with rasterio.open(path) as src:
        state = src.read(1)
    return float(np.mean(state == FILLED_BETWEEN)), float(np.mean(state == FILLED_ONE_SIDE))


def load_series(files: Mapping, names: list[str], centres_nm: list[float]) -> SiteSeries:
    """The series of a site from ``files`` (workflow/rules/report_inputs.smk: ``predictions`` method -> date -> COG,
    ``fine`` and ``coarse`` and ``fill`` date -> COG, ``seed``); ``names`` and ``centres_nm``: the matched bands' names and centres."""
    first = files["fine"][min(files["fine"])]
    pixels = sample_pixels(first, CLUSTERS, files["seed"])
    with rasterio.open(first) as src:
        fine = src.transform
    methods = {m: observations(dates, pixels, len(names), fine) for m, dates in files["predictions"].items()}
    state = observations(files["fill"], pixels, 2, fine)
    return SiteSeries(pixels, names, centres_nm, methods, observations(files["fine"], pixels, len(names), fine),
                      observations(files["coarse"], pixels, len(names), fine), state.values[:, :, 0],
                      {d: filled_shares(path) for d, path in sorted(files["fill"].items())})
