"""The simulation protocol ("Dataset I", Section 4.1) of Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning": every input series made from a truth series.

A fine-resolution hyperspectral truth Z on every date is degraded into the three observed series:
- fine multispectral (ZY1-02D VNIC in the paper) on the fine dates: Z through the fine sensor's SRFs;
- high-temporal multispectral (GF-6 WFV) on every date: Z through its SRFs, then degraded spatially by
  ``ms_ratio`` (bilinear interpolation, as in the paper);
- hyperspectral (ZY1-02D AHSI) on the hyperspectral dates: Z degraded spatially by ``hs_ratio``.
With 3:2:1 ratios (the paper: 90 m HS, 60 m MS, 30 m fine from 30 m truth) every output date has a truth.
The rule sts_simulate makes each scene by ``observe``.
"""
from __future__ import annotations

import numpy as np

from ..simulate import degrade


def observe(truth: np.ndarray, weights: np.ndarray | None, ratio: int, method: str = "bilinear") -> np.ndarray:
    """One observation of a truth cube (C_h, H, W): through the SRF matrix ``weights`` (target bands x C_h;
    None keeps the hyperspectral bands), then degraded spatially by ``ratio`` with ``method``."""
    cube = truth if weights is None else np.tensordot(weights.astype(truth.dtype), truth, axes=1)
    return degrade(cube, ratio, method)
