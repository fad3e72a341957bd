"""The fused series as products (issue 25, item 4): the Zarr cube of a method and the STAC collection of a site,
built from small prediction and quality COGs written here, read back by the clients analysts use (xarray,
rioxarray, pystac, odc-stac); the demo's DAG plans both."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import odc.geo.xr  # noqa: F401  (registers the .odc accessor; odc-geo comes with odc-stac)
import pystac
import pytest
import rasterio
import xarray as xr
import zarr
from affine import Affine
from conftest import REPO, dry_run_jobs, field, make_workdir, snakemake
from pystac.validation import JsonSchemaSTACValidator, RegisteredValidator, set_validator

from stfusion.bands import BandPair
from stfusion.config import site_methods
from stfusion.errors import InputDataError
from stfusion.grid import SiteGrid
from stfusion.io import write_cog
from stfusion.sensors import load_sensor
from stfusion.series import cube
from stfusion.series.catalogue import common_name, spectral_bands, write_catalogue

CRS = "EPSG:32650"
TRANSFORM = Affine(30, 0, 544320, 0, -30, 4047360)
ROWS, COLS, TILE = 40, 50, 16
BANDS = ["blue", "green", "red"]
PAIRS = [BandPair("blue", "B2", "B3", 0.9), BandPair("green", "B3", "B4", 0.9), BandPair("red", "B4", "B1", 0.9)]
DATES = {"m": ["2021-06-09", "2021-05-24", "2021-06-01"], "n": ["2021-06-01"]}  # m's out of order on purpose
SCHEMAS = REPO / "tests" / "data" / "stac_schemas"  # PROVENANCE.md there


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A site's results folder with predictions of two methods (NaN in a corner) and quality and uncertainty COGs of
    method m."""
    folder = tmp_path_factory.mktemp("series") / "results" / "s"
    rng = np.random.default_rng(25)
    for method, dates in DATES.items():
        for date in dates:
            data = rng.random((len(BANDS), ROWS, COLS), dtype=np.float32)
            data[:, :3, :4] = np.nan
            write_cog(folder / f"predictions/{method}/{date}.tif", data, CRS, TRANSFORM, BANDS,
                      {"site": "s", "date": date, "method": method})
            if method == "m":
                flags = rng.integers(0, 8, (2, ROWS, COLS)).astype(np.uint8)
                write_cog(folder / f"predictions/m/{date}_quality.tif", flags, CRS, TRANSFORM, ["filled", "days"],
                          nodata=255)
                write_cog(folder / f"predictions/m/{date}_uncertainty.tif", data / 10, CRS, TRANSFORM, BANDS,
                          {"level": 0.9})
    return folder


def cogs(site: Path, method: str, suffix: str = "") -> dict[str, str]:
    return {d: str(site / f"predictions/{method}/{d}{suffix}.tif") for d in DATES[method]}


def read(path: str) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read()


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def cube_path(site) -> Path:
    path = site / "series/m.zarr"
    cube.write_cube(path, cogs(site, "m"), cogs(site, "m", "_quality"), TILE,
                    uncertainties=cogs(site, "m", "_uncertainty"))
    return path


def test_the_cube_holds_the_cogs_bit_for_bit_on_their_grid_by_date(site, cube_path):
    opened = xr.open_zarr(cube_path)
    dates = sorted(DATES["m"])
    assert list(opened.time.values) == [np.datetime64(d, "ns") for d in dates]
    assert list(opened.band.values) == BANDS and list(opened.quality_band.values) == ["filled", "days"]
    assert opened.reflectance.dims == ("time", "band", "y", "x") and opened.reflectance.attrs["units"] == "1"
    for i, date in enumerate(dates):
        assert same_bits(opened.reflectance[i].values, read(cogs(site, "m")[date]))
    raw = xr.open_zarr(cube_path, mask_and_scale=False)  # the flags as stored, 255 outside the data
    assert all(same_bits(raw.quality[i].values, read(cogs(site, "m", "_quality")[d])) for i, d in enumerate(dates))
    assert opened.uncertainty.dims == ("time", "band", "y", "x") and opened.uncertainty.attrs["units"] == "1"
    assert "90%" in opened.uncertainty.attrs["long_name"]
    assert all(same_bits(opened.uncertainty[i].values, read(cogs(site, "m", "_uncertainty")[d]))
               for i, d in enumerate(dates))
    assert opened.rio.crs == CRS and opened.reflectance.rio.crs == CRS  # spatial_ref is a coordinate
    assert opened.rio.transform() == TRANSFORM and opened.odc.geobox.affine == TRANSFORM
    assert opened.odc.geobox.crs == CRS
    assert opened.x.attrs["standard_name"] == "projection_x_coordinate" and opened.y.attrs["axis"] == "Y"
    assert opened.x.values[0] == TRANSFORM.c + 15 and opened.y.values[0] == TRANSFORM.f - 15  # pixel centres
    assert opened.reflectance.encoding["chunks"] == (1, len(BANDS), TILE, TILE)
    assert zarr.open_group(cube_path, mode="r").metadata.zarr_format == cube.ZARR_FORMAT
    assert (cube_path / ".zmetadata").is_file()  # consolidated: open_zarr reads the metadata once


