"""Real STAC items of the major catalogues (tests/data/products/stac, PROVENANCE.md there) read as scenes: the band
asset chosen for each sensor band, the storage, the QA layer, the acquisition days and the platform; refusals of
what cannot be read; stfusion-scenes on them. test_products_stac.py runs the DAG to predictions from Planetary
Computer and Earth Search v1 ItemCollections made of these items."""
from __future__ import annotations

import json

import numpy as np
import pytest
from products_fixtures import LANDSAT, MODIS, SENTINEL2, local_catalogue_item, read_files
from stfusion.errors import InputDataError
from stfusion.ingest import open_scene
from stfusion.products import remote, resolve_scene
from stfusion.products.scene_table import scene_rows
from stfusion.products.stac import load_items
from stfusion.products.stac_assets import band_assets
from stfusion.products.stac_scaling import item_storage
from stfusion.sensors import Storage, load_sensor

S2_CODES = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12"]
ETM = load_sensor("landsat7_etm")
TIRS = load_sensor("landsat8_tirs")
# source, sensor, band asset keys in the sensor's band order, QA key and kind, (scale, offset) or None (the item
# states none: the sensor's applies), acquisition days, platform
SOURCES = {
    "pc_landsat_c2_l2_LC09": (LANDSAT, ["coastal", "blue", "green", "red", "nir08", "swir16", "swir22"], "qa_pixel",
                              "landsat_qa_pixel", (2.75e-5, -0.2), ("2022-01-29", "2022-01-29"), "landsat-9"),
    "pc_landsat_c2_l2_LE07": (ETM, ["blue", "green", "red", "nir08", "swir16", "swir22"], "qa_pixel", "landsat_qa_pixel",
                              (2.75e-5, -0.2), ("2010-01-09", "2010-01-09"), "landsat-7"),
    "pc_sentinel2_l2a": (SENTINEL2, S2_CODES, "SCL", "sentinel2_scl", (1e-4, 0.0), ("2019-06-29", "2019-06-29"),
                         "sentinel-2b"),  # baseline 02.12: no offset
    "pc_modis_09A1": (MODIS, [f"sur_refl_b0{n}" for n in range(1, 8)], "sur_refl_state_500m", "modis_state",
                      (1e-4, 0.0), ("2022-02-02", "2022-02-09"), "terra"),  # an 8-day composite
    "earth_search_v0_sentinel2": (SENTINEL2, S2_CODES, "SCL", "sentinel2_scl", (1e-4, 0.0), ("2020-07-14", "2020-07-14"),
                                  "sentinel-2a"),  # N0214 in sentinel:product_id
    "earth_search_v1_landsat_LC08": (LANDSAT, ["coastal", "blue", "green", "red", "nir08", "swir16", "swir22"], "qa_pixel",
                                     "landsat_qa_pixel", (2.75e-5, -0.2), ("2023-10-08", "2023-10-08"), "landsat-8"),
    "pc_hls2_l30": (LANDSAT, S2_CODES[:7], "Fmask", "hls_fmask", (1e-4, 0.0), ("2020-08-26", "2020-08-26"), "landsat-8"),
    "pc_hls2_s30": (SENTINEL2, S2_CODES, "Fmask", "hls_fmask", (1e-4, 0.0), ("2021-06-17", "2021-06-17"), "sentinel-2b"),
    "earth_search_v1_sentinel2": (SENTINEL2, ["coastal", "blue", "green", "red", "rededge1", "rededge2", "rededge3", "nir",
                                              "nir08", "swir16", "swir22"], "scl", "sentinel2_scl", (1e-4, 0.0),
                                  ("2023-06-28", "2023-06-28"), "sentinel-2a"),  # boa_offset_applied over raster:bands -0.1
    "cdse_sentinel2_l2a": (SENTINEL2, [f"{c}_{'10' if c in ('B02', 'B03', 'B04', 'B08') else '20'}m" for c in S2_CODES],
                           "SCL_20m", "sentinel2_scl", (1e-4, -0.1), ("2025-03-30", "2025-03-30"), "sentinel-2c"),
    "usgs_landsatlook_LC08": (LANDSAT, ["coastal", "blue", "green", "red", "nir08", "swir16", "swir22"], "qa_pixel",
                              "landsat_qa_pixel", None, ("2020-01-14", "2020-01-14"), "landsat-8"),
    "usgs_landsatlook_LE07": (ETM, ["blue", "green", "red", "nir08", "swir16", "swir22"], "qa_pixel", "landsat_qa_pixel",
                              None, ("2021-03-29", "2021-03-29"), "landsat-7"),
    "usgs_landsatlook_beta2_LC08": (LANDSAT, [f"SR_B{n}.TIF" for n in range(1, 8)], "QA_PIXEL.TIF", "landsat_qa_pixel",
                                    None, ("2020-01-01", "2020-01-01"), "landsat-8"),  # eo:bands as indices
}


