"""The interface of every spatio-temporal-spectral method (``methods.STS``) of Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning": the fine hyperspectral image of
a date from a site's series (fine MS, high-temporal MS and HS images, ``data.SiteSeries``).

A method is built from the validated config by ``from_config`` (its ``sts_methods`` entry, the site's ``sts``
block and the config's ``training``, ``prediction`` and ``seed``; the registry entry's ``options`` as keyword
arguments), learns from the training series by ``fit`` (the rule sts_train; naive methods learn nothing and have
no such job), writes what it learnt by ``save`` (``fitted_state``: tensors and plain values, in a file with its
SHA-256, ``torch_artefact``) and takes it back, built again from the config, by ``load_fitted``, and predicts one
date by ``predict`` (the rule sts_predict, from the scenes the series plan lists for the date). ``sts_method``
builds one through its registry entry, so the rules' scripts name no method: adding one is its module and one line
in ``methods.STS`` (docs/developer/adding-an-sts-method.md).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputDataError
from ..integrity import rerun_hint
from ..methods import STS
from ..torch_artefact import load_artefact, save_artefact
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

    def fitted_state(self) -> dict:
        """What ``fit`` learnt, as tensors and plain values (``torch_artefact``); a method that learns nothing has none.
        The settings are not part of it: they come from the config, which ``load_fitted``'s method is built from."""
        return {}

    def restore_fitted(self, state: Mapping) -> None:
        """Take back what ``fit`` learnt from a ``fitted_state``."""

    def save(self, path: str | Path) -> None:
        """Write the fitted state with the method's class name, atomically and with its SHA-256."""
        save_artefact(path, {"method": type(self).__name__, "state": self.fitted_state()})

    def load_fitted(self, path: str | Path) -> STSMethod:
        """This method (built from the config by ``sts_method``) with the fitted state that the rule sts_train saved at
        ``path``; InputDataError naming the file when it is damaged or holds another method."""
        fix = rerun_hint(path, "sts_train")
        saved = load_artefact(path, fix)
        if saved.get("method") != type(self).__name__:
            raise InputDataError(f"{path} holds a fitted {saved.get('method')}, not a {type(self).__name__}: {fix}")
        try:
            self.restore_fitted(saved["state"])
        except (KeyError, RuntimeError, TypeError, ValueError) as err:
            raise InputDataError(f"{path} does not hold a fitted {type(self).__name__} ({type(err).__name__}: {err}): "
                                 f"{fix}") from err
        return self


def sts_method(method: Mapping, spec: Mapping, config: Mapping) -> STSMethod:
    """The method of the config entry ``method`` (``sts_methods.<name>``), through its registry entry."""
    entry = STS[method["model"]]
    return entry.load().from_config(method, spec, config, **entry.options)
