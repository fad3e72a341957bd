"""Rule predict: the predictions of one reference group, the dates a method predicts from the same reference pairs
(issue 28). The references are read once and the work that depends on them alone is done once: a classical method's
preparation (``Method.prepared``: ESTARFM's similar pixels, weights and conversion coefficients, Zhu et al. 2010,
Eqs. 7-11; FSDAF's classes, class fractions and similar pixels, Zhu et al. 2016; STARFM's thresholds, and one sweep
of each block for several dates, Gao et al. 2006), a deep model's loading; then each date is predicted, checked
(``require_predicted``) and given its quality COG (stfusion.quality_band), one date at a time so that a group of many
dates holds only one in memory (STARFM: up to ``dates_at_once``).

Imports nothing heavy at module level: a naive group job starts without PyTorch or numba (tests/test_start_up.py).
"""
from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .gapfill import days_between
from .integrity import rerun_hint
from .methods import FUSION, Method
from .predict import fill_from_coarse, prepare_inputs, require_predicted, valid_inputs
from .quality_band import NO_CLEAR_REFERENCE, quality_band


@dataclass(frozen=True)
class DateInputs:
    """What a date adds to its group: its gap-filled coarse image (C, h, w) and fill info (2, h, w: coarse_state and
    days to the nearest clear observation, stfusion.gapfill)."""

    coarse_t1: np.ndarray
    fill: np.ndarray


@dataclass(frozen=True)
class DatePrediction:
    """One date of a group: its prediction (C, H, W) float32, its quality (3, H, W) and the number of pixels a
    classical method left without a fine reference, which took the date's coarse image (``fill_from_coarse``)."""

    date: str
    prediction: np.ndarray
    quality: np.ndarray
    from_coarse: int


@dataclass(frozen=True)
class Group:
    """A reference group of a config method: its name (for messages), its config entry (``model``, ``options``), the
    reference pairs as read (K, C, H, W) and (K, C, h, w), NaN where masked, and their dates."""

    method: str
    spec: Mapping
    fine_refs: np.ndarray
    coarse_refs: np.ndarray
    references: Sequence[str]

    @property
    def ratio(self) -> int:
        return self.fine_refs.shape[-1] // self.coarse_refs.shape[-1]

    @property
    def entry(self) -> Method:
        return FUSION[self.spec["model"]]


DEEP_DATES_AT_ONCE = 8  # dates per tiled call of a deep model: their outputs are held at once, as STARFM's sweep


def predict_group(group: Group, dates: Sequence[str], read_date: Callable[[str], DateInputs], *,
                  prediction: Mapping, device: str = "cpu", weights: str | None = None,
                  log: logging.Logger | None = None) -> Iterator[DatePrediction]:
    """Each date of ``dates`` predicted from the group's references, in order; ``read_date`` gives a date's inputs
    when its turn comes. ``prediction``: the config's ``prediction`` section (``block`` of the classical methods;
    ``tile``, ``overlap`` and ``batch_pixels`` of the deep ones); ``weights``: a deep method's model file."""
    log = log or logging.getLogger(__name__)
    dated = ((date, read_date(date)) for date in dates)
    family = group.entry.family
    if family == "naive":
        predicted = naive_predictions(group, dated)
    else:  # PyTorch only where it is used: a naive job starts in a fraction of the time
        from .train import resolve_device
        if family == "classical":
            predicted = classical_predictions(group, dated, len(dates), prediction["block"], resolve_device(device))
        else:
            predicted = deep_predictions(group, dated, weights, prediction, resolve_device(device), log)
    for date, inputs, raw in predicted:
        yield finish(group, date, inputs, raw, weights)


def naive_predictions(group: Group, dated: Iterable[tuple[str, DateInputs]]):
    """(date, inputs, prediction) of a naive baseline, from the NaN-free inputs (stfusion.predict)."""
    baseline = group.entry.load()
    for date, inputs in dated:
        fine_refs, coarse_refs, coarse_t1, missing = prepare_inputs(group.fine_refs, group.coarse_refs,
                                                                    inputs.coarse_t1, group.ratio)
        prediction = baseline(fine_refs, coarse_refs, coarse_t1, group.ratio, reference_days(group, date))
        yield date, inputs, np.where(missing, np.nan, prediction)


