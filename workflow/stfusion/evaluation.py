"""Scoring predictions against truth, as tidy rows, what each scored date was to the method (held out, validation or
training target), and the per-site summary tables (metrics: stfusion.metrics)."""
from __future__ import annotations

from typing import Collection

import numpy as np
import pandas as pd

from .errors import InputDataError
from .io import Raster
from .metrics import CUBE_TABLE, FUSION_TABLE, evaluate, image_scores, rmse

# The columns of a method's metrics CSV (rule evaluate), and the roles of a scored date (``target_role``).
SCORE_COLUMNS = ["site", "method", "date", "references", "role", "band", "metric", "value"]
HELD_OUT, VALIDATION, TRAINING = "held_out", "validation", "training"
TRAINING_JOB = "training"  # the date of a trained method's rows of its training job's run time and memory


def score_prediction(prediction: Raster, truth: Raster, matched: list[dict], pixel_ratio: float) -> list[dict]:
    """Rows of every metric (stfusion.metrics.METRICS) for one prediction; NDVI when the matched bands include red
    and nir.

    ``truth`` is either already band-matched (a held-out matched observation) or a raster of the
    fine sensor's bands (simulated truth), from which the matched bands are picked by name.
    """
    names = [pair["name"] for pair in matched]
    red = names.index("red") if "red" in names else None
    nir = names.index("nir") if "nir" in names else None
    return evaluate(truth_bands(truth, matched), prediction.data, names, pixel_ratio, red=red, nir=nir)


def rmse_by_coarse_state(truth: np.ndarray, prediction: np.ndarray, coarse_state: np.ndarray) -> list[dict]:
    """Band-averaged RMSE over the pixels whose coarse value was observed (``rmse_coarse_observed``) and over those
    whose coarse value was gap-filled (``rmse_coarse_filled``, either kind), from the prediction's quality band
    ``coarse_state`` (stfusion.quality_band); NaN where the date has no such pixel."""
    rows = []
    for metric, chosen in (("rmse_coarse_observed", coarse_state == 0), ("rmse_coarse_filled", coarse_state > 0)):
        value = float(np.nanmean(rmse(truth, np.where(chosen, prediction, np.nan)))) if chosen.any() else np.nan
        rows.append({"band": "all", "metric": metric, "value": value})
    return rows


def require_scores(values, prediction: str, truth: str, rule: str) -> None:
    """InputDataError naming the prediction file when every score of it (``values``) is empty (NaN): a table of
    empty cells would otherwise be written and the run end with exit 0."""
    if all(np.isnan(float(value)) for value in values):
        raise InputDataError(f"every score of the prediction {prediction} against {truth} is empty (NaN): they share "
                             f"no pixel valid in both. Look at the prediction (delete it and rerun the rule {rule} "
                             f"that writes it) and at the truth's cloud and nodata masks")


def truth_bands(truth: Raster, matched: list[dict]) -> np.ndarray:
    """The truth's bands in the matched order: as they are when already band-matched, else picked by the
    fine sensor's band names (a truth of the fine sensor's bands)."""
    names = [pair["name"] for pair in matched]
    if truth.names == names:
        return truth.data
    return truth.data[[truth.names.index(pair["fine"]) for pair in matched]]


def target_role(date: str, training: Collection[str], validation: Collection[str]) -> str:
    """What a scored date was to the method that predicted it: ``training``, the target of one of its training groups
    (an in-sample score); ``validation``, the target of one of its validation groups, whose scores chose the weights
    it kept (``train.best_epoch``); else ``held_out``, the only scores that compare methods honestly."""
    return TRAINING if date in training else VALIDATION if date in validation else HELD_OUT


def common_held_out_dates(scores: pd.DataFrame) -> list[str]:
    """The dates that every method of ``scores`` (tidy rows with ``role``) holds out, sorted; a method without a
    scored date (none of its predictions has a truth) has nothing to compare and is left out."""
    scored = scores[scores.date != TRAINING_JOB]
    held = scored[scored.role == HELD_OUT]
    dates = [set(held[held.method == method].date) for method in scored.method.unique()]
    return sorted(set.intersection(*dates)) if dates else []


def summary(scores: pd.DataFrame, metrics: tuple[str, ...] = FUSION_TABLE) -> pd.DataFrame:
    """Methods x metrics, band-averaged and then averaged over the dates every method holds out
    (``common_held_out_dates``), as in the tables of Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep
    Convolutional Model for Spatiotemporal Image Fusion"; ``dates``: their number. Each method's mean over its own
    dates would compare methods on different dates (a one-reference method predicts dates a two-reference one
    cannot, a deep method does not hold out its training and validation targets): ``own_dates_summary``."""
    dates = common_held_out_dates(scores)
    shown = [m for m in metrics if m in set(scores.metric)]
    rows = scores[(scores.band == "all") & scores.date.isin(dates) & scores.metric.isin(shown)]
    table = rows.pivot_table(index="method", columns="metric", values="value", aggfunc="mean")
    table = table.reindex(index=sorted(scores.method.unique()), columns=shown)
    return table.assign(dates=len(dates)).rename_axis(index="method", columns=None)


def own_dates_summary(scores: pd.DataFrame, metrics: tuple[str, ...] = FUSION_TABLE) -> pd.DataFrame:
    """Each method over its own dates, per ``role`` (rows: method, role): its held-out dates and, for a trained
    method, its validation targets (scores that chose its weights: optimistic); ``dates``: their number. Not a
    comparison of methods (``summary`` is); the scores of training targets are in-sample and left out."""
    rows = scores[(scores.band == "all") & scores.role.isin([HELD_OUT, VALIDATION]) & scores.metric.isin(metrics)]
    table = rows.pivot_table(index=["method", "role"], columns="metric", values="value", aggfunc="mean")
    table = table[[m for m in metrics if m in table.columns]].rename_axis(columns=None)
    return table.assign(dates=rows.groupby(["method", "role"]).date.nunique())


def score_cube(truth: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """The table metrics of Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via
    Multi-task Learning", of one hyperspectral date (bands, rows, cols): band-averaged CC, PSNR, SSIM and RMSE,
    and SAM in degrees (``CUBE_TABLE``)."""
    return image_scores(truth, prediction, CUBE_TABLE)


def sts_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Methods x (CC, SAM, PSNR, SSIM, RMSE, run time) per date and averaged over the held-out dates and over
    all dates, as in Peng et al.'s tables (rows: method, date, with dates 'held-out mean' and 'all mean')."""
    metrics = list(CUBE_TABLE)
    per_date = scores.set_index(["method", "date"])[metrics]
    held_out = scores[scores.held_out].groupby("method")[metrics].mean().assign(date="held-out mean")
    everything = scores.groupby("method")[metrics].mean().assign(date="all mean")
    means = pd.concat([held_out, everything]).reset_index().set_index(["method", "date"])
    table = pd.concat([per_date, means]).sort_index(level=0, sort_remaining=False)
    seconds = scores.groupby("method").seconds.first()
    return table.assign(seconds=[seconds[m] for m in table.index.get_level_values("method")])
