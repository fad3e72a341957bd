"""The interface of every spatio-temporal-spectral method (``methods.STS``) of Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning": the fine hyperspectral image of
a date from a site's series (fine MS, high-temporal MS and HS images, ``data.SiteSeries``).

A method is built from the validated config by ``from_config`` (its ``sts_methods`` entry, the site's ``sts``
block and the config's ``training``, ``prediction`` and ``seed``; the registry entry's ``options`` as keyword
arguments), learns from the training series by ``fit`` (the rule sts_train; naive methods learn nothing and have
no such job), is written by ``save`` and read back by ``load``, and predicts one date by ``predict`` (the rule
sts_predict, from the scenes the series plan lists for the date). ``sts_method`` builds one through its registry
entry, so the rules' scripts name no method: adding one is its module and one line in ``methods.STS``
(docs/developer/adding-an-sts-method.md).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..errors import InputDataError
from ..io import atomic_path
from ..methods import STS
from .data import SiteSeries


class SRF(NamedTuple):
    """The SRF integration matrices of a site's sensors (``series.srf_matrices``, ``simulate.spectral_weights``)."""

    hs_to_fine: np.ndarray  # (C_f, C_h)
    hs_to_ms: np.ndarray  # (C_m, C_h)


class STSMethod(ABC):
    """One spatio-temporal-spectral method: settings from the config, fitted state after ``fit``."""

    @classmethod
    def from_config(cls, method: Mapping, spec: Mapping, config: Mapping, **options) -> STSMethod:
        """The unfitted method: ``method`` its ``sts_methods`` entry, ``spec`` the site's ``sts`` block, ``config``
        the sections ``training``, ``prediction`` and ``seed``, ``options`` its registry entry's. A method without
        settings is built as it is."""
        return cls(**options)

    def fit(self, series: SiteSeries, srf: SRF, folder: Path, truth: np.ndarray | None = None) -> dict:
        """Learn from the training series (``truth`` (T_h, C_h, H, W): the fine HS truth of its HS dates, under the
        simulation protocol); checkpoints go to ``folder``. Returns the training record (JSON)."""
        raise TypeError(f"{type(self).__name__} learns nothing: register it with the family `naive` (no sts_train job)")

    @abstractmethod
    def predict(self, series: SiteSeries, srf: SRF, day: float) -> np.ndarray:
        """The fine hyperspectral image (C_h, H, W) float32 of ``day`` (a day number, ``resample.day_numbers``)."""

    def save(self, path: str | Path) -> None:
        """Write the fitted method (settings and state) atomically; ``load`` reads it back."""
        with atomic_path(path) as tmp:
            torch.save(self, tmp)

    @staticmethod
    def load(path: str | Path) -> STSMethod:
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, EOFError) as err:
            raise InputDataError(f"STS model file {path} cannot be read ({err}): delete it and rerun sts_train") from err


def sts_method(method: Mapping, spec: Mapping, config: Mapping) -> STSMethod:
    """The method of the config entry ``method`` (``sts_methods.<name>``), through its registry entry."""
    entry = STS[method["model"]]
    return entry.load().from_config(method, spec, config, **entry.options)