def test_a_method_without_dates_gets_a_cube_of_no_date_on_the_grid(site, tmp_path):
    cube.write_cube(tmp_path / "none.zarr", {}, {}, TILE, like=cogs(site, "n")["2021-06-01"])
    opened = xr.open_zarr(tmp_path / "none.zarr")
    assert dict(opened.sizes) == {"time": 0, "band": len(BANDS), "y": ROWS, "x": COLS}
    assert opened.rio.crs == CRS and opened.rio.transform() == TRANSFORM


def test_an_assembly_that_fails_midway_leaves_the_cube_as_it_was(site, tmp_path, monkeypatch):
    path = tmp_path / "m.zarr"
    cube.write_cube(path, {"2021-06-01": cogs(site, "m")["2021-06-01"]}, {}, TILE)
    read_layer = cube.read_layer

    def dies_at_the_last_date(file):  # two dates written, then the job is killed
        if file.endswith(f"{max(DATES['m'])}.tif"):
            raise KeyboardInterrupt("killed")
        return read_layer(file)

    monkeypatch.setattr(cube, "read_layer", dies_at_the_last_date)
    with pytest.raises(KeyboardInterrupt):
        cube.write_cube(path, cogs(site, "m"), {}, TILE)
    assert xr.open_zarr(path).sizes["time"] == 1  # the previous cube, whole
    with pytest.raises(KeyboardInterrupt):
        cube.write_cube(tmp_path / "new.zarr", cogs(site, "m"), {}, TILE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.zarr"]  # no half cube, no temporary folder


def test_a_date_off_the_grid_or_with_other_bands_is_refused_naming_its_file(site, tmp_path):
    stack, shifted, renamed = read(cogs(site, "n")["2021-06-01"]), tmp_path / "2021-07-01.tif", tmp_path / "q.tif"
    write_cog(shifted, stack, CRS, TRANSFORM @ Affine.translation(1, 0), BANDS)
    with pytest.raises(InputDataError, match=rf"{shifted} is on another grid .* delete the file"):
        cube.write_cube(tmp_path / "m.zarr", {**cogs(site, "n"), "2021-07-01": str(shifted)}, {}, TILE)
    write_cog(renamed, stack[:2], CRS, TRANSFORM, ["filled", "hours"])  # a quality COG with other bands
    with pytest.raises(InputDataError, match=rf"{renamed} has bands \['filled', 'hours'\] but .* has \['filled', "):
        cube.write_cube(tmp_path / "m.zarr", cogs(site, "m"),
                        {**cogs(site, "m", "_quality"), max(DATES["m"]): str(renamed)}, TILE)
    assert not (tmp_path / "m.zarr").exists()


def test_eo_common_names_come_from_the_stac_aliases_then_the_label():
    oli = load_sensor("landsat8_oli")
    assert [common_name(oli, b) for b in ("B1", "B5", "B6", "B7")] == ["coastal", "nir08", "swir16", "swir22"]
    assert common_name(load_sensor("gf6_wfv"), "B4") == "nir"  # no alias table: the label


@pytest.fixture(scope="module")
def collection(site) -> Path:
    grid = SiteGrid(CRS, TRANSFORM.c, TRANSFORM.f, 30, COLS, ROWS, {"landsat8_oli": 1})
    predictions = {m: cogs(site, m) for m in DATES}
    write_catalogue(site / "stac", "s", grid, predictions, {"m": cogs(site, "m", "_quality")},
                    spectral_bands(PAIRS, load_sensor("landsat8_oli")), {"m": cogs(site, "m", "_uncertainty")})
    return site / "stac" / "collection.json"


@pytest.fixture
def offline_validator():
    """pystac's validator with the extension schemas of tests/data/stac_schemas cached: no download."""
    before = RegisteredValidator.get_validator()
    validator = JsonSchemaSTACValidator()
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text())
        validator.schema_cache[schema["$id"].rstrip("#")] = schema
    set_validator(validator)
    yield
    set_validator(before)


