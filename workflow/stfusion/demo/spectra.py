"""Analytic endmember reflectance spectra, 400-2500 nm, for the demo site.

No library spectra are shipped: every endmember is a smooth continuum (logistic steps or a
saturating curve) multiplied by Beer-Lambert absorption bands, exp(-sum depth * Gaussian).
Positions and depths follow the textbook shapes of field spectra (e.g. the USGS splib07 and
ECOSTRESS libraries; Clark et al. 1990 for mineral bands; Jacquemoud & Baret 1990 / PROSPECT for
leaves): they are plausible, not measured.
"""
from __future__ import annotations

import numpy as np

ENDMEMBER_NAMES = (
    "soil_dry",
    "soil_wet",
    "green_vegetation",
    "senescent_vegetation",
    "conifer_forest",
    "water",
    "asphalt",
    "concrete",
    "roof_tile",
)


def _gauss(wl: np.ndarray, centre_nm: float, width_nm: float) -> np.ndarray:
    """Unit-height Gaussian band."""
    return np.exp(-0.5 * ((wl - centre_nm) / width_nm) ** 2)


def _logistic(wl: np.ndarray, centre_nm: float, width_nm: float) -> np.ndarray:
    """Smooth step from 0 to 1 around centre_nm."""
    return 0.5 * (1.0 + np.tanh(0.5 * (wl - centre_nm) / width_nm))


def _absorption(wl: np.ndarray, bands: list[tuple[float, float, float]]) -> np.ndarray:
    """Beer-Lambert transmittance exp(-sum depth * Gaussian) of (centre_nm, width_nm, depth) bands."""
    depth = sum(d * _gauss(wl, c, w) for c, w, d in bands)
    return np.exp(-depth)


def _liquid_water_depth(wl: np.ndarray) -> np.ndarray:
    """Relative optical depth of liquid water (shape of Hale & Querry 1973 / Kou et al. 1993).

    Weak overtone bands at 970 and 1200 nm, strong ones at 1450 and 1940 nm, and a continuum
    that rises past 1380 nm and again towards 2500 nm. Scaled to one for a green leaf canopy
    (~0.015 cm equivalent water thickness).
    """
    bands = (
        0.065 * _gauss(wl, 970, 35)
        + 0.18 * _gauss(wl, 1200, 40)
        + 0.92 * _gauss(wl, 1450, 60)
        + 1.5 * _gauss(wl, 1940, 80)
    )
    continuum = (
        0.45 * _logistic(wl, 1380, 40) + 0.65 * _logistic(wl, 2050, 80) + 0.8 * _logistic(wl, 2450, 40)
    )
    return bands + continuum


def _leafy_canopy(
    wl: np.ndarray, *, green_peak: float, pigment_floor: float, nir_plateau: float, water_scale: float
) -> np.ndarray:
    """Closed vegetation canopy.

    Chlorophyll and carotenoids absorb blue and red, leaving a pigment floor with a green peak
    at 555 nm; the red edge is a logistic step at 718 nm (the red-edge inflection point of
    healthy leaves, ~715-725 nm) up to the NIR plateau set by leaf-structure scattering; leaf
    water (scaled _liquid_water_depth) cuts the NIR/SWIR at 970, 1200, 1450 and 1940 nm.
    """
    visible = pigment_floor + green_peak * _gauss(wl, 555, 35)
    red_edge = (nir_plateau - pigment_floor) * _logistic(wl, 718, 11)
    return (visible + red_edge) * np.exp(-water_scale * _liquid_water_depth(wl))


def _soil_dry(wl: np.ndarray) -> np.ndarray:
    """Dry loamy soil.

    Continuum 0.06 + 0.30 * (1 - exp(-(wl - 350) / 500)): the smooth rise from blue to SWIR of
    soils (iron oxides absorb the blue, organic matter darkens the visible). Weak bands: Fe3+
    crystal field at ~900 nm, bound OH/H2O at 1410 and 1910 nm, clay Al-OH at 2205 nm.
    """
    continuum = 0.06 + 0.30 * (1.0 - np.exp(-np.maximum(wl - 350.0, 0.0) / 500.0))
    bands = [(900, 80, 0.04), (1410, 25, 0.15), (1910, 35, 0.25), (2205, 20, 0.12)]
    return continuum * _absorption(wl, bands)


