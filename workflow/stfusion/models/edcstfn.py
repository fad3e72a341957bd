"""EDCSTFN, the enhanced deep convolutional spatiotemporal fusion network (Tan, Di, Zhang, Guo and Gao (2019), "An
Enhanced Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898).

L(t1) = f(g(L(tk)) + h(M(tk), L(tk), M(t1)))  (Equation 3): a fine encoder g, a residual encoder h on the
stacked reference pair and coarse image at t1 (coarse images bicubic-upsampled to the fine grid first), an
element-wise merge and a decoder f, all at full resolution (3x3 convolutions, replicate padding).
Two references: the merged feature maps are blended with W10 = (1/D10) / (1/D10 + 1/D12), W12 = 1 - W10,
D1k = |h(...)| (Equations 8-10), then decoded. Compound loss (Equation 4):
MSE + feature MSE under the frozen pre-trained encoder (Equation 5) + alpha (1 - MS-SSIM) (Equation 7).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pytorch_msssim import ms_ssim
from torch import Tensor, nn

from stfusion.errors import ConfigError
from stfusion.models.autoencoder import FeatureAutoencoder
from stfusion.models.base import FusionModel, bicubic_halo, conv, initialise, pass_through, upsample_bicubic

MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang et al. 2003, the pytorch-msssim default


def msssim_settings(size: int, levels: int | None = None) -> tuple[int, list[float]]:
    """Gaussian window size and level weights of MS-SSIM for square-ish patches whose smaller side is ``size``.

    pytorch-msssim asserts size > 16 (win_size - 1) whatever the number of levels, and each level's image
    (halved, rounded up) should be at least win_size. The window is the largest odd one <= 11 allowed by
    the first rule; the levels are ``levels`` or the most (<= 5) allowed by the second; the standard
    weights are truncated to the levels and renormalised to sum to 1. 800-px patches of Tan et al. (2019): 11, 5
    levels; 64 px: 3, 5 levels.
    """
    win = 11
    while win > 3 and size <= 16 * (win - 1):
        win -= 2
    if size <= 16 * (win - 1):
        raise ValueError(f"MS-SSIM needs patches larger than {16 * (win - 1)} fine pixels, got {size}")
    most, side = 1, size
    while most < len(MSSSIM_WEIGHTS) and math.ceil(side / 2) >= win:
        most, side = most + 1, math.ceil(side / 2)
    levels = most if levels is None else levels
    if not 1 <= levels <= most:
        raise ValueError(f"MS-SSIM on {size}-px patches allows 1 to {most} levels, got {levels}")
    weights = MSSSIM_WEIGHTS[:levels]
    return win, [w / sum(weights) for w in weights]


def _encoder(in_channels: int, last_relu: bool) -> nn.Sequential:
    """conv3x3 in->32, ReLU, 32->64, ReLU, 64->128 (+ ReLU if ``last_relu``)."""
    layers: list[nn.Module] = [conv(in_channels, 32, 3), nn.ReLU(), conv(32, 64, 3), nn.ReLU(), conv(64, 128, 3)]
    return nn.Sequential(*layers, nn.ReLU()) if last_relu else nn.Sequential(*layers)


def initialise_change_transfer(model: "EDCSTFN", channels: int) -> None:
    """Start the network at the classical change-transfer prediction L(t1) = L(tk) + M(t1) - M(tk).

    Channels 0..C-1 of the fine encoder g carry L(tk) unchanged; the residual encoder h splits
    M(t1) - M(tk) into its positive and negative parts (so the ReLUs pass both) and recombines them
    in its last, linear layer; the decoder f passes channels 0..C-1 through and starts with zero
    weights from every other feature. The remaining channels keep PyTorch's default initialisation,
    so the network is exactly EDCSTFN (Equation 3) and training is free to move away; with two
    references the blend of Equations 8-10 then starts as the inverse-change weighting of
    L(tk) + M(t1) - M(tk). This is an initialisation only: Tan et al. (2019) train from random weights on
    years of scenes, and from random weights the demo's few CPU epochs leave EDCSTFN behind the
    nearest reference (docs/results/demo.md).
    """
    c = channels
    identity = [{i: 1.0} for i in range(c)]
    for layer in [m for m in model.fine_encoder if isinstance(m, nn.Conv2d)]:
        pass_through(layer, identity)
    h1, h2, h3 = (m for m in model.residual_encoder if isinstance(m, nn.Conv2d))
    # residual encoder input: [M(tk) (0..C-1), L(tk) (C..2C-1), M(t1) (2C..3C-1)], all on the fine grid
    increase = [{2 * c + i: 1.0, i: -1.0} for i in range(c)]
    decrease = [{i: 1.0, 2 * c + i: -1.0} for i in range(c)]
    pass_through(h1, increase + decrease)
    pass_through(h2, [{i: 1.0} for i in range(2 * c)])
    pass_through(h3, [{i: 1.0, c + i: -1.0} for i in range(c)])
    d1, d2, d3 = (m for m in model.decoder if isinstance(m, nn.Conv2d))
    pass_through(d1, identity)
    pass_through(d2, identity)
    with torch.no_grad():
        d3.weight.zero_()
        d3.bias.zero_()
    pass_through(d3, identity)


class EDCSTFN(FusionModel):
    """EDCSTFN of Tan et al. (2019) with its compound loss; halo = ``bicubic_halo(ratio, 5)`` (32 px at ratio 16).

    The frozen ``feature_extractor`` is deliberately NOT a registered submodule: it is absent from
    ``parameters()``, ``state_dict()`` and ``train()``/``to()``; ``loss`` moves it to the data's device.
    ``feature_loss=False`` drops the feature term (tests only; the method's compound loss includes it).
    """

    def __init__(self, channels: int, ratio: int, alpha: float = 0.5, msssim_levels: int | None = None,
                 feature_extractor: FeatureAutoencoder | None = None, feature_loss: bool = True,
                 eps: float = 1e-6, init: str = "change") -> None:
        super().__init__()
        if feature_extractor is not None and feature_extractor.channels != channels:
            raise ConfigError(f"EDCSTFN has {channels} bands but its feature extractor was trained on "
                              f"{feature_extractor.channels}: pre-train the autoencoder on the same bands")
        self.ratio, self.alpha, self.msssim_levels, self.feature_loss, self.eps = (
            ratio, alpha, msssim_levels, feature_loss, eps)
        self.halo = bicubic_halo(ratio, 5)  # 3 encoder convs + 2 decoder 3x3 convs
        self.fine_encoder = _encoder(channels, last_relu=True)
        self.residual_encoder = _encoder(3 * channels, last_relu=False)
        self.decoder = nn.Sequential(conv(128, 64, 3), nn.ReLU(), conv(64, 32, 3), nn.ReLU(),
                                     nn.Conv2d(32, channels, 1))
        initialise(self, init, lambda: initialise_change_transfer(self, channels))
        if feature_extractor is not None:
            feature_extractor.eval().requires_grad_(False)
        object.__setattr__(self, "_feature_extractor", feature_extractor)  # not registered, see class docstring

    @property
    def feature_extractor(self) -> FeatureAutoencoder | None:
        """The frozen pre-trained autoencoder of the feature loss."""
        return self._feature_extractor

    def reference_features(self, fine_refs: Tensor, coarse_refs: Tensor) -> Tensor:
        """g(L(tk)) of each reference, (B K, 128, H, W): the fine branch encodes the fine reference alone (Tan et
        al. 2019, Eq. 3), so every date predicted from the same references shares it."""
        b, k, c, h, w = fine_refs.shape
        return self.fine_encoder(fine_refs.reshape(b * k, c, h, w))

    def merged_features(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor,
                        encoded: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """g(L(tk)) + h(...) and h(...) for each reference: two (B, K, 128, H, W) tensors; ``encoded``: g(L(tk))
        from ``reference_features`` (computed here when None)."""
        k = self.check_inputs(fine_refs, coarse_refs, coarse_t1)
        b, _, c, h, w = fine_refs.shape
        fine = fine_refs.reshape(b * k, c, h, w)
        coarse = upsample_bicubic(coarse_refs.reshape(b * k, c, *coarse_refs.shape[-2:]), self.ratio)
        target = upsample_bicubic(coarse_t1, self.ratio).repeat_interleave(k, dim=0)
        residual = self.residual_encoder(torch.cat([coarse, fine, target], dim=1))
        merged = (self.fine_encoder(fine) if encoded is None else encoded) + residual
        return merged.reshape(b, k, *merged.shape[1:]), residual.reshape(b, k, *residual.shape[1:])

    def forward(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor) -> Tensor:
        """Prediction (B, C, H, W); with two references the merged features are blended (Equations 8-10)."""
        return self.forward_shared(None, fine_refs, coarse_refs, coarse_t1)

    def forward_shared(self, features: Tensor | None, fine_refs: Tensor, coarse_refs: Tensor,
                       coarse_t1: Tensor) -> Tensor:
        """``forward`` from the fine branch's features ``reference_features(fine_refs, coarse_refs)`` (or None)."""
        merged, residual = self.merged_features(fine_refs, coarse_refs, coarse_t1, features)
        if merged.shape[1] == 1:
            return self.decoder(merged[:, 0])
        inverse = 1.0 / (residual.abs() + self.eps)
        w10 = inverse[:, 0] / (inverse[:, 0] + inverse[:, 1])
        return self.decoder(w10 * merged[:, 0] + (1.0 - w10) * merged[:, 1])

    def training_loss(self, fine_refs: Tensor, coarse_refs: Tensor, coarse_t1: Tensor, target: Tensor) -> Tensor:
        """Sum over the references of the loss of each one's single-reference prediction (Tan et al. (2019),
        Fig. 3a)."""
        merged, _ = self.merged_features(fine_refs, coarse_refs, coarse_t1)
        return torch.stack([self.loss(self.decoder(merged[:, i]), target) for i in range(merged.shape[1])]).sum()

    def loss(self, prediction: Tensor, target: Tensor) -> Tensor:
        """MSE + feature MSE + alpha (1 - MS-SSIM, data range 1, window/levels from msssim_settings)."""
        loss = F.mse_loss(prediction, target)
        if self.feature_loss:
            extractor = self.feature_extractor
            if extractor is None:
                raise ConfigError("EDCSTFN's compound loss needs the pre-trained feature extractor: "
                                  "construct it with feature_extractor=load_feature_extractor(<autoencoder weights>)")
            extractor.to(device=target.device, dtype=target.dtype)
            with torch.no_grad():
                target_features = extractor.encode(target)
            loss = loss + F.mse_loss(extractor.encode(prediction), target_features)
        win, weights = msssim_settings(min(target.shape[-2:]), self.msssim_levels)
        with torch.autocast(prediction.device.type, enabled=False):  # MS-SSIM in float32 under mixed precision
            similarity = ms_ssim(prediction.float(), target.float(), data_range=1.0, win_size=win, weights=weights)
        return loss + self.alpha * (1.0 - similarity)
