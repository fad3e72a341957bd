"""Time-encoded resampling of the high-temporal multispectral series (Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning", section 3.1).

Peng et al. (STS-MTL) resample the high-temporal MS series X^mul to the dates of the other series (X^mul') and
learn the spatial and spectral mappings from those date-matched pairs; here the time offsets are also given
to the network. What is implemented here:

* **Resampling** (``resample_in_time``): the MS value on a date d is the linear interpolation in time
  between the two MS acquisitions a <= d <= b that bracket it,
  ``X'(d) = (1 - w) X(a) + w X(b)``, ``w = (d - a) / (b - a)``; an MS acquisition on d itself is
  returned unchanged; outside the MS period the first or last acquisition is held (no
  extrapolation). Where one of the two is NaN the other is used. ``method="nearest"`` takes the
  temporally nearest acquisition instead (the earlier one on a tie).
* **Time code** (``time_code``), the network's time input for an output date t and its two reference
  dates, the fine-series date t_f and the hyperspectral date t_h nearest to t: five numbers, all in
  units of ``scale_days`` (default 100 days),
  ``[(t - t_f), gap(t_f), (t - t_h), gap(t_h), gap(t)]``,
  where ``gap(d)`` is the distance from d to the nearest MS acquisition (0 where the MS value on d
  is observed, not interpolated): the signed offsets say how far the references must be carried in
  time, the gaps how far the resampled MS values are from an observation.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import ConfigError

METHODS = ("linear", "nearest")
TIME_CODE_SIZE = 5
SCALE_DAYS = 100.0


def day_numbers(dates: Iterable) -> np.ndarray:
    """Days since 1970-01-01 (float64) of ISO strings, ``datetime.date``s, ``datetime64``s or numbers."""
    out = []
    for d in dates:
        if isinstance(d, (int, float, np.integer, np.floating)):
            out.append(float(d))
        else:
            day = np.datetime64(d.isoformat() if isinstance(d, dt.date) else d, "D")
            out.append(float(day.astype("int64")))
    return np.asarray(out, np.float64)


def _check_sorted(days: np.ndarray, what: str) -> None:
    if len(days) == 0 or np.any(np.diff(days) <= 0):
        raise ConfigError(f"the {what} dates must be given in increasing order, without repeats, and at least one")


def resample_in_time(series: np.ndarray, source_days: Sequence[float], target_days: Sequence[float],
                     method: str = "linear") -> np.ndarray:
    """(T, ...) ``series`` acquired on ``source_days`` -> (len(target_days), ...) resampled as described above."""
    if method not in METHODS:
        raise ConfigError(f"unknown time resampling {method!r}: use one of {', '.join(METHODS)}")
    source, target = np.asarray(source_days, np.float64), np.asarray(target_days, np.float64)
    _check_sorted(source, "multispectral")
    if len(series) != len(source):
        raise ValueError(f"series has {len(series)} dates but {len(source)} source dates were given")
    out = np.empty((len(target), *series.shape[1:]), series.dtype)
    for i, day in enumerate(target):
        if method == "nearest" or day <= source[0] or day >= source[-1] or day in source:
            out[i] = series[nearest_index(source, day)]
            continue
        after = int(np.searchsorted(source, day))
        w = (day - source[after - 1]) / (source[after] - source[after - 1])
        a, b = series[after - 1], series[after]
        out[i] = np.where(np.isnan(a), b, np.where(np.isnan(b), a, (1.0 - w) * a + w * b))
    return out


def nearest_index(days: Sequence[float], day: float) -> int:
    """Index of the date in ``days`` nearest to ``day`` (the earlier one on a tie)."""
    return int(np.argmin(np.abs(np.asarray(days, np.float64) - day)))


def gap(source_days: Sequence[float], day: float) -> float:
    """Days from ``day`` to the nearest date of ``source_days``."""
    return float(np.min(np.abs(np.asarray(source_days, np.float64) - day)))


def time_code(day: float, fine_day: float, hs_day: float, ms_days: Sequence[float],
              scale_days: float = SCALE_DAYS) -> np.ndarray:
    """The five-number time code of an output date (module docstring), float32."""
    code = [day - fine_day, gap(ms_days, fine_day), day - hs_day, gap(ms_days, hs_day), gap(ms_days, day)]
    return (np.asarray(code) / scale_days).astype(np.float32)
