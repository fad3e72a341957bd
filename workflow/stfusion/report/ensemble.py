"""The report's cross-validation tables (issue 26): each method's RMSE per band over the dates every method holds out
(metrics/cross_validation.tsv), and each ensemble's weights per band and member with the members' cross-validated
RMSE on its fitting dates and its own held-out RMSE there (its weights.json; stfusion.ensemble)."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Mapping

import pandas as pd

from ..ensemble.weights_file import EnsembleWeights
from ..evaluation import HELD_OUT
from .tables import html_table, metric_table, number

ALL_BANDS = "all"  # cross_validation.tsv's band average
CV_RMSE = "cross-validated RMSE"


@dataclass
class Ensembles:
    """What the report shows: ``scores``, methods x bands (the band average last); per ensemble its weights,
    members x bands plus each member's cross-validated RMSE, and a caption with its dates and its own score."""

    scores: pd.DataFrame
    weights: dict[str, pd.DataFrame]
    captions: dict[str, str]


def cross_validated_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Methods x bands: each method's RMSE averaged over the dates every method holds out (``common``) of a
    cross-validation table (stfusion.cross_validation); no rows when there is no such date."""
    rows = table[table.common & (table.role == HELD_OUT)]
    frame = rows.pivot_table(index="method", columns="band", values="rmse", aggfunc="mean")
    columns = [band for band in frame.columns if band != ALL_BANDS] + [ALL_BANDS] * (ALL_BANDS in frame.columns)
    return frame[columns].rename_axis(index="method", columns=None)


def weights_table(fitted: EnsembleWeights) -> pd.DataFrame:
    """Members x bands: the weights fitted on every fitting date, then each member's cross-validated RMSE."""
    frame = pd.DataFrame(fitted.weights.all_dates.T, index=pd.Index(fitted.members, name="member"),
                         columns=fitted.bands)
    return frame.assign(**{CV_RMSE: [fitted.cross_validated_rmse[m] for m in fitted.members]})


def held_out_rmse(table: pd.DataFrame, method: str, dates: list[str]) -> float:
    """The method's band-averaged RMSE averaged over ``dates`` on which it is held out."""
    rows = table[(table.method == method) & (table.band == ALL_BANDS) & (table.role == HELD_OUT)
                 & table.date.isin(dates)]
    return float(rows.rmse.mean())


def caption(fitted: EnsembleWeights, table: pd.DataFrame) -> str:
    """What the ensemble's weights are fitted on and how it scores against its best member on those dates."""
    best = min(fitted.cross_validated_rmse, key=fitted.cross_validated_rmse.get)
    model = "stacked weights" if fitted.model == "ensemble" else "one-hot weights of the best member"
    return (f"{fitted.method} ({model}), fitted on the {len(fitted.fitting_dates)} dates every member holds out "
            f"({', '.join(fitted.fitting_dates)}); each of those dates is predicted with the weights fitted without "
            f"it. Held-out RMSE there: {held_out_rmse(table, fitted.method, fitted.fitting_dates):.4f}, best member "
            f"{best} {fitted.cross_validated_rmse[best]:.4f}.")


def load_ensembles(cross_validation: str, weights: Mapping[str, str]) -> Ensembles:
    """The tables of a site from its cross_validation.tsv and its ensembles' weights.json files (ensemble -> path)."""
    table = pd.read_csv(cross_validation, sep="\t", dtype={"date": str})
    fitted = {name: EnsembleWeights.from_json(path) for name, path in weights.items()}
    return Ensembles(cross_validated_scores(table), {name: weights_table(f) for name, f in fitted.items()},
                     {name: caption(f, table) for name, f in fitted.items()})


def ensembles_html(ensembles: Ensembles) -> str:
    """The cross-validated scores (best in bold), then each ensemble's weights table."""
    parts = ["<h4>Cross-validated RMSE per band</h4>"]
    if ensembles.scores.empty:
        parts.append("<p>No date is held out by every method: see each ensemble's members below.</p>")
    else:
        parts.append(metric_table(ensembles.scores, "RMSE over the dates every method holds out"))
    for name, frame in ensembles.weights.items():
        parts += [f"<h4>Weights of {escape(name)}</h4>",
                  html_table(frame, lambda column, value: number("rmse", value) if column == CV_RMSE else f"{value:.3f}",
                             caption=ensembles.captions[name])]
    return "".join(parts)
