"""Spectral super-resolution of real data by Wald's protocol: the spectral methods of Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning", on real data.

A real hyperspectral (HS) image and a co-registered multispectral (MS) image of the same grid are given;
the HS image at the MS resolution does not exist, so the HS image is degraded by ``ratio``
(``simulate.degrade``, by default the ratio x ratio block mean) and each method predicts it back at full
resolution from that coarse cube and the full-resolution MS image (Wald, Ranchin & Mangolini 1997,
PE&RS 63(6), 691-699: a fusion product degraded to the original resolution must be as close as possible to
the original). The real HS image is then the truth.

Each method is a ``spectral.method.SpectralMethod`` of the registry (``methods.SPECTRAL``): CNMF of the coarse
cube with the MS image, SRECNN trained on (MS degraded by ``ratio``, coarse cube) and applied to the MS image,
and the naive baseline, the coarse cube upsampled bicubically (``spectral.naive``). ``srf``: the HS band centres
integrated by the MS sensor's responses (``simulate.spectral_weights``).

A raster may hold a subset of its sensor's bands (Hyperion products usually keep about 130 of 242); its
band names say which, and ``bands_of`` gives the sensor restricted to them.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputDataError
from ..sensors import Sensor
from ..simulate import degrade
from .method import SpectralMethod


def bands_of(sensor: Sensor, names: Sequence[str], what: str) -> Sensor:
    """``sensor`` with only the bands ``names`` (a raster's band names), in that order; ``what`` names the raster."""
    known = {band.name: band for band in sensor.bands}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputDataError(f"{what}: bands {unknown} are not bands of sensor {sensor.name} ({len(known)} bands "
                             f"{sensor.band_names[0]} .. {sensor.band_names[-1]}): name the raster's bands "
                             "(descriptions) after the sensor's, or fix the sensor")
    return dataclasses.replace(sensor, bands=tuple(known[name] for name in names))


def wald_predict(method: SpectralMethod, hs: np.ndarray, ms: np.ndarray, srf: np.ndarray, ratio: int,
                 checkpoint: str | Path) -> np.ndarray:
    """The HS image (C_h, H, W) float32 predicted by ``method`` from hs degraded by ``ratio`` (with the method's
    ``degradation``) and ms (C_m, H, W). ``srf`` (C_m, C_h): the spectral response matrix; ``checkpoint``: where
    a trained method resumes its training."""
    if hs.shape[1:] != ms.shape[1:]:
        raise InputDataError(f"Wald's protocol needs the HS and MS images on one grid; got {hs.shape[1:]} and "
                             f"{ms.shape[1:]} pixels: resample or crop them to the same grid")
    coarse = degrade(hs, ratio, method.degradation)
    method.fit(ms, coarse, ratio, srf, checkpoint)
    return method.predict(ms, coarse, ratio, srf)
