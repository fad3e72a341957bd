"""StfNet, pixel-level residual fusion (Liu et al. 2019, IEEE TGRS 57(9); SPEC 3.3).

One CNN (9x9 2C->64, ReLU, 5x5 64->32, ReLU, 5x5 32->C; replicate padding) maps
[bicubic-upsampled M(t1) - M(tk), L(tk)] to the fine difference; L(t1) = L(tk) + difference. The same weights
serve both temporal directions. Two references are blended by temporal consistency: the reference whose
coarse image matches M(t1) better gets more weight, w_k = (1/(d_k + eps)) / sum_j (1/(d_j + eps)) with
d_k = mean |M(tk) - M(t1)| per band over a (2 radius + 1)^2 coarse window (``base.closeness_weights``;
local rather than per sample so that tiled and whole-scene predictions agree).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from stfusion.models.base import FusionModel, bicubic_halo, closeness_weights, conv, upsample_bicubic


class StfNet(FusionModel):
    """StfNet (Liu et al. 2019); halo = max(``bicubic_halo(ratio, 8)``, radius * ratio) (32 px at ratio 16)."""

    def __init__(self, channels: int, ratio: int, radius: int = 1) -> None:
        super().__init__()
        self.ratio, self.radius = ratio, radius
        self.halo = max(bicubic_halo(ratio, 8), radius * ratio)  # convs reach 4 + 2 + 2 fine px
        self.net = nn.Sequential(conv(2 * channels, 64, 9), nn.ReLU(), conv(64, 32, 5), nn.ReLU(),
                                 conv(32, channels, 5))

    def forward(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> Tensor:
        """L(tk) + CNN([up(M(t1) - M(tk)), L(tk)]) per reference, blended by closeness weights; (B, C, H, W)."""
        k = self.check_inputs(fine_refs, coarse_refs, coarse_t1)
        b, _, c, h, w = fine_refs.shape
        fine = fine_refs.reshape(b * k, c, h, w)
        change = upsample_bicubic((coarse_t1.unsqueeze(1) - coarse_refs).reshape(b * k, c, h // self.ratio,
                                                                                  w // self.ratio), self.ratio)
        predictions = (fine + self.net(torch.cat([change, fine], dim=1))).reshape(b, k, c, h, w)
        if k == 1:
            return predictions[:, 0]
        return (closeness_weights(coarse_refs, coarse_t1, self.ratio, self.radius) * predictions).sum(dim=1)
