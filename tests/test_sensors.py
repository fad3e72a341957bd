"""Sensor registry and spectral response functions (SPEC 5): workflow/stfusion/sensors.py."""
from __future__ import annotations

import jsonschema
import numpy as np
import pytest
import yaml

from stfusion.errors import ConfigError
from stfusion.packaged import SENSOR_DIR
from stfusion.sensors import SCHEMA_PATH, load_sensor, sensor_names

BAND_COUNTS = {
    "landsat8_oli": 7,
    "landsat7_etm": 6,
    "landsat5_tm": 6,
    "modis": 7,
    "sentinel2_msi": 11,
    "gf6_wfv": 8,
    "gf1_wfv": 4,
    "zy1_02d_ahsi": 166,
    "zy1_02d_vnic": 8,
    "zy1_02d_pan": 1,
    "eo1_hyperion": 242,
    "eo1_ali": 9,
    "landsat8_tirs": 1,
}

# Nominal band ranges (nm) from the agencies' handbooks, independent of the tables: OLI (Irons et al.
# 2012), ETM+ and TM (USGS handbooks), MODIS (NASA specifications, native band numbers), Sentinel-2A
# (ESA: central wavelength +- bandwidth / 2).
NOMINAL_NM = {
    "landsat8_oli": [(433, 453), (450, 515), (525, 600), (630, 680), (845, 885), (1560, 1660), (2100, 2300)],
    "landsat7_etm": [(450, 520), (520, 600), (630, 690), (770, 900), (1550, 1750), (2090, 2350)],
    "landsat5_tm": [(450, 520), (520, 600), (630, 690), (760, 900), (1550, 1750), (2080, 2350)],
    "modis": [(620, 670), (841, 876), (459, 479), (545, 565), (1230, 1250), (1628, 1652), (2105, 2155)],
    "sentinel2_msi": [
        (432, 453), (459, 525), (542, 578), (649, 680), (697, 712), (733, 748),
        (773, 793), (780, 886), (854, 875), (1568, 1659), (2115, 2290),
    ],
}
# Terra MODIS band 6 peaks at 1623 nm, 5 nm below its nominal range; every other band peaks inside its range.
PEAK_TOLERANCE_NM = 6.0

TABULATED = sorted(NOMINAL_NM)
GAUSSIAN = sorted(set(BAND_COUNTS) - set(NOMINAL_NM))


def measured_fwhm(wavelengths: np.ndarray, response: np.ndarray) -> float:
    """Distance between the outermost half-maximum crossings, linearly interpolated."""
    half = response.max() / 2.0
    above = np.flatnonzero(response >= half)
    lo, hi = above[0], above[-1]
    left = np.interp(half, response[lo - 1 : lo + 1], wavelengths[lo - 1 : lo + 1])
    right = np.interp(half, response[hi : hi + 2][::-1], wavelengths[hi : hi + 2][::-1])
    return float(right - left)


def generic(**changes: object) -> dict:
    """A valid generic two-band sensor definition, with top-level keys replaced by ``changes``."""
    definition = {
        "title": "A camera of my own",
        "gsd_m": 5,
        "kind": "multispectral",
        "storage": {"dtype": "uint16", "scale": 1.0e-4, "offset": 0.0, "nodata": 0},
        "qa": {"kind": "none"},
        "srf": {"kind": "gaussian"},
        "bands": [
            {"name": "R", "label": "red", "centre_nm": 660.0, "fwhm_nm": 40.0},
            {"name": "N", "label": "nir", "centre_nm": 840.0, "fwhm_nm": 60.0},
        ],
    }
    return {**definition, **changes}


def test_registry_holds_the_spec_sensors() -> None:
    assert sensor_names() == sorted(BAND_COUNTS)


@pytest.mark.parametrize("name", sorted(BAND_COUNTS))
def test_registry_file_validates_and_loads(name: str) -> None:
    with (SENSOR_DIR / f"{name}.yaml").open() as handle:
        definition = yaml.safe_load(handle)
    with SCHEMA_PATH.open() as handle:
        jsonschema.Draft7Validator(yaml.safe_load(handle)).validate(definition)
    assert definition["sources"], "every registry sensor cites its sources"
    sensor = load_sensor(name)
    assert sensor.name == name
    assert len(sensor.bands) == BAND_COUNTS[name]
    assert sensor.band_names == [band["name"] for band in definition["bands"]]
    assert sensor.srf_kind == ("tabulated" if name in NOMINAL_NM else "gaussian")
    response = sensor.response(np.arange(300.0, 13001.0))  # to the thermal infrared of landsat8_tirs
    assert response.shape == (BAND_COUNTS[name], 12701)
    assert np.all(response >= 0) and np.all(response.max(axis=1) > 0.9)


@pytest.mark.parametrize("name", TABULATED)
def test_tabulated_srf_matches_nominal_ranges_and_yaml(name: str) -> None:
    sensor = load_sensor(name)
    table = np.genfromtxt(sensor.srf_table, delimiter=",", names=True)
    wavelengths = table["wavelength_nm"]
    assert table.dtype.names == ("wavelength_nm", *sensor.band_names)
    assert np.all(np.diff(wavelengths) == 1.0)
    for band, (lo, hi) in zip(sensor.bands, NOMINAL_NM[name], strict=True):
        response = table[band.name]
        assert response.min() >= 0.0 and response.max() == pytest.approx(1.0, abs=1e-4)
        peak = wavelengths[response.argmax()]
        assert lo - PEAK_TOLERANCE_NM <= peak <= hi + PEAK_TOLERANCE_NM, (band.name, peak)
        centroid = (wavelengths * response).sum() / response.sum()
        assert centroid == pytest.approx(band.centre_nm, abs=1.0), band.name
        assert lo <= band.centre_nm <= hi, band.name
        assert measured_fwhm(wavelengths, response) == pytest.approx(band.fwhm_nm, abs=1.0), band.name


