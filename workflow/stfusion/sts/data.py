"""Samples of STS-MTL: the network inputs and observations of one output date, whole or in windows.

A sample for an output date t holds, on three grids (fine; MS = fine / ms_ratio; HS = fine / hs_ratio):
the network inputs of ``network.STSMTLNetwork`` (the fine image of the reference date t_f, the MS series
resampled to t_f, to t and to t_h, the HS components of the reference date t_h, the time code) and
the observations of t for the task losses of ``losses.MultiTaskObjective`` (the fine image, the HS
components, the truth), each with a flag (shape (1, 1, 1)) saying whether t has that observation;
an absent observation is stored as zeros. ``ms_t`` is both an input and the MS observation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, InputDataError
from ..predict import upsample_nearest
from ..simulate import degrade
from ..tiling import tile_starts
from .resample import SCALE_DAYS, nearest_index, resample_in_time, time_code

GRIDS = {"fine_ref": "fine", "fine_obs": "fine", "truth": "fine", "ms_ref_fine": "ms", "ms_t": "ms",
         "ms_ref_hs": "ms", "hs_ref": "hs", "hs_obs": "hs", "time_code": None, "has_fine": None,
         "has_ms": None, "has_hs": None, "has_truth": None}


@dataclass(frozen=True)
class SiteSeries:
    """The observed series of one site on one fine grid; dates as day numbers (``resample.day_numbers``).

    fine (T_f, C_f, H, W), ms (T, C_m, H/ms_ratio, W/ms_ratio), hs (T_h, C_h, H/hs_ratio, W/hs_ratio).
    """

    fine: np.ndarray
    fine_days: np.ndarray
    ms: np.ndarray
    ms_days: np.ndarray
    hs: np.ndarray
    hs_days: np.ndarray

    def __post_init__(self) -> None:
        for name in ("fine", "ms", "hs"):
            array, days = getattr(self, name), getattr(self, f"{name}_days")
            if array.ndim != 4 or len(array) != len(days) or len(days) == 0:
                raise InputDataError(f"the {name} series must be (dates, bands, rows, cols) with one date per "
                                     f"image; got shape {array.shape} and {len(days)} dates")
            if np.any(np.diff(days) <= 0):
                raise InputDataError(f"the {name} dates must be in increasing order without repeats")
        for name in ("ms", "hs"):
            self.ratio(name)

    @property
    def shape(self) -> tuple[int, int]:
        return self.fine.shape[-2:]

    def ratio(self, name: str) -> int:
        """Fine pixels per pixel of the ``ms`` or ``hs`` series (checked to be a whole number on both axes)."""
        (rows, cols), (r, c) = self.shape, getattr(self, name).shape[-2:]
        if rows % r or cols % c or rows // r != cols // c:
            raise InputDataError(f"the {name} series ({r} x {c} pixels) is not the fine grid ({rows} x {cols}) "
                                 "divided by one whole ratio: reproject it onto the site's aligned grid")
        return rows // r

    def valid_pixels(self) -> np.ndarray:
        """The fine-grid mask (rows, cols) of pixels valid in every band of every image of the series."""
        valid = ~np.isnan(self.fine).any(axis=(0, 1))
        for name in ("ms", "hs"):
            valid &= ~upsample_nearest(np.isnan(getattr(self, name)).any(axis=(0, 1)), self.ratio(name))
        return valid


def date_sample(series: SiteSeries, hs_scores: np.ndarray, day: float, fine_index: int, hs_index: int,
                method: str = "linear", scale_days: float = SCALE_DAYS) -> dict[str, np.ndarray]:
    """Inputs and observations of output ``day`` with the given reference dates (whole scene, float32)."""
    fine_day, hs_day = series.fine_days[fine_index], series.hs_days[hs_index]
    ms_f, ms_t, ms_h = resample_in_time(series.ms, series.ms_days, [fine_day, day, hs_day], method)
    fine_obs, has_fine = _observed(series.fine, series.fine_days, day)
    hs_obs, has_hs = _observed(hs_scores, series.hs_days, day)
    sample = {
        "fine_ref": series.fine[fine_index], "ms_ref_fine": ms_f, "ms_t": ms_t, "ms_ref_hs": ms_h,
        "hs_ref": hs_scores[hs_index],
        "time_code": time_code(day, fine_day, hs_day, series.ms_days, scale_days)[:, None, None],
        "fine_obs": fine_obs, "has_fine": has_fine, "has_ms": _flag(day in series.ms_days),
        "hs_obs": hs_obs, "has_hs": has_hs,
    }
    return {k: np.asarray(v, np.float32) for k, v in sample.items()}


def _flag(value: bool) -> np.ndarray:
    return np.full((1, 1, 1), float(value), np.float32)


def _observed(images: np.ndarray, days: np.ndarray, day: float) -> tuple[np.ndarray, np.ndarray]:
    """The image of ``day`` and flag 1, or zeros and flag 0 when the series has no image that day."""
    hits = np.flatnonzero(days == day)
    return (images[hits[0]], _flag(True)) if len(hits) else (np.zeros_like(images[0]), _flag(False))


def with_truth(sample: dict[str, np.ndarray], truth: np.ndarray | None) -> dict[str, np.ndarray]:
    """The sample with its ``truth`` (components, fine grid) or an absent truth."""
    if truth is None:
        return {**sample, "truth": np.zeros((len(sample["hs_ref"]), *sample["fine_ref"].shape[-2:]), np.float32),
                "has_truth": _flag(False)}
    return {**sample, "truth": np.asarray(truth, np.float32), "has_truth": _flag(True)}


def reference_choices(day: float, fine_days: np.ndarray, hs_days: np.ndarray,
                      other_dates: bool) -> list[tuple[int, int]]:
    """(fine, HS) reference indices for a training sample of ``day``: the nearest dates, and with
    ``other_dates`` also the nearest dates before and after ``day`` other than ``day`` itself, so that the
    network learns to carry references forwards and backwards in time (what prediction asks of it on
    dates without fine or HS images, see ``bracketing_references``)."""
    choices = [(nearest_index(fine_days, day), nearest_index(hs_days, day))]
    if other_dates:
        for side in (-1, 1):
            other = tuple(_nearest_on_side(days, day, side, strict=True) for days in (fine_days, hs_days))
            if None not in other and other not in choices:
                choices.append(other)
    return choices


def bracketing_references(day: float, fine_days: np.ndarray, hs_days: np.ndarray) -> list[tuple[int, int]]:
    """(fine, HS) reference indices that prediction blends on ``day``: the latest dates at or before it and
    the earliest at or after it (one choice where ``day`` has its own images or lies outside a series)."""
    def on_side(days: np.ndarray, side: int) -> int:
        index = _nearest_on_side(days, day, side)
        return nearest_index(days, day) if index is None else index

    return list(dict.fromkeys((on_side(fine_days, side), on_side(hs_days, side)) for side in (-1, 1)))


def _nearest_on_side(days: np.ndarray, day: float, side: int, strict: bool = False) -> int | None:
    """Index of the date nearest to ``day`` on one ``side`` (-1 before, +1 after; ``day`` itself counts
    unless ``strict``), or None when there is none."""
    offsets = (np.asarray(days) - day) * side
    hits = np.flatnonzero(offsets > 0 if strict else offsets >= 0)
    return int(hits[np.argmin(offsets[hits])]) if len(hits) else None


def crop(sample: dict[str, np.ndarray], rows: slice, cols: slice, ms_ratio: int,
         hs_ratio: int) -> dict[str, np.ndarray]:
    """The window ``rows, cols`` (fine pixels, aligned to both ratios) of every array of a sample."""
    ratios = {"fine": 1, "ms": ms_ratio, "hs": hs_ratio}
    out = {}
    for name, array in sample.items():
        r = ratios.get(GRIDS[name])
        window = np.s_[..., rows.start // r : rows.stop // r, cols.start // r : cols.stop // r] if r else np.s_[...]
        out[name] = array[window]
    return out


def cut_windows(sample: dict[str, np.ndarray], size: int, stride: int, ms_ratio: int, hs_ratio: int) -> list[dict]:
    """Windows of ``size`` fine pixels every ``stride`` (the last flush with the far edge); windows with a NaN
    anywhere are left out (NaN never reaches the network)."""
    rows, cols = sample["fine_ref"].shape[-2:]
    if size > min(rows, cols):
        raise ConfigError(f"STS-MTL patch size {size} fine pixels is larger than the scene ({rows} x {cols}): "
                          "lower the patch size")
    windows = (crop(sample, slice(y, y + size), slice(x, x + size), ms_ratio, hs_ratio)
               for y in tile_starts(rows, size, stride) for x in tile_starts(cols, size, stride))
    return [w for w in windows if not any(np.isnan(a).any() for a in w.values())]


def stack(windows: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One array per name with a leading sample axis; {} for no windows."""
    return {name: np.stack([w[name] for w in windows]) for name in windows[0]} if windows else {}


