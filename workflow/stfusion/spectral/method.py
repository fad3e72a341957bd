"""The interface of every spectral super-resolution method (``methods.SPECTRAL``): the HS cube at the MS
resolution from an MS image and the HS image of the same date (Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning": the spectral stage of the two-stage
baselines; Wald's protocol on real pairs, ``spectral.wald``).

A method is built from the validated config by ``from_config``, learns (where it learns) from one pair by
``fit`` and predicts by ``predict``; ``spectral_method`` builds one through its registry entry, so neither the
rules' scripts nor the two-stage baselines name a method.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..methods import SPECTRAL


class SpectralMethod(ABC):
    """hs (C_h, H / ratio, W / ratio) and ms (C_m, H, W) -> (C_h, H, W) float32; ``srf`` (C_m, C_h): the spectral
    response matrix (``simulate.spectral_weights``); ``degradation``: the spatial degradation from the MS to the
    HS grid (``simulate.degrade``)."""

    def __init__(self, degradation: str) -> None:
        self.degradation = degradation

    @classmethod
    def from_config(cls, run: Mapping, degradation: str, config: Mapping) -> SpectralMethod:
        """The method with its settings from the validated config: ``run`` its entry (epochs, lr, batch_size
        where it trains), ``config`` the sections ``training``, ``prediction`` and ``seed``."""
        return cls(degradation)

    def fit(self, ms: np.ndarray, hs: np.ndarray, ratio: int, srf: np.ndarray, checkpoint: str | Path) -> None:
        """Learn from one pair (``checkpoint``: where a trained method resumes); nothing to learn by default."""

    def fitted_state(self) -> dict:
        """What ``fit`` learnt, as tensors and plain values (saved with a two-stage STS method); none by default."""
        return {}

    def restore_fitted(self, state: Mapping) -> None:
        """Take back what ``fit`` learnt from a ``fitted_state``."""

    @abstractmethod
    def predict(self, ms: np.ndarray, hs: np.ndarray, ratio: int, srf: np.ndarray) -> np.ndarray:
        """The HS cube at the MS resolution."""


def spectral_method(name: str, run: Mapping, degradation: str, config: Mapping) -> SpectralMethod:
    """The registry's method ``name`` (``methods.SPECTRAL``) built from the config."""
    return SPECTRAL[name].load().from_config(run, degradation, config)
