"""One trained model per training setting (issue 27): the config's deep fusion methods whose training settings are
identical share one `train` job per site, and every such method's predictions read its weights.

A method's training settings are its whole `methods.<name>` entry (with the schema's defaults filled in) but the
prediction-only keys (``PREDICTION_ONLY``): the model, its options, epochs, learning rate, batch size and the number
of reference pairs, which also fixes the training inputs (the site's patch set of that reference count and the
model's pretrained artefacts). Everything else a training reads (the config's `training`, `patches`, `pairing` and
`seed`) is the run's, the same for every method. A key added to a method's schema counts as a training setting
unless it is listed in ``PREDICTION_ONLY``, so two methods never share a model by mistake.

The shared model is trained under the name of its *owner*: the first method, in the order of the config's
`methods`, with those settings (results/{site}/models/{owner}/). The layout of a run without shared settings is
unchanged, and changing a method's prediction-only keys changes neither its owner nor the training job's params.
"""
from __future__ import annotations

import json
from typing import Mapping

from .methods import FUSION

PREDICTION_ONLY = ("predict_references",)  # keys of a `methods` entry that only the prediction reads


def training_settings(method: Mapping) -> dict:
    """A method's entry without its prediction-only keys: what its training depends on besides the run's config."""
    return {key: value for key, value in method.items() if key not in PREDICTION_ONLY}


def model_owners(methods: Mapping[str, Mapping]) -> dict[str, str]:
    """For every deep method of ``methods`` (the config's `methods`), the method whose name its model is trained
    under: the first one, in the mapping's order, with identical training settings (itself when none comes
    before)."""
    owners: dict[str, str] = {}
    first: dict[str, str] = {}  # training settings (canonical JSON) -> the first method with them
    for name, method in methods.items():
        if FUSION[method["model"]].family == "deep":
            owners[name] = first.setdefault(json.dumps(training_settings(method), sort_keys=True), name)
    return owners


def sharing(owners: Mapping[str, str]) -> dict[str, list[str]]:
    """The owners whose model other methods read too: owner -> every method reading it, the owner first."""
    readers: dict[str, list[str]] = {}
    for name, owner in owners.items():
        readers.setdefault(owner, []).append(name)
    return {owner: names for owner, names in readers.items() if len(names) > 1}
