"""One method's calibration at a site (rule uncertainty_calibration) and its half-width maps (rule uncertainty).

Calibration data: the method's held-out scored dates (role ``held_out`` of metrics/<method>.csv), or those of the
site's other methods where it holds out too few (stfusion.uncertainty.sources). From the samples of those
predictions (``sample_pixels``, seeded):

- the model of every date (``fit`` on all calibration dates), used for the dates it did not see;
- per calibration date the model calibrated without it (``leave_one_date_out_models``), used for that date's own
  map, so that no half-width of a calibration date comes from its own residuals;
- the reliability table of those leave-one-date-out models (``reliability_table``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..io import Raster, atomic_directory, write_text
from . import WRITTEN_LEVEL
from .calibration import PIXELS_PER_DATE, Samples, UncertaintyModel, fit, load_model, sample_pixels, save_model
from .date_files import DateFiles, SiteScenes, read_date
from .features import PixelFeatures
from .reliability import held_out_widths, leave_one_date_out_models, reliability_table

LEAVE_ONE_OUT = "leave_one_out"  # the folder of the per-date models, beside calibration.json


@dataclass(frozen=True)
class CalibrationPrediction:
    """A prediction whose residuals calibrate: by ``method`` (the calibrated one or, borrowed, another), its files
    and its truth."""

    method: str
    files: DateFiles
    truth: str


@dataclass(frozen=True)
class Calibration:
    """A method's models: of every date, of each calibration date left out, and their reliability table."""

    model: UncertaintyModel
    leave_one_out: Mapping[str, UncertaintyModel]
    reliability: pd.DataFrame


def calibration_samples(predictions: Sequence[CalibrationPrediction], scenes: SiteScenes,
                        read_truth: Callable[[str], np.ndarray], seed: int, count: int = PIXELS_PER_DATE) -> Samples:
    """``count`` pixels of each prediction (seeded), with their features and residual prediction - truth;
    ``read_truth`` gives a truth file's bands in the prediction's order."""
    rng = np.random.default_rng(seed)
    parts = []
    for entry in predictions:
        prediction, features = read_date(entry.files, scenes)
        residual = prediction.data - read_truth(entry.truth)
        parts.append(sample_pixels(features, residual, entry.files.date, rng, count))
    return Samples.concatenate(parts)


def calibrate(samples: Samples, bands: Sequence[str], what: str, methods: Sequence[str], seed: int) -> Calibration:
    """The models and reliability of ``samples``; ``what`` names the calibration data in errors, ``methods`` the
    methods whose residuals they are (noted in each model's JSON). Raises (InputDataError) before anything is
    written, as the library does with too few dates or pixels."""
    def noted(model: UncertaintyModel) -> UncertaintyModel:
        return dataclasses.replace(model, calibration={**model.calibration, "methods": list(methods)})

    left_out = leave_one_date_out_models(samples, bands, what, seed=seed)
    table = reliability_table(held_out_widths(samples, left_out), bands)
    return Calibration(noted(fit(samples, bands, what, seed=seed)), {d: noted(m) for d, m in left_out.items()},
                       table.assign(methods=",".join(methods)))


def write_calibration(calibration: Calibration, model_path: str | Path, folder: str | Path,
                      reliability_path: str | Path) -> None:
    """calibration.json, the folder of per-date models ({date}.json, replaced whole) and reliability.tsv."""
    with atomic_directory(folder) as tmp:
        for date, model in calibration.leave_one_out.items():
            save_model(Path(tmp) / f"{date}.json", model)
    save_model(model_path, calibration.model)
    write_text(reliability_path, calibration.reliability.to_csv(sep="\t", index=False))


def model_of_date(date: str, model_path: str | Path, folder: str | Path) -> tuple[UncertaintyModel, str]:
    """The model a date's map uses and what it is: the one calibrated without the date where the date calibrates,
    else the one of every calibration date."""
    left_out = Path(folder) / f"{date}.json"
    if left_out.is_file():
        return load_model(left_out), f"calibrated without {date} (a calibration date)"
    return load_model(model_path), "calibrated on every calibration date"


def half_width_map(model: UncertaintyModel, features: PixelFeatures, prediction: Raster) -> np.ndarray:
    """The (bands, rows, cols) half-width at WRITTEN_LEVEL, NaN where the prediction is."""
    widths = model.half_width(features, WRITTEN_LEVEL)
    return np.where(np.isfinite(prediction.data), widths, np.nan).astype(np.float32)
