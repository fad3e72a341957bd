"""The preprocessing (SPEC 2.1-2.4) run for real, through Snakemake, on two real samples.

- ``kranj``: Landsat 8 + MODIS surface reflectance (MODIS sinusoidal CRS, 30 m), 4 + 26 scenes,
  config ``config/examples/kranj.yaml``;
- ``lst``: Landsat and MOD11A1 land surface temperature in kelvin (EPSG:4326, 0.001 deg), 2 + 3
  scenes, config ``config/examples/lst.yaml``.

The raw files are copies in ``resources/samples/`` (see the PROVENANCE.md there), so the tests run
from a fresh clone. Each sample is run once (module fixture) in a scratch working directory; the
tests then check the grid, the values, the footprint, the inventory and the matched outputs against
the raw files, read independently here with rasterio and pyproj (no pipeline code).
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from pyproj import Transformer

from conftest import REPO, make_workdir, read_nan, snakemake


@dataclass(frozen=True)
class Sample:
    config: str
    epsg: int
    pixel_size: float
    ratios: dict
    fine_shape: tuple[int, int]    # (rows, cols) of the fine grid
    fine: str
    coarse: str
    matched: tuple[str, ...]       # matched band names, in order
    kept: int                      # scenes kept by the quality filter
    dropped: int
    mean_tolerance: float          # in the sample's units (reflectance 0..1, kelvin)


SAMPLES = {
    "kranj": Sample(
        config="config/examples/kranj.yaml",
        epsg=32633,
        pixel_size=30.0,
        ratios={"landsat8_oli_sr6": 1, "modis_sr6": 1},
        fine_shape=(41, 34),
        fine="landsat8_oli_sr6",
        coarse="modis_sr6",
        matched=("blue", "green", "red", "nir", "swir1", "swir2"),
        kept=30,
        dropped=0,
        mean_tolerance=5e-4,
    ),
    "lst": Sample(
        config="config/examples/lst.yaml",
        epsg=32755,
        pixel_size=100.0,
        ratios={"landsat_lst": 1, "modis_lst": 10},
        fine_shape=(410, 340),
        fine="landsat_lst",
        coarse="modis_lst",
        matched=("lst",),
        kept=5,
        dropped=0,
        mean_tolerance=0.05,
    ),
}

def load_config(site: str) -> dict:
    return yaml.safe_load((REPO / SAMPLES[site].config).read_text())


def scene_table(site: str) -> pd.DataFrame:
    return pd.read_csv(REPO / load_config(site)["scenes"], sep="\t", dtype=str).fillna("")


def storage(site: str, sensor: str) -> tuple[float, float]:
    """(scale, offset) of the site's files: the site override, else the sensor definition."""
    config = load_config(site)
    base = config["sensors"][sensor]["storage"]
    override = config["sites"][site].get("storage", {}).get(sensor, {})
    return float(override.get("scale", base["scale"])), float(override.get("offset", base["offset"]))


@pytest.fixture(scope="module", params=list(SAMPLES))
def run(request, tmp_path_factory) -> tuple[str, Path]:
    """(site, working directory) after a full run of the sample's example config. What it buys: the preprocessing
    of real products in their own CRS (MODIS sinusoidal, geographic LST), checked against the raw files read
    independently; the examples stop at the matched bands, so this is preprocessing only."""
    site = request.param
    workdir = make_workdir(tmp_path_factory.mktemp(f"sample_{site}"))
    snakemake(workdir, "--configfile", SAMPLES[site].config)
    return site, workdir


def scenes(site: str):
    """(sensor, date, raw path relative to the working directory) of every scene of the sample."""
    table = scene_table(site)
    return list(zip(table.sensor, table.date, table.path))


