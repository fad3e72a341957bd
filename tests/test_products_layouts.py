"""Product layouts of issue 24 on real metadata (tests/data/products/layouts, PROVENANCE.md there): Landsat MTL.txt,
ST_B10 and .tar; Sentinel-2 metadata of any case, baselines 02.12 / 04.00 / 05.09, the N<xxyy> of a name, .SAFE.zip
and Earth Search COG folders; HLS v2.0; MODIS .hdf; and the check of each product against its scene-table row."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from layouts_fixtures import (MODIS_A1_XML, MODIS_STRUCT, earth_search_folder, hls_granule, landsat_from_mtl,
                              modis_hdf, sentinel2_real, tar_folder, zip_folder)
from products_fixtures import GRID, LANDSAT, MODIS, SENTINEL2, read_files, sentinel2_l2a
from stfusion.errors import InputDataError
from stfusion.ingest import open_raster, open_scene, scene_storage, site_products
from stfusion.products import resolve_scene
from stfusion.products.modis_hdf import grids
from stfusion.reproject import warp_reflectance
from stfusion.sensors import Storage, load_sensor

TIRS = load_sensor("landsat8_tirs")
ETM = load_sensor("landsat7_etm")
SENSORS = {s.name: s for s in (LANDSAT, TIRS, ETM, MODIS, SENTINEL2)}
SITE = {"sensors": {"landsat8_oli": 1, "landsat8_tirs": 1, "sentinel2_msi": 1, "modis": 16}}


def row(path, sensor, date):
    return {"path": str(path), "sensor": sensor, "date": date}


def test_landsat_mtl_txt_is_read_with_its_date_and_satellite(tmp_path):
    mtl = landsat_from_mtl(tmp_path / "lc09")
    product, = site_products([row(mtl.parent, "landsat8_oli", "2022-01-29")], SENSORS, SITE, "tiny")
    assert [b.rsplit("_", 2)[1:] for b in product.bands] == [["SR", f"B{n}.TIF"] for n in range(1, 8)]
    assert product.storage == Storage("uint16", 2.75e-5, -0.2, 0.0) and product.qa_kind == "landsat_qa_pixel"
    assert product.acquired == ("2022-01-29", "2022-01-29") and product.platform == "landsat-9"
    assert product.metadata_file == str(mtl) and str(mtl) in product.files
    with open_scene(product, LANDSAT) as src:
        assert src.count == 7 and np.array_equal(src.read(), read_files(product.bands))


def test_landsat_st_b10_for_the_thermal_sensor_is_kelvin(tmp_path):
    mtl = landsat_from_mtl(tmp_path / "lc09")
    product = resolve_scene(str(mtl), TIRS)
    assert [b.rsplit("_", 1)[1] for b in product.bands] == ["B10.TIF"] and "_ST_B10" in product.bands[0]
    assert product.storage == Storage("uint16", 0.00341802, 149.0, 0.0)
    kelvin = warp_reflectance(product, TIRS, scene_storage(product, TIRS, SITE, "tiny"), GRID, 1)
    np.testing.assert_allclose(kelvin, 290.0, atol=1e-3)


def test_landsat_tar_is_read_in_place(tmp_path):
    folder = landsat_from_mtl(tmp_path / "lc09").parent
    tar = tar_folder(folder, tmp_path / "LC09_L2SP_010065_20220129_20220131_02_T1.tar")
    unpacked, packed = resolve_scene(str(folder), LANDSAT), resolve_scene(str(tar), LANDSAT)
    assert all(b.startswith(f"/vsitar/{tar}/") for b in packed.bands) and packed.files == [str(tar)]
    assert (packed.storage, packed.acquired, packed.platform) == (unpacked.storage, unpacked.acquired, unpacked.platform)
    with open_scene(packed, LANDSAT) as a, open_scene(unpacked, LANDSAT) as b:
        assert np.array_equal(a.read(), b.read())


def test_product_of_another_date_or_satellite_than_its_row_is_refused(tmp_path):
    mtl = landsat_from_mtl(tmp_path / "lc09")
    with pytest.raises(InputDataError) as err:
        site_products([row(mtl.parent, "landsat8_oli", "2021-06-01")], SENSORS, SITE, "tiny")
    assert str(mtl) in str(err.value) and "acquired 2022-01-29" in str(err.value) and "date 2021-06-01" in str(err.value)
    with pytest.raises(InputDataError) as err:  # an L9 product listed as ETM+ would read OLI B4 (red) as NIR
        site_products([row(mtl.parent, "landsat7_etm", "2022-01-29")], SENSORS, SITE, "tiny")
    assert "product of landsat-9" in str(err.value) and "sensor landsat7_etm, which reads landsat-7" in str(err.value)
    assert "landsat8_oli or landsat8_tirs" in str(err.value)


@pytest.mark.parametrize("baseline, offset, date, platform", [("0212", 0.0, "2018-07-21", "sentinel-2a"),
                                                               ("0400", -0.1, "2022-04-13", "sentinel-2b"),
                                                               ("0509", -0.1, "2023-06-25", "sentinel-2a")])
def test_sentinel2_real_metadata_of_each_baseline(tmp_path, baseline, offset, date, platform):
    """Baseline 02.12's metadata is named MTD_MSIL2a.xml: found in any case, it gives no offset (not 04.00's -0.1)."""
    safe = sentinel2_real(tmp_path, baseline)
    product = resolve_scene(str(safe), SENTINEL2)
    assert product.storage.scale == pytest.approx(1e-4) and product.storage.offset == pytest.approx(offset)
    assert product.acquired == (date, date) and product.platform == platform and product.qa_kind == "sentinel2_scl"
    assert re.search(r"MTD_MSIL2[Aa]\.xml$", product.metadata_file)


def test_sentinel2_series_from_baseline_0400_to_0509_is_read(tmp_path):
    a, b = sentinel2_real(tmp_path / "a", "0400"), sentinel2_real(tmp_path / "b", "0509", seed=3)
    products = site_products([row(a, "sentinel2_msi", "2022-04-13"), row(b, "sentinel2_msi", "2023-06-25")],
                             SENSORS, SITE, "tiny")
    assert [scene_storage(p, SENTINEL2, SITE, "tiny").offset for p in products] == [pytest.approx(-0.1)] * 2


@pytest.mark.parametrize("baseline, offset", [("02.12", 0.0), ("04.00", -0.1)])
def test_sentinel2_baseline_of_the_product_name_without_metadata(tmp_path, baseline, offset):
    safe = sentinel2_l2a(tmp_path, baseline=baseline, add_offset=None if offset == 0 else -1000)
    (safe / "MTD_MSIL2A.xml").unlink()
    product = resolve_scene(str(safe), SENTINEL2)
    assert product.storage.offset == pytest.approx(offset) and product.metadata_file == ""


def test_sentinel2_safe_zip_is_read_in_place(tmp_path):
    safe = sentinel2_real(tmp_path, "0400")
    archive = zip_folder(safe, tmp_path / f"{safe.name}.zip")
    packed, unpacked = resolve_scene(str(archive), SENTINEL2), resolve_scene(str(safe), SENTINEL2)
    assert packed.bands[1].startswith(f"/vsizip/{archive}/{safe.name}/GRANULE/") and packed.files == [str(archive)]
    assert (packed.storage, packed.acquired, packed.platform) == (unpacked.storage, unpacked.acquired, unpacked.platform)
    with open_scene(packed, SENTINEL2) as a, open_scene(unpacked, SENTINEL2) as b:
        assert a.crs is not None and np.array_equal(a.read(), b.read())


def test_earth_search_cog_folder(tmp_path):
    """Bands and SCL by their bare names, date and satellite from the tile info; no offset from its N0500, since
    Earth Search applies the offset to its COGs of baseline 04.00 on: the site's storage key is required."""
    folder = earth_search_folder(tmp_path / "S2B_1VCG_20200914_0_L2A")
    product = resolve_scene(str(folder), SENTINEL2)
    assert [b.rsplit("/", 1)[1] for b in product.bands[:4]] == ["B01.tif", "B02.tif", "B03.tif", "B04.tif"]
    assert product.qa.endswith("/SCL.tif") and product.storage is None
    assert product.acquired == ("2020-09-14", "2020-09-14") and product.platform == "sentinel-2b"
    with open_scene(product, SENTINEL2) as src:
        assert src.count == 11 and src.res == (10.0, 10.0)
    with pytest.raises(InputDataError, match="states no processing baseline"):
        site_products([row(folder, "sentinel2_msi", "2020-09-14")], SENSORS, SITE, "tiny")
    applied = {**SITE, "storage": {"sentinel2_msi": {"offset": 0.0}}}
    bare, = site_products([row(earth_search_folder(tmp_path / "cogs", tileinfo=False), "sentinel2_msi", "2020-09-14")],
                          SENSORS, applied, "tiny")
    assert scene_storage(bare, SENTINEL2, applied, "tiny").offset == 0.0 and bare.acquired == ()