@pytest.mark.parametrize("source", SOURCES)
def test_catalogue_item_reads_its_bands_storage_qa_date_and_platform(tmp_path, source):
    sensor, keys, qa_key, qa_kind, storage, days, platform = SOURCES[source]
    path, _ = local_catalogue_item(tmp_path, source)
    product = resolve_scene(str(path), sensor)
    assert list(product.bands) == [str(tmp_path / "assets" / f"{key}.tif") for key in keys]
    assert product.qa == str(tmp_path / "assets" / f"{qa_key}.tif") and product.qa_kind == qa_kind
    stated = None if product.storage is None else (product.storage.scale, product.storage.offset)
    assert stated == (None if storage is None else pytest.approx(storage))
    assert product.acquired == days and product.platform == platform and product.family == "stac"


def test_catalogue_item_bands_open_as_one_stack(tmp_path):
    path, _ = local_catalogue_item(tmp_path, "cdse_sentinel2_l2a")
    product = resolve_scene(str(path), SENTINEL2)
    with open_scene(product, SENTINEL2) as src:
        np.testing.assert_array_equal(src.read(), read_files(product.bands))


@pytest.mark.parametrize("source, sensor, keys", [
    ("hls_l30", LANDSAT, ["coastal_aerosol", "blue", "green", "red", "nir_narrow", "swir_1", "swir_2"]),  # L30 B05 is NIR
    ("hls_s30", SENTINEL2, ["coastal_aerosol", "blue", "green", "red", "red_edge_1", "red_edge_2", "red_edge_3",
                            "nir_broad", "nir_narrow", "swir_1", "swir_2"])])
def test_hls_items_match_their_bands_and_their_fmask(tmp_path, source, sensor, keys):
    path, _ = local_catalogue_item(tmp_path, source)
    item = load_items(path)[0]
    chosen = band_assets(item, sensor, str(path))
    assert [c.key for c in chosen] == keys
    assert item_storage(item, [c.asset for c in chosen], str(path)) == Storage("int16", 1e-4, 0.0, -9999.0)
    product = resolve_scene(str(path), sensor)
    assert product.qa.endswith("fmask.tif") and product.qa_kind == "hls_fmask"  # the asset key


@pytest.mark.parametrize("source", ["pc_hls2_l30", "pc_hls2_s30"])
def test_hls_items_stating_no_storage_take_the_hls_storage_not_the_sensors(tmp_path, source):
    """NASA's HLS items (the Planetary Computer's hls2-l30/s30) have no raster extension: int16 x 1e-4, fill -9999."""
    sensor = SOURCES[source][0]
    product = resolve_scene(str(local_catalogue_item(tmp_path, source)[0]), sensor)
    assert product.storage == Storage("int16", 1e-4, 0.0, -9999.0) != sensor.storage


@pytest.mark.parametrize("source, sensor, message", [
    ("pc_hls2_l30", TIRS, "sensor landsat8_tirs asks for bands B10, which HLS L30 stores as brightness temperature"),
    ("pc_hls2_s30", LANDSAT, "is an HLS S30 granule (sentinel-2a, sentinel-2b, sentinel-2c), but its row has sensor "
                             "landsat8_oli")])
def test_hls_item_refuses_a_sensor_it_would_misread(tmp_path, source, sensor, message):
    path, item = local_catalogue_item(tmp_path, source)
    with pytest.raises(InputDataError) as err:
        resolve_scene(str(path), sensor)
    assert f"STAC item {item['id']} in {path}" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize("source, platform", [("pc_landsat_c2_l2_LC09", "landsat-9"),
                                              ("earth_search_v1_landsat_LC08", "landsat-8")])
def test_landsat_surface_temperature_asset_read_with_its_own_scale(tmp_path, source, platform):
    """lwir11 (eo:bands TIRS_B10) is the C2 L2 ST_B10: kelvin = DN * 0.00341802 + 149.0 (USGS LSDS-1619)."""
    product = resolve_scene(str(local_catalogue_item(tmp_path, source)[0]), TIRS)
    assert product.bands == (str(tmp_path / "assets" / "lwir11.tif"),) and product.qa_kind == "landsat_qa_pixel"
    assert product.storage == Storage("uint16", 0.00341802, 149.0, 0.0) and product.platform == platform