def test_the_collection_is_valid_stac_with_one_item_per_date(collection, offline_validator):
    loaded = pystac.Collection.from_file(str(collection))
    assert loaded.validate_all() == len(DATES["m"])  # items validated, extension schemas included
    items = {i.id: i for i in loaded.get_items(recursive=True)}
    assert sorted(items) == [f"s-{d}" for d in sorted(DATES["m"])]
    assert set(items["s-2021-06-01"].assets) == {"m", "m_quality", "m_uncertainty", "n"}
    assert set(items["s-2021-05-24"].assets) == {"m", "m_quality", "m_uncertainty"}
    uncertainty = items["s-2021-06-01"].assets["m_uncertainty"]
    assert uncertainty.roles == ["metadata", "uncertainty"] and "90 %" in uncertainty.description
    assert uncertainty.extra_fields["raster:bands"][0]["unit"] == "1" and "eo:bands" not in uncertainty.extra_fields
    asset = items["s-2021-06-01"].assets["m"]
    assert asset.extra_fields["proj:code"] == CRS and asset.extra_fields["proj:shape"] == [ROWS, COLS]
    assert [b["name"] for b in asset.extra_fields["eo:bands"]] == [f"m_{b}" for b in BANDS]
    assert [b["common_name"] for b in asset.extra_fields["eo:bands"]] == BANDS
    assert asset.extra_fields["raster:bands"][0] == {"nodata": "nan", "data_type": "float32",
                                                      "spatial_resolution": 30.0, "unit": "1"}


def test_every_href_is_relative_so_the_folder_moves(collection, tmp_path):
    moved = Path(shutil.copytree(collection.parent.parent, tmp_path / "elsewhere"))
    shutil.rmtree(moved / "series", ignore_errors=True)
    texts = [p.read_text() for p in (moved / "stac").rglob("*.json")]
    hrefs = [link["href"] for text in texts for link in json.loads(text)["links"]]
    hrefs += [a["href"] for text in texts for a in json.loads(text).get("assets", {}).values()]
    assert hrefs and not any(h.startswith("/") or "://" in h for h in hrefs)
    item = next(pystac.Collection.from_file(str(moved / "stac/collection.json")).get_items(recursive=True))
    assert Path(item.assets["m"].get_absolute_href()).is_file()
    assert str(moved) in item.assets["m"].get_absolute_href()


def test_odc_stac_loads_the_collection_to_the_cogs_values(site, collection):
    from odc.stac import load

    items = list(pystac.Collection.from_file(str(collection)).get_items(recursive=True))
    loaded = load(items, bands=["m_blue", "m_red", "m_quality.2"])  # eo band names; `asset.index` without them
    dates = sorted(DATES["m"])
    assert [str(t)[:10] for t in loaded.time.values] == dates
    assert loaded.odc.geobox.affine == TRANSFORM and loaded.odc.geobox.crs == CRS
    for i, date in enumerate(dates):
        stack = read(cogs(site, "m")[date])
        assert same_bits(loaded["m_blue"][i].values, stack[0]) and same_bits(loaded["m_red"][i].values, stack[2])
        assert same_bits(loaded["m_quality.2"][i].values, read(cogs(site, "m", "_quality")[date])[1])
    # odc-stac takes the bands from the first item: a method's series from the items that hold its asset
    only_n = load([i for i in items if "n" in i.assets], bands=["n_red"])
    assert same_bits(only_n["n_red"].values, read(cogs(site, "n")["2021-06-01"])[2:3])


def test_the_demo_plans_a_cube_per_method_and_a_collection_per_site(tmp_path):
    import yaml

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    jobs = dry_run_jobs(snakemake(make_workdir(tmp_path), "-n").stdout)
    cubes = sorted(field(block, "output")[0] for rule, block in jobs if rule == "series_cube")
    assert cubes == sorted(f"results/demo/series/{m}.zarr" for m in site_methods(config, "demo"))
    catalogues = [field(block, "output")[0] for rule, block in jobs if rule == "series_catalogue"]
    assert catalogues == ["results/demo/stac/collection.json"]  # demo_sts has no fusion methods


def test_a_temporary_folder_left_by_a_killed_job_is_removed_by_the_next(site, tmp_path):
    """A SIGKILL gives no chance to clean up: the next assembly of the same cube removes what it left."""
    left = [tmp_path / ".m.zarr.k1ll3d00.part", tmp_path / ".m.zarr.k1ll3d01.old", tmp_path / ".other.zarr.k1ll3d02.part"]
    for folder in left:
        (folder / "0.0").mkdir(parents=True)
    cube.write_cube(tmp_path / "m.zarr", cogs(site, "m"), {}, TILE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.zarr.k1ll3d02.part", "m.zarr"]  # not another's
