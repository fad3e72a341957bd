"""The interface every deep fusion model implements, and the layers, weights and starts they share."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stfusion.errors import ConfigError


class FusionModel(nn.Module):
    """Predicts the fine image at t1 from K reference pairs (K = 1 or 2) and the coarse image at t1.

    ``ratio`` is the number of fine pixels per coarse pixel. ``halo`` is the receptive radius in fine
    pixels, rounded up to a multiple of ``ratio``: a tile cut with this halo on all sides (coarse-aligned,
    clipped to the scene) gives in its interior the whole-scene output up to float rounding, and one coarse
    pixel less does not (tested), so tiled prediction computes no more than it needs.
    """

    ratio: int
    halo: int

    def forward(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> Tensor:
        """fine_refs (B, K, C, H, W); coarse_refs (B, K, C, H/r, W/r); coarse_t1 (B, C, H/r, W/r) -> (B, C, H, W)."""
        raise NotImplementedError

    def reference_features(self, fine_refs: Tensor, coarse_refs: Tensor) -> Tensor | None:
        """What the model computes from the reference pairs alone, shared by every date predicted from them
        (``tiling.predict_scene_dates``); None for a model that shares nothing (every date runs it whole)."""
        return None

    def forward_shared(self, features: Tensor | None, fine_refs: Tensor, coarse_refs: Tensor,
                       coarse_t1: Tensor) -> Tensor:
        """``forward`` given ``reference_features(fine_refs, coarse_refs)``: equal to it up to float rounding."""
        return self(fine_refs, coarse_refs, coarse_t1)

    def training_loss(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor, target: Tensor) -> Tensor:
        """Scalar loss for one batch: the model's ``loss`` of its prediction against ``target``."""
        return self.loss(self(fine_refs, coarse_refs, coarse_t1), target)

    def loss(self, prediction: Tensor, target: Tensor) -> Tensor:
        """Mean squared error."""
        return F.mse_loss(prediction, target)

    def check_inputs(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> int:
        """Raise ValueError unless the three inputs have the shapes of ``forward``; return K."""
        if fine_refs.ndim != 5 or coarse_refs.ndim != 5 or coarse_t1.ndim != 4:
            raise ValueError(f"{type(self).__name__} expects fine_refs (B, K, C, H, W), coarse_refs (B, K, C, h, w) "
                             f"and coarse_t1 (B, C, h, w); got {tuple(fine_refs.shape)}, "
                             f"{tuple(coarse_refs.shape)}, {tuple(coarse_t1.shape)}")
        b, k, c, h, w = coarse_refs.shape
        if k not in (1, 2) or tuple(coarse_t1.shape) != (b, c, h, w) or \
                tuple(fine_refs.shape) != (b, k, c, h * self.ratio, w * self.ratio):
            raise ValueError(f"{type(self).__name__} (ratio {self.ratio}) needs K = 1 or 2 references and fine "
                             f"inputs exactly ratio times the coarse ones; got fine_refs {tuple(fine_refs.shape)}, "
                             f"coarse_refs {tuple(coarse_refs.shape)}, coarse_t1 {tuple(coarse_t1.shape)}")
        return k


def conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Conv2d:
    """A convolution with replicate padding that keeps the size (divides it by ``stride``). A 1x1 kernel needs
    no padding, and PyTorch would still pad by 0 pixels in replicate mode (a copy of the input, and of its
    gradient, for every 1x1 layer)."""
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2,
                     padding_mode="replicate" if kernel > 1 else "zeros")


def initialise(model: nn.Module, init: str, change: Callable[[], None]) -> None:
    """The ``init`` option of every deep model (issue 16): ``change`` calls ``change``, which sets the model's
    weights so that, untrained, it predicts the classical change transfer L(t1) = L(tk) + M(t1) - M(tk) (or
    the closest its architecture can represent, see each model); ``default`` keeps PyTorch's random weights,
    as in the papers, which train on years of scenes. Few pairs cannot teach a network from random weights
    what change transfer already knows, and ``train.fit`` keeps the start when fine-tuning does not beat it."""
    if init == "change":
        change()
    elif init != "default":
        raise ConfigError(f"{type(model).__name__} option init must be 'change' or 'default', got {init!r}")


