"""Scoring predictions against truth (SPEC 2.10), as tidy rows, and the per-site summary table."""
from __future__ import annotations

import pandas as pd

from .io import read_stack
from .metrics import evaluate


def truth_bands(truth_names: list[str], matched: list[dict]) -> list[int]:
    """Indices of the matched bands' fine-sensor bands in a truth raster of the fine sensor."""
    return [truth_names.index(pair["fine"]) for pair in matched]


def score_prediction(prediction: str, truth: str, truth_index: list[int], band_names: list[str],
                     pixel_ratio: float) -> list[dict]:
    """Rows of SPEC 4 metrics for one prediction; NDVI when the matched bands include red and nir."""
    red = band_names.index("red") if "red" in band_names else None
    nir = band_names.index("nir") if "nir" in band_names else None
    return evaluate(read_stack(truth)[truth_index], read_stack(prediction), band_names, pixel_ratio, red=red, nir=nir)


def summary(scores: pd.DataFrame, metrics: tuple[str, ...] = ("rmse", "ssim", "cc", "psnr", "sam_deg", "ergas")) -> pd.DataFrame:
    """Methods x metrics, band-averaged and then averaged over the held-out dates, as in paper 001's tables."""
    held_out = scores[(scores.band == "all") & scores.held_out & scores.metric.isin(metrics)]
    table = held_out.pivot_table(index="method", columns="metric", values="value", aggfunc="mean")
    table["dates"] = held_out.groupby("method").date.nunique()
    return table[[m for m in metrics if m in table.columns] + ["dates"]]
