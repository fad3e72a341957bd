"""Whose held-out residuals calibrate a method's per-pixel uncertainty (rule uncertainty_calibration), decided when the
DAG is built. Imports nothing heavy: the Snakemake main process runs it.

A method's own held-out dates where it holds out MIN_CALIBRATION_DATES or more (leaving one date out needs two).
Else, as a deep method on a small site whose pairs all train or validate it, it borrows: the pooled held-out
residuals of the site's other methods that hold out enough, ensembles left out (they combine the others' predictions)
and the naive baselines too unless no other method qualifies (their errors are the largest: they would widen every
interval). The borrowed intervals are those of a typical method of the site, not a statement about this one: the
method's own errors are never seen by a calibration, which is why it is only the fallback; every prediction still
gets an uncertainty map, and calibration.json, reliability.tsv and the report name the methods it came from.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from ..errors import ConfigError

MIN_CALIBRATION_DATES = 2  # leaving one date out needs two (stfusion.uncertainty.reliability)


def calibration_methods(method: str, site: str, held_out: Mapping[str, Sequence[str]],
                        families: Mapping[str, str]) -> list[str]:
    """The methods whose held-out residuals calibrate ``method`` at ``site``; ``held_out``: each method of the site's
    held-out scored dates, ``families`` its family (stfusion.methods). ConfigError naming the key and the fix when
    neither the method nor any other qualifies."""
    if len(held_out[method]) >= MIN_CALIBRATION_DATES:
        return [method]
    donors = [m for m, dates in held_out.items() if m != method and families[m] != "ensemble"
              and len(dates) >= MIN_CALIBRATION_DATES]
    donors = [m for m in donors if families[m] != "naive"] or donors
    if not donors:
        raise ConfigError(
            f"sites.{site}.methods: method {method} holds out {len(held_out[method])} scored date(s) at site {site} "
            f"and no other method of the site holds out {MIN_CALIBRATION_DATES} or more, so no held-out residual can "
            "calibrate its per-pixel uncertainty (every prediction gets one): add a classical method (e.g. starfm), "
            "which holds out every pair date it predicts, to the site's methods, or add fine scenes of the site to "
            "the scene table so that it has more pairs")
    return donors
