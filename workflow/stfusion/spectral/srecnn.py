"""SRECNN: spectral resolution enhancement of MS data by a CNN (Peng, Zhang et al. 2019, "Improving spectral
resolution of multispectral data using convolutional neural network", IGARSS 2019).

The network maps an MS image to the HS bands on the same grid. It is trained where both images exist: the
MS image degraded to the HS resolution (``stfusion.simulate.degrade``, by default the ratio x ratio block
mean) is paired with the HS image, and the network learnt at the coarse scale is applied to the MS image
at its own resolution (Wald's protocol: the MS -> HS spectral relation is assumed not to depend on scale).

Architecture: three convolutions with ReLU between, ms_bands -> 64 -> 32 -> hs_bands, MSE loss, after
SRCNN (Dong et al. 2016) on which Peng's networks build. The layer sizes and kernels of the IGARSS paper
could not be checked here, so they are constructor arguments. The default kernels are 1 x 1: a per-pixel
spectral mapping, which is what the training pairs support when the network is learnt at the HS scale and
applied at the MS scale (a k x k kernel would see k coarse pixels in training and k fine ones at
prediction). Larger kernels add spatial context; ``halo`` is then the receptive radius. Inputs and outputs
are standardised per band with the training patches' mean and standard deviation (buffers saved with the
weights): without it, 1 x 1 networks on reflectances of 0-0.5 sat for tens of epochs at the mean spectrum
in our synthetic tests, some seeds for good; the paper's normalisation is not known.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models.base import conv
from ..simulate import degrade
from ..runlog import progress
from ..tiling import halo_windows
from ..train import Batch, TrainingSettings, fit, settings_from_config
from .method import SpectralMethod


class SRECNN(nn.Module):
    """(N, ms_bands, H, W) -> (N, hs_bands, H, W); ``halo`` = sum of the kernels' half widths."""

    def __init__(self, ms_bands: int, hs_bands: int, features: tuple[int, int] = (64, 32),
                 kernels: tuple[int, int, int] = (1, 1, 1)) -> None:
        super().__init__()
        if len(features) != 2 or len(kernels) != 3 or any(k < 1 or k % 2 == 0 for k in kernels):
            raise ValueError(f"SRECNN takes 2 feature counts and 3 odd kernel sizes; got {features} and {kernels}")
        widths = (ms_bands, *features, hs_bands)
        layers: list[nn.Module] = []
        for i, kernel in enumerate(kernels):
            layers += [conv(widths[i], widths[i + 1], kernel), nn.ReLU()]
        self.net = nn.Sequential(*layers[:-1])
        self.ms_bands, self.hs_bands = ms_bands, hs_bands
        self.options = {"features": list(features), "kernels": list(kernels)}
        self.halo = sum(k // 2 for k in kernels)
        for name, bands in (("ms", ms_bands), ("hs", hs_bands)):
            self.register_buffer(f"{name}_mean", torch.zeros(bands, 1, 1))
            self.register_buffer(f"{name}_std", torch.ones(bands, 1, 1))

    def standardise(self, ms: Tensor, hs: Tensor) -> None:
        """Set the per-band mean and standard deviation of inputs and outputs from training patches."""
        for name, patches in (("ms", ms), ("hs", hs)):
            getattr(self, f"{name}_mean").copy_(patches.mean(dim=(0, 2, 3))[:, None, None])
            getattr(self, f"{name}_std").copy_(patches.std(dim=(0, 2, 3), correction=0).clamp_min(1e-6)[:, None, None])

    def forward(self, ms: Tensor) -> Tensor:
        return self.net((ms - self.ms_mean) / self.ms_std) * self.hs_std + self.hs_mean


def srecnn_loss(model: nn.Module, batch: Batch) -> Tensor:
    """Mean squared error of the predicted HS patches."""
    return F.mse_loss(model(batch["ms"]), batch["hs"])


def training_pairs(ms: np.ndarray, hs: np.ndarray, ratio: int, patch: int,
                   degradation: str = "area") -> tuple[Tensor, Tensor]:
    """Patches (n, C_m, p, p) of the MS image degraded to the HS grid and the HS patches (n, C_h, p, p) there.

    ms (C_m, H, W) and hs (C_h, H / ratio, W / ratio) cover the same area; ``patch`` p is in HS pixels and the
    patches do not overlap. Patches with a missing (NaN) value in either image are left out.
    """
    if ms.ndim != 3 or hs.ndim != 3 or ms.shape[1:] != (hs.shape[1] * ratio, hs.shape[2] * ratio):
        raise ValueError(f"SRECNN: the MS image {ms.shape} must be (C_m, H, W) with H and W ratio {ratio} times "
                         f"those of the HS image {hs.shape}; crop both to the same area or fix the ratio")
    if not 1 <= patch <= min(hs.shape[1:]):
        raise ValueError(f"SRECNN: patch must be between 1 and the HS image's {min(hs.shape[1:])} pixels; got {patch}")
    coarse = degrade(ms, ratio, degradation)
    rows, cols = hs.shape[1] // patch, hs.shape[2] // patch

    def cut(image: np.ndarray) -> np.ndarray:
        image = image[:, : rows * patch, : cols * patch]
        blocks = image.reshape(image.shape[0], rows, patch, cols, patch).transpose(1, 3, 0, 2, 4)
        return blocks.reshape(rows * cols, image.shape[0], patch, patch)

    ms_patches, hs_patches = cut(coarse), cut(hs)
    keep = np.isfinite(ms_patches).all(axis=(1, 2, 3)) & np.isfinite(hs_patches).all(axis=(1, 2, 3))
    if not keep.any():
        raise ValueError("SRECNN: no patch of the HS image and the degraded MS image is free of missing data; "
                         "use a smaller patch or a clearer pair of images")
    return (torch.from_numpy(np.ascontiguousarray(ms_patches[keep], dtype=np.float32)),
            torch.from_numpy(np.ascontiguousarray(hs_patches[keep], dtype=np.float32)))


def train_srecnn(ms: np.ndarray, hs: np.ndarray, ratio: int, settings: TrainingSettings, checkpoint: str | Path, *,
                 patch: int = 1, validation_fraction: float = 0.2, degradation: str = "area",
                 **model_options) -> SRECNN:
    """Train an SRECNN on (MS degraded to the HS grid -> HS) patches with ``stfusion.train.fit``.

    A seeded ``validation_fraction`` of the patches (none when there is a single patch) picks the best
    weights; the returned model holds them, on the CPU, in eval mode. ``model_options`` go to ``SRECNN``.
    ``patch`` (HS pixels): 1, every pixel a sample, suits the default 1 x 1 kernels; give wider kernels a
    patch several times their receptive field.
    """
    ms_patches, hs_patches = training_pairs(ms, hs, ratio, patch, degradation)
    order = torch.randperm(len(ms_patches), generator=torch.Generator().manual_seed(settings.seed))
    held = order[: int(validation_fraction * len(order))] if len(order) > 1 else order[:0]
    used = order[len(held):]
    train = {"ms": ms_patches[used], "hs": hs_patches[used]}
    torch.manual_seed(settings.seed)
    model = SRECNN(ms.shape[0], hs.shape[0], **model_options)
    model.standardise(train["ms"], train["hs"])
    digest = hashlib.sha256(ms_patches.numpy().data)
    digest.update(hs_patches.numpy().data)
    fingerprint = json.dumps({"model": model.options, "ratio": ratio, "patch": patch, "degradation": degradation,
                              "validation_fraction": validation_fraction, "settings": repr(settings),
                              "data": digest.hexdigest()})
    best, _ = fit(model, srecnn_loss, train, {"ms": ms_patches[held], "hs": hs_patches[held]}, settings,
                  checkpoint, fingerprint)
    model.load_state_dict(best)
    return model.cpu().eval()


@torch.no_grad()
def apply_srecnn(model: SRECNN, ms: np.ndarray, block: int = 512) -> np.ndarray:
    """The HS image (C_h, H, W) float32 predicted from ms (C_m, H, W), in blocks of ``block`` x ``block`` pixels.

    Each block is predicted from a window grown by the model's ``halo`` (clipped at the image edge, where
    the replicate padding acts as on the whole image), so the blocks equal a whole-image prediction and
    memory is bounded by one window. Missing MS pixels are NaN in the output; the network sees them as 0,
    which with kernels wider than 1 also touches their neighbours within the halo.
    """
    if ms.ndim != 3 or ms.shape[0] != model.ms_bands:
        raise ValueError(f"SRECNN was built for {model.ms_bands} MS bands: expects (C_m, H, W); got {ms.shape}")
    model.eval()
    device = next(model.parameters()).device
    _, height, width = ms.shape
    valid = np.isfinite(ms).all(axis=0)
    out = np.empty((model.hs_bands, height, width), dtype=np.float32)
    for (rows, cols), core, inner in progress(halo_windows(height, width, block, model.halo), "SRECNN block"):
        window = torch.from_numpy(np.nan_to_num(ms[:, rows, cols].astype(np.float32), nan=0.0))
        out[:, core[0], core[1]] = model(window[None].to(device))[0].cpu().numpy()[:, inner[0], inner[1]]
    out[:, ~valid] = np.nan
    return out


class SRECNNMethod(SpectralMethod):
    """SRECNN as a spectral method (``spectral.method``): trained on the pair by ``train_srecnn`` (its ``training``
    settings: the entry's epochs, lr and batch size with the config's ``training``, unaugmented, in float32),
    applied to an MS image by ``apply_srecnn`` in blocks of ``block`` pixels (``prediction.block``)."""

    def __init__(self, degradation: str, training: TrainingSettings, block: int) -> None:
        super().__init__(degradation)
        self.training, self.block = training, block
        self.network: SRECNN | None = None

    @classmethod
    def from_config(cls, run, degradation, config) -> SRECNNMethod:
        training = settings_from_config(run, config["training"], config["seed"], mixed_precision=False, augment=False)
        return cls(degradation, training, config["prediction"]["block"])

    def fit(self, ms: np.ndarray, hs: np.ndarray, ratio: int, srf: np.ndarray, checkpoint: str | Path) -> None:
        self.network = train_srecnn(ms, hs, ratio, self.training, checkpoint, degradation=self.degradation)

    def fitted_state(self) -> dict:
        if self.network is None:
            return {}
        network = self.network
        return {"ms_bands": network.ms_bands, "hs_bands": network.hs_bands, **network.options,
                "weights": network.state_dict()}

    def restore_fitted(self, state: Mapping) -> None:
        if state:
            network = SRECNN(state["ms_bands"], state["hs_bands"], tuple(state["features"]), tuple(state["kernels"]))
            network.load_state_dict(state["weights"])
            self.network = network.eval()

    def predict(self, ms: np.ndarray, hs: np.ndarray, ratio: int, srf: np.ndarray) -> np.ndarray:
        if self.network is None:
            raise ValueError("SRECNN predicts once fitted: call fit first")
        return apply_srecnn(self.network, ms, block=self.block)
