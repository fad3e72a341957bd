"""DCSTFN, the deep convolutional spatiotemporal fusion network (Tan et al. 2018).

Encoder-merge-decoder: a coarse encoder shared by M(tk) and M(t1) on the coarse grid (3x3 convs then
log2(ratio) - 1 transposed convs, each doubling, to half the fine resolution), a fine encoder on L(tk)
(down to half the fine resolution by a max-pool), the merge F(t1) = F_L(tk) + F_M(t1) - F_M(tk) (Tan, Di, Zhang,
Guo and Gao (2019), "An Enhanced Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing
11(24), 2898, Equation 2) and a decoder (a doubling transposed conv back to the fine grid, then per-pixel linear
layers).
Transposed convs: kernel 3, stride 2, padding 1, output_padding 1 (exact doubling). 3x3 convs use
replicate padding. With two references the two single-reference predictions are averaged.
``init: change`` (the default, ``initialise_change_transfer``) starts the network at the change transfer of a
half-resolution L(tk), the closest to L(tk) + M(t1) - M(tk) its max-pool allows; ``init: default`` is Tan et
al.'s random start.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from stfusion.errors import ConfigError
from stfusion.models.base import FusionModel, conv, initialise, pass_through

SHIFT = 1.0  # the change start's offset of L(tk) in the fine encoder: exact for reflectance and NDVI, |L| <= 1


def _double(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    """Transposed convolution doubling the size exactly."""
    return nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)


def _double_through(layer: nn.ConvTranspose2d, taps: list[dict[int, float]]) -> None:
    """``base.pass_through`` for a doubling: output channel i is the sum of input j times ``taps[i][j]``, each
    input pixel repeated over the 2x2 output pixels it starts (nearest-neighbour doubling, exact to the edge)."""
    with torch.no_grad():
        for row, weights in enumerate(taps):
            layer.weight[:, row].zero_()
            layer.bias[row] = 0.0
            for col, weight in weights.items():
                layer.weight[col, row, 1:, 1:] = weight  # outputs 2i and 2i + 1 read input i through taps 1, 2


def initialise_change_transfer(model: "DCSTFN", channels: int) -> None:
    """Start the network at P(L(tk)) + M(t1) - M(tk), both nearest-upsampled to the fine grid, where P is the
    mid-range (max + min) / 2 of each 2x2 block of L(tk).

    DCSTFN cannot represent L(tk) itself: its fine encoder max-pools L(tk) to half resolution, and no
    translation-invariant convolution before a max-pool isolates one pixel of a block. The closest honest
    start keeps L(tk) at half resolution: the fine encoder carries L(tk) + SHIFT and SHIFT - L(tk) (non-negative,
    so the ReLUs pass them) whose max-pools are max L + SHIFT and SHIFT - min L; the coarse encoder carries
    the positive and negative parts of M (channels 2C..4C-1), doubled by nearest neighbours, so the merge
    F_M(t1) - F_M(tk) holds the coarse change; the decoder adds the half-differences of the first pair to
    the change and doubles the sum to the fine grid. Centre taps only; the remaining channels keep PyTorch's
    default initialisation and start with zero weight into the output. A larger SHIFT would widen the exact
    range but magnify the first Adam steps (every weight moves by about the rate): 4 makes them diverge at 1e-3.
    """
    c = channels
    split = [{i: 1.0} for i in range(c)] + [{i: -1.0} for i in range(c)]
    carry = [{j: 1.0} for j in range(2 * c)]
    coarse = [m for m in model.coarse_encoder if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    pass_through(coarse[0], split)
    for layer in coarse[1:-1]:
        (_double_through if isinstance(layer, nn.ConvTranspose2d) else pass_through)(layer, carry)
    pass_through(coarse[-1], [{}] * (2 * c) + carry)
    f1, f2, f3, f4 = (m for m in model.fine_encoder if isinstance(m, nn.Conv2d))
    pass_through(f1, split)
    with torch.no_grad():
        f1.bias[: 2 * c] = SHIFT
    pass_through(f2, carry)
    pass_through(f3, carry)
    pass_through(f4, carry + [{}] * (2 * c))
    d1, d2, d3 = model.decoder[0], model.decoder[2], model.decoder[4]
    value = [{i: 0.5, c + i: -0.5, 2 * c + i: 1.0, 3 * c + i: -1.0} for i in range(c)]
    _double_through(d1, value + [{j: -w for j, w in taps.items()} for taps in value])
    pass_through(d2, carry)
    pass_through(d3, [{i: 1.0, c + i: -1.0} for i in range(c)])


class DCSTFN(FusionModel):
    """DCSTFN (Tan et al. 2018); ``ratio`` a power of two >= 4; halo = 4 ratio."""

    def __init__(self, channels: int, ratio: int, init: str = "change") -> None:
        super().__init__()
        if ratio < 4 or ratio & (ratio - 1):
            raise ConfigError(f"DCSTFN needs a ratio that is a power of two >= 4 (it upsamples by transposed "
                              f"convolutions doubling the size), got {ratio}: use EDCSTFN or StfNet for this pair")
        self.ratio = ratio
        # Coarse branch: 2 coarse convs (2 ratio), doublings and the half-res conv; the interval bound at
        # the far tile edge gives 4 ratio, which also covers the fine branch (8 fine px).
        self.halo = 4 * ratio
        doublings = [_double(64, 64) for _ in range(ratio.bit_length() - 2)]  # x ratio/2 in all
        self.coarse_encoder = nn.Sequential(conv(channels, 32, 3), nn.ReLU(), conv(32, 64, 3), nn.ReLU(),
                                            *doublings, conv(64, 128, 3), nn.ReLU())
        self.fine_encoder = nn.Sequential(conv(channels, 32, 3), nn.ReLU(), conv(32, 64, 3), nn.ReLU(),
                                          nn.MaxPool2d(2), conv(64, 64, 3), nn.ReLU(), conv(64, 128, 3), nn.ReLU())
        self.decoder = nn.Sequential(_double(128, 64), nn.ReLU(), nn.Conv2d(64, 32, 1), nn.ReLU(),
                                     nn.Conv2d(32, channels, 1))
        initialise(self, init, lambda: initialise_change_transfer(self, channels))

    def forward(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> Tensor:
        """Mean over the references of f(F_L(tk) + F_M(t1) - F_M(tk)), (B, C, H, W)."""
        k = self.check_inputs(fine_refs, coarse_refs, coarse_t1)
        b, _, c, h, w = fine_refs.shape
        merged = (self.fine_encoder(fine_refs.reshape(b * k, c, h, w))
                  + self.coarse_encoder(coarse_t1).repeat_interleave(k, dim=0)
                  - self.coarse_encoder(coarse_refs.reshape(b * k, c, *coarse_refs.shape[-2:])))
        return self.decoder(merged).reshape(b, k, c, h, w).mean(dim=1)
