"""The per-pixel uncertainty of a site's methods in the report (issue 26, item 4): the reliability diagram (stated
against observed coverage of the leave-one-date-out intervals, per method: rule uncertainty_calibration's
reliability.tsv) and, for the middle date every method holds out, each method's mean absolute error over the bands
beside its mean 90 % half-width, on one colour scale."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ..io import read_stack
from . import figures
from .markup import figure
from .rendering import absolute_error


@dataclass
class SiteUncertainty:
    """Per method its reliability table (band "all" rows) and, for ``date``, its error and half-width maps."""

    reliability: dict[str, pd.DataFrame]
    date: str | None
    maps: dict[str, tuple[np.ndarray, np.ndarray]]  # method -> (mean |error| over bands, mean half-width over bands)


def load_uncertainty(reliability: Mapping[str, str], uncertainties: Mapping[str, Mapping[str, str]], date: str | None,
                     truth: np.ndarray | None, predictions: Mapping[str, np.ndarray]) -> SiteUncertainty:
    """The tables of ``reliability`` {method: reliability.tsv}, and for ``date`` (None: no maps) the error of each
    of ``predictions`` against ``truth`` and the band mean of its uncertainty COG of ``uncertainties``."""
    tables = {m: (lambda t: t[t.band == "all"])(pd.read_csv(path, sep="\t")) for m, path in reliability.items()}
    maps = {}
    if date is not None:
        for method, prediction in predictions.items():
            widths = read_stack(uncertainties[method][date])
            maps[method] = (absolute_error(truth, prediction), np.nanmean(widths, axis=0))
    return SiteUncertainty(tables, date, maps)


def reliability_diagram(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Observed against stated coverage, one line per method, with the diagonal."""
    fig, ax = figures.plt.subplots(figsize=(4.2, 4.0), layout="constrained")
    ax.plot([40, 100], [40, 100], color="0.5", linewidth=0.8, label="stated = observed")
    for method, table in tables.items():
        ax.plot(100 * table.stated, 100 * table.observed, marker="o", label=method)
    ax.set(xlabel="stated coverage (%)", ylabel="observed coverage, held-out pixels (%)", xlim=(40, 100),
           ylim=(40, 100), aspect="equal")
    ax.legend(fontsize=8)
    return figures.to_png(fig)


def uncertainty_html(view: SiteUncertainty) -> str:
    """The section: the diagram, the table of its numbers with Spearman's rho, and the maps."""
    rows = [{"method": m, **{f"{s:.0%}": f"{100 * o:.1f}" for s, o in zip(t.stated, t.observed)},
             "Spearman": f"{t.spearman.iloc[0]:.2f}", "calibrated on": t.methods.iloc[0]}
            for m, t in view.reliability.items()]
    parts = ["<h4>Per-pixel uncertainty</h4>",
             figure(reliability_diagram(view.reliability),
                    "Reliability: the share of held-out pixel values inside the interval (observed) against the "
                    "share it states, at 50, 80, 90 and 95 %; each date's intervals come from a calibration "
                    "without that date (leave one date out), all bands pooled."),
             pd.DataFrame(rows).set_index("method").to_html(border=0),
             '<p class="legend">Observed coverage (%) per stated level; Spearman: rank correlation of the 90 % '
             "half-width with the absolute error; calibrated on: the methods whose held-out residuals calibrate "
             "(another method's where this one holds out fewer than two dates).</p>"]
    if view.maps:
        errors = {f"{m} error": e for m, (e, _) in view.maps.items()}
        widths = {f"{m} 90 % half-width": w for m, (_, w) in view.maps.items()}
        shown = {k: v for pair in zip(errors.items(), widths.items()) for k, v in pair}
        upper = float(np.nanpercentile(np.stack(list(shown.values())), 99))
        parts.append(figure(figures.scalar_maps(shown, "magma", (0.0, upper), "reflectance, mean over bands"),
                            f"Each method's absolute error on {view.date} beside its stated 90 % half-width, both "
                            "averaged over the bands, on one colour scale (0 to the 99th percentile of all)."))
    return "".join(parts)
