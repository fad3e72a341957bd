"""QA decoding and the keep/drop rule (SPEC 2.3)."""
import numpy as np
import pytest
import rasterio
import yaml

from conftest import REPO
from stfusion.config import check_schema, with_registered_names
from stfusion.errors import ConfigError
from stfusion.packaged import schema_path
from stfusion.grid import SiteGrid
from stfusion.qa import CLOUD, NO_QA, NODATA, QA_KINDS, SHADOW, assess, decode_qa, mask_obscured, scene_flags, thresholds
from stfusion.reproject import warp_qa
from stfusion.sensors import _schema as sensor_schema

SCHEMA = schema_path("config")


def test_landsat_qa_pixel_bits():
    # fill, dilated cloud, cirrus, cloud, shadow, clear (bit 6), water+clear (bits 6, 7)
    qa = np.array([1, 1 << 1, 1 << 2, (1 << 3) | (1 << 1), 1 << 4, 1 << 6, (1 << 6) | (1 << 7)], dtype=np.uint16)
    flags = decode_qa(qa, "landsat_qa_pixel")
    assert list(flags) == [NODATA, CLOUD, CLOUD, CLOUD, SHADOW, 0, 0]


def test_modis_state_bits():
    # clear, cloudy, mixed, not set (11 = assumed clear), shadow, internal cloud flag (bit 10)
    qa = np.array([0b00, 0b01, 0b10, 0b11, 0b100, 1 << 10], dtype=np.uint16)
    assert list(decode_qa(qa, "modis_state")) == [0, CLOUD, CLOUD, 0, SHADOW, CLOUD]


def test_hls_fmask_bits():
    # clear, cirrus (reserved), cloud, adjacent, shadow, snow, water, high aerosol, cloud+shadow, fill (255)
    qa = np.array([0, 1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 0b11 << 6, (1 << 1) | (1 << 3), 255], dtype=np.uint8)
    assert list(decode_qa(qa, "hls_fmask")) == [0, 0, CLOUD, CLOUD, SHADOW, 0, 0, 0, CLOUD | SHADOW, NODATA]


def test_plain_mask_and_none():
    qa = np.array([0, 1, 2, 7], dtype=np.uint8)
    assert list(decode_qa(qa, "mask")) == [0, CLOUD, SHADOW, CLOUD]
    assert list(decode_qa(qa, "none")) == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="unknown QA kind"):
        decode_qa(qa, "fmask")


def test_missing_band_value_makes_the_pixel_nodata():
    reflectance = np.ones((3, 2, 2), dtype=np.float32)
    reflectance[1, 0, 0] = np.nan
    flags = scene_flags(reflectance, np.array([[0, CLOUD], [0, 0]], dtype=np.uint8))
    assert flags.tolist() == [[NODATA, CLOUD], [0, 0]]


def test_thresholds_follow_paper_001_defaults():
    flags = np.zeros((10, 10), np.uint8)
    flags[0, :6] = CLOUD  # 6 % cloud
    report = assess(flags, max_cloud=0.05, max_nodata=0.01)
    assert not report.kept and report.cloud_fraction == pytest.approx(0.06)
    flags[0, 5] = 0  # 5 % is still allowed
    assert assess(flags, max_cloud=0.05, max_nodata=0.01).kept
    flags[9, :2] = NODATA  # 2 % nodata over a 1 % limit
    report = assess(flags, max_cloud=0.05, max_nodata=0.01)
    assert not report.kept and "nodata 2.0%" in report.reason


def test_shadow_counts_with_cloud_and_nodata_is_not_double_counted():
    flags = np.zeros((10, 10), np.uint8)
    flags[0, :3] = SHADOW
    flags[1, :3] = CLOUD | SHADOW
    flags[2, :3] = NODATA | CLOUD
    report = assess(flags, max_cloud=0.05, max_nodata=0.05)
    assert (report.cloud_fraction, report.shadow_fraction, report.nodata_fraction) == (0.03, 0.03, 0.03)
    assert not report.kept and "cloud+shadow 6.0%" in report.reason