def _soil_wet(wl: np.ndarray) -> np.ndarray:
    """Moist soil: ~40 % darker at all wavelengths, plus pore-water absorption.

    Soil reflectance falls roughly exponentially with moisture and most in the SWIR water
    bands (Lobell & Asner 2002).
    """
    return 0.6 * _soil_dry(wl) * np.exp(-0.6 * _liquid_water_depth(wl))


def _senescent_vegetation(wl: np.ndarray) -> np.ndarray:
    """Straw, stubble and dry grass (non-photosynthetic vegetation).

    No chlorophyll, so no red edge: a brown logistic rise around 640 nm and a gentle one in the
    NIR; the SWIR stays bright, cut by cellulose/lignin bands at 1730, 2100 and 2300 nm (the
    basis of the cellulose absorption index, Daughtry 2001) and by a little residual water.
    """
    continuum = 0.06 + 0.26 * _logistic(wl, 640, 60) + 0.10 * _logistic(wl, 1100, 150)
    bands = [(1730, 30, 0.08), (2100, 45, 0.35), (2300, 30, 0.10)]
    return continuum * _absorption(wl, bands) * np.exp(-0.25 * _liquid_water_depth(wl))


def _water(wl: np.ndarray) -> np.ndarray:
    """Slightly turbid inland water.

    Brightest in blue-green, where pure water absorbs least; a small sediment/phytoplankton
    bump near 560 nm; water absorption makes it nearly black from the red onwards and ~0 past
    900 nm.
    """
    return (
        0.06 * (1.0 - _logistic(wl, 600, 35))
        + 0.015 * _gauss(wl, 560, 60)
        + 0.005 * (1.0 - _logistic(wl, 900, 30))
    )


def _asphalt(wl: np.ndarray) -> np.ndarray:
    """Aged asphalt: dark, slowly brightening to the SWIR, weak hydrocarbon bands at 1730 and 2310 nm."""
    continuum = 0.05 + 0.06 * _logistic(wl, 900, 400)
    return continuum * _absorption(wl, [(1730, 25, 0.10), (2310, 30, 0.12)])


def _concrete(wl: np.ndarray) -> np.ndarray:
    """Concrete/cement: bright and flat, a rise in the blue, carbonate band at 2340 nm, weak OH at 1910 nm."""
    continuum = 0.22 + 0.10 * _logistic(wl, 500, 60) - 0.05 * _logistic(wl, 2000, 200)
    return continuum * _absorption(wl, [(1910, 40, 0.08), (2340, 35, 0.15)])


def _roof_tile(wl: np.ndarray) -> np.ndarray:
    """Red clay roof tile: steep iron-oxide edge at ~590 nm, Fe3+ band at ~870 nm, clay OH at 2205 nm."""
    continuum = 0.06 + 0.22 * _logistic(wl, 590, 25) + 0.08 * _logistic(wl, 1100, 200)
    return continuum * _absorption(wl, [(870, 70, 0.10), (1410, 25, 0.05), (2205, 25, 0.08)])


def endmember_spectra(wavelengths_nm: np.ndarray) -> dict[str, np.ndarray]:
    """Reflectance (0..1, float64) of every endmember in ENDMEMBER_NAMES at the given wavelengths."""
    wl = np.asarray(wavelengths_nm, dtype=float)
    spectra = {
        "soil_dry": _soil_dry(wl),
        "soil_wet": _soil_wet(wl),
        "green_vegetation": _leafy_canopy(
            wl, green_peak=0.08, pigment_floor=0.035, nir_plateau=0.48, water_scale=1.0
        ),
        "senescent_vegetation": _senescent_vegetation(wl),
        # needle canopies are darker everywhere: crown shadows and clumped shoots (Rautiainen 2005)
        "conifer_forest": _leafy_canopy(
            wl, green_peak=0.04, pigment_floor=0.02, nir_plateau=0.28, water_scale=1.1
        ),
        "water": _water(wl),
        "asphalt": _asphalt(wl),
        "concrete": _concrete(wl),
        "roof_tile": _roof_tile(wl),
    }
    return {name: np.clip(spectra[name], 0.0, 1.0) for name in ENDMEMBER_NAMES}
