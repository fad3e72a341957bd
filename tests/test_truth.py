"""The config's truth (issue 27, item 7): its format checked when the DAG is built, and read like a scene of the
fine sensor (named or ordered bands, digital numbers through the sensor's storage, onto the site's grid)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from stfusion.errors import ConfigError, InputDataError
from stfusion.grid import SiteGrid
from stfusion.sensors import Storage, load_sensor
from stfusion.truth import check_truth, read_truth
from test_bad_input import Scenario, assert_failed_at_dag_build

SENSOR = load_sensor("landsat8_oli")
GRID = SiteGrid(crs="EPSG:32633", x_min=499680.0, y_max=5001600.0, pixel_size=30.0, width=32, height=16,
                ratios={"landsat8_oli": 1})
X10K = Storage(dtype="int16", scale=1e-4, offset=0.0, nodata=-9999)  # a site's `storage` of int16 x 10^4
REFLECTANCE = np.random.default_rng(3).uniform(0.01, 0.6, (len(SENSOR.bands), 16, 32)).astype("float32")


def write(path: Path, data: np.ndarray, names=None, pixel: float = 30.0, nodata=None) -> str:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype, crs=GRID.crs, transform=from_origin(GRID.x_min, GRID.y_max, pixel, pixel),
                       nodata=nodata) as dst:
        dst.write(data)
        if names:
            dst.descriptions = tuple(names)
    return str(path)


def test_float_reflectance_on_the_grid_is_read_as_it_is(tmp_path):
    truth = read_truth(write(tmp_path / "t.tif", REFLECTANCE, SENSOR.band_names), SENSOR, X10K, GRID)
    assert truth.names == SENSOR.band_names and np.array_equal(truth.data, REFLECTANCE)


def test_digital_numbers_are_read_through_the_storage_and_named_bands_in_any_order(tmp_path):
    """An int16 x 10^4 truth with its bands named, stored in reverse order: the reflectance of the sensor's bands."""
    dn = np.round(REFLECTANCE[::-1] * 1e4).astype("int16")
    truth = read_truth(write(tmp_path / "t.tif", dn, SENSOR.band_names[::-1]), SENSOR, X10K, GRID)
    np.testing.assert_allclose(truth.data, REFLECTANCE, atol=0.5e-4)


def test_unnamed_bands_in_the_sensors_order_and_a_finer_grid_averaged(tmp_path):
    """No descriptions, the sensor's band count: its order. At 15 m each 30 m pixel is the mean of its 2 x 2."""
    fine = np.repeat(np.repeat(REFLECTANCE, 2, axis=1), 2, axis=2)
    fine[:, ::2, ::2] += 0.04
    fine[:, 1::2, 1::2] -= 0.04
    truth = read_truth(write(tmp_path / "t.tif", fine, pixel=15.0), SENSOR, X10K, GRID)
    np.testing.assert_allclose(truth.data, REFLECTANCE, atol=1e-6)


@pytest.mark.parametrize(("names", "count", "found"), [
    (["B1", "B2", "B3", "B4", "B5", "B6", "B8"], 7, "bands named"),  # B7 missing, a band of another product
    (None, 6, "6 unnamed bands"),
])
def test_bands_that_are_not_the_sensors_are_refused(tmp_path, names, count, found):
    path = write(tmp_path / "t.tif", REFLECTANCE[:count], names)
    with pytest.raises(InputDataError, match=found) as err:
        read_truth(path, SENSOR, X10K, GRID)
    assert path in str(err.value) and "landsat8_oli" in str(err.value) and "descriptions" in str(err.value)


def truth_folder(tmp_path: Path, data: np.ndarray, dates=("2021-06-01", "2021-06-17"), **kw) -> str:
    for date in dates:
        write(tmp_path / f"{date}.tif", data, SENSOR.band_names, **kw)
    return str(tmp_path / "{date}.tif")


def test_a_truth_for_every_date_in_reflectance_passes(tmp_path):
    pattern = truth_folder(tmp_path, REFLECTANCE)
    check_truth(pattern, "sites.s.truth", "s", SENSOR, X10K, ["2021-06-01", "2021-06-17"])


def test_a_date_without_its_truth_file_is_refused(tmp_path):
    pattern = truth_folder(tmp_path, REFLECTANCE, dates=("2021-06-01",))
    with pytest.raises(ConfigError, match=r"`sites.s.truth: .*` names no file for 1 of the site's 2 coarse dates"):
        check_truth(pattern, "sites.s.truth", "s", SENSOR, X10K, ["2021-06-01", "2021-06-17"])


@pytest.mark.parametrize(("data", "storage", "message"), [
    (REFLECTANCE * 1e4, X10K, "floating-point values up to about"),  # digital numbers stored as float
    (np.round(REFLECTANCE * 1e4).astype("int16"), Storage("int16", 1.0, 0.0, None), "reaches"),  # unscaled storage
])
def test_a_truth_not_on_the_scale_of_reflectance_is_refused(tmp_path, data, storage, message):
    pattern = truth_folder(tmp_path, data)
    with pytest.raises(InputDataError, match=message) as err:
        check_truth(pattern, "sites.s.truth", "s", SENSOR, storage, ["2021-06-01"])
    assert "2021-06-01.tif" in str(err.value) and "sites.s.storage.landsat8_oli" in str(err.value)


def test_the_dag_build_refuses_a_truth_without_the_fine_sensors_bands(tmp_path):
    """The new user's case: a truth exported without band names and with a band too few stops the run before
    any job, naming the file and the fix."""
    scenario = Scenario(tmp_path / "work")
    write(scenario.path("data/truth_2021-06-01.tif"), REFLECTANCE[:6])
    scenario.site["truth"] = "data/truth_{date}.tif"
    assert_failed_at_dag_build(scenario, scenario.run("-n"), "data/truth_2021-06-01.tif", "6 unnamed bands",
                               "landsat8_oli")
