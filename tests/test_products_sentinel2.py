"""Sentinel-2 L2A products as scenes (stfusion.products.sentinel2): finest band files, BOA offset, SCL, baselines."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import rasterio
from products_fixtures import SENTINEL2, sentinel2_l2a
from stfusion.errors import InputDataError
from stfusion.ingest import open_scene, scene_storage, site_products
from stfusion.products import resolve_scene
from stfusion.qa import CLOUD, NODATA, SHADOW, decode_qa

SENSORS = {"sentinel2_msi": SENTINEL2}
SITE = {"sensors": {"sentinel2_msi": 1}}


def rows(*paths):
    return [{"path": str(p), "sensor": "sentinel2_msi"} for p in paths]


def test_sentinel2_safe_takes_each_band_at_its_finest_resolution(tmp_path):
    safe = sentinel2_l2a(tmp_path)
    product, = site_products(rows(safe), SENSORS, SITE, "tiny")
    names = [b.rsplit("_", 2)[1:] for b in product.bands]
    assert names[:5] == [["B01", "20m.jp2"], ["B02", "10m.jp2"], ["B03", "10m.jp2"], ["B04", "10m.jp2"], ["B05", "20m.jp2"]]
    assert names[7:9] == [["B08", "10m.jp2"], ["B8A", "20m.jp2"]]
    assert product.qa.endswith("_SCL_20m.jp2") and product.qa_kind == "sentinel2_scl"
    assert str(safe / "MTD_MSIL2A.xml") in product.files
    with open_scene(product, SENTINEL2) as src:
        stack = src.read()
        assert src.res == (10.0, 10.0) and stack.shape == (11, 192, 192)
    with rasterio.open(product.bands[4]) as b05:  # 20 m: each pixel repeated 2 x 2 on the 10 m stack
        np.testing.assert_array_equal(stack[4], np.repeat(np.repeat(b05.read(1), 2, axis=0), 2, axis=1))
    with rasterio.open(product.bands[1]) as b02:
        np.testing.assert_array_equal(stack[1], b02.read(1))


def test_sentinel2_baseline_04_offset_is_read_from_the_metadata(tmp_path):
    product = resolve_scene(str(sentinel2_l2a(tmp_path) / "MTD_MSIL2A.xml"), SENTINEL2)
    assert product.storage.scale == pytest.approx(1e-4) and product.storage.offset == pytest.approx(-0.1)
    assert product.storage.nodata == 0 and product.series == ()
    assert product.acquired == ("2022-01-02", "2022-01-02") and product.platform == "sentinel-2a"  # the SAFE's name
    dn = np.array([1000.0, 1500.0, 11000.0])  # (DN - 1000) / 10000
    np.testing.assert_allclose(dn * product.storage.scale + product.storage.offset, [0.0, 0.05, 1.0], atol=1e-12)


def test_sentinel2_scl_decoding():
    scl = np.arange(12, dtype="uint8")
    flags = decode_qa(scl, "sentinel2_scl")
    assert [int(f) for f in flags] == [NODATA, 0, 0, SHADOW, 0, 0, 0, 0, CLOUD, CLOUD, CLOUD, 0]


def test_sentinel2_each_scene_takes_the_offset_of_its_baseline(tmp_path):
    """A series across baselines 03.01 and 04.00 is read, each scene with its own offset; a site storage that
    imposes one offset on both is refused, naming the product that disagrees."""
    new = sentinel2_l2a(tmp_path / "a", seed=2)
    old = sentinel2_l2a(tmp_path / "b", seed=3, baseline="03.01", add_offset=None)
    products = site_products(rows(new, old), SENSORS, SITE, "tiny")
    assert [scene_storage(p, SENTINEL2, SITE, "tiny").offset for p in products] == [pytest.approx(-0.1), 0.0]
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InputDataError) as err:
        site_products(rows(new, old), SENSORS, {**SITE, "storage": {"sentinel2_msi": {"offset": -0.1}}}, "tiny")
    message = str(err.value)
    assert str(old / "MTD_MSIL2A.xml") in message and "DN * 0.0001 + 0 " in message and "remove the key" in message
    assert sorted(tmp_path.rglob("*")) == before


def test_sentinel2_inconsistent_metadata_is_refused(tmp_path):
    safe = sentinel2_l2a(tmp_path, baseline="04.00", add_offset=None)
    with pytest.raises(InputDataError, match="without BOA_ADD_OFFSET.*inconsistent"):
        resolve_scene(str(safe), SENTINEL2)


def test_sentinel2_folder_of_band_files_and_a_missing_band(tmp_path):
    safe = sentinel2_l2a(tmp_path / "safe")
    flat = tmp_path / "bands"
    flat.mkdir()
    for file in safe.glob("GRANULE/*/IMG_DATA/R*m/*"):
        shutil.copy(file, flat / file.name)
    product = resolve_scene(str(flat), SENTINEL2)
    assert product.storage is None and product.family == "sentinel2_bands"  # no XML, no product name: no baseline
    with pytest.raises(InputDataError) as err:  # never the -0.1 of baseline 04.00 by default
        site_products(rows(flat), SENSORS, SITE, "tiny")
    assert f"Sentinel-2 folder {flat} states no processing baseline" in str(err.value)
    assert "`sites.tiny.storage.sentinel2_msi` to {offset: -0.1}" in str(err.value)
    given = {**SITE, "storage": {"sentinel2_msi": {"offset": 0.0}}}
    assert scene_storage(product, SENTINEL2, given, "tiny").offset == 0.0
    assert product.bands[1].endswith("_B02_10m.jp2") and product.qa.endswith("_SCL_20m.jp2")
    for file in flat.glob("*_B11_*"):
        file.unlink()
    with pytest.raises(InputDataError) as err:
        resolve_scene(str(flat), SENTINEL2)
    assert "no band B11" in str(err.value) and str(flat) in str(err.value) and "download the complete L2A product" in str(err.value)
