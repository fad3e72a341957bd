"""Every method the pipeline runs, by the name a config's ``model`` key gives: what family it is, where its code
lives, whether it runs on a GPU, what it needs trained first and how many reference pairs it takes.

The rules (workflow/rules/fusion_inputs.smk, sts_inputs.smk, spectral.smk and report_inputs.smk), the scripts, the
config schema's ``model`` enums (``config.check_schema``) and the report all read this table, so adding a method is
its module plus one line here (docs/developer/adding-a-method.md; adding-an-sts-method.md for a
spatio-temporal-spectral one). It imports nothing heavy: the Snakemake main process reads it while it builds the DAG,
and a method's
code (PyTorch, SciPy, scikit-learn) is imported by ``Method.load`` in the job that runs it.

Families:
- ``deep``: a network trained per site (rule train), then applied in tiles (rule predict).
- ``classical``: a published algorithm applied to the references as they are (no training).
- ``naive``: a baseline every other method must beat to have skill; the report marks the methods that do not.
- ``ensemble``: a combination of other methods' predictions of the same date (``methods.<name>.members``), fitted on
  their cross-validated predictions (stfusion.ensemble): no training, no reference pairs of its own.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Method:
    """One method. ``implementation``: ``"module:attribute"`` of its class or function (an ensemble's: the function that
    fits its weights, applied with ``stfusion.ensemble.stacking.combine``); ``gpu``: its jobs ask for
    one (and use it when there is one); ``pretrained``: artefacts trained for it first (``"autoencoder"``: EDCSTFN's
    feature extractor, Tan et al. 2019, section 2.2); ``references``: the reference-pair counts it accepts;
    ``default_init`` and ``groups_for_skill`` (deep models): the constructor's ``init`` and the fewest training groups
    it needs for skill from random weights (stfusion.skill); ``options``: keyword arguments its ``from_config`` is
    built with (the two-stage baselines' stages, names in FUSION and SPECTRAL). A classical method's ``prepared``:
    ``"module:attribute"`` of its work on the reference pairs alone (keyword arguments those of ``implementation``)
    and of its prediction from that state, which rule predict runs once per reference group and once per date
    (stfusion.predict_group); ``dates_at_once``: 0 when that prediction takes one date's coarse image (C, h, w),
    else the most dates it takes as a stack (n, C, h, w) and returns at once (n, C, H, W)."""

    family: str
    implementation: str
    gpu: bool = True
    pretrained: tuple[str, ...] = ()
    references: tuple[int, ...] = (1, 2)
    default_init: str = "default"
    groups_for_skill: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    prepared: tuple[str, ...] = ()
    dates_at_once: int = 0

    def load(self) -> Any:
        """The class or function of the method, imported now."""
        return load(self.implementation)

    def load_prepared(self) -> tuple[Any, Any]:
        """The preparation on the reference pairs and the prediction from its state (``prepared``), imported now."""
        return tuple(load(name) for name in self.prepared)


def load(implementation: str) -> Any:
    """The attribute ``"module:attribute"`` names, its module imported now."""
    module, attribute = implementation.split(":")
    return getattr(importlib.import_module(module), attribute)


def classical(module: str, name: str, **kwargs) -> Method:
    """A classical method of ``module`` with its one-shot function ``name``, its preparation ``prepare_<name>`` and
    its prediction of a date from the prepared state ``predict_<name>`` (``dates``: that of several dates instead,
    taking up to ``dates_at_once`` of them)."""
    predict = kwargs.pop("dates", f"predict_{name}")
    return Method("classical", f"{module}:{name}", prepared=(f"{module}:prepare_{name}", f"{module}:{predict}"),
                  **kwargs)


def deep(implementation: str, **kwargs) -> Method:
    """A deep spatiotemporal model: starts at change transfer and needs nine groups from random weights (skill.py)."""
    return Method("deep", implementation, default_init="change", groups_for_skill=9, **kwargs)


FUSION: dict[str, Method] = {  # spatiotemporal fusion: `methods.<name>.model`
    "edcstfn": deep("stfusion.models.edcstfn:EDCSTFN", pretrained=("autoencoder",)),
    "dcstfn": deep("stfusion.models.dcstfn:DCSTFN"),
    "stfnet": deep("stfusion.models.stfnet:StfNet"),
    "stfdcnn": deep("stfusion.models.stfdcnn:STFDCNN"),
    # STARFM sweeps each block once for up to 8 dates (stfusion.classical.starfm.DATES_PER_SWEEP)
    "starfm": classical("stfusion.classical.starfm", "starfm", dates="predict_starfm_dates", dates_at_once=8),
    "estarfm": classical("stfusion.classical.estarfm", "estarfm", references=(2,)),
    "fsdaf": classical("stfusion.classical.fsdaf", "fsdaf", references=(1,)),
    "nearest_reference": Method("naive", "stfusion.predict:nearest_reference", gpu=False),
    "coarse_upsampled": Method("naive", "stfusion.predict:coarse_upsampled", gpu=False),
    "ensemble": Method("ensemble", "stfusion.ensemble.stacking:leave_one_date_out", gpu=False),
    "best": Method("ensemble", "stfusion.ensemble.best:leave_one_date_out_best", gpu=False),
}


def two_stage(family: str, spatiotemporal: str, spectral: str) -> Method:
    """A two-stage baseline of Peng et al.: the FUSION method ``spatiotemporal``, then the SPECTRAL ``spectral``."""
    return Method(family, "stfusion.sts.two_stage:TwoStage", options={"spatiotemporal": spatiotemporal,
                                                                      "spectral": spectral})


STS: dict[str, Method] = {  # spatio-temporal-spectral fusion (Peng et al.): `sts_methods.<name>.model`
    "stsmtl": Method("deep", "stfusion.sts.stsmtl:STSMTL"),
    "estarfm_cnmf": two_stage("classical", "estarfm", "cnmf"),
    "estarfm_srecnn": two_stage("deep", "estarfm", "srecnn"),
    "stfdcnn_cnmf": two_stage("deep", "stfdcnn", "cnmf"),
    "stfdcnn_srecnn": two_stage("deep", "stfdcnn", "srecnn"),
    "hs_nearest": Method("naive", "stfusion.sts.naive:NearestHS", gpu=False),
}

SPECTRAL: dict[str, Method] = {  # spectral super-resolution by Wald's protocol: `sites.<site>.spectral.methods`
    "cnmf": Method("classical", "stfusion.spectral.cnmf:CNMFMethod", gpu=False),
    "srecnn": Method("deep", "stfusion.spectral.srecnn:SRECNNMethod"),
    "hs_upsampled": Method("naive", "stfusion.spectral.naive:UpsampledHS", gpu=False),
}

REGISTRIES = {"methods": FUSION, "sts_methods": STS, "spectral": SPECTRAL}  # by the config section naming them


def of_family(registry: Mapping[str, Method], family: str) -> tuple[str, ...]:
    """The names of a registry's methods of one family."""
    return tuple(name for name, method in registry.items() if method.family == family)


def fusion_method(config: Mapping, name: str) -> Method:
    """The registry entry of the config's method ``name`` (``methods.<name>.model``)."""
    return FUSION[config["methods"][name]["model"]]

