"""How many training groups a deep model needs before training from random weights gives it skill (issue 16),
and the warning for a site that has fewer.

The counts (``Method.groups_for_skill`` in stfusion.methods) are the fewest groups the papers show each model
trained on with skill, not proven minima. Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep Convolutional
Model for Spatiotemporal Image Fusion" (EDCSTFN), had "fourteen data groups for each area", split at random into
training and validation, and scored "the five validation data groups" (Figures 7 and 11): nine training groups per
area. DCSTFN (Guangdong and Shandong) and StfNet (Shandong) were trained there on the same groups, so nine is also
the fewest shown for them; Tan et al. add only that "the minimum requirement for training data volume is related
to the complexity of the model" (408961, 95972 and 281764 parameters for DCSTFN, StfNet and EDCSTFN), met "as long
as the model can reach convergence and does not overfit". STFDCNN (Song et al. 2018) is not among the papers this
project implements: its count is Tan et al.'s nine, an assumption, not a figure of its own paper.

A start that carries skill (``init: change``, the change-transfer prediction L(tk) + M(t1) - M(tk) or the closest
the model can represent) does not need these groups: training keeps the start unless an epoch beats it on the
validation groups, so such methods get no warning.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .methods import FUSION
from .pairing import split_groups, training_groups

SKILLED_STARTS = {"change"}  # `init` options whose start is already a fusion (change transfer)


def starts_with_skill(method: Mapping) -> bool:
    """Whether a method's config (model, options) starts its model from a prediction rather than random weights."""
    init = method.get("options", {}).get("init", FUSION[method["model"]].default_init)
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
    needed = FUSION[model].groups_for_skill
    if groups >= needed or starts_with_skill(method):
        return None
    source = "" if exact else " (the scene table's pairs, before the quality filter)"
    return (f"method {name} ({model}) at site {site}: {'' if exact else 'at most '}{groups} training group(s) of "
            f"{method['references']} reference(s){source}, fewer than the {needed} that {model} needs to learn skill "
            f"from random weights (stfusion.skill, after Tan et al. 2019): its predictions may be worse than the naive "
            f"baselines. Add clear fine+coarse pairs, or give it a start that carries skill "
            f"(methods.{name}.options.init: change).")
