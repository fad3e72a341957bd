"""DCSTFN, the deep convolutional spatiotemporal fusion network (Tan et al. 2018; SPEC 3.2).

Encoder-merge-decoder: a coarse encoder shared by M(tk) and M(t1) on the coarse grid (3x3 convs then
log2(ratio) - 1 transposed convs, each doubling, to half the fine resolution), a fine encoder on L(tk)
(down to half the fine resolution by a max-pool), the merge F(t1) = F_L(tk) + F_M(t1) - F_M(tk) (paper 001,
Equation 2) and a decoder (a doubling transposed conv back to the fine grid, then per-pixel linear layers).
Transposed convs: kernel 3, stride 2, padding 1, output_padding 1 (exact doubling). 3x3 convs use
replicate padding. With two references the two single-reference predictions are averaged.
"""
from __future__ import annotations

from torch import Tensor, nn

from stfusion.errors import ConfigError
from stfusion.models.base import FusionModel, conv


def _double(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    """Transposed convolution doubling the size exactly."""
    return nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)


class DCSTFN(FusionModel):
    """DCSTFN (Tan et al. 2018); ``ratio`` a power of two >= 4; halo = 4 ratio."""

    def __init__(self, channels: int, ratio: int) -> None:
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

    def forward(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> Tensor:
        """Mean over the references of f(F_L(tk) + F_M(t1) - F_M(tk)), (B, C, H, W)."""
        k = self.check_inputs(fine_refs, coarse_refs, coarse_t1)
        b, _, c, h, w = fine_refs.shape
        merged = (self.fine_encoder(fine_refs.reshape(b * k, c, h, w))
                  + self.coarse_encoder(coarse_t1).repeat_interleave(k, dim=0)
                  - self.coarse_encoder(coarse_refs.reshape(b * k, c, *coarse_refs.shape[-2:])))
        return self.decoder(merged).reshape(b, k, c, h, w).mean(dim=1)
