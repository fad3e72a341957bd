"""The pre-trained autoencoder whose encoder gives EDCSTFN's feature loss (Tan, Di, Zhang, Guo and Gao
(2019), "An Enhanced Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898,
Figure 2 and Equation 5).

Tan et al. (2019) fix only its shape ("the detailed architecture ... can be arbitrary"): an "hourglass" whose encoder
has a stride-2 convolution halving the size and whose decoder has an upsample-by-2, with ReLUs. Here, with
3x3 convolutions, replicate padding and EDCSTFN's channel widths:
encoder  conv C->32, ReLU, conv 32->64 stride 2, ReLU, conv 64->128, ReLU;
decoder  upsample x2 (nearest), conv 128->64, ReLU, conv 64->32, ReLU, conv 32->C (linear, reflectance out).
It is trained with an MSE reconstruction loss on fine images; the weights file is an artefact
(``torch_artefact``) whose SHA-256 proves, on loading, that the weights used are the trained ones: every weight is
loaded strictly from the file's checked content.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from stfusion.errors import InputDataError
from stfusion.integrity import rerun_hint
from stfusion.models.base import conv
from stfusion.torch_artefact import load_artefact, save_artefact


class FeatureAutoencoder(nn.Module):
    """Hourglass autoencoder of ``channels``-band fine images (Tan et al. (2019), Figure 2)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.encoder = nn.Sequential(conv(channels, 32, 3), nn.ReLU(), conv(32, 64, 3, stride=2), nn.ReLU(),
                                     conv(64, 128, 3), nn.ReLU())
        self.decoder = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv(128, 64, 3), nn.ReLU(),
                                     conv(64, 32, 3), nn.ReLU(), conv(32, channels, 3))

    def encode(self, x: Tensor) -> Tensor:
        """Features (N, 128, ceil(H/2), ceil(W/2)) of images (N, C, H, W)."""
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction of ``x`` (N, C, H, W), same shape."""
        return self.decoder(self.encode(x))[..., : x.shape[-2], : x.shape[-1]]


def state_dict_sha256(source: nn.Module | Mapping[str, Tensor]) -> str:
    """SHA-256 of a module's (or a state dict's) tensors: names, dtypes, shapes and bytes, in name order."""
    state = source.state_dict() if isinstance(source, nn.Module) else source
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_feature_extractor(model: FeatureAutoencoder, path: str | Path) -> str:
    """Write ``{"state_dict", "channels"}`` to ``path`` (``torch_artefact``); return ``state_dict_sha256`` of the
    weights."""
    save_artefact(path, {"state_dict": model.state_dict(), "channels": model.channels})
    return state_dict_sha256(model)


def load_feature_extractor(path: str | Path) -> FeatureAutoencoder:
    """The autoencoder saved at ``path`` (eval mode); InputDataError when the file fails its SHA-256 or does not hold
    every weight of the autoencoder."""
    saved = load_artefact(path, rerun_hint(path, "autoencoder"))
    try:
        model = FeatureAutoencoder(int(saved["channels"]))
        model.load_state_dict(saved["state_dict"], strict=True)
    except (RuntimeError, KeyError, TypeError, ValueError) as error:
        raise InputDataError(f"{path}: not a feature-extractor file ({type(error).__name__}: {error}): "
                             f"{rerun_hint(path, 'autoencoder')}") from error
    return model.eval()