def test_tabulated_response_interpolates_the_table_and_is_zero_outside() -> None:
    sensor = load_sensor("landsat8_oli")
    table = np.genfromtxt(sensor.srf_table, delimiter=",", names=True)
    w = table["wavelength_nm"]
    at_rows = sensor.response(w[100:103])
    assert at_rows[1] == pytest.approx(table["B2"][100:103])
    midway = sensor.response(np.array([w[100] + 0.5]))[1, 0]
    assert midway == pytest.approx((table["B2"][100] + table["B2"][101]) / 2)
    assert np.all(sensor.response(np.array([w[0] - 1.0, w[-1] + 1.0])) == 0.0)


@pytest.mark.parametrize("name", GAUSSIAN)
def test_gaussian_response_has_the_stated_centre_and_fwhm(name: str) -> None:
    sensor = load_sensor(name)
    for band in sensor.bands:
        wavelengths = np.arange(band.centre_nm - 2 * band.fwhm_nm, band.centre_nm + 2 * band.fwhm_nm, 0.01)
        response = sensor.response(wavelengths)[sensor.band_names.index(band.name)]
        assert wavelengths[response.argmax()] == pytest.approx(band.centre_nm, abs=0.01)
        assert response.max() == pytest.approx(1.0)
        assert measured_fwhm(wavelengths, response) == pytest.approx(band.fwhm_nm, abs=0.02)


def test_gf6_bands_are_in_product_order() -> None:
    sensor = load_sensor("gf6_wfv")
    assert sensor.band_names == [f"B{i}" for i in range(1, 9)]
    assert [b.label for b in sensor.bands] == [
        "blue", "green", "red", "nir", "red_edge_1", "red_edge_2", "purple", "yellow",
    ]
    assert [b.centre_nm for b in sensor.bands] == [488, 558, 659, 826, 701, 749, 432, 609]


def test_modis_uses_native_band_numbers() -> None:
    bands = {band.name: band for band in load_sensor("modis").bands}
    assert (bands["B1"].label, bands["B3"].label, bands["B4"].label) == ("red", "blue", "green")
    assert 620 < bands["B1"].centre_nm < 670 and 459 < bands["B3"].centre_nm < 479


def test_ahsi_layout() -> None:
    centres = np.array([band.centre_nm for band in load_sensor("zy1_02d_ahsi").bands])
    assert centres[:76].min() == pytest.approx(395) and centres[:76].max() == pytest.approx(1040)
    assert centres[76:].min() == pytest.approx(1005) and centres[76:].max() == pytest.approx(2500)


def test_unknown_sensor_names_it_and_says_how_to_define_one() -> None:
    with pytest.raises(ConfigError) as caught:
        load_sensor("spot7_naomi")
    message = str(caught.value)
    assert "spot7_naomi" in message and "landsat8_oli" in message and "`sensors:`" in message


def test_generic_sensor_from_config_loads() -> None:
    sensor = load_sensor("my_cam", {"my_cam": generic()})
    assert (sensor.name, sensor.gsd_m, sensor.band_names, sensor.srf_table) == ("my_cam", 5.0, ["R", "N"], None)
    assert sensor.storage.nodata == 0 and sensor.qa_kind == "none"
    response = sensor.response(np.array([660.0, 680.0, 840.0]))
    assert response[0] == pytest.approx([1.0, 0.5, 0.0], abs=1e-9)


def test_value_range_is_reflectance_unless_the_definition_says_otherwise() -> None:
    assert load_sensor("my_cam", {"my_cam": generic()}).value_range == (0.0, 1.0)
    assert load_sensor("my_cam", {"my_cam": generic(value_range=[-1, 1])}).value_range == (-1.0, 1.0)
    assert load_sensor("my_cam", {"my_cam": generic(value_range=None)}).value_range is None


def test_config_definition_overrides_the_registry() -> None:
    assert load_sensor("modis", {"modis": generic()}).title == "A camera of my own"


def test_generic_sensor_with_its_own_table(tmp_path) -> None:
    table = tmp_path / "srf.csv"
    table.write_text("wavelength_nm,R,N\n650,0,0\n660,1,0\n670,0,0.5\n680,0,1\n")
    sensor = load_sensor("my_cam", {"my_cam": generic(srf={"kind": "tabulated", "table": str(table)})})
    assert sensor.response(np.array([640.0, 655.0, 675.0, 700.0])).tolist() == [[0, 0.5, 0, 0], [0, 0, 0.75, 0]]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"bands": [{"name": "R", "label": "red", "centre_nm": 660.0}]}, "sensors.my_cam.bands.0"),
        (
            {"storage": {"dtype": "uint16", "scale": 1e-4, "offset": 0.0, "nodata": "zero"}},
            "sensors.my_cam.storage.nodata",
        ),
        ({"kind": "radar"}, "sensors.my_cam.kind"),
        ({"qa": {"kind": "fmask"}}, "sensors.my_cam.qa.kind"),  # the QA kinds of stfusion.qa, injected
        ({"srf": {"kind": "tabulated", "table": "no_such_table.csv"}}, "sensors.my_cam.srf.table"),
        ({"bands": [generic()["bands"][0]] * 2}, "sensors.my_cam.bands"),
        ({"value_range": [1, 0]}, "sensors.my_cam.value_range"),
        ({"value_range": [0]}, "sensors.my_cam.value_range"),
    ],
)
def test_invalid_generic_sensor_names_the_key(changes: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=f"`{key}`"):
        load_sensor("my_cam", {"my_cam": generic(**changes)})
