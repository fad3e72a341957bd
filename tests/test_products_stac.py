"""STAC Items as scenes (stfusion.products.stac), the ``stfusion-scenes`` table writer, and the DAG from Planetary
Computer and Earth Search ItemCollections (real items re-pointed at small fake products) to predictions."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from catalogue_collections import FINE_DATES, MODIS_DATES, es_sentinel2_items, pc_landsat_items, pc_modis_items
from conftest import make_workdir, read_nan, snakemake
from products_fixtures import BOUNDS, LANDSAT, MODIS, read_files, stac_collections
from stfusion.errors import InputDataError
from stfusion.ingest import open_scene, site_products
from stfusion.products import remote, resolve_scene
from stfusion.products.scene_table import main

SITE = "tiny"


def first_item(collection):
    return json.loads(collection.read_text())["features"][0]


def test_stac_relative_and_absolute_hrefs_name_the_same_files(tmp_path):
    relative, _ = stac_collections(tmp_path / "rel", landsat_dates=("2021-06-01",), modis_dates=())
    absolute, _ = stac_collections(tmp_path / "abs", landsat_dates=("2021-06-01",), modis_dates=(), absolute=True)
    item = first_item(relative)
    assert item["assets"]["red"]["href"].startswith("../downloads/")
    assert first_item(absolute)["assets"]["red"]["href"].startswith(str(tmp_path))
    a = resolve_scene(f"{relative}#{item['id']}", LANDSAT)
    b = resolve_scene(f"{absolute}#{item['id']}", LANDSAT)
    assert [p.replace("/rel/", "/abs/") for p in a.bands] == list(b.bands)
    assert [p.rsplit("_", 1)[1] for p in a.bands] == [f"B{n}.TIF" for n in range(1, 8)]  # by eo:bands name, not key order
    assert a.storage == LANDSAT.storage and a.qa_kind == "landsat_qa_pixel" and a.qa.endswith("_QA_PIXEL.TIF")
    assert str(relative) in a.files and len(a.files) == 9


def test_stac_remote_hrefs_go_to_gdal_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(remote, "resolve", lambda host: "")  # no network in tests: the hosts resolve
    collection, _ = stac_collections(tmp_path, landsat_dates=("2021-06-01",), modis_dates=())
    item = first_item(collection)
    item["assets"]["red"]["href"] = "https://landsatlook.usgs.gov/data/collection02/LC08_SR_B4.TIF"
    item["assets"]["qa_pixel"]["href"] = "s3://usgs-landsat/collection02/LC08_QA_PIXEL.TIF"
    single = tmp_path / "item.json"
    single.write_text(json.dumps(item))
    product = resolve_scene(str(single), LANDSAT)
    assert product.bands[3] == "/vsicurl/https://landsatlook.usgs.gov/data/collection02/LC08_SR_B4.TIF"
    assert product.qa == "/vsis3/usgs-landsat/collection02/LC08_QA_PIXEL.TIF"
    assert not any(f.startswith("/vsi") for f in product.files) and str(single) in product.files


def test_stac_modis_item_reads_as_the_hand_stack(tmp_path):
    _, collection = stac_collections(tmp_path, landsat_dates=())
    item = json.loads(collection.read_text())["features"][1]
    product = resolve_scene(f"{collection}#{item['id']}", MODIS)
    assert product.qa_kind == "modis_state" and "doy2021160" in product.bands[0]
    with open_scene(product, MODIS) as src:
        np.testing.assert_array_equal(src.read(), read_files(product.bands))


def test_stac_item_without_a_needed_asset_names_the_item_and_the_fix(tmp_path):
    collection, _ = stac_collections(tmp_path, landsat_dates=("2021-06-01",), modis_dates=())
    data = json.loads(collection.read_text())
    del data["features"][0]["assets"]["swir22"]
    collection.write_text(json.dumps(data))
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InputDataError) as err:
        resolve_scene(f"{collection}#{data['features'][0]['id']}", LANDSAT)
    message = str(err.value)
    assert str(collection) in message and data["features"][0]["id"] in message
    assert "band B7 (swir2)" in message and "give the item one asset for the band" in message
    assert sorted(tmp_path.rglob("*")) == before
    with pytest.raises(InputDataError, match="name one as"):
        resolve_scene(str(collection), LANDSAT) if len(data["features"]) > 1 else resolve_scene(f"{collection}#nope", LANDSAT)


def test_stac_raster_extension_scale_disagreeing_with_the_site_storage(tmp_path):
    """The item's raster:bands scale is its scene's; only `sites.<site>.storage.<sensor>` imposing another is refused."""
    collection, _ = stac_collections(tmp_path, landsat_dates=("2021-06-01",), modis_dates=())
    data = json.loads(collection.read_text())
    for asset in data["features"][0]["assets"].values():
        for band in asset.get("raster:bands", []):
            band["scale"] = 1e-4
    collection.write_text(json.dumps(data))
    rows = [{"path": f"{collection}#{data['features'][0]['id']}", "sensor": "landsat8_oli"}]
    product, = site_products(rows, {"landsat8_oli": LANDSAT}, {"sensors": {"landsat8_oli": 1}}, SITE)
    assert product.storage.scale == 1e-4
    imposed = {"sensors": {"landsat8_oli": 1}, "storage": {"landsat8_oli": {"scale": 2.75e-5}}}
    with pytest.raises(InputDataError, match=r"sites\.tiny\.storage\.landsat8_oli"):
        site_products(rows, {"landsat8_oli": LANDSAT}, imposed, SITE)


def test_stac_scene_table_from_item_collections(tmp_path, capsys):
    landsat, modis = stac_collections(tmp_path)
    out = tmp_path / "scenes.tsv"
    assert main([str(landsat), str(modis), "--site", SITE, "-o", str(out)]) == 0
    lines = [line.split("\t") for line in out.read_text().splitlines()]
    assert lines[0] == ["site", "sensor", "date", "path", "qa"]
    assert [(s, d) for _, s, d, _, _ in lines[1:]] == [("landsat8_oli", "2021-06-01"), ("landsat8_oli", "2021-06-17"),
                                                      ("modis", "2021-06-01"), ("modis", "2021-06-09"), ("modis", "2021-06-17")]
    assert lines[1][3] == f"{landsat}#{first_item(landsat)['id']}"
    data = json.loads(modis.read_text())
    data["features"][0]["properties"]["platform"] = "noaa-20"
    modis.write_text(json.dumps(data))
    assert main([str(modis), "--site", SITE]) == 1
    assert "noaa-20" in capsys.readouterr().err
    assert main([str(modis), "--site", SITE, "--sensor", "modis"]) == 0


CONFIG = {
    "scenes": "scenes.tsv",
    "results": "results",
    "seed": 1,
    "demo": {"enabled": False, "out_dir": "data/demo"},
    "sites": {SITE: {"bounds": list(BOUNDS), "bounds_crs": "EPSG:32633", "epsg": 32633, "pixel_size": 30,
                     "sensors": {"landsat8_oli": 1, "modis": 16}, "fusion": {"fine": "landsat8_oli", "coarse": "modis"},
                     "methods": ["nearest_reference", "coarse_upsampled"]}},
    "quality": {"fine": {"max_cloud": 0.05, "max_nodata": 0.05}, "coarse": {"max_cloud": 0.05, "max_nodata": 0.01}},
    "reproject": {"upsampling": "bilinear"},
    "band_matching": {"min_overlap": 0.2},
    "pairing": {"window_days": 90, "validation_fraction": 0.25},
    "methods": {"nearest_reference": {"model": "nearest_reference", "references": 2},
                "coarse_upsampled": {"model": "coarse_upsampled", "references": 1}},
}


def stac_workdir(path):
    """A working directory with the products, their ItemCollections and the scene table stfusion-scenes writes."""
    workdir = make_workdir(path)
    stac_collections(workdir)
    scenes_script = Path(sys.executable).parent / "stfusion-scenes"  # the console script of pyproject.toml
    subprocess.run([str(scenes_script), "stac/landsat.json", "stac/modis.json", "--site", SITE, "-o", "scenes.tsv"],
                   cwd=workdir, check=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    return workdir


def catalogue_workdir(path):
    """Two sites fed by ItemCollections of real catalogue items re-pointed at local products (catalogue_collections),
    with the scene table stfusion-scenes writes: ``pc`` takes the Planetary Computer's landsat-c2-l2 and
    modis-09A1-061 (as the single-site run took its own items); ``es`` the least that predicts one date from Earth
    Search v1's sentinel-2-l2a (one scene, so one reference) and the first two MODIS composites."""
    workdir = make_workdir(path)
    pc_landsat_items(workdir, workdir / "stac/pc_landsat.json")
    pc_modis_items(workdir, workdir / "stac/pc_modis.json")
    es_sentinel2_items(workdir, workdir / "stac/es_sentinel2.json", dates=FINE_DATES[:1])
    scenes_script = Path(sys.executable).parent / "stfusion-scenes"  # the console script of pyproject.toml
    subprocess.run([str(scenes_script), "stac/pc_landsat.json", "stac/pc_modis.json", "--site", "pc", "-o", "scenes.tsv"],
                   cwd=workdir, check=True)
    assert main([str(workdir / "stac/es_sentinel2.json"), str(workdir / "stac/pc_modis.json"), "--site", "es",
                 "-o", str(workdir / "es.tsv")]) == 0
    es = [row for row in (workdir / "es.tsv").read_text().splitlines()[1:] if MODIS_DATES[2] not in row]
    with (workdir / "scenes.tsv").open("a") as table:
        table.write("\n".join(es) + "\n")
    config = copy.deepcopy(CONFIG)
    tiny = config["sites"].pop(SITE)
    config["sites"] = {"pc": tiny, "es": {**copy.deepcopy(tiny), "sensors": {"sentinel2_msi": 1, "modis": 16},
                                          "fusion": {"fine": "sentinel2_msi", "coarse": "modis"},
                                          "methods": ["nearest_one"]}}
    config["methods"]["nearest_one"] = {"model": "nearest_reference", "references": 1}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def test_planetary_computer_and_earth_search_item_collections_dag_to_predictions(tmp_path):
    """One Snakemake run, two sites. C2 scaling applied once from the Planetary Computer items; Earth Search's
    COGs have the BOA offset applied (earthsearch:boa_offset_applied), so reflectance = DN x 10^-4 and none is
    subtracted again: the fixture's DN 1200..5000 give 0.12..0.5."""
    workdir = catalogue_workdir(tmp_path / "run")
    targets = [f"results/pc/predictions/{method}/{MODIS_DATES[1]}.tif" for method in ("nearest_reference", "coarse_upsampled")]
    targets.append(f"results/es/predictions/nearest_one/{MODIS_DATES[1]}.tif")
    snakemake(workdir, *targets, "--configfile", str(workdir / "config.yaml"))
    fine = rasterio.open(workdir / f"results/pc/grid/landsat8_oli/{FINE_DATES[0]}.tif").read()
    item = first_item(workdir / "stac/pc_landsat.json")
    product = resolve_scene(str(workdir / f"stac/pc_landsat.json#{item['id']}"), LANDSAT)
    expected = (read_files(product.bands)[:, 2:66, 2:66] * 2.75e-5 - 0.2).astype("float32")  # C2 scaling, once
    np.testing.assert_array_equal(fine, expected)
    s2 = read_nan(workdir / f"results/es/grid/sentinel2_msi/{FINE_DATES[0]}.tif")
    assert 0.12 - 1e-6 <= np.nanmin(s2) and np.nanmax(s2) <= 0.5 + 1e-6
    for target in targets:
        with rasterio.open(workdir / target) as src:
            assert src.shape == (64, 64) and np.isfinite(src.read()).all()
    for site, qa in (("pc", "landsat_qa_pixel"), ("es", "sentinel2_scl")):
        catalogue = (workdir / f"results/{site}/catalogue.tsv").read_text()
        assert "stac" in catalogue and qa in catalogue and "modis_state" in catalogue


def test_stac_missing_band_file_stops_the_dag_before_any_job(tmp_path):
    workdir = stac_workdir(tmp_path / "run")
    missing = next((workdir / "downloads").glob("*/*20210617*_SR_B3.TIF"))
    missing.unlink()
    result = snakemake(workdir, "--configfile", str(workdir / "config.yaml"), check=False)
    assert result.returncode != 0
    assert missing.name in result.stdout + result.stderr
    assert not (workdir / "results").exists()
