"""An ensemble's weights file, ``results/<site>/ensemble/<method>/weights.json`` (rule ensemble_weights): its members,
its fitting dates (those every member holds out), each member's cross-validated RMSE on them, and the weights per
band and member fitted on all of them (``all_dates``: applied to every other date) and without each one
(``without``: applied to that date, whose score is then held out). Read back by rule ensemble_predict and the report."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .stacking import DateWeights


@dataclass(frozen=True)
class EnsembleWeights:
    """An ensemble's weights file in memory; ``weights``' arrays are (bands, members)."""

    method: str
    model: str
    members: list[str]
    bands: list[str]
    fitting_dates: list[str]
    cross_validated_rmse: dict[str, float]
    weights: DateWeights

    def to_json(self) -> str:
        return json.dumps({
            "method": self.method, "model": self.model, "members": self.members, "bands": self.bands,
            "fitting_dates": self.fitting_dates, "cross_validated_rmse": self.cross_validated_rmse,
            "all_dates": by_band(self.weights.all_dates, self.bands, self.members),
            "without": {date: by_band(w, self.bands, self.members) for date, w in self.weights.without.items()},
        }, indent=1)

    @classmethod
    def from_json(cls, path: str | Path) -> EnsembleWeights:
        data = json.loads(Path(path).read_text())
        bands, members = data["bands"], data["members"]
        weights = DateWeights(as_array(data["all_dates"], bands, members),
                              {date: as_array(w, bands, members) for date, w in data["without"].items()})
        return cls(data["method"], data["model"], members, bands, data["fitting_dates"],
                   data["cross_validated_rmse"], weights)


def by_band(weights: np.ndarray, bands: Sequence[str], members: Sequence[str]) -> dict[str, dict[str, float]]:
    """{band: {member: weight}} of a (bands, members) array."""
    return {band: {member: float(w) for member, w in zip(members, row)} for band, row in zip(bands, weights)}


def as_array(weights: Mapping[str, Mapping[str, float]], bands: Sequence[str], members: Sequence[str]) -> np.ndarray:
    """The (bands, members) array of ``by_band``'s mapping."""
    return np.array([[weights[band][member] for member in members] for band in bands])
