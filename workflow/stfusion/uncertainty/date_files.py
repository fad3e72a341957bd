"""The files of one prediction that its per-pixel features are read from (stfusion.uncertainty.features): the
prediction and its quality COG, every method's prediction of the same date (the spread), the date's gap-filled coarse
image, and the matched fine and coarse scenes of its references, named by the prediction's ``reference_dates`` tag.

A prediction without that tag (an ensemble's, which combines other methods' predictions and has no references of its
own) takes the references of the predictions it is compared with, the union of their tags.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..errors import InputDataError
from ..io import Raster, read_raster, read_stack
from .features import PixelFeatures, pixel_features

REFERENCES_TAG = "reference_dates"  # comma-joined ISO dates, written by rule predict (workflow/scripts/predict.py)


@dataclass(frozen=True)
class DateFiles:
    """One prediction's files: ``prediction``, ``quality``, ``spread`` (every prediction of the date that the
    spread is taken over, the scored one among them where it counts), ``coarse`` (the date's gap-filled coarse
    image)."""

    date: str
    prediction: str
    quality: str
    spread: Sequence[str]
    coarse: str

    @classmethod
    def from_mapping(cls, date: str, files: Mapping) -> "DateFiles":
        """From a rule parameter {prediction, quality, spread, coarse}."""
        return cls(date, files["prediction"], files["quality"], tuple(files["spread"]), files["coarse"])


@dataclass(frozen=True)
class SiteScenes:
    """The site's matched scenes of its kept pairs, by date: ``fine`` and ``coarse`` (the references' images), and
    the fine-to-coarse pixel ratio."""

    fine: Mapping[str, str]
    coarse: Mapping[str, str]
    ratio: int


def reference_dates(prediction: Raster, others: Sequence[Raster], path: str) -> list[str]:
    """The prediction's references: its ``reference_dates`` tag, else the union of the ``others``' tags;
    InputDataError naming the file when neither gives one."""
    own = prediction.tags.get(REFERENCES_TAG, "")
    dates = own.split(",") if own else sorted({d for o in others for d in o.tags.get(REFERENCES_TAG, "").split(",") if d})
    if not dates:
        raise InputDataError(f"{path} has no {REFERENCES_TAG!r} tag, nor has any other prediction of its date: the "
                             "features of its uncertainty need the reference pairs it was predicted from. Delete it "
                             "and rerun the rule that writes it")
    return dates


def read_date(files: DateFiles, scenes: SiteScenes) -> tuple[Raster, PixelFeatures]:
    """The prediction (as read) and its features."""
    prediction = read_raster(files.prediction)
    others = [read_raster(p) for p in files.spread if p != files.prediction]
    references = reference_dates(prediction, others, files.prediction)
    missing = [d for d in references if d not in scenes.fine]
    if missing:
        raise InputDataError(f"{files.prediction} was predicted from references {', '.join(missing)}, which are not "
                             f"kept pairs of its site now (kept: {', '.join(sorted(scenes.fine))}): delete it and "
                             "rerun the rule that writes it")
    spread = [o.data for o in others] + ([prediction.data] if files.prediction in files.spread else [])
    features = pixel_features(np.stack(spread) if spread else prediction.data[None],
                              np.stack([read_stack(scenes.fine[d]) for d in references]),
                              np.stack([read_stack(scenes.coarse[d]) for d in references]),
                              read_stack(files.coarse), read_stack(files.quality), scenes.ratio)
    return prediction, features