def test_hls_l30_and_s30_granules(tmp_path):
    l30 = resolve_scene(str(hls_granule(tmp_path / "l30", "L30")), LANDSAT)
    assert [b.rsplit(".", 2)[1] for b in l30.bands] == [f"B0{n}" for n in range(1, 8)]
    assert l30.qa.endswith(".Fmask.tif") and l30.qa_kind == "hls_fmask" and l30.family == "hls_l30"
    assert l30.storage == Storage("int16", 1e-4, 0.0, -9999.0) and l30.acquired == ("2022-06-14", "2022-06-14")
    s30 = resolve_scene(str(hls_granule(tmp_path / "s30", "S30")), SENTINEL2)
    assert [b.rsplit(".", 2)[1] for b in s30.bands][7:] == ["B08", "B8A", "B11", "B12"]
    assert s30.acquired == ("2022-06-15", "2022-06-15")
    with open_scene(s30, SENTINEL2) as src:
        assert src.count == 11 and src.nodata == -9999
    with pytest.raises(InputDataError) as err:  # S30's B05 is red edge 1, not OLI's NIR
        resolve_scene(str(tmp_path / "s30"), LANDSAT)
    assert "HLS S30 granule" in str(err.value) and "give the row sentinel2_msi" in str(err.value)
    with pytest.raises(InputDataError, match="brightness temperature"):  # L30's B10 is not ST_B10's kelvin
        resolve_scene(str(tmp_path / "l30"), TIRS)


