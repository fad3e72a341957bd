"""STS-MTL as a spatio-temporal-spectral method (``sts.method``): Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning", trained by ``chain.train_sts`` (supervised by the
truth of the HS dates under the simulation protocol, by Wald's protocol otherwise) and predicting one date by
``chain.TrainedSTS.predict``."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .chain import STSSettings, TrainedSTS, train_sts, wald_scores
from .data import SiteSeries
from .method import SRF, STSMethod

log = logging.getLogger("stfusion")


class STSMTL(STSMethod):
    """``settings``: the chain's (``STSSettings.from_config``); ``state``: the trained model without its series
    (``TrainedSTS.state``), None before ``fit``."""

    def __init__(self, settings: STSSettings) -> None:
        self.settings = settings
        self.state: dict | None = None

    @classmethod
    def from_config(cls, method: Mapping, spec: Mapping, config: Mapping) -> STSMTL:
        return cls(STSSettings.from_config(method, spec, config["training"], config["seed"]))

    def fit(self, series: SiteSeries, srf: SRF, folder: Path, truth: np.ndarray | None = None) -> dict:
        """Train on the series; the record holds the kept components, task weights, history and, under Wald's
        protocol, the scores at the scale it learnt on (``chain.wald_scores``)."""
        model = train_sts(series.fine, series.fine_days, series.ms, series.ms_days, series.hs, series.hs_days,
                          srf.hs_to_ms, srf.hs_to_fine, self.settings, Path(folder) / "checkpoint.pt", truth=truth,
                          truth_dates=None if truth is None else series.hs_days)
        self.state = model.state()
        record = {"components": model.pca.n_components, "task_weights": model.task_weights, "history": model.history}
        if truth is None:
            record["wald"] = wald_scores(model)
            log.info("Wald-scale scores (HS dates, own images withheld): %s", record["wald"])
        return record

    def fitted_state(self) -> dict:
        if self.state is None:
            raise ValueError("STS-MTL is saved once fitted: call fit first")
        return self.state

    def restore_fitted(self, state: Mapping) -> None:
        self.state = dict(state)

    def predict(self, series: SiteSeries, srf: SRF, day: float) -> np.ndarray:
        if self.state is None:
            raise ValueError("STS-MTL predicts once fitted: call fit or load a saved model")
        return TrainedSTS.from_state(self.state, series, self.settings).predict(day)