def deep_predictions(group: Group, dated: Iterable[tuple[str, DateInputs]], weights: str, tiles: Mapping,
                     device, log: logging.Logger):
    """(date, inputs, prediction) of a deep model, loaded once and applied in tiles to up to ``DEEP_DATES_AT_ONCE``
    dates per call (``tiling.predict_scene_dates``: EDCSTFN encodes each tile's fine references once for them, Tan
    et al. 2019, section 2.2). The references' gap filling (``prepare_inputs``) does not depend on the date."""
    from .artefacts import load_model
    from .tiling import predict_scene_dates
    model = load_model(weights)
    log.info("%s: weights %s", group.method, weights)  # another method's where training settings match
    for chunk in chunks(dated, DEEP_DATES_AT_ONCE):
        prepared = [prepare_inputs(group.fine_refs, group.coarse_refs, inputs.coarse_t1, group.ratio)
                    for _, inputs in chunk]
        fine_refs, coarse_refs = prepared[0][:2]
        stacked = predict_scene_dates(model, fine_refs, coarse_refs, np.stack([p[2] for p in prepared]),
                                      tiles["tile"], tiles["overlap"], device, tiles["batch_pixels"])
        for (date, inputs), (*_, missing), prediction in zip(chunk, prepared, stacked):
            yield date, inputs, np.where(missing, np.nan, prediction)


def classical_predictions(group: Group, dated: Iterable[tuple[str, DateInputs]], count: int, block: int, device):
    """(date, inputs, prediction) of a classical method: its preparation on the reference pairs once (``prepared``;
    NaN-aware, it sees the masks), then each date, or up to ``dates_at_once`` dates per call. A preparation that
    can skip its sharing (ESTARFM's ``fold``, which costs about two thirds of a date) skips it for a lone date."""
    entry = group.entry
    prepare, predict = entry.load_prepared()
    options = {"block": block, "device": device, **group.spec.get("options", {})}  # checked at DAG build
    if "fold" in inspect.signature(prepare).parameters:
        options["fold"] = count > 1
    state = prepare(group.fine_refs, group.coarse_refs, group.ratio, **options)
    if not entry.dates_at_once:
        for date, inputs in dated:
            yield date, inputs, predict(state, inputs.coarse_t1)
        return
    for chunk in chunks(dated, entry.dates_at_once):
        stacked = predict(state, np.stack([inputs.coarse_t1 for _, inputs in chunk]))
        for (date, inputs), prediction in zip(chunk, stacked):
            yield date, inputs, prediction


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def reference_days(group: Group, date: str) -> list[int]:
    """|t1 - tk| in days for each reference of the group."""
    return [abs(days_between(date, ref)) for ref in group.references]


def finish(group: Group, date: str, inputs: DateInputs, prediction: np.ndarray, weights: str | None) -> DatePrediction:
    """A date's prediction as written: float32, checked against its valid inputs, a classical method's holes filled
    from the coarse image, and its quality COG (from the references as read, before any filling)."""
    ratio = group.ratio
    quality = quality_band(inputs.fill[0], inputs.fill[1], group.fine_refs, reference_days(group, date), ratio)
    prediction = prediction.astype(np.float32)
    if group.entry.family == "deep":
        fix = (f"its model {weights} predicts nothing (damaged, or a training that diverged): "
               f"{rerun_hint(weights, 'train')}")
    else:
        fix = f"the method gives no value there: check its options, `methods.{group.method}` in the config"
    valid = valid_inputs(group.fine_refs, group.coarse_refs, inputs.coarse_t1, ratio)
    require_predicted(prediction, valid, f"the {group.method} prediction of {date}", fix)
    from_coarse = 0
    if group.entry.family == "classical":  # NaN only outside the data: the coarse image where it reads no fine pixel
        prediction, filled = fill_from_coarse(prediction, inputs.coarse_t1, ratio)
        quality[2, filled] = NO_CLEAR_REFERENCE
        from_coarse = int(filled.sum())
    quality[:, np.isnan(prediction).all(axis=0)] = np.nan  # NaN where the prediction is, after its filling: outside the data
    return DatePrediction(date, prediction, quality, from_coarse)
