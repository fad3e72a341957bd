"""Spectral and spatial simulation (SPEC 2.5): known answers."""
import numpy as np
import pytest

from stfusion.errors import ConfigError
from stfusion.sensors import load_sensor
from stfusion.simulate import degrade, simulate_spectral, spectral_weights

HS_CENTRES = np.arange(400.0, 2501.0, 10.0)


@pytest.mark.parametrize("sensor", ["landsat8_oli", "modis", "sentinel2_msi", "gf6_wfv", "zy1_02d_ahsi"])
def test_flat_spectrum_gives_the_flat_value_in_every_band(sensor):
    target = load_sensor(sensor)
    cube = np.full((HS_CENTRES.size, 3, 4), 0.37, dtype=np.float32)
    out = simulate_spectral(cube, HS_CENTRES, target)
    assert out.shape == (len(target.bands), 3, 4)
    np.testing.assert_allclose(out, 0.37, rtol=1e-5)


def test_weights_sum_to_one_and_pick_the_band_region():
    weights = spectral_weights(HS_CENTRES, load_sensor("landsat8_oli"))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    red = weights[3]  # B4, 630-680 nm
    assert HS_CENTRES[red > 0].min() >= 620 and HS_CENTRES[red > 0].max() <= 690


def test_linear_spectrum_gives_the_band_centroid():
    """For a spectrum equal to the wavelength, a band returns its response-weighted mean wavelength."""
    target = load_sensor("modis")
    centres = np.arange(400.0, 2501.0, 1.0)
    out = simulate_spectral(centres[:, None, None], centres, target)[:, 0, 0]
    np.testing.assert_allclose(out, [b.centre_nm for b in target.bands], atol=1.0)


def test_a_band_outside_the_source_range_is_an_error():
    with pytest.raises(ConfigError, match="no response at any source band centre"):
        spectral_weights(np.arange(400.0, 1000.0, 10.0), load_sensor("modis"))


@pytest.mark.parametrize("method", ["bilinear", "area", "gaussian"])
def test_degrading_a_constant_returns_the_constant(method):
    image = np.full((2, 48, 32), 0.25, dtype=np.float32)
    out = degrade(image, 16, method)
    assert out.shape == (2, 3, 2)
    np.testing.assert_allclose(out, 0.25, rtol=1e-6)


def test_area_mean_is_the_block_mean():
    image = np.arange(2 * 4 * 6, dtype=np.float64).reshape(2, 4, 6)
    out = degrade(image, 2, "area")
    np.testing.assert_allclose(out[1, 0, 0], image[1, :2, :2].mean())
    np.testing.assert_allclose(out[0, 1, 2], image[0, 2:4, 4:6].mean())


@pytest.mark.parametrize("ratio", [2, 3, 16])
def test_bilinear_reproduces_a_linear_ramp_at_coarse_centres(ratio):
    """Bilinear interpolation is exact for a plane: the coarse value is the plane at the coarse centre."""
    rows, cols = 4 * ratio, 3 * ratio
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    out = degrade((0.5 + 0.01 * r + 0.02 * c)[None], ratio, "bilinear")[0]
    centre = (np.arange(4) * ratio + (ratio - 1) / 2)[:, None], (np.arange(3) * ratio + (ratio - 1) / 2)[None, :]
    np.testing.assert_allclose(out, 0.5 + 0.01 * centre[0] + 0.02 * centre[1])


def test_sizes_that_the_ratio_does_not_divide_are_refused():
    with pytest.raises(ValueError, match="not a whole number of 16 x 16 blocks"):
        degrade(np.zeros((1, 40, 32)), 16)
