"""Paper 000's simulation protocol ("Dataset I", Section 4.1): every input series made from a truth series.

A fine-resolution hyperspectral truth Z on every date is degraded into the three observed series:
- fine multispectral (ZY1-02D VNIC in the paper) on the fine dates: Z through the fine sensor's SRFs;
- high-temporal multispectral (GF-6 WFV) on every date: Z through its SRFs, then degraded spatially by
  ``ms_ratio`` (bilinear interpolation, as in the paper);
- hyperspectral (ZY1-02D AHSI) on the hyperspectral dates: Z degraded spatially by ``hs_ratio``.
With 3:2:1 ratios (the paper: 90 m HS, 60 m MS, 30 m fine from 30 m truth) every output date has a truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..sensors import Sensor
from ..simulate import degrade, spectral_weights


@dataclass(frozen=True)
class SimulatedSeries:
    """The three observed series, their dates, and the SRF matrices that made them (rows sum to 1)."""

    fine: np.ndarray        # (T_f, C_f, H, W)
    fine_dates: list[str]
    ms: np.ndarray          # (T, C_m, H / ms_ratio, W / ms_ratio)
    ms_dates: list[str]
    hs: np.ndarray          # (T_h, C_h, H / hs_ratio, W / hs_ratio)
    hs_dates: list[str]
    hs_to_fine: np.ndarray  # (C_f, C_h)
    hs_to_ms: np.ndarray    # (C_m, C_h)


def simulate_series(truth: dict[str, np.ndarray], centres_nm: np.ndarray, fine_sensor: Sensor, ms_sensor: Sensor,
                    fine_dates: list[str], hs_dates: list[str], ms_ratio: int = 2, hs_ratio: int = 3,
                    method: str = "bilinear") -> SimulatedSeries:
    """Degrade ``truth`` (date -> (C_h, H, W) cube with band centres ``centres_nm``) as in Dataset I.

    Every truth date is a multispectral date; ``fine_dates`` and ``hs_dates`` must be among them.
    """
    dates = sorted(truth)
    for key, chosen in (("fine_dates", fine_dates), ("hs_dates", hs_dates)):
        unknown = sorted(set(chosen) - set(dates))
        if unknown or len(chosen) == 0:
            raise ConfigError(f"sts.{key} must be a non-empty subset of the truth dates ({', '.join(dates)}); "
                              f"not found: {', '.join(unknown) or '(none given)'}")
    if len(dates) < 3:
        raise ConfigError(f"the simulation protocol needs at least 3 truth dates, got {len(dates)}")
    hs_to_fine = spectral_weights(centres_nm, fine_sensor)
    hs_to_ms = spectral_weights(centres_nm, ms_sensor)
    return SimulatedSeries(
        fine=np.stack([observe(truth[d], hs_to_fine, 1) for d in sorted(fine_dates)]),
        fine_dates=sorted(fine_dates),
        ms=np.stack([observe(truth[d], hs_to_ms, ms_ratio, method) for d in dates]),
        ms_dates=dates,
        hs=np.stack([observe(truth[d], None, hs_ratio, method) for d in sorted(hs_dates)]),
        hs_dates=sorted(hs_dates),
        hs_to_fine=hs_to_fine,
        hs_to_ms=hs_to_ms,
    )


def observe(truth: np.ndarray, weights: np.ndarray | None, ratio: int, method: str = "bilinear") -> np.ndarray:
    """One observation of a truth cube (C_h, H, W): through the SRF matrix ``weights`` (target bands x C_h;
    None keeps the hyperspectral bands), then degraded spatially by ``ratio`` with ``method``."""
    cube = truth if weights is None else np.tensordot(weights.astype(truth.dtype), truth, axes=1)
    return degrade(cube, ratio, method)
