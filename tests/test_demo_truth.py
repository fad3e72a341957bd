"""Ground truth of the demo site: spectra, landscape, phenology, clouds and stripes."""
from __future__ import annotations

import math

import numpy as np
import pytest

from stfusion.demo.atmosphere import cloud_and_shadow, nodata_stripes, shadow_offset_px
from stfusion.demo.landscape import (
    CLASS_NAMES,
    CROP_NAMES,
    endmember_fractions,
    make_landscape,
    reflectance_cube,
)
from stfusion.demo.spectra import ENDMEMBER_NAMES, endmember_spectra

WAVELENGTHS = np.arange(400.0, 2501.0, 10.0)
RED, NIR = 655.0, 865.0


def _at(spectrum: np.ndarray, nm: float) -> float:
    return float(spectrum[int(np.argmin(np.abs(WAVELENGTHS - nm)))])


def _ndvi(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    return (nir - red) / (nir + red)


@pytest.fixture(scope="module")
def spectra() -> dict[str, np.ndarray]:
    return endmember_spectra(WAVELENGTHS)


@pytest.fixture(scope="module")
def site():
    return make_landscape((160, 160), 30.0, seed=3)


# ----------------------------------------------------------------------------- spectra


def test_spectra_cover_all_endmembers_in_range(spectra):
    assert set(spectra) == set(ENDMEMBER_NAMES)
    for name, values in spectra.items():
        assert values.shape == WAVELENGTHS.shape, name
        assert np.all((values >= 0.0) & (values <= 1.0)), name
        assert np.all(np.isfinite(values)), name


@pytest.mark.parametrize("name", ["green_vegetation", "conifer_forest"])
def test_vegetation_has_red_edge_green_peak_and_water_bands(spectra, name):
    veg = spectra[name]
    assert _ndvi(_at(veg, RED), _at(veg, NIR)) > 0.75
    assert _at(veg, 555) > _at(veg, 480) and _at(veg, 555) > _at(veg, 670)
    assert _at(veg, 1450) < 0.6 * _at(veg, 1650)
    assert _at(veg, 1940) < 0.6 * _at(veg, 2200)
    assert _at(veg, 970) < _at(veg, 1070)


def test_green_vegetation_nir_plateau(spectra):
    assert 0.4 <= _at(spectra["green_vegetation"], NIR) <= 0.55


def test_water_dark_beyond_red(spectra):
    water = spectra["water"]
    assert _at(water, 480) > 0.04
    assert _at(water, NIR) < 0.01
    assert np.all(water[WAVELENGTHS >= 1000] < 0.002)


def test_soils_rise_and_wet_soil_is_darker(spectra):
    dry, wet = spectra["soil_dry"], spectra["soil_wet"]
    assert _at(dry, 450) < _at(dry, RED) < _at(dry, NIR) < _at(dry, 1650)
    assert np.all(wet < dry)
    assert abs(_ndvi(_at(dry, RED), _at(dry, NIR))) < 0.2
    assert _at(dry, 2205) < _at(dry, 2150)  # clay Al-OH band


def test_built_up_materials_are_flat_and_not_green(spectra):
    for name in ("asphalt", "concrete"):
        values = spectra[name][WAVELENGTHS <= 1300]
        assert values.max() - values.min() < 0.1, name
    for name in ("asphalt", "concrete", "roof_tile"):
        assert _ndvi(_at(spectra[name], RED), _at(spectra[name], NIR)) < 0.1, name


# ----------------------------------------------------------------------------- landscape


def test_landscape_has_every_class_and_crop(site):
    assert site.class_names == CLASS_NAMES
    present = set(np.unique(site.cover))
    assert present == set(range(len(CLASS_NAMES)))
    assert set(site.field_crop.values()) == set(CROP_NAMES)


def test_field_ids_match_cropland(site):
    cropland = site.cover == CLASS_NAMES.index("cropland")
    assert np.array_equal(site.field_id > 0, cropland)
    assert set(np.unique(site.field_id[cropland]).tolist()) == set(site.field_crop)
    assert set(site.field_shift_days) == set(site.field_amplitude) == set(site.field_crop)


def test_landscape_reproducible_and_seed_dependent(site):
    again = make_landscape((160, 160), 30.0, seed=3)
    assert np.array_equal(site.cover, again.cover)
    assert np.array_equal(site.field_id, again.field_id)
    assert site.field_crop == again.field_crop
    assert np.array_equal(site.vigour, again.vigour)
    other = make_landscape((160, 160), 30.0, seed=4)
    assert (site.cover != other.cover).mean() > 0.2


def _mode_3x3(classes: np.ndarray, n_classes: int) -> np.ndarray:
    h, w = classes.shape
    blocks = classes.reshape(h // 3, 3, w // 3, 3).transpose(0, 2, 1, 3).reshape(h // 3, w // 3, 9)
    counts = np.stack([(blocks == k).sum(axis=-1) for k in range(n_classes)], axis=-1)
    return counts.argmax(axis=-1)


@pytest.mark.parametrize("seed", [0, 11])
def test_same_layout_at_10_and_30_m(seed):
    coarse = make_landscape((128, 128), 30.0, seed)
    fine = make_landscape((384, 384), 10.0, seed)
    agreement = (_mode_3x3(fine.cover, len(CLASS_NAMES)) == coarse.cover).mean()
    assert agreement > 0.9


def test_fields_span_many_30m_pixels_but_mix_within_480m(site):
    ids, sizes = np.unique(site.field_id[site.field_id > 0], return_counts=True)
    assert np.median(sizes) > 40  # > 3.6 ha at 30 m
    blocks = site.field_id.reshape(10, 16, 10, 16).transpose(0, 2, 1, 3).reshape(100, 256)
    mixed = [len(np.unique(b)) > 1 for b in blocks]
    assert np.mean(mixed) > 0.7


# ----------------------------------------------------------------------------- phenology and cube


def _largest_field(site, crop: str) -> np.ndarray:
    ids = [f for f, c in site.field_crop.items() if c == crop]
    sizes = [(site.field_id == f).sum() for f in ids]
    return site.field_id == ids[int(np.argmax(sizes))]


def _field_ndvi(site, field: np.ndarray, doy: float) -> float:
    cube = reflectance_cube(site, doy, np.array([RED, NIR]))
    return float(_ndvi(cube[0], cube[1])[field].mean())


def test_wheat_is_green_in_spring_and_maize_in_summer(site):
    wheat = _largest_field(site, "winter_wheat")
    maize = _largest_field(site, "maize")
    assert _field_ndvi(site, wheat, 120) > _field_ndvi(site, wheat, 200) + 0.3
    assert _field_ndvi(site, maize, 220) > _field_ndvi(site, maize, 120) + 0.3


def test_double_crop_has_two_peaks(site):
    field = _largest_field(site, "wheat_maize")
    trough = _field_ndvi(site, field, 175)
    assert _field_ndvi(site, field, 115) > trough + 0.3
    assert _field_ndvi(site, field, 235) > trough + 0.3


def test_fields_of_one_crop_differ(site):
    ids = [f for f, c in site.field_crop.items() if c == "maize"]
    assert len({round(site.field_shift_days[f], 3) for f in ids}) == len(ids)
    ndvi = [_field_ndvi(site, site.field_id == f, 195) for f in ids[:6]]
    assert np.ptp(ndvi) > 0.02


def test_reflectance_cube_shape_dtype_range(site):
    cube = reflectance_cube(site, 180.0, WAVELENGTHS)
    assert cube.shape == (WAVELENGTHS.size,) + site.cover.shape
    assert cube.dtype == np.float32
    assert np.all(np.isfinite(cube))
    assert cube.min() >= 0.0 and cube.max() <= 1.0
    assert cube.std(axis=(1, 2)).min() > 0.0


def test_fractions_sum_to_about_one(site):
    fractions = endmember_fractions(site, 150.0)
    assert fractions.shape == (len(ENDMEMBER_NAMES),) + site.cover.shape
    assert fractions.min() >= 0.0
    total = fractions.sum(axis=0)
    assert np.all(np.abs(total - 1.0) < 0.35)
    assert abs(total.mean() - 1.0) < 0.05


def test_texture_within_a_field(site):
    field = _largest_field(site, "soybean")
    cube = reflectance_cube(site, 210, np.array([NIR]))
    assert cube[0][field].std() > 0.002


def test_water_is_dark_in_nir(site):
    cube = reflectance_cube(site, 200, np.array([NIR]))
    assert cube[0][site.cover == CLASS_NAMES.index("water")].mean() < 0.03


# ----------------------------------------------------------------------------- atmosphere


@pytest.mark.parametrize("target", [0.05, 0.3, 0.75])
def test_cloud_cover_hits_target(target):
    cloud, shadow, thickness = cloud_and_shadow((200, 240), 30.0, target, 150.0, 50.0, 1500.0, seed=5)
    assert cloud.dtype == bool and shadow.dtype == bool and thickness.dtype == np.float32
    assert abs(cloud.mean() - target) <= 0.02
    assert not np.any(cloud & shadow)
    assert np.all(thickness[~cloud] == 0.0) and np.all(thickness[cloud] > 0.0)
    assert thickness.max() <= 1.0


def test_no_cloud_at_zero_cover():
    cloud, shadow, thickness = cloud_and_shadow((64, 64), 30.0, 0.0, 150.0, 50.0, 1500.0, seed=1)
    assert not cloud.any() and not shadow.any() and not thickness.any()


@pytest.mark.parametrize(
    ("azimuth", "row_sign", "col_sign"), [(180.0, -1, 0), (90.0, 0, -1), (135.0, -1, -1), (315.0, 1, 1)]
)
def test_shadow_offset_points_away_from_sun(azimuth, row_sign, col_sign):
    d_row, d_col = shadow_offset_px(30.0, azimuth, 45.0, 3000.0)
    assert math.hypot(d_row, d_col) == pytest.approx(100.0)
    assert np.sign(round(d_row, 6)) == row_sign and np.sign(round(d_col, 6)) == col_sign


def test_shadows_are_clouds_displaced_anti_solar():
    args = dict(pixel_size_m=30.0, sun_azimuth_deg=135.0, sun_elevation_deg=40.0, cloud_height_m=1200.0)
    cloud, shadow, _ = cloud_and_shadow((256, 256), cover_fraction=0.1, seed=2, **args)
    d_row, d_col = (int(round(d)) for d in shadow_offset_px(**args))
    assert shadow.any()
    rows, cols = np.nonzero(shadow)

    def cloud_fraction_at(r: np.ndarray, c: np.ndarray) -> float:
        inside = (r >= 0) & (r < 256) & (c >= 0) & (c < 256)
        assert inside.sum() > 50
        return float(cloud[r[inside], c[inside]].mean())

    # every shadow pixel's cloud sits towards the sun; looking the other way finds mostly clear sky
    assert cloud_fraction_at(rows - d_row, cols - d_col) == 1.0
    assert cloud_fraction_at(rows + d_row, cols + d_col) < 0.5


def test_nodata_stripes():
    stripes = nodata_stripes((300, 200), n_stripes=6, width_px=4, seed=0)
    assert stripes.dtype == bool and stripes.shape == (300, 200)
    assert stripes.mean() == pytest.approx(6 * 4 / 300, abs=0.01)
    assert stripes.any(axis=1).sum() < 300 * 0.2  # bands, not scattered pixels
    assert not nodata_stripes((50, 50), 0, 4, seed=0).any()
