"""Pairing: reference pairs for each prediction date, and training groups.

A *pair* date has a kept fine scene and a kept coarse scene. For a prediction date t1 the
references are the nearest pair dates before and after t1 (Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced
Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898: "reference and
prediction dates should be as close as possible, better within a quarter"), within ``window_days``. Training
groups are built the same way with each pair date in turn as t1 (its own pair excluded), and split
into training and validation by target date, never by patch, with a seeded shuffle.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import pandas as pd

from .errors import InputDataError


@dataclass(frozen=True)
class Group:
    """A prediction date t1 and its reference pair dates (one or two, earliest first)."""

    target: str
    references: tuple[str, ...]

    @property
    def name(self) -> str:
        return "_".join((self.target, *self.references))


def _days(a: str, b: str) -> int:
    return (dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days


def pair_dates(inventory: pd.DataFrame, fine: str, coarse: str) -> list[str]:
    """Dates on which both the fine and the coarse scene were kept by the quality filter."""
    kept = inventory[inventory.kept.astype(str).str.lower() == "true"]
    return sorted(set(kept[kept.sensor == fine].date) & set(kept[kept.sensor == coarse].date))


def coarse_masked(inventory: pd.DataFrame, coarse: str) -> dict[str, float]:
    """{date: fraction of the site that is cloud, shadow or nodata} of every coarse scene (kept or not: a scene
    dropped as a pair may still serve gap filling, stfusion.gapfill)."""
    rows = inventory[inventory.sensor == coarse]
    masked = rows.nodata_fraction + rows.cloud_fraction + rows.shadow_fraction  # disjoint (qa.assess)
    return {str(d): round(float(m), 6) for d, m in zip(rows.date, masked)}


def choose_side(target: str, pairs: Sequence[str], window_days: int, side: str) -> str | None:
    """The nearest pair date strictly before (or after) ``target`` within the window."""
    if side == "before":
        candidates = [d for d in pairs if 0 < _days(target, d) <= window_days]
        return candidates[-1] if candidates else None
    candidates = [d for d in pairs if 0 < _days(d, target) <= window_days]
    return candidates[0] if candidates else None


def choose_references(target: str, pairs: Sequence[str], window_days: int, count: int) -> tuple[str, ...]:
    """Nearest pair before and nearest pair after ``target`` within the window.

    ``count = 2`` needs one on each side; ``count = 1`` takes the closer of the two (the earlier
    one on a tie). Returns () when the window holds no usable reference.
    """
    sides = [d for d in (choose_side(target, pairs, window_days, s) for s in ("before", "after")) if d]
    if count == 2:
        return tuple(sides) if len(sides) == 2 else ()
    return (min(sides, key=lambda d: (abs(_days(target, d)), d)),) if sides else ()


def prediction_groups(coarse_dates: Iterable[str], pairs: Sequence[str], window_days: int, count: int) -> list[Group]:
    """A group for every date to predict (coarse dates and the site's schedule, stfusion.schedule) that has
    references; dates without any are left out."""
    groups = [Group(d, choose_references(d, pairs, window_days, count)) for d in sorted(coarse_dates)]
    return [g for g in groups if g.references]


def training_groups(pairs: Sequence[str], window_days: int, count: int) -> list[Group]:
    """Groups whose target is a pair date: with ``count = 1`` every reference in the window on
    either side makes its own group (the one-reference data groups of Tan et al. (2019))."""
    if count == 2:
        return prediction_groups(pairs, pairs, window_days, 2)
    return [
        Group(t, (r,))
        for t in pairs
        for r in (choose_side(t, pairs, window_days, "before"), choose_side(t, pairs, window_days, "after"))
        if r
    ]



def split_groups(groups: Sequence[Group], validation_fraction: float, seed: int) -> tuple[list[Group], list[Group]]:
    """Seeded split by target date: every group of a target lies on one side, so that no validation target is
    a training target (with one reference a date is the target of a group per side). At least one training
    target, and one validation target when there are two or more; a site with one target has no validation
    group, and its patches hold out windows instead (``patches.window_split``)."""
    targets = sorted({g.target for g in groups})
    random.Random(seed).shuffle(targets)
    n_val = min(len(targets) - 1, max(1 if len(targets) > 1 else 0, round(validation_fraction * len(targets))))
    held = set(targets[:n_val])
    ordered = sorted(groups, key=lambda g: g.name)
    return [g for g in ordered if g.target not in held], [g for g in ordered if g.target in held]


def as_predicted(groups: Sequence[Group], pairs: Sequence[str], window_days: int, count: int) -> list[Group]:
    """Of the groups of each target, the one its prediction uses (``choose_references``): validation then scores
    what the held-out evaluation of that date scores, and the weights kept are the best for it. With one
    reference a target has a group per side and is predicted from the nearer one; with two, its one group."""
    return [g for g in groups if g.references == choose_references(g.target, pairs, window_days, count)]


def as_records(groups: Iterable[Group]) -> list[dict]:
    return [asdict(g) | {"references": list(g.references)} for g in groups]


def require_groups(groups: Sequence, site: str, count: int, inventory: str) -> None:
    """Stop with advice when a site has nothing to train on. The scene table's pairs were checked when the DAG was
    built (scenes.check_reference_counts), so the quality filter dropped the pairs missing here: ``inventory``, the
    site's inventory under the configured results folder, says which and why."""
    if not groups:
        raise InputDataError(
            f"site {site} has no training group with {count} reference pair(s): it needs kept fine+coarse pairs "
            f"within `pairing.window_days` of each other{' on both sides of a third' if count == 2 else ''}, and the "
            f"quality filter dropped some of the scene table's ({inventory} shows which scenes were dropped and why): "
            "add clear scenes, or relax the `quality` thresholds"
        )
