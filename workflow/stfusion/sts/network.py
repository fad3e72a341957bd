"""The STS-MTL network of Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via
Multi-task Learning" (sections 3.1-3.2, Figures 1-2).

For one output date t the network predicts the principal-component scores of the fine hyperspectral
image Z(t) from three feature branches, each a stack of multi-scale residual blocks:

* spatial branch, f_spatial(X^pan, X^mul'): the fine image on the reference date t_f, the MS series
  resampled to t_f and the MS image on t;
* temporal branch, f_temporal(X^mul, X^mul'): the MS image on t and the MS series resampled to the
  two reference dates t_f and t_h;
* spectral branch, f_spectral(X^mul, X^hy): the hyperspectral components on the reference date t_h,
  the MS series resampled to t_h and the MS image on t.

Every branch also sees the time code of ``resample.time_code`` as constant planes. The branch
features are concatenated and fused, Z = g(delta_spatial, delta_temporal, delta_spectral), by two
1x1 convolutions into standardised component scores (times the per-component spread of the training
scores, plus their mean). An earlier version added g's output to the upsampled hyperspectral
components of t_h (residual learning); on the demo protocol that was worse (held-out RMSE 0.0057
against 0.0050, SAM 1.26 against 1.10 degrees, {1} kernels, 40 epochs): the 30 m components,
upsampled, mix land and water along the narrow river, and the network had to undo the mixing.

Inputs are standardised per band (fine, MS) and per component (HS scores) with statistics of the
training series (``standardise``; buffers saved with the weights), a choice of this implementation
as the paper's normalisation is not given: on raw reflectance (0-0.5) and scores whose spread falls
by orders of magnitude from the first component to the last, the demo's {1} network trained for
20 epochs reached a held-out RMSE of 0.016 and fitted its own training dates no better (0.015).
MS and HS inputs enter on their own grids and are upsampled to the fine grid (bicubic) inside.

Choices where the paper is silent (Figure 2 is not reproduced in its text): a path T_i of the
residual block is conv(k_i) -> ReLU -> conv(k_i) with ``features`` channels and replicate padding;
a branch is a 1x1 entry convolution with ReLU followed by ``blocks`` residual blocks. Branches compute in
the channels-last memory layout, the one oneDNN's CPU convolutions work in (no layout conversion per layer).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..models.base import bicubic_halo, conv, upsample_bicubic
from .resample import TIME_CODE_SIZE

KERNEL_SETS = ((1,), (1, 3), (1, 3, 5))


class MultiScaleResidualBlock(nn.Module):
    """y = x + sum_{i=1..C} T_i(x) (Peng et al., section 3.1): one path per kernel size, C = cardinality."""

    def __init__(self, features: int, kernels: Sequence[int]) -> None:
        super().__init__()
        if not kernels or any(k % 2 == 0 or k < 1 for k in kernels):
            raise ValueError(f"residual block kernels must be odd sizes >= 1, e.g. (1, 3); got {tuple(kernels)}")
        self.paths = nn.ModuleList(
            nn.Sequential(conv(features, features, k), nn.ReLU(), conv(features, features, k)) for k in kernels
        )
        self.reach = 2 * (max(kernels) // 2)  # pixels one output pixel sees on each side

    def forward(self, x: Tensor) -> Tensor:
        return x + sum(path(x) for path in self.paths)


class Branch(nn.Module):
    """One feature-extraction branch: 1x1 entry convolution and ReLU, then ``blocks`` residual blocks."""

    def __init__(self, in_channels: int, features: int, blocks: int, kernels: Sequence[int]) -> None:
        super().__init__()
        self.entry = nn.Sequential(conv(in_channels, features, 1), nn.ReLU())
        self.blocks = nn.Sequential(*(MultiScaleResidualBlock(features, kernels) for _ in range(blocks)))
        self.reach = blocks * (2 * (max(kernels) // 2))

    def forward(self, x: Tensor) -> Tensor:
        return self.blocks(self.entry(x.contiguous(memory_format=torch.channels_last)))


class STSMTLNetwork(nn.Module):
    """Fine hyperspectral components on one date from fine, MS and HS references (module docstring).

    Inputs of ``forward`` (B = batch; H, W fine pixels; ms_ratio and hs_ratio fine pixels per MS and
    HS pixel): fine_ref (B, fine_bands, H, W); ms_ref_fine, ms_t, ms_ref_hs (B, ms_bands, H/ms_ratio,
    W/ms_ratio); hs_ref (B, components, H/hs_ratio, W/hs_ratio); time_code (B, 5, 1, 1).
    Output: (B, components, H, W).
    """

    INPUTS = ("fine_ref", "ms_ref_fine", "ms_t", "ms_ref_hs", "hs_ref", "time_code")

    def __init__(self, fine_bands: int, ms_bands: int, components: int, ms_ratio: int = 2, hs_ratio: int = 3,
                 features: int = 32, blocks: int = 3, kernels: Sequence[int] = (1, 3)) -> None:
        super().__init__()
        self.ms_ratio, self.hs_ratio, self.components = ms_ratio, hs_ratio, components
        code = TIME_CODE_SIZE
        self.spatial = Branch(fine_bands + 2 * ms_bands + code, features, blocks, kernels)
        self.temporal = Branch(3 * ms_bands + code, features, blocks, kernels)
        self.spectral = Branch(components + 2 * ms_bands + code, features, blocks, kernels)
        self.fusion = nn.Sequential(conv(3 * features, features, 1), nn.ReLU(), conv(features, components, 1))
        self.alignment = math.lcm(ms_ratio, hs_ratio)
        reach = self.spatial.reach
        halo = max(bicubic_halo(ms_ratio, reach), bicubic_halo(hs_ratio, reach))
        self.halo = self.alignment * math.ceil(halo / self.alignment)
        for name, channels in (("fine", fine_bands), ("ms", ms_bands), ("hs", components)):
            self.register_buffer(f"{name}_mean", torch.zeros(channels, 1, 1))
            self.register_buffer(f"{name}_std", torch.ones(channels, 1, 1))

    def standardise(self, fine: Tensor, ms: Tensor, hs_scores: Tensor) -> None:
        """Set the per-channel mean and standard deviation of the inputs from training images (N, C, H, W)
        of the fine series, the MS series and the HS scores (NaN pixels are left out)."""
        for name, images in (("fine", fine), ("ms", ms), ("hs", hs_scores)):
            pixels = images.transpose(0, 1).reshape(images.shape[1], -1).double()
            mean = pixels.nanmean(dim=1)
            std = ((pixels - mean[:, None]) ** 2).nanmean(dim=1).sqrt().clamp_min(1e-6)
            getattr(self, f"{name}_mean").copy_(mean[:, None, None])
            getattr(self, f"{name}_std").copy_(std[:, None, None])

    def _scaled(self, x: Tensor, name: str) -> Tensor:
        return (x - getattr(self, f"{name}_mean")) / getattr(self, f"{name}_std")

    def forward(self, fine_ref: Tensor, ms_ref_fine: Tensor, ms_t: Tensor, ms_ref_hs: Tensor, hs_ref: Tensor,
                time_code: Tensor) -> Tensor:
        size = fine_ref.shape[-2:]
        if size[0] % self.alignment or size[1] % self.alignment:
            raise ValueError(f"fine inputs of {tuple(size)} pixels are not whole multiples of {self.alignment} "
                             f"(lcm of the MS ratio {self.ms_ratio} and the HS ratio {self.hs_ratio})")
        ms_f, ms_now, ms_h = (upsample_bicubic(self._scaled(x, "ms"), self.ms_ratio)
                              for x in (ms_ref_fine, ms_t, ms_ref_hs))
        hs = upsample_bicubic(hs_ref, self.hs_ratio)
        fine, hs_scaled, code = self._scaled(fine_ref, "fine"), self._scaled(hs, "hs"), time_code.expand(-1, -1, *size)
        features = torch.cat([
            self.spatial(torch.cat([fine, ms_f, ms_now, code], 1)),
            self.temporal(torch.cat([ms_now, ms_f, ms_h, code], 1)),
            self.spectral(torch.cat([hs_scaled, ms_h, ms_now, code], 1)),
        ], 1)
        return self.hs_mean + self.fusion(features) * self.hs_std
