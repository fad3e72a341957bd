"""The catalogue's full read of raw files (issue 27): a truncated Cloud-Optimized GeoTIFF is refused, and values
that contradict the storage applied to them are refused with the storage key at fault and the fix."""
from __future__ import annotations

import re

from dataclasses import replace

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from stfusion.errors import InputDataError
from stfusion.packaged import SENSOR_DIR
from stfusion.raw_values import check_fits_storage, read_in_full, storage_location, summarise
from stfusion.sensors import Storage, load_sensor

LANDSAT = load_sensor("landsat8_oli")
INT16 = Storage(dtype="int16", scale=1.0e-4, offset=0.0, nodata=-9999)
FLOAT = Storage(dtype="float32", scale=1.0, offset=0.0, nodata=None)


def cog(path, data: np.ndarray, nodata=None) -> str:
    with rasterio.open(path, "w", driver="COG", width=data.shape[2], height=data.shape[1], count=len(data),
                       dtype=data.dtype, crs="EPSG:32633", transform=from_origin(500000, 5000000, 30, 30),
                       nodata=nodata, blocksize=256) as dst:
        dst.write(data)
    return str(path)


def reflectance(rng: np.random.Generator, shape=(7, 64, 64)) -> np.ndarray:
    """Float reflectance 0..0.5 with small negatives (as atmospheric correction leaves them)."""
    return rng.uniform(-0.004, 0.5, shape).astype("float32")


def check(data: np.ndarray, storage: Storage, override: dict | None = None, sensor=LANDSAT) -> None:
    """The catalogue's check of one in-memory scene (one chunk) of ``data``."""
    summary = summarise([np.ma.masked_invalid(data)], str(data.dtype), storage, sensor.value_range)
    where = storage_location(sensor.name, "tiny", override)
    check_fits_storage(summary, "data/scene.tif", sensor, storage, "tiny", where)


def test_a_truncated_cog_is_refused_with_the_file_and_the_fix(tmp_path):
    """The header and overviews of a COG come first: a download cut in half opens and describes itself."""
    whole = cog(tmp_path / "whole.tif", np.random.default_rng(0).integers(0, 3000, (3, 600, 600)).astype("int16"))
    assert sum(chunk.count() for chunk in read_in_full(whole, "scene", "download it again")) == 3 * 600 * 600
    cut = tmp_path / "cut.tif"
    content = (tmp_path / "whole.tif").read_bytes()
    cut.write_bytes(content[: len(content) // 2])
    with rasterio.open(cut) as src:
        assert src.count == 3 and src.shape == (600, 600)
    with pytest.raises(InputDataError, match=f"scene file {cut} cannot be read in full .*truncated.*download it again"):
        for _ in read_in_full(str(cut), "scene", "download it again"):
            pass


def test_the_nodata_of_the_storage_is_not_counted_when_the_file_states_none(tmp_path):
    data = np.full((1, 4, 4), -9999, "int16")
    data[0, 0, :2] = (120, 4000)
    path = cog(tmp_path / "s.tif", data)
    summary = summarise(read_in_full(path, "scene", "", nodata=-9999), "int16", INT16, (0.0, 1.0))
    assert (summary.count, summary.low, summary.high) == (2, 120, 4000)


def test_float_reflectance_under_an_integer_storage_is_refused():
    """The issue's case: float32 0..1 under int16 x 1e-4 would become about 1e-5 and pass as a dark scene."""
    data = reflectance(np.random.default_rng(1))
    with pytest.raises(InputDataError) as caught:
        check(data, INT16, override={"scale": 1.0e-4})
    message = str(caught.value)
    assert re.search(r"data/scene.tif holds float32 values from -0.00\d+ to 0.5, already reflectance 0..1", message)
    assert "applies reflectance = DN * 0.0001 + 0, which would make them -3.99e-07 to 5e-05" in message
    assert "config key `sites.tiny.storage.landsat8_oli`" in message
    assert "set `sites.tiny.storage.landsat8_oli: {scale: 1, offset: 0}`" in message
    with pytest.raises(InputDataError, match=f"sensor landsat8_oli \\({SENSOR_DIR / 'landsat8_oli.yaml'}"):
        check(data, LANDSAT.storage)  # C2 storage x 2.75e-5 - 0.2: every value near -0.2


def test_integers_under_a_reflectance_storage_are_refused():
    data = np.random.default_rng(2).integers(0, 10000, (7, 64, 64)).astype("int16")
    with pytest.raises(InputDataError) as caught:
        check(data, FLOAT, override={"scale": 1.0})
    message = str(caught.value)
    assert "int16 values from 0 to 9999" in message and "sites.tiny.storage.landsat8_oli" in message
    assert "{scale: 1.0e-4, offset: 0}" in message


@pytest.mark.parametrize("data, storage", [
    (np.random.default_rng(3).integers(-40, 5000, (7, 64, 64)).astype("int16"), INT16),
    (np.random.default_rng(3).uniform(40, 5000, (7, 64, 64)).astype("float32"), INT16),  # numbers saved as float
    (reflectance(np.random.default_rng(3)), FLOAT),
], ids=["int16-x1e-4", "float-numbers-x1e-4", "float-reflectance"])
def test_values_that_fit_their_storage_pass(data, storage):
    data[:, 0, :5] = 30000 if data.dtype.kind == "i" else 1e30  # a few wild values do not decide
    check(data, storage)


def test_a_sensor_without_a_value_range_is_not_checked():
    kelvin = np.random.default_rng(4).uniform(280, 320, (1, 8, 8)).astype("float32")
    check(kelvin, FLOAT, sensor=replace(LANDSAT, value_range=None))
    with pytest.raises(InputDataError):
        check(kelvin, FLOAT)