@functools.lru_cache(maxsize=10)   # 5 shifts x (fine, coarse) geometry of a site
def _subpoint_index(raw_key: tuple, grid_key: tuple, n: int, shift: tuple[int, int] = (0, 0)):
    """Raw-pixel (row, col) under n x n evenly spaced points in every grid pixel; -1 outside the file.

    ``shift`` (columns, rows) moves the points by whole grid pixels: the raw image as a grid that is
    off by that much would see it.
    """
    raw_crs, raw_transform, raw_shape = raw_key
    grid_crs, g, grid_shape = grid_key
    rows, cols = grid_shape
    offsets = (np.arange(n) + 0.5) / n
    r = (np.arange(rows)[:, None] + offsets).ravel() + shift[1]
    c = (np.arange(cols)[:, None] + offsets).ravel() + shift[0]
    rr, cc = np.meshgrid(r, c, indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    x, y = g.a * cc + g.b * rr + g.c, g.d * cc + g.e * rr + g.f
    x, y = Transformer.from_crs(grid_crs, raw_crs, always_xy=True).transform(x, y)
    inv = ~raw_transform
    x, y = np.asarray(x), np.asarray(y)
    col, row = inv.a * x + inv.b * y + inv.c, inv.d * x + inv.e * y + inv.f
    col, row = np.floor(col).astype(np.int32), np.floor(row).astype(np.int32)
    inside = (row >= 0) & (row < raw_shape[0]) & (col >= 0) & (col < raw_shape[1])
    return np.where(inside, row, -1), np.where(inside, col, -1)


def raw_on_subpoints(raw_path: Path, grid_path: Path, scale: float, offset: float, shift: tuple[int, int] = (0, 0)):
    """Raw values (scaled; NaN for nodata or outside the file) at n x n points in each grid pixel.

    Returns (grid image, samples of shape (bands, rows, n, cols, n)). The samples are an
    independent, area-weighted view of the raw image on the grid: the mean of the points in a
    pixel is the area mean of the raw pixels under it (to 1/n of a pixel).
    """
    with rasterio.open(grid_path) as grid:
        warped = grid.read().astype("float64")
        grid_key = (grid.crs.to_wkt(), grid.transform, (grid.height, grid.width))
    with rasterio.open(raw_path) as src:
        raw = src.read(masked=True).astype("float64").filled(np.nan) * scale + offset
        raw_key = (src.crs.to_wkt(), src.transform, (src.height, src.width))
    rows, cols = grid_key[2]
    n = int(np.clip(math.sqrt(2e6 / (rows * cols)), 3, 30))   # about 2 million points at most
    row, col = _subpoint_index(raw_key, grid_key, n, shift)
    samples = np.full((raw.shape[0], row.size), np.nan)
    inside = row >= 0
    samples[:, inside] = raw[:, row[inside], col[inside]]
    return warped, samples.reshape(raw.shape[0], rows, n, cols, n)


# ---------------------------------------------------------------------------------------------
# grid


def test_grid_is_on_the_sites_utm_zone(run):
    site, workdir = run
    sample = SAMPLES[site]
    grid = json.loads((workdir / f"results/{site}/grid.json").read_text())
    assert grid["crs"] == f"EPSG:{sample.epsg}"
    assert load_config(site)["sites"][site].get("epsg") is None, "the zone must be picked automatically"
    assert (grid["height"], grid["width"]) == sample.fine_shape
    for sensor, date, _ in scenes(site):
        for suffix in ("", "_flags"):
            with rasterio.open(workdir / f"results/{site}/grid/{sensor}/{date}{suffix}.tif") as src:
                assert src.crs.to_epsg() == sample.epsg


def test_grid_transforms_share_origin_and_coarse_edges_are_fine_edges(run):
    """Each sensor's grid has pixel size ratio x fine, the site's origin, and ratio x ratio fine pixels
    per coarse pixel (the right and bottom edges coincide too), with edges on the anchor's lattice."""
    site, workdir = run
    sample = SAMPLES[site]
    grid = json.loads((workdir / f"results/{site}/grid.json").read_text())
    assert grid["pixel_size"] == sample.pixel_size
    assert grid["ratios"] == sample.ratios
    block = sample.pixel_size * math.lcm(*sample.ratios.values())
    assert grid["x_min"] % block == 0 and grid["y_max"] % block == 0    # anchor [0, 0]
    rows, cols = sample.fine_shape
    for sensor, date, _ in scenes(site):
        ratio = sample.ratios[sensor]
        size = sample.pixel_size * ratio
        with rasterio.open(workdir / f"results/{site}/grid/{sensor}/{date}.tif") as src:
            t = src.transform
            assert (t.a, t.b, t.d, t.e) == (size, 0.0, 0.0, -size), f"{sensor} {date}: {t}"
            assert (t.c, t.f) == (grid["x_min"], grid["y_max"]), f"{sensor} {date}: origin {t.c, t.f}"
            assert (src.height * ratio, src.width * ratio) == (rows, cols)
            assert src.bounds.right == grid["x_min"] + cols * sample.pixel_size
            assert src.bounds.bottom == grid["y_max"] - rows * sample.pixel_size


def test_grid_outputs_are_float32_nan_with_names_and_tags(run):
    site, workdir = run
    for sensor, date, path in scenes(site):
        with rasterio.open(workdir / f"results/{site}/grid/{sensor}/{date}.tif") as src:
            assert src.dtypes == ("float32",) * src.count
            assert src.nodata is not None and math.isnan(src.nodata)
            assert all(src.descriptions)
            tags = src.tags()
            assert (tags["site"], tags["sensor"], tags["date"]) == (site, sensor, date)
            assert tags["source"] == path


# ---------------------------------------------------------------------------------------------
# values and footprint


def test_values_are_preserved(run):
    """Per scene and band, the warped image's mean over its valid pixels matches the raw image's mean
    over the same footprint.

    The raw mean is taken independently of GDAL: n x n points (n = 3..30) are laid in every grid pixel,
    mapped into the raw file with pyproj, and the raw (scaled) values under them that are valid and
    lie in valid grid pixels are averaged: the area mean of the raw image over the valid footprint.
    The warped pixels are weighted by the valid fraction of their points, since a pixel that is half
    in a gap holds the average of its valid half only (average resampling skips nodata).

    Tolerance: 5e-4 reflectance (kranj) and 0.05 K (lst). The means differ only where GDAL's average
    kernel reaches past a pixel (the sheared sinusoidal source) at the edges of gaps and of the site,
    and by the 1/n point sampling: measured at most 2.6e-5 reflectance and 9e-4 K. A wrong scale or
    offset, or a swapped band (the red and green means differ by 5e-3 here) exceed it by far. A grid
    off by one pixel moves the means by only 2e-4..6e-4 reflectance and 5e-3..1e-2 K: the pixel-wise
    test below and the transform tests catch that.

    The unweighted mean of the valid pixels is checked too: it may differ from the area mean only
    through the partly covered pixels, by at most (band range) x (total variation distance between
    the uniform and the coverage weights), plus the same tolerance.
    """
    site, workdir = run
    tolerance = SAMPLES[site].mean_tolerance
    worst = 0.0
    for sensor, date, path in scenes(site):
        scale, offset = storage(site, sensor)
        warped, points = raw_on_subpoints(workdir / path, workdir / f"results/{site}/grid/{sensor}/{date}.tif", scale, offset)
        for b in range(warped.shape[0]):
            valid = ~np.isnan(warped[b])
            ok = ~np.isnan(points[b])
            cover = ok.mean(axis=(1, 3))
            in_valid = ok & valid[:, None, :, None]
            assert in_valid.any(), f"{sensor} {date} band {b + 1}: no valid raw data on the grid"
            raw_mean = points[b][in_valid].mean()
            weights = np.where(valid, cover, 0.0)
            weighted = (np.nan_to_num(warped[b]) * weights).sum() / weights.sum()
            assert abs(weighted - raw_mean) <= tolerance, f"{sensor} {date} band {b + 1}: {weighted} vs raw {raw_mean}"
            plain = warped[b][valid].mean()
            tv = 0.5 * np.abs(valid / valid.sum() - weights / weights.sum()).sum()
            spread = np.ptp(warped[b][valid])
            assert abs(plain - raw_mean) <= spread * tv + tolerance, f"{sensor} {date} band {b + 1}: {plain} vs raw {raw_mean}"
            worst = max(worst, abs(weighted - raw_mean))
    print(f"{site}: largest |weighted grid mean - raw mean| = {worst:.2e}")


def test_values_match_an_area_mean_resampling_pixel_by_pixel(run):
    """Each grid pixel holds the area mean of the raw pixels under it, and not those of a neighbour.

    On the pixels wholly covered by valid raw data (and by the shifted points below), m0 is the median
    |grid - area mean of the raw data under the pixel| and m1 the same against the raw data under the
    pixel one to the left, right, above or below. Required: m0 <= 5 % of the band's spatial standard
    deviation (measured at most 2 %; GDAL's average kernel and the 1/n point sampling) and m0 <= m1 / 2
    for all four neighbours (measured m0 / m1 at most 0.18), so a grid off by one pixel, flipped or
    scrambled fails even where the image is smooth (kranj's MODIS is resampled 500 m data: there a
    one-pixel shift costs only 3-7 % of the standard deviation).
    """
    site, workdir = run
    for sensor, date, path in scenes(site):
        scale, offset = storage(site, sensor)
        grid_path = workdir / f"results/{site}/grid/{sensor}/{date}.tif"
        warped, points = raw_on_subpoints(workdir / path, grid_path, scale, offset)
        shifted = [raw_on_subpoints(workdir / path, grid_path, scale, offset, shift)[1]
                   for shift in ((1, 0), (-1, 0), (0, 1), (0, -1))]
        for b in range(warped.shape[0]):
            full = ~np.isnan(points[b]).any(axis=(1, 3)) & ~np.isnan(warped[b])
            for other in shifted:
                full &= ~np.isnan(other[b]).any(axis=(1, 3))
            reference = points[b].mean(axis=(1, 3))[full]   # NaN only where a point is NaN: not in `full`
            m0 = np.median(np.abs(warped[b][full] - reference))
            where = f"{sensor} {date} band {b + 1}"
            assert m0 <= 0.05 * np.std(reference), f"{where}: median error {m0}, std {np.std(reference)}"
            for shift, other in zip(("right", "left", "down", "up"), shifted):
                m1 = np.median(np.abs(warped[b][full] - other[b].mean(axis=(1, 3))[full]))
                assert m0 <= 0.5 * m1, f"{where}: the grid matches the raw data one pixel {shift} ({m1}) about as well ({m0})"


def test_footprint_is_preserved(run):
    """The valid pixels of the grid are where the raw file has valid data: every grid pixel wholly
    covered by valid raw data is valid, and at most 0.5 % of the pixels are valid with none of their
    n x n points on valid raw data (GDAL's average kernel reaches a fraction of a pixel further than
    the pixel itself for the sheared sinusoidal source). So the valid fraction of the grid lies
    between the fractions of wholly and of partly covered pixels, close to the covered area fraction.
    The sites lie inside their samples: scenes without nodata cover the whole grid."""
    site, workdir = run
    inventory = pd.read_csv(workdir / f"results/{site}/qa/inventory.tsv", sep="\t", dtype={"date": str})
    for sensor, date, path in scenes(site):
        scale, offset = storage(site, sensor)
        warped, points = raw_on_subpoints(workdir / path, workdir / f"results/{site}/grid/{sensor}/{date}.tif", scale, offset)
        ok = ~np.isnan(points).any(axis=0)              # a point is valid when every band is
        full, partly = ok.all(axis=(1, 3)), ok.any(axis=(1, 3))
        valid = ~np.isnan(warped).any(axis=0)
        where = f"{sensor} {date}"
        assert not (full & ~valid).any(), f"{where}: {(full & ~valid).sum()} wholly covered pixels are NaN"
        assert (valid & ~partly).mean() <= 0.005, f"{where}: {(valid & ~partly).sum()} pixels valid without data"
        assert full.mean() - 1e-9 <= valid.mean() <= partly.mean() + 0.005
        assert abs(valid.mean() - ok.mean()) <= partly.mean() - full.mean() + 0.005
        with rasterio.open(workdir / path) as src:
            if not (src.read_masks() == 0).any():
                assert ok.all(), f"{where}: the site reaches outside the sample"
        row = inventory[(inventory.sensor == sensor) & (inventory.date == date)].iloc[0]
        assert row.nodata_fraction == pytest.approx(1 - valid.mean(), abs=1e-6)


# ---------------------------------------------------------------------------------------------
# inventory, band matching


def test_inventory_lists_every_scene_with_a_decision(run):
    site, workdir = run
    sample = SAMPLES[site]
    config = load_config(site)
    inventory = pd.read_csv(workdir / f"results/{site}/qa/inventory.tsv", sep="\t", dtype={"date": str})
    expected = {(sensor, date) for sensor, date, _ in scenes(site)}
    assert len(inventory) == len(expected)
    assert set(zip(inventory.sensor, inventory.date)) == expected
    assert (inventory.site == site).all()
    assert inventory.kept.dtype == bool
    assert inventory.reason.str.len().gt(0).all()
    assert (inventory.kept == (inventory.reason == "clear enough")).all()
    for row in inventory.itertuples():
        role = "fine" if sample.ratios[row.sensor] == 1 else "coarse"
        limits = {**config["quality"][role], **config["quality"].get("sensors", {}).get(row.sensor, {})}
        within = row.nodata_fraction <= limits["max_nodata"] and row.cloud_fraction + row.shadow_fraction <= limits["max_cloud"]
        assert row.kept == within, f"{row.sensor} {row.date}: kept={row.kept} but fractions {row.nodata_fraction}, {row.cloud_fraction}"
    assert (int(inventory.kept.sum()), int((~inventory.kept).sum())) == (sample.kept, sample.dropped)


def test_matched_outputs_have_the_matched_bands(run):
    site, workdir = run
    sample = SAMPLES[site]
    table = json.loads((workdir / f"results/{site}/matched/bands.json").read_text())
    assert (table["fine"], table["coarse"]) == (sample.fine, sample.coarse)
    assert tuple(pair["name"] for pair in table["bands"]) == sample.matched
    for sensor, date, _ in scenes(site):
        role = "fine" if sensor == sample.fine else "coarse"
        path = workdir / f"results/{site}/matched/{sensor}/{date}.tif"
        assert path.is_file(), path
        with rasterio.open(path) as src:
            assert src.descriptions == sample.matched
            assert src.dtypes == ("float32",) * len(sample.matched)
            assert src.nodata is not None and math.isnan(src.nodata)
            tags = src.tags()
            assert (tags["site"], tags["sensor"], tags["date"], tags["role"]) == (site, sensor, date, role)
        with rasterio.open(workdir / f"results/{site}/clean/{sensor}/{date}.tif") as src:
            names = list(src.descriptions)
        clean = read_nan(workdir / f"results/{site}/clean/{sensor}/{date}.tif")
        expected = clean[[names.index(pair[role]) for pair in table["bands"]]]
        np.testing.assert_array_equal(read_nan(path), expected)


@pytest.mark.parametrize("site", list(SAMPLES))
def test_example_config_alone(tmp_path, site):
    """`snakemake --configfile config/examples/<site>.yaml` (as the Snakefile's header says) must
    schedule the example's site only."""
    workdir = make_workdir(tmp_path)
    result = snakemake(workdir, "--configfile", SAMPLES[site].config, "-n", check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "results/demo" not in result.stdout + result.stderr


def test_thermal_band_table_is_strict_json(run):
    site, workdir = run
    if site != "lst":
        pytest.skip("reflective bands: their overlaps are finite")
    text = (workdir / f"results/{site}/matched/bands.json").read_text()

    def reject(constant):
        raise ValueError(f"{constant} is not JSON")

    table = json.loads(text, parse_constant=reject)
    assert all(math.isfinite(pair["overlap"]) for pair in table["bands"])
