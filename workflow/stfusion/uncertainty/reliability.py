"""Is the stated uncertainty honest? Measured on dates the calibration did not see (issue 26, item 4): each date of
a method's calibration data is left out in turn, both models are calibrated on the other dates
(stfusion.uncertainty.calibration.fit) and the left-out date's pixels get half-widths from them. From these:

- the reliability diagram's points, stated against observed coverage (the share of pixels with |r| <= half-width)
  per level, pooled over the left-out dates and per date;
- Spearman's rank correlation of the half-width at WRITTEN_LEVEL with |r|, per band and pooled over bands
  (scipy.stats.spearmanr): does the uncertainty map rank the pixels as the error does?
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ..errors import InputDataError
from . import LEVELS, WRITTEN_LEVEL
from .calibration import Samples, UncertaintyModel, fit


@dataclass(frozen=True)
class HeldOut:
    """The left-out pixels: ``dates`` (n,), ``abs_error`` |r| (n, bands) and ``half_widths`` {level: (n, bands)}."""

    dates: np.ndarray
    abs_error: np.ndarray
    half_widths: Mapping[float, np.ndarray]


def leave_one_date_out(samples: Samples, bands: Sequence[str], what: str, levels: Sequence[float] = LEVELS,
                       seed: int = 0) -> HeldOut:
    """Half-widths of every sample from a calibration on the other dates' samples only; ``what`` names the
    calibration data in errors. InputDataError with fewer than two dates."""
    return held_out_widths(samples, leave_one_date_out_models(samples, bands, what, levels, seed), levels)


def leave_one_date_out_models(samples: Samples, bands: Sequence[str], what: str, levels: Sequence[float] = LEVELS,
                              seed: int = 0) -> dict[str, UncertaintyModel]:
    """{date: the models calibrated on every other date's samples} for each date of ``samples``; InputDataError with
    fewer than two dates."""
    dates = sorted(set(map(str, samples.dates)))
    if len(dates) < 2:
        raise InputDataError(f"{what} has calibration residuals on {len(dates)} date(s) "
                             f"({', '.join(dates) or 'none'}): leaving one date out needs at least two. Hold out more "
                             "dates")
    return {date: fit(samples.where(samples.dates != date), bands, f"{what} without {date}", levels, seed)
            for date in dates}


def held_out_widths(samples: Samples, models: Mapping[str, UncertaintyModel],
                    levels: Sequence[float] = LEVELS) -> HeldOut:
    """The half-widths of each date's samples from ``models[date]``, a calibration that did not see that date."""
    parts = []
    for date, model in models.items():
        test = samples.where(samples.dates == date)
        parts.append((test, {level: model.half_width_table(test.features, level) for level in levels}))
    return HeldOut(np.concatenate([test.dates for test, _ in parts]),
                   np.concatenate([np.abs(test.residuals) for test, _ in parts]),
                   {level: np.concatenate([widths[level] for _, widths in parts]) for level in levels})


def coverage(held_out: HeldOut) -> pd.DataFrame:
    """Stated against observed coverage per level, pooled (date "all") and per left-out date: columns date, stated,
    observed, pixels (pixel-band values with a finite error and half-width)."""
    rows = []
    for date in ["all", *sorted(set(held_out.dates))]:
        chosen = np.ones(len(held_out.dates), bool) if date == "all" else held_out.dates == date
        for level, widths in held_out.half_widths.items():
            error, width = held_out.abs_error[chosen], widths[chosen]
            finite = np.isfinite(error) & np.isfinite(width)
            rows.append({"date": date, "stated": level, "observed": float((error[finite] <= width[finite]).mean()),
                         "pixels": int(finite.sum())})
    return pd.DataFrame(rows)


def rank_correlation(held_out: HeldOut, bands: Sequence[str], level: float = WRITTEN_LEVEL) -> dict[str, float]:
    """Spearman's rho of the half-width at ``level`` and |r| per band and pooled over bands ("all")."""
    widths = held_out.half_widths[level]

    def rho(error: np.ndarray, width: np.ndarray) -> float:
        finite = np.isfinite(error) & np.isfinite(width)
        return float(spearmanr(width[finite], error[finite]).statistic)

    result = {band: rho(held_out.abs_error[:, b], widths[:, b]) for b, band in enumerate(bands)}
    return result | {"all": rho(held_out.abs_error.ravel(), widths.ravel())}


def reliability_table(held_out: HeldOut, bands: Sequence[str], level: float = WRITTEN_LEVEL) -> pd.DataFrame:
    """The table of rule uncertainty_calibration (reliability.tsv): per band and pooled over bands ("all"), per
    stated level the observed coverage over every left-out date's pixels and their number, and Spearman's rho of the
    half-width at ``level`` with |r| (``rank_correlation``, repeated on each level's row of the band)."""
    rho = rank_correlation(held_out, bands, level)
    rows = []
    for b, band in enumerate([*bands, "all"]):
        for stated, widths in held_out.half_widths.items():
            error, width = (held_out.abs_error, widths) if band == "all" else (held_out.abs_error[:, b], widths[:, b])
            finite = np.isfinite(error) & np.isfinite(width)
            rows.append({"band": band, "stated": stated, "observed": float((error[finite] <= width[finite]).mean()),
                         "pixels": int(finite.sum()), "spearman": rho[band]})
    return pd.DataFrame(rows)
