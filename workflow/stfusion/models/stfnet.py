"""StfNet, pixel-level residual fusion (Liu et al. 2019, IEEE TGRS 57(9)).

One CNN (9x9 2C->64, ReLU, 5x5 64->32, ReLU, 5x5 32->C; replicate padding) maps
[bicubic-upsampled M(t1) - M(tk), L(tk)] to the fine difference; L(t1) = L(tk) + difference. The same weights
serve both temporal directions. Two references are blended by temporal consistency: the reference whose
coarse image matches M(t1) better gets more weight, w_k = (1/(d_k + eps)) / sum_j (1/(d_j + eps)) with
d_k = mean |M(tk) - M(t1)| per band over a (2 radius + 1)^2 coarse window (``base.closeness_weights``;
local rather than per sample so that tiled and whole-scene predictions agree).
``init: change`` (the default, ``initialise_change_transfer``) starts the CNN at the coarse change itself, so
that the untrained network is change transfer; ``init: default`` is Liu et al.'s random start.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from stfusion.models.base import (FusionModel, bicubic_halo, closeness_weights, conv, initialise, pass_through,
                                  upsample_bicubic)


def initialise_change_transfer(model: "StfNet", channels: int) -> None:
    """Start the CNN at its input's change, so that L(t1) = L(tk) + up(M(t1) - M(tk)) exactly (change transfer).

    The first layer splits the change into its positive and negative parts (so the ReLUs pass both), the
    second passes them on, the last recombines them (centre taps; every other weight into the output zero);
    the remaining channels keep PyTorch's default initialisation. A zero output would be no change at all
    (the nearest reference), not change transfer. Two references then start as the closeness-weighted blend.
    """
    c = channels
    first, second, last = (m for m in model.net if isinstance(m, nn.Conv2d))
    # input: [up(M(t1) - M(tk)) (0..C-1), L(tk) (C..2C-1)]
    pass_through(first, [{i: 1.0} for i in range(c)] + [{i: -1.0} for i in range(c)])
    pass_through(second, [{i: 1.0} for i in range(2 * c)])
    pass_through(last, [{i: 1.0, c + i: -1.0} for i in range(c)])


class StfNet(FusionModel):
    """StfNet (Liu et al. 2019); halo = max(``bicubic_halo(ratio, 8)``, radius * ratio) (32 px at ratio 16)."""

    def __init__(self, channels: int, ratio: int, radius: int = 1, init: str = "change") -> None:
        super().__init__()
        self.ratio, self.radius = ratio, radius
        self.halo = max(bicubic_halo(ratio, 8), radius * ratio)  # convs reach 4 + 2 + 2 fine px
        self.net = nn.Sequential(conv(2 * channels, 64, 9), nn.ReLU(), conv(64, 32, 5), nn.ReLU(),
                                 conv(32, channels, 5))
        initialise(self, init, lambda: initialise_change_transfer(self, channels))

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
