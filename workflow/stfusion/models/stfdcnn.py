"""STFDCNN, spatiotemporal fusion by two super-resolution CNNs and high-pass modulation (Song et al. 2018,
IEEE JSTARS 11(3)).

Two SRCNN-style networks (9x9 C->64, ReLU, 1x1 64->32, ReLU, 5x5 32->C; replicate padding) with residual
learning on a bicubic upsampling: the non-linear mapping (NLM) CNN takes the coarse image to the
intermediate grid (``intermediate`` x the coarse resolution), the super-resolution (SR) CNN takes that to the
fine grid. Both are trained end to end on (M(t1) -> L(t1)): MSE of the fine output + MSE of the intermediate
output against L(t1) area-averaged to the intermediate grid.
Prediction: high-pass modulation (HPM) of each fine reference, L(t1) = L(tk) * SR(t1) / SR(tk), i.e.
SR(t1) + (L(tk) - SR(tk)) * SR(t1) / SR(tk): the multiplicative form of Song et al., chosen over the additive
L(tk) + SR(t1) - SR(tk) because it is the method's own and keeps predictions non-negative, each fine pixel
changing in proportion to its brightness; both SR outputs are floored at ``floor`` reflectance in the gain so
that dark pixels (water, shadow) or negative CNN outputs cannot blow it up or flip its sign. Two
references are weighted by temporal closeness in coarse space (``base.closeness_weights``).
``init: change`` (the default, ``initialise_change_transfer``) zeroes the residual of both CNNs, so that the
untrained network is the high-pass modulation of the interpolated coarse images; ``init: default`` is Song et
al.'s random start.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stfusion.errors import ConfigError
from stfusion.models.base import FusionModel, bicubic_reach, closeness_weights, conv, initialise, upsample_bicubic


def _srcnn(channels: int) -> nn.Sequential:
    """SRCNN 9-1-5 with 64 and 32 channels (Dong et al. 2016), predicting a residual."""
    return nn.Sequential(conv(channels, 64, 9), nn.ReLU(), conv(64, 32, 1), nn.ReLU(), conv(32, channels, 5))


def initialise_change_transfer(model: "STFDCNN") -> None:
    """Zero the last layer of both SRCNNs: SR(M) is then M bicubic-upsampled to the intermediate grid and on
    to the fine grid, and the prediction L(tk) * SR(t1) / SR(tk) is the change transfer of the interpolated
    coarse images in STFDCNN's own (multiplicative, high-pass modulation) form.

    The additive L(tk) + M(t1) - M(tk) of the other models is not representable: STFDCNN's prediction is
    the ratio by construction. A zero-initialised last residual layer is the usual start of residual
    branches (Goyal et al. 2017; Zhang et al. 2019, Fixup): every layer trains from the second step on.
    """
    for net in (model.nlm, model.sr):
        with torch.no_grad():
            net[-1].weight.zero_()
            net[-1].bias.zero_()


def default_intermediate(ratio: int) -> int:
    """The integer divisor of ``ratio`` closest to sqrt(ratio) (the smaller one on a tie)."""
    return min((d for d in range(1, ratio + 1) if ratio % d == 0), key=lambda d: (abs(d - math.sqrt(ratio)), d))


class STFDCNN(FusionModel):
    """STFDCNN (Song et al. 2018); halo: the reach of both SRCNNs through both bicubic upsamplings, at least
    radius * ratio (64 px at ratio 16)."""

    def __init__(self, channels: int, ratio: int, intermediate: int | None = None, radius: int = 1,
                 floor: float = 0.01, init: str = "change") -> None:
        super().__init__()
        intermediate = default_intermediate(ratio) if intermediate is None else intermediate
        if intermediate < 1 or ratio % intermediate:
            raise ConfigError(f"STFDCNN's intermediate factor must divide the ratio {ratio}, got {intermediate}")
        self.ratio, self.intermediate, self.radius, self.floor = ratio, intermediate, radius, floor
        self.step = ratio // intermediate
        # Back from the output: SR convs 4 + 2 fine px, its bicubic, NLM convs 4 + 2 intermediate px, its bicubic.
        self.halo = max(ratio * bicubic_reach(intermediate, bicubic_reach(self.step, 6) + 6), radius * ratio)
        self.nlm = _srcnn(channels)
        self.sr = _srcnn(channels)
        initialise(self, init, lambda: initialise_change_transfer(self))

    def super_resolve(self, coarse: Tensor) -> tuple[Tensor, Tensor]:
        """Intermediate (N, C, h i, w i) and fine (N, C, h r, w r) images from coarse images (N, C, h, w)."""
        up = upsample_bicubic(coarse, self.intermediate)
        middle = up + self.nlm(up)
        up = upsample_bicubic(middle, self.step)
        return middle, up + self.sr(up)

    def forward(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> Tensor:
        """HPM of each fine reference by SR(t1) / SR(tk), blended by closeness weights; (B, C, H, W)."""
        k = self.check_inputs(fine_refs, coarse_refs, coarse_t1)
        b, _, c, h, w = fine_refs.shape
        _, at_t1 = self.super_resolve(coarse_t1)
        _, at_refs = self.super_resolve(coarse_refs.reshape(b * k, c, *coarse_refs.shape[-2:]))
        gain = at_t1.clamp_min(self.floor).unsqueeze(1) / at_refs.clamp_min(self.floor).reshape(b, k, c, h, w)
        predictions = fine_refs * gain
        if k == 1:
            return predictions[:, 0]
        return (closeness_weights(coarse_refs, coarse_t1, self.ratio, self.radius) * predictions).sum(dim=1)

    def training_loss(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor, target: Tensor) -> Tensor:
        """MSE(SR(M(t1)), L(t1)) + MSE(NLM(M(t1)), L(t1) area-averaged to the intermediate grid)."""
        self.check_inputs(fine_refs, coarse_refs, coarse_t1)
        middle, fine = self.super_resolve(coarse_t1)
        return F.mse_loss(fine, target) + F.mse_loss(middle, F.avg_pool2d(target, self.step))
