"""How many training groups a deep model needs before training from random weights gives it skill (issue 16),
and the warning for a site that has fewer.

The counts are the fewest groups the papers show each model trained on with skill, not proven minima. Paper 001
(EDCSTFN) had "fourteen data groups for each area", split at random into training and validation, and scored
"the five validation data groups" (Figures 7 and 11): nine training groups per area. DCSTFN (Guangdong and
Shandong) and StfNet (Shandong) were trained there on the same groups, so nine is also the fewest shown for them;
paper 001 adds only that "the minimum requirement for training data volume is related to the complexity of the
model" (408961, 95972 and 281764 parameters for DCSTFN, StfNet and EDCSTFN), met "as long as the model can reach
convergence and does not overfit". STFDCNN (Song et al. 2018) is not among the project's papers (000 and 001):
its count is paper 001's nine, an assumption, not a figure of its own paper.

A start that carries skill (``init: change``, the change-transfer prediction L(tk) + M(t1) - M(tk) or the closest
the model can represent) does not need these groups: training keeps the start unless an epoch beats it on the
validation groups, so such methods get no warning.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .pairing import split_groups, training_groups

TRAINING_GROUPS_FOR_SKILL = {"edcstfn": 9, "dcstfn": 9, "stfnet": 9, "stfdcnn": 9}  # see the module docstring
SKILLED_STARTS = {"change"}  # `init` options whose start is already a fusion (change transfer)
DEFAULT_INIT = {"edcstfn": "change", "dcstfn": "change", "stfnet": "change", "stfdcnn": "change"}  # constructors' (tested)


def starts_with_skill(method: Mapping) -> bool:
    """Whether a method's config (model, options) starts its model from a prediction rather than random weights."""
    init = method.get("options", {}).get("init", DEFAULT_INIT.get(method["model"], "default"))
    return init in SKILLED_STARTS


def estimated_training_groups(pair_dates: Sequence[str], pairing: Mapping, count: int, seed: int) -> int:
    """An upper bound, before the quality filter has run, of the training groups (``count`` references each) that
    the pairing rule makes: all groups of ``pair_dates`` less one per validation target. Dropping a pair never adds
    a group, and each target it removes takes at least one group and at most one validation target with it."""
    groups = training_groups(sorted(pair_dates), pairing["window_days"], count)
    validation = split_groups(groups, pairing["validation_fraction"], seed)[1]
    return len(groups) - len({g.target for g in validation})


def few_groups_warning(name: str, method: Mapping, site: str, groups: int, exact: bool) -> str | None:
    """The warning for a deep method trained from random weights on fewer groups than its model needs; None when
    it has enough, or starts with skill. ``exact``: the pairing's count; otherwise the scene table's upper bound."""
    model = method["model"]
    needed = TRAINING_GROUPS_FOR_SKILL[model]
    if groups >= needed or starts_with_skill(method):
        return None
    source = "" if exact else " (the scene table's pairs, before the quality filter)"
    return (f"method {name} ({model}) at site {site}: {'' if exact else 'at most '}{groups} training group(s) of "
            f"{method['references']} reference(s){source}, fewer than the {needed} that {model} needs to learn skill "
            f"from random weights (stfusion.skill, after paper 001): its predictions may be worse than the naive "
            f"baselines. Add clear fine+coarse pairs, or give it a start that carries skill "
            f"(methods.{name}.options.init: change).")