def pass_through(layer: nn.Conv2d, taps: list[dict[int, float]]) -> None:
    """Make output channel i of ``layer`` the sum of input channel j times ``taps[i][j]`` (centre tap only).

    The rest of row i (other inputs, other kernel taps, bias) is zero; rows past ``len(taps)`` keep
    PyTorch's default initialisation.
    """
    if len(taps) > layer.out_channels:
        raise ConfigError(f"the change-transfer start needs {len(taps)} channels in a layer of {layer.out_channels}: "
                          "too many bands for it, write `options: {init: default}` for this method")
    centre = layer.kernel_size[0] // 2
    with torch.no_grad():
        for row, weights in enumerate(taps):
            layer.weight[row].zero_()
            layer.bias[row] = 0.0
            for col, weight in weights.items():
                layer.weight[row, col, centre, centre] = weight


def upsample_bicubic(x: Tensor, factor: int) -> Tensor:
    """Bicubic upsampling of (N, C, h, w) by an integer factor (align_corners=False, edges clamped)."""
    if factor == 1:
        return x
    return F.interpolate(x, size=(x.shape[-2] * factor, x.shape[-1] * factor), mode="bicubic", align_corners=False)


def bicubic_reach(factor: int, reach: int) -> int:
    """Input pixels needed beyond either side of a block of whole input pixels so that a bicubic upsampling by
    ``factor`` (``upsample_bicubic``) is exact ``reach`` output pixels beyond it: output p reads the inputs
    floor((p + 1/2) / factor - 1/2) - 1 to + 2 (Keys' 4-tap kernel at PyTorch's half-pixel centres), taken at
    p = -reach and at p = reach - 1 past the block's far edge, in integer arithmetic."""
    if factor == 1:
        return reach
    before = 1 - (1 - 2 * reach - factor) // (2 * factor)
    after = (2 * reach - 1 - factor) // (2 * factor) + 3
    return max(before, after)


def bicubic_halo(ratio: int, fine_reach: int) -> int:
    """Halo in fine pixels (whole coarse pixels) of a bicubic upsampling by ``ratio`` followed by convolutions
    reaching ``fine_reach`` px: the true receptive radius, e.g. 32 px for ratio 16 and up to 8 px of convolutions."""
    return ratio * bicubic_reach(ratio, fine_reach)


def closeness_weights(coarse_refs: Tensor, coarse_t1: Tensor, ratio: int, radius: int, eps: float = 1e-6) -> Tensor:
    """Temporal-closeness weights of K references, (B, K, C, H, W) on the fine grid, summing to 1 over K.

    w_k = (1 / (d_k + eps)) / sum_j (1 / (d_j + eps)), with d_k the mean of |coarse_k - coarse_t1| per band
    over a (2 radius + 1)^2 coarse-pixel window (replicate edges): the reference whose coarse image is the
    closest to the coarse image at t1 around a pixel gets the most weight. The window is local, not the
    whole sample, so the weights (and the halo) do not depend on how a scene is tiled.
    """
    diff = (coarse_refs - coarse_t1.unsqueeze(1)).abs()
    b, k, c, h, w = diff.shape
    diff = diff.reshape(b * k, c, h, w)
    if radius:
        diff = F.avg_pool2d(F.pad(diff, [radius] * 4, mode="replicate"), 2 * radius + 1, stride=1)
    inverse = 1.0 / (diff.reshape(b, k, c, h, w) + eps)
    weights = inverse / inverse.sum(dim=1, keepdim=True)
    return weights.repeat_interleave(ratio, dim=-2).repeat_interleave(ratio, dim=-1)
