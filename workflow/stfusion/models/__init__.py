"""Deep spatiotemporal fusion models behind one interface (``base.FusionModel``), registered by name in
stfusion.methods.FUSION."""
from __future__ import annotations

from stfusion.errors import ConfigError
from stfusion.methods import FUSION, of_family
from stfusion.models.autoencoder import (FeatureAutoencoder, load_feature_extractor, save_feature_extractor,
                                         state_dict_sha256)
from stfusion.models.base import FusionModel
from stfusion.models.dcstfn import DCSTFN
from stfusion.models.edcstfn import EDCSTFN
from stfusion.models.stfdcnn import STFDCNN
from stfusion.models.stfnet import StfNet


def build_model(name: str, **kwargs) -> FusionModel:
    """The deep model registered as ``name``, constructed with ``kwargs`` (channels, ratio, hyper-parameters)."""
    if name not in of_family(FUSION, "deep"):
        raise ConfigError(f"unknown model {name!r}: the deep models are {', '.join(of_family(FUSION, 'deep'))}")
    return FUSION[name].load()(**kwargs)


__all__ = ["DCSTFN", "EDCSTFN", "STFDCNN", "FeatureAutoencoder", "FusionModel", "StfNet", "build_model",
           "load_feature_extractor", "save_feature_extractor", "state_dict_sha256"]