def test_modis_hdf_granule_is_read_with_pyhdf(tmp_path):
    hdf, dn = modis_hdf(tmp_path)
    product, = site_products([row(hdf, "modis", "2021-06-01")], SENSORS, SITE, "tiny")
    assert product.bands[0] == f'HDF4_EOS:EOS_GRID:"{hdf}":MODIS_Grid_500m_2D:sur_refl_b01_1'
    assert product.qa == f'HDF4_EOS:EOS_GRID:"{hdf}":MODIS_Grid_1km_2D:state_1km_1' and product.qa_kind == "modis_state"
    assert product.storage == Storage("int16", 1e-4, 0.0, -28672.0) and product.files == [str(hdf)]
    assert product.acquired == ("2021-06-01", "2021-06-01") and product.platform == "terra"
    with open_scene(product, MODIS) as src:
        assert src.count == 7 and src.nodata == -28672 and "sinu" in src.crs.to_proj4()
        np.testing.assert_array_equal(src.read(), dn)
    with open_raster(product.qa, what="QA") as qa:
        assert qa.res[0] == pytest.approx(2 * src.res[0])
    reflectance = warp_reflectance(product, MODIS, scene_storage(product, MODIS, SITE, "tiny"), GRID, 16)
    assert np.isfinite(reflectance).all() and 0.03 <= np.nanmin(reflectance) and np.nanmax(reflectance) <= 0.3


def test_modis_hdf_geolocation_from_a_real_struct_metadata():
    grid, = grids(MODIS_STRUCT.read_text()).values()
    assert (grid["width"], grid["height"]) == (2400, 2400) and grid["fields"] == ["Maximum_Snow_Extent", "Eight_Day_Snow_Cover"]
    assert grid["transform"].a == pytest.approx(463.312716528, abs=1e-6) and grid["transform"].c == -10007554.677
    assert (grid["transform"].f, grid["transform"].e) == (4447802.078667, pytest.approx(-463.312716528, abs=1e-6))
    assert "+R=6371007.181" in grid["crs"]


def test_modis_composite_covers_its_ecs_period_and_its_rows_date_must_lie_in_it(tmp_path):
    ecs = ET.parse(MODIS_A1_XML).getroot()
    hdf, _ = modis_hdf(tmp_path, MODIS_A1_XML.name.removesuffix(".xml"))
    product = resolve_scene(str(hdf), MODIS)
    assert product.acquired == (ecs.findtext(".//RangeBeginningDate"), ecs.findtext(".//RangeEndingDate"))
    assert product.qa.endswith(":MOD_Grid_500m_Surface_Reflectance:sur_refl_state_500m")
    assert product.platform == ecs.findtext(".//PlatformShortName").lower()
    site_products([row(hdf, "modis", "2022-02-06")], SENSORS, SITE, "tiny")
    with pytest.raises(InputDataError, match="acquired 2022-02-02 to 2022-02-09, but .* date 2015-07-10"):
        site_products([row(hdf, "modis", "2015-07-10")], SENSORS, SITE, "tiny")


def test_folder_or_archive_of_no_known_layout_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("x")
    with pytest.raises(InputDataError, match=r"notes is a folder of no product layout the pipeline reads"):
        resolve_scene(str(tmp_path / "notes"), LANDSAT)
    archive = zip_folder(tmp_path / "notes", tmp_path / "notes.zip")
    with pytest.raises(InputDataError, match="archive of no product layout.*unpack the archive"):
        resolve_scene(str(archive), LANDSAT)


def test_date_mismatch_stops_the_dag_build(tmp_path):
    from test_bad_input import LANDSAT_DATE, Scenario, assert_failed_at_dag_build

    scenario = Scenario(tmp_path / "work")
    mtl = landsat_from_mtl(scenario.path("data/lc09"))
    scenario.rows[0] = {**scenario.rows[0], "path": "data/lc09", "qa": ""}
    assert LANDSAT_DATE != "2022-01-29"
    assert_failed_at_dag_build(scenario, scenario.run("-n"), f"{mtl.relative_to(scenario.workdir)} was acquired 2022-01-29",
                               f"date {LANDSAT_DATE}", "correct the row's date to 2022-01-29")
