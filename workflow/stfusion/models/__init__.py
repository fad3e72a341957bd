"""Deep spatiotemporal fusion models behind one interface (``base.FusionModel``), registered by name."""
from __future__ import annotations

from stfusion.errors import ConfigError
from stfusion.models.autoencoder import (FeatureAutoencoder, load_feature_extractor, save_feature_extractor,
                                         state_dict_sha256)
from stfusion.models.base import FusionModel
from stfusion.models.dcstfn import DCSTFN
from stfusion.models.edcstfn import EDCSTFN
from stfusion.models.stfdcnn import STFDCNN
from stfusion.models.stfnet import StfNet

MODELS: dict[str, type[FusionModel]] = {"edcstfn": EDCSTFN, "dcstfn": DCSTFN, "stfnet": StfNet, "stfdcnn": STFDCNN}


def build_model(name: str, **kwargs) -> FusionModel:
    """The model registered as ``name``, constructed with ``kwargs`` (channels, ratio, hyper-parameters)."""
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}: the deep models are {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


__all__ = ["DCSTFN", "EDCSTFN", "MODELS", "STFDCNN", "FeatureAutoencoder", "FusionModel", "StfNet", "build_model",
           "load_feature_extractor", "save_feature_extractor", "state_dict_sha256"]