@pytest.mark.parametrize(
    "fill, reason",
    [(NODATA, "all pixels are nodata"), (CLOUD, "no clear pixel"), (SHADOW, "no clear pixel")],
)
def test_empty_scenes_are_dropped_whatever_the_thresholds(fill, reason):
    report = assess(np.full((4, 4), fill, np.uint8), max_cloud=1.0, max_nodata=1.0)
    assert not report.kept and reason in report.reason


def test_mask_obscured_sets_every_band_to_nan():
    reflectance = np.ones((2, 2, 2), np.float32)
    out = mask_obscured(reflectance, np.array([[0, CLOUD], [SHADOW, 0]], np.uint8))
    assert np.isnan(out[:, 0, 1]).all() and np.isnan(out[:, 1, 0]).all() and (out[:, 0, 0] == 1).all()


def test_thresholds_by_role_and_sensor():
    quality = {"fine": {"max_cloud": 0.05, "max_nodata": 0.05}, "coarse": {"max_cloud": 0.1, "max_nodata": 0.01},
               "sensors": {"modis": {"max_nodata": 0.2}}}
    assert thresholds(quality, "landsat8_oli", 1) == {"max_cloud": 0.05, "max_nodata": 0.05}
    assert thresholds(quality, "modis", 16) == {"max_cloud": 0.1, "max_nodata": 0.2}


def test_qa_kinds_are_the_schemas_enums_and_an_unknown_one_names_its_key():
    """The QA kinds are listed once, in stfusion.qa; both schemas get them at validation time."""
    schema = with_registered_names(yaml.safe_load(SCHEMA.read_text()))
    assert schema["properties"]["sites"]["additionalProperties"]["properties"]["qa"]["additionalProperties"]["enum"] \
        == list(QA_KINDS) == sensor_schema()["properties"]["qa"]["properties"]["kind"]["enum"]
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    site = next(iter(config["sites"]))
    config["sites"][site]["qa"] = {"landsat8_oli": "fmask"}
    with pytest.raises(ConfigError, match=f"`sites.{site}.qa.landsat8_oli`"):
        check_schema(config, SCHEMA)


def test_pixels_outside_the_qa_file_are_unknown_not_clear():
    """Issue 27, item 5: a QA raster over half the scene must not leave the other half counted as clear."""
    qa = np.ma.MaskedArray(np.zeros((4, 4), np.uint16), mask=np.zeros((4, 4), bool))
    qa.mask[:, 2:] = True  # the QA file covers the left half; 0 is clear in every kind
    flags = scene_flags(np.ones((2, 4, 4), np.float32), decode_qa(qa, "landsat_qa_pixel"))
    assert (flags[:, :2] == 0).all() and (flags[:, 2:] == NO_QA).all()
    report = assess(flags, max_cloud=0.05, max_nodata=0.05)
    assert (report.nodata_fraction, report.no_qa_fraction, report.kept) == (0.5, 0.5, False)
    assert report.reason == "nodata 50.0% > max_nodata 5.0% (of which 50.0% without a QA value)"
    assert np.isnan(mask_obscured(np.ones((2, 4, 4), np.float32), flags)[:, :, 2:]).all()


def test_warp_qa_masks_the_grid_outside_the_qa_file_only(tmp_path):
    """Inside the file a value equal to its nodata tag (0: clear in a mask file) is a value, not a gap."""
    grid = SiteGrid(crs="EPSG:32633", x_min=500000.0, y_max=5000120.0, pixel_size=30.0, width=4, height=4,
                    ratios={"cam": 1})
    with rasterio.open(tmp_path / "qa.tif", "w", driver="GTiff", width=2, height=4, count=1, dtype="uint8",
                       crs=grid.crs, transform=grid.transform(), nodata=0) as dst:
        dst.write(np.array([[[0, 1]] * 4], np.uint8))
    qa = warp_qa(tmp_path / "qa.tif", grid, 1)
    assert qa.mask.tolist() == [[False, False, True, True]] * 4
    assert qa[:, :2].tolist() == [[0, 1]] * 4
