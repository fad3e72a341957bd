"""Scoring predictions against truth (SPEC 2.10), as tidy rows, and the per-site summary table."""
from __future__ import annotations

import pandas as pd

from .io import Raster
from .metrics import evaluate


def score_prediction(prediction: Raster, truth: Raster, matched: list[dict], pixel_ratio: float) -> list[dict]:
    """Rows of SPEC 4 metrics for one prediction; NDVI when the matched bands include red and nir.

    ``truth`` is either already band-matched (a held-out matched observation) or a raster of the
    fine sensor's bands (simulated truth), from which the matched bands are picked by name.
    """
    names = [pair["name"] for pair in matched]
    index = list(range(len(names))) if truth.names == names else [truth.names.index(p["fine"]) for p in matched]
    red = names.index("red") if "red" in names else None
    nir = names.index("nir") if "nir" in names else None
    return evaluate(truth.data[index], prediction.data, names, pixel_ratio, red=red, nir=nir)


def summary(scores: pd.DataFrame, metrics: tuple[str, ...] = ("rmse", "ssim", "cc", "psnr", "sam_deg", "ergas")) -> pd.DataFrame:
    """Methods x metrics, band-averaged and then averaged over the held-out dates, as in paper 001's tables."""
    held_out = scores[(scores.band == "all") & scores.held_out & scores.metric.isin(metrics)]
    table = held_out.pivot_table(index="method", columns="metric", values="value", aggfunc="mean")
    table["dates"] = held_out.groupby("method").date.nunique()
    return table[[m for m in metrics if m in table.columns] + ["dates"]]
