"""Band matching: pair coarse and fine bands by the overlap of their spectral responses.

The overlap of two bands is the cosine similarity of their response curves on a 1 nm grid,
``<R_f, R_c> / (||R_f|| ||R_c||)``: 1 for identical curves, 0 for disjoint ones. Pairs are taken
greedily from the largest overlap, one coarse band per fine band, down to ``min_overlap``; the
result is ordered by the fine bands' centre wavelength. An explicit mapping replaces the search.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import ConfigError
from .sensors import Sensor



@dataclass(frozen=True)
class BandPair:
    """One matched band: its name in the matched products, and the source band of each sensor."""

    name: str
    fine: str
    coarse: str
    overlap: float


def _wavelengths(*sensors: Sensor) -> np.ndarray:
    """A 1 nm grid spanning every band of the sensors (centre +- 3 FWHM), thermal bands included."""
    bands = [b for s in sensors for b in s.bands]
    low = min(b.centre_nm - 3 * b.fwhm_nm for b in bands)
    high = max(b.centre_nm + 3 * b.fwhm_nm for b in bands)
    return np.arange(np.floor(max(low, 1.0)), np.ceil(high) + 1.0)


def srf_overlap(fine: Sensor, coarse: Sensor) -> np.ndarray:
    """(fine bands, coarse bands) cosine similarity of the spectral response curves."""
    wavelengths = _wavelengths(fine, coarse)
    rf = fine.response(wavelengths)
    rc = coarse.response(wavelengths)
    norm = np.linalg.norm(rf, axis=1)[:, None] * np.linalg.norm(rc, axis=1)[None, :]
    return np.divide(rf @ rc.T, norm, out=np.zeros(norm.shape), where=norm > 0)


def match_bands(
    fine: Sensor,
    coarse: Sensor,
    min_overlap: float = 0.2,
    mapping: Sequence[Sequence[str]] | None = None,
) -> tuple[list[BandPair], list[str]]:
    """Matched band pairs ordered by fine-band wavelength, and a warning per unmatched band.

    ``mapping`` is the config's explicit list of ``[fine_band, coarse_band]`` names.
    """
    overlap = srf_overlap(fine, coarse)
    if mapping:
        chosen = [(_index(fine, f, "fine"), _index(coarse, c, "coarse")) for f, c in mapping]
    else:
        chosen = []
        for flat in np.argsort(overlap, axis=None)[::-1]:
            i, j = np.unravel_index(flat, overlap.shape)
            if overlap[i, j] < min_overlap:
                break
            if all(i != a and j != b for a, b in chosen):
                chosen.append((int(i), int(j)))
    chosen.sort(key=lambda ij: fine.bands[ij[0]].centre_nm)
    pairs = [
        BandPair(
            name=fine.bands[i].label or fine.bands[i].name,
            fine=fine.bands[i].name,
            coarse=coarse.bands[j].name,
            overlap=round(float(overlap[i, j]), 4),
        )
        for i, j in chosen
    ]
    used_fine = {p.fine for p in pairs}
    used_coarse = {p.coarse for p in pairs}
    warnings = [f"{fine.name} band {b} has no matching {coarse.name} band and is dropped" for b in fine.band_names if b not in used_fine]
    warnings += [f"{coarse.name} band {b} has no matching {fine.name} band and is dropped" for b in coarse.band_names if b not in used_coarse]
    return pairs, warnings


def _index(sensor: Sensor, band: str, role: str) -> int:
    if band not in sensor.band_names:
        raise ConfigError(
            f"band_mapping names {role} band {band!r}, which sensor {sensor.name} does not have "
            f"(bands: {', '.join(sensor.band_names)}): fix the site's `band_mapping`"
        )
    return sensor.band_names.index(band)
