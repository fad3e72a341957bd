"""Landsat Collection 2 Level-2 products as scenes (stfusion.products.landsat_c2): bands by name, MTL scaling, QA_PIXEL."""
from __future__ import annotations

import numpy as np
import pytest
from products_fixtures import GRID, LANDSAT, landsat_c2, read_files
from stfusion.errors import InputDataError
from stfusion.ingest import open_scene, scene_qa, scene_storage, site_products
from stfusion.products import resolve_scene
from stfusion.reproject import warp_reflectance
from stfusion.sensors import Storage, load_sensor

SITE = {"sensors": {"landsat8_oli": 1}}


def test_landsat_c2_folder_reads_as_the_hand_stack_after_scaling(tmp_path):
    mtl = landsat_c2(tmp_path / "product", "2021-06-01")
    product, = site_products([{"path": str(mtl.parent), "sensor": "landsat8_oli"}], {"landsat8_oli": LANDSAT}, SITE, "tiny")
    assert [p.rsplit("_", 1)[1] for p in product.bands] == [f"B{n}.TIF" for n in range(1, 8)]
    assert product.qa.endswith("_QA_PIXEL.TIF") and product.qa_kind == "landsat_qa_pixel"
    assert (product.storage.scale, product.storage.offset, product.storage.nodata) == (2.75e-5, -0.2, 0.0)
    assert str(mtl) in product.files and len(product.files) == 9  # MTL, 7 bands, QA: what Snakemake tracks
    stack = read_files(product.bands)
    with open_scene(product, LANDSAT) as src:
        assert np.array_equal(src.read(), stack) and src.count == 7 and src.nodata == 0
    reflectance = warp_reflectance(product, LANDSAT, product.storage, GRID, 1)  # the site: 2 pixels inside the scene
    expected = (stack[:, 2:66, 2:66].astype("float64") * 2.75e-5 - 0.2).astype("float32")
    np.testing.assert_array_equal(reflectance, expected)


def test_landsat_c2_mtl_json_and_xml_name_the_same_bands_and_storage(tmp_path):
    as_json = resolve_scene(str(landsat_c2(tmp_path / "json", "2021-06-01", mtl="json")), LANDSAT)
    as_xml = resolve_scene(str(landsat_c2(tmp_path / "xml", "2021-06-01", mtl="xml")), LANDSAT)
    assert as_json.storage == as_xml.storage
    assert [b.replace("/json/", "/xml/") for b in as_json.bands] == list(as_xml.bands)


def test_landsat_c2_band_order_follows_the_sensor(tmp_path):
    """Landsat 7 ETM+ has no SR_B6: its sixth band is SR_B7, and the table's QA column wins over QA_PIXEL."""
    etm = load_sensor("landsat7_etm")
    mtl = landsat_c2(tmp_path / "le07", "2021-06-01", sensor=etm)
    product = resolve_scene(str(mtl), etm)
    assert [b.rsplit("_SR_", 1)[1] for b in product.bands] == ["B1.TIF", "B2.TIF", "B3.TIF", "B4.TIF", "B5.TIF", "B7.TIF"]
    assert scene_qa({"qa": "mine.tif"}, product, etm, {}) == ("mine.tif", "landsat_qa_pixel")
    assert scene_qa({"qa": ""}, product, etm, {"qa": {"landsat7_etm": "none"}}) == (product.qa, "none")


def test_landsat_c2_missing_band_names_the_file_and_the_fix(tmp_path):
    mtl = landsat_c2(tmp_path / "product", "2021-06-01")
    missing = next(mtl.parent.glob("*_SR_B5.TIF"))
    missing.unlink()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InputDataError) as err:
        resolve_scene(str(mtl.parent), LANDSAT)
    assert missing.name in str(err.value) and str(mtl) in str(err.value) and "download the complete product" in str(err.value)
    assert sorted(tmp_path.rglob("*")) == before


def test_landsat_c2_mtl_scale_is_the_scene_s_and_a_contradicting_site_storage_is_refused(tmp_path):
    """Storage per scene: the MTL's scale applies to its scene; `sites.<site>.storage.<sensor>` imposing another is refused."""
    mtl = landsat_c2(tmp_path / "product", "2021-06-01", scale=1e-4, offset=0.0)
    row = [{"path": str(mtl), "sensor": "landsat8_oli"}]
    product, = site_products(row, {"landsat8_oli": LANDSAT}, SITE, "tiny")
    assert scene_storage(product, LANDSAT, SITE, "tiny") == Storage("uint16", 1e-4, 0.0, 0.0)
    imposed = {**SITE, "storage": {"landsat8_oli": {"scale": 2.75e-5, "offset": -0.2}}}
    with pytest.raises(InputDataError) as err:
        site_products(row, {"landsat8_oli": LANDSAT}, imposed, "tiny")
    message = str(err.value)
    assert str(mtl) in message and "DN * 0.0001 + 0" in message and "DN * 2.75e-05 + -0.2" in message
    assert "`sites.tiny.storage.landsat8_oli`" in message and "remove the key" in message
