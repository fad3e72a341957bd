"""Temporal gap filling of the coarse series: a coarse image for any date, every pixel from the same pixel's clear
observations (issue 25, item 1).

A coarse scene that the thresholds of Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep Convolutional Model for
Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898, drop as a pair or reference is still *usable* pixel by
pixel unless more than ``quality.coarse_usable.max_masked`` of it is cloud, shadow or nodata. A pixel of date t is
*observed* where t's own coarse scene is usable and clear there; elsewhere it is *filled* from the nearest clear
observation before (t_b, value v_b) and after (t_a, v_a) within ``gap_filling.max_gap_days``:

    v(t) = v_b + (v_a - v_b) (t - t_b) / (t_a - t_b)

and from the nearer side alone (its value held) where only one side has a clear observation in reach; NaN where
neither has (outside the data).

Why linear and not a smoother (Whittaker's, as HISTARFM or the ROBOT cube use): linear interpolation between the
nearest clear observations is local. A date depends only on the scenes up to the nearest fully clear one on each
side (``filling_scenes``), so a new coarse scene changes, and re-runs, only the dates it becomes the nearest clear
observation of; a Whittaker smoother's value at every date depends on every observation of the series, so one new
scene would re-run the whole series and every prediction. It also observes what it is given: an observed pixel is
kept as it is, not smoothed, so observed coarse pixels, and what the fusion methods make of them, stay as today.
With the 14-day demo series and a few-day MODIS composite, the two-observation case is the common one, where a
smoother has little to add.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

OBSERVED, FILLED_BETWEEN, FILLED_ONE_SIDE = 0, 1, 2  # the values of FillInfo.state (and the quality band)


def days_between(later: str, earlier: str) -> int:
    """Days from ISO date ``earlier`` to ``later``."""
    return (dt.date.fromisoformat(later) - dt.date.fromisoformat(earlier)).days


def usable_dates(masked: Mapping[str, float], max_masked: float) -> dict[str, float]:
    """Of {date: masked fraction} (cloud + shadow + nodata of a coarse scene), the scenes that may serve gap filling:
    those with at most ``max_masked`` of the site masked."""
    return {d: m for d, m in masked.items() if m <= max_masked}


def filling_scenes(target: str, masked: Mapping[str, float], max_gap_days: int, max_masked: float) -> list[str]:
    """The coarse dates whose scenes fill ``target`` (sorted): its own usable scene, and on each side of it, within
    ``max_gap_days``, the usable scenes from the nearest outwards up to the first fully clear one (no pixel of a
    farther scene can be a pixel's nearest clear observation). A fully clear own scene needs no other.

    These are the gap-filling job's inputs: a new scene is an input of exactly the dates it can change."""
    usable = usable_dates(masked, max_masked)
    if usable.get(target) == 0:
        return [target]
    chosen = [target] if target in usable else []
    for side in (-1, 1):
        reach = sorted((d for d in usable if 0 < side * days_between(d, target) <= max_gap_days),
                       key=lambda d: abs(days_between(d, target)))
        for date in reach:
            chosen.append(date)
            if usable[date] == 0:
                break
    return sorted(chosen)


@dataclass(frozen=True)
class FillInfo:
    """Per coarse pixel (rows, cols): ``state`` OBSERVED, FILLED_BETWEEN or FILLED_ONE_SIDE (NaN where no clear
    observation is in reach), and ``days_to_clear``, the days to the nearest clear observation used (0 observed)."""

    state: np.ndarray
    days_to_clear: np.ndarray


def fill_linear(images: np.ndarray, offsets: Sequence[int], max_gap_days: int) -> tuple[np.ndarray, FillInfo]:
    """The gap-filled image of date t and its fill info, from ``images`` (scenes, bands, rows, cols) taken
    ``offsets`` days from t (negative before, 0 the date's own scene); a pixel is clear in a scene where every band
    is finite. Vectorised over pixels (the module docstring gives the rule)."""
    offsets = np.asarray(offsets, dtype=np.float64)[:, None, None]
    clear = np.isfinite(images).all(axis=1)
    reach = np.abs(offsets) <= max_gap_days
    before = np.where(clear & reach & (offsets < 0), offsets, -np.inf)
    after = np.where(clear & reach & (offsets > 0), offsets, np.inf)
    i_b, i_a = before.argmax(axis=0), after.argmin(axis=0)
    t_b, t_a = np.take_along_axis(before, i_b[None], 0)[0], np.take_along_axis(after, i_a[None], 0)[0]
    v_b = np.take_along_axis(images, i_b[None, None], 0)[0]
    v_a = np.take_along_axis(images, i_a[None, None], 0)[0]
    has_b, has_a = np.isfinite(t_b), np.isfinite(t_a)
    both = has_b & has_a
    weight = np.where(both, -t_b / np.where(both, t_a - t_b, 1.0), 0.0)
    nearer_after = has_a & (~has_b | (t_a < -t_b))
    one_side = np.where(nearer_after, v_a, v_b)
    filled = np.where(both, v_b + (v_a - v_b) * weight, np.where(has_b | has_a, one_side, np.nan))
    observed = (clear & (offsets == 0)).any(axis=0)
    own = images[int(np.flatnonzero(offsets.ravel() == 0)[0])] if observed.any() else filled
    value = np.where(observed, own, filled).astype(np.float32)
    state = np.where(observed, OBSERVED, np.where(both, FILLED_BETWEEN, np.where(has_b | has_a, FILLED_ONE_SIDE,
                                                                                   np.nan)))
    days = np.where(observed, 0.0, np.minimum(-t_b, t_a))
    days = np.where(np.isfinite(days), days, np.nan)
    return value, FillInfo(state.astype(np.float32), days.astype(np.float32))