def edited(tmp_path, source, edit):
    """A local copy of ``source`` after ``edit(item dict)``."""
    path, item = local_catalogue_item(tmp_path, source)
    edit(item)
    path.write_text(json.dumps(item))
    return path


@pytest.mark.parametrize("source, edit, offset", [
    ("pc_sentinel2_l2a", lambda i: i["properties"].update({"s2:processing_baseline": "04.00"}), -0.1),
    ("earth_search_v1_sentinel2", lambda i: i["properties"].update({"earthsearch:boa_offset_applied": False}), -0.1),
    ("earth_search_v0_sentinel2", lambda i: i["properties"].update({"sentinel:product_id": "S2A_MSIL2A_20220714T115221_N0400_R123_T28QCH_20220714T191310"}), -0.1),
    ("cdse_sentinel2_l2a", lambda i: i["properties"].update({"processing:version": "03.01"}), 0.0)])
def test_sentinel2_offset_follows_the_items_own_baseline(tmp_path, source, edit, offset):
    product = resolve_scene(str(edited(tmp_path, source, edit)), SENTINEL2)
    assert product.storage.offset == pytest.approx(offset) and product.storage.scale == pytest.approx(1e-4)


def test_sentinel2_item_without_a_baseline_is_refused_not_given_an_offset(tmp_path):
    path = edited(tmp_path, "earth_search_v0_sentinel2", lambda i: i["properties"].pop("sentinel:product_id"))
    with pytest.raises(InputDataError, match=r"states no processing baseline .* add `s2:processing_baseline`"):
        resolve_scene(str(path), SENTINEL2)


def test_unreachable_remote_href_is_refused_with_how_to_sign_or_download(tmp_path):
    path = edited(tmp_path, "usgs_landsatlook_LC08",
                  lambda i: i["assets"]["red"].update(href="https://host.invalid/LC08_SR_B4.TIF"))
    with pytest.raises(InputDataError) as err:
        resolve_scene(str(path), LANDSAT)
    message = str(err.value)
    assert "asset red of STAC item LC08_L2SP_028030_20200114_20200824_02_T1_SR" in message and str(path) in message
    assert ("host host.invalid could not be reached: sign the item (Planetary Computer: SAS token, planetary-computer's "
            "sign) or download the assets first") in message
    assert "download the product again" not in message


def test_planetary_computer_href_needs_a_sas_token(tmp_path, monkeypatch):
    monkeypatch.setattr(remote, "resolve", lambda host: "")  # no network in tests: every host resolves
    blob = "https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/B04.tif"
    unsigned = edited(tmp_path / "unsigned", "pc_sentinel2_l2a", lambda i: i["assets"]["B04"].update(href=blob))
    with pytest.raises(InputDataError, match=r"asset B04 .* unsigned Planetary Computer href, which Azure refuses: sign"):
        resolve_scene(str(unsigned), SENTINEL2)
    signed = edited(tmp_path / "signed", "pc_sentinel2_l2a", lambda i: i["assets"]["B04"].update(href=blob + "?st=1&sig=x"))
    product = resolve_scene(str(signed), SENTINEL2)
    assert product.bands[3] == f"/vsicurl/{blob}?st=1&sig=x" and str(signed) in product.files


def test_stfusion_scenes_takes_every_catalogues_items(tmp_path):
    paths = [str(local_catalogue_item(tmp_path / s, s)[0]) for s in (*SOURCES, "hls_l30", "hls_s30")]
    table = scene_rows(paths, "site")
    found = {(row.path.rsplit("/", 1)[1].split(".json")[0], row.sensor, row.date) for row in table.itertuples()}
    assert ("usgs_landsatlook_beta2_LC08", "landsat8_oli", "2020-01-01") in found  # eo:platform LANDSAT_8
    assert ("pc_modis_09A1", "modis", "2022-02-02") in found  # the composite's first day
    assert ("cdse_sentinel2_l2a", "sentinel2_msi", "2025-03-30") in found
    assert ("pc_hls2_s30", "sentinel2_msi", "2021-06-17") in found and ("pc_hls2_l30", "landsat8_oli", "2020-08-26") in found
    assert ("earth_search_v1_landsat_LC08", "landsat8_oli", "2023-10-08") in found
    assert ("hls_l30", "landsat8_oli", "2022-06-14") in found and ("pc_landsat_c2_l2_LE07", "landsat7_etm", "2010-01-09") in found
    assert len(found) == len(paths)
