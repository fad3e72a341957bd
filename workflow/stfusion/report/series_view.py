"""The time-series section of a site (issue 25, item 5): its sample pixels' series as NDVI and one band, and the
share of gap-filled coarse pixels per date."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..gapfill import OBSERVED
from ..metrics import ndvi
from . import figures
from .markup import figure
from .rendering import red_nir_bands
from .series import Observations, SiteSeries

Quantity = Callable[[np.ndarray], np.ndarray]  # values (dates, pixels, bands) -> (dates, pixels)


def quantities(names: list[str], centres_nm: Sequence[float]) -> dict[str, Quantity]:
    """What the figure plots: NDVI where the bands have red and NIR (stfusion.report.rendering), and the NIR band,
    else the first band."""
    bands = red_nir_bands(centres_nm)
    shown = bands[1] if bands else 0
    chosen = {f"{names[shown]} ({centres_nm[shown]:.0f} nm)": lambda v: v[:, :, shown]}
    if bands:
        return {"NDVI": lambda v: ndvi(np.moveaxis(v, 2, 0), *bands)} | chosen
    return chosen


def curves(series: SiteSeries, quantity: Quantity) -> dict[str, object]:
    """The curves of one quantity (stfusion.report.figures.pixel_series): each method's, the fine observations', and
    the coarse values split into observed and filled (NaN where the pixel is in the other state)."""
    def of(observed: Observations) -> figures.Curve:
        return observed.dates, quantity(observed.values)

    coarse = quantity(series.coarse.values)
    observed = series.coarse_state == OBSERVED
    return {"methods": {m: of(o) for m, o in series.methods.items()}, "fine": of(series.fine),
            "observed": (series.coarse.dates, np.where(observed, coarse, np.nan)),
            "filled": (series.coarse.dates, np.where(~observed & np.isfinite(series.coarse_state), coarse, np.nan))}


def series_html(series: SiteSeries) -> str:
    """The figures of the section with their captions."""
    shown = quantities(series.names, series.centres_nm)
    labels = [f"pixel {k + 1} (row {r}, col {c})" for k, (r, c) in enumerate(series.pixels)]
    plots = figures.pixel_series(labels, {name: curves(series, q) for name, q in shown.items()})
    dates = list(series.filled)
    between, one_side = (np.array([series.filled[d][i] for d in dates]) for i in (0, 1))
    return "".join([
        "<h4>Time series</h4>",
        figure(plots, f"The fused series of each method at {len(labels)} sample pixels, one per land-cover cluster "
               "(k-means on the bands of the first kept fine scene, the pixel nearest each centroid), as "
               f"{' and '.join(shown)}; black diamonds: the fine observations (kept fine scenes); grey circles: the "
               "gap-filled coarse image of each predicted date, filled where the coarse pixel was observed, hollow "
               "where it was filled in time."),
        figure(figures.filled_shares(dates, between, one_side),
               "Share of the site's coarse pixels filled in time on each predicted date (rule gapfill): between two "
               "clear observations, or from one side only."),
    ])