def fill_gaps(sample: dict[str, np.ndarray], ms_ratio: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """NaN-free inputs for prediction (each NaN replaced by its band's mean) and the fine-grid mask of pixels
    that cannot be predicted because the MS image of the date is missing there."""
    missing = upsample_nearest(np.isnan(sample["ms_t"]).any(axis=0), ms_ratio)
    filled = {}
    for name, array in sample.items():
        if GRIDS[name] is None or not np.isnan(array).any():
            filled[name] = array
            continue
        means = np.nan_to_num(np.nanmean(array.reshape(len(array), -1), axis=1))[:, None, None]
        filled[name] = np.where(np.isnan(array), means, array).astype(np.float32)
    return filled, missing


def wald_series(series: SiteSeries, method: str = "area") -> tuple[SiteSeries, np.ndarray]:
    """Wald's protocol: every series degraded by the HS ratio, so the real HS becomes the label
    on the degraded fine grid (which is the HS grid). Returns the degraded series and the labels
    (T_h, C_h, rows, cols); the scene is first cropped to whole multiples of hs_ratio x lcm(ratios)."""
    r_ms, r_hs = series.ratio("ms"), series.ratio("hs")
    block = r_hs * np.lcm(r_ms, r_hs)
    rows, cols = (n // block * block for n in series.shape)
    if rows == 0 or cols == 0:
        raise InputDataError(f"the scene ({series.shape[0]} x {series.shape[1]} fine pixels) is smaller than one "
                             f"Wald block of {block} x {block} fine pixels: it cannot be trained by Wald's protocol")

    def down(images: np.ndarray, ratio: int) -> np.ndarray:
        cut = images[..., : rows // ratio, : cols // ratio]
        return np.stack([degrade(image, r_hs, method) for image in cut])

    degraded = SiteSeries(down(series.fine, 1), series.fine_days, down(series.ms, r_ms), series.ms_days,
                          down(series.hs, r_hs), series.hs_days)
    return degraded, series.hs[..., : rows // r_hs, : cols // r_hs]
