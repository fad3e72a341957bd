"""The target schedule of a site (issue 25, item 2): the dates its fusion methods predict.

Every method predicts every usable coarse date (``quality.coarse_usable``), as before the schedule existed: those are
the dates whose scores compare methods. ``sites.<site>.series`` adds dates for its ``methods`` (default: every
method of the site): ``{every: <days>, start, end}``, a regular series from ``start`` (default: the first usable
coarse date) every ``every`` days up to ``end`` (default: the last usable coarse date), or ``{dates: [...]}``. The
dates without a coarse scene get a gap-filled coarse image (stfusion.gapfill) like any other.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

import pandas as pd

from .config import site_methods
from .errors import ConfigError


def schedule_dates(series: Mapping | None, coarse_dates: Sequence[str]) -> list[str]:
    """The dates of ``series`` (a ``sites.<site>.series`` entry; none: no dates beyond the coarse ones) with the
    site's usable coarse dates giving the default start and end."""
    if not series:
        return []
    if "dates" in series:
        return sorted(set(series["dates"]))
    if not coarse_dates:
        return []
    start = dt.date.fromisoformat(series.get("start", min(coarse_dates)))
    end = dt.date.fromisoformat(series.get("end", max(coarse_dates)))
    count = (end - start).days // series["every"] + 1
    return [str(start + dt.timedelta(days=series["every"] * i)) for i in range(max(count, 0))]


def series_methods(config: Mapping, site: str) -> list[str]:
    """The methods that predict the site's schedule (``sites.<site>.series.methods``, default: all of the site's)."""
    methods = site_methods(config, site)
    chosen = (config["sites"][site].get("series") or {}).get("methods")
    return [m for m in methods if chosen is None or m in chosen]


def method_dates(config: Mapping, site: str, method: str, coarse_dates: Sequence[str]) -> list[str]:
    """The dates a method predicts at a site: every usable coarse date, and the schedule's dates if it is one of
    the schedule's methods."""
    series = config["sites"][site].get("series")
    extra = schedule_dates(series, coarse_dates) if method in series_methods(config, site) else []
    return sorted(set(coarse_dates) | set(extra))


def check_series(config: Mapping, scenes: pd.DataFrame, table: str) -> None:
    """ConfigError, at DAG build, for a ``sites.<site>.series`` that is neither a regular series nor a list, names
    a method the site does not run, ends
    before it starts, or has a date with no coarse scene of the scene table within ``gap_filling.max_gap_days``
    (no pixel of it could be filled)."""
    reach = config["gap_filling"]["max_gap_days"]
    for site, spec in config["sites"].items():
        series = spec.get("series")
        if not series:
            continue
        key = f"sites.{site}.series"
        if ("every" in series) == ("dates" in series) or ("dates" in series and {"start", "end"} & set(series)):
            raise ConfigError(f"{key} needs either `every` (a date every so many days, with optional `start` and "
                              "`end`) or `dates` (an explicit list), not both or neither: keep one of them")
        unknown = sorted(set(series.get("methods", [])) - set(site_methods(config, site)))
        if unknown:
            raise ConfigError(f"{key}.methods names {', '.join(unknown)}, not a method of the site "
                              f"({', '.join(site_methods(config, site)) or 'none'}): name methods the site runs")
        if series.get("start") and series.get("end") and series["start"] > series["end"]:
            raise ConfigError(f"{key}: start {series['start']} is after end {series['end']}: swap them")
        coarse = sorted(scenes[(scenes.site == site) & (scenes.sensor == spec["fusion"]["coarse"])].date)
        dates = schedule_dates(series, coarse)
        far = [d for d in dates if not any(abs((dt.date.fromisoformat(d) - dt.date.fromisoformat(c)).days) <= reach
                                           for c in coarse)]
        if far:
            raise ConfigError(f"{key}: {len(far)} date(s) ({', '.join(far[:3])}{', ...' if len(far) > 3 else ''}) "
                              f"have no coarse scene of {table} within gap_filling.max_gap_days ({reach} days): "
                              "narrow the schedule to the coarse series, add coarse scenes, or raise "
                              "gap_filling.max_gap_days")
