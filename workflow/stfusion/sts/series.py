"""Which scenes each spatio-temporal-spectral job reads: the series plan of one site (Peng, Li, Zhou and
Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning").

A site's three series (fine, high-temporal MS, hyperspectral) are the kept scenes of its three sensors
(the inventory's keep/drop decisions) or, under the simulation protocol, the configured dates. The plan
(``plan_series``, written once per site as ``sts/series.json``) says:

* ``training``: the scenes a model is trained on: every fine and HS date, and the MS dates from the first
  to the last of them. An MS date outside that span adds no label and no reference, so a new MS scene after
  the last fine or HS date leaves the training (and its job) as it is; it is only predicted.
* ``predict[date]``: for each MS date, the scenes its prediction reads (``prediction_dates``): the fine and
  HS references at or before and at or after it (``data.bracketing_references``), and the MS scenes that the
  time-encoded resampling of ``resample`` needs on the date and on each reference date.
* ``held_out``: the MS dates without an HS observation, the dates a method has never seen a label of.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import InputDataError
from ..io import Raster, read_raster
from ..scenes import STS_ROLES, check_series_dates
from ..sensors import Sensor, load_sensor
from ..simulate import spectral_weights
from .data import SiteSeries
from .resample import day_numbers

ROLES = tuple(STS_ROLES)


def plan_series(dates: Mapping[str, Sequence[str]], key: str, source: str) -> dict:
    """The series plan (module docstring) from the dates of each role (``fine``, ``ms``, ``hs``; ISO strings).

    ``key`` names the config block of the series (``sites.<site>.sts``) and ``source`` where the dates come
    from (the inventory file), both for the error raised when a role has too few dates.
    """
    dates = {role: sorted(set(dates[role])) for role in ROLES}
    check_series_dates(dates, key, source, "kept scene(s)")
    anchors = sorted(set(dates["fine"]) | set(dates["hs"]))
    training = {"fine": dates["fine"], "hs": dates["hs"],
                "ms": [d for d in dates["ms"] if anchors[0] <= d <= anchors[-1]]}
    predict = {d: prediction_dates(d, dates["fine"], dates["hs"], dates["ms"]) for d in dates["ms"]}
    return {**dates, "training": training, "predict": predict,
            "held_out": [d for d in dates["ms"] if d not in dates["hs"]]}


def prediction_dates(date: str, fine: Sequence[str], hs: Sequence[str], ms: Sequence[str]) -> dict[str, list[str]]:
    """The fine, HS and MS dates the prediction of MS date ``date`` reads (module docstring).

    The prediction equals one made from the whole series: the references are the bracketing ones of the
    whole series, and the MS dates bracketing each reference date give the same resampled MS images and
    the same gaps of ``resample.time_code`` (the nearest MS date to a day is one of its two brackets).
    """
    refs = {"fine": _bracket(date, fine), "hs": _bracket(date, hs)}
    needed = {date, *(d for day in {*refs["fine"], *refs["hs"]} for d in _bracket(day, ms))}
    return {**refs, "ms": sorted(needed)}


def _bracket(date: str, dates: Sequence[str]) -> list[str]:
    """The dates of ``dates`` at or before and at or after ``date`` (one when it is itself a date or lies
    outside them: then the nearest one)."""
    days, day = day_numbers(dates), float(day_numbers([date])[0])
    before, after = np.flatnonzero(days <= day), np.flatnonzero(days >= day)
    chosen = {int(before[-1]) if len(before) else int(after[0]), int(after[0]) if len(after) else int(before[-1])}
    return sorted(dates[i] for i in chosen)


def series_sensors(spec: Mapping, definitions: Mapping | None) -> dict[str, Sensor]:
    """{role: sensor} of an ``sts:`` block (``definitions``: the config's own sensors)."""
    return {role: load_sensor(spec[f"{role}_sensor"], definitions) for role in ROLES}


def srf_matrices(sensors: Mapping[str, Sensor]) -> tuple[np.ndarray, np.ndarray]:
    """(hs_to_fine, hs_to_ms): the HS band centres integrated by the fine and MS sensors' SRFs
    (``simulate.spectral_weights``), the spectral operators of the observation model of Peng et al."""
    centres = np.array([band.centre_nm for band in sensors["hs"].bands])
    return spectral_weights(centres, sensors["fine"]), spectral_weights(centres, sensors["ms"])


def read_series(paths: Mapping[str, Sequence[str]], dates: Mapping[str, Sequence[str]],
                bands: Mapping[str, Sequence[str]]) -> tuple[SiteSeries, Raster, Raster]:
    """The series of one job from its rasters: ``paths[role]`` on ``dates[role]`` (same order), each raster with
    the band names ``bands[role]``. Returns the series, the first fine raster (its grid is the output grid) and
    the first HS raster (its band names are the output's)."""
    rasters = {}
    for role in ROLES:
        if len(paths[role]) != len(dates[role]):
            raise ValueError(f"{len(paths[role])} {role} rasters for {len(dates[role])} {role} dates")
        rasters[role] = [read_raster(path) for path in paths[role]]
        for path, raster in zip(paths[role], rasters[role]):
            if list(raster.names) != list(bands[role]):
                raise InputDataError(f"{path}: bands {list(raster.names)[:4]}... ({len(raster.names)}) are not the "
                                     f"{len(bands[role])} bands of its sensor ({list(bands[role])[:4]}...): "
                                     "rerun its preprocessing, or fix the sensor named in the site's `sts:` block")
    series = SiteSeries(*(array for role in ROLES for array in (
        np.stack([raster.data for raster in rasters[role]]), day_numbers(dates[role]))))
    return series, rasters["fine"][0], rasters["hs"][0]


__all__ = ["ROLES", "plan_series", "prediction_dates", "read_series", "series_sensors", "srf_matrices"]
