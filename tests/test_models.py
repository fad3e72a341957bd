"""The deep fusion models: shapes, parameter counts, trainability, honest halos, EDCSTFN's blending and frozen
feature extractor, the change-transfer starts (SPEC 3.1-3.4, issue 16). Random tensors only; the whole file runs in well under a minute on 2 CPUs."""
from __future__ import annotations

import pytest
import torch

from conftest import training_losses
from stfusion.errors import ConfigError, InputDataError
from stfusion.methods import FUSION, of_family
from stfusion.models import (DCSTFN, EDCSTFN, STFDCNN, FeatureAutoencoder, StfNet, build_model,
                             load_feature_extractor, save_feature_extractor, state_dict_sha256)
from stfusion.models.base import closeness_weights
from stfusion.models.edcstfn import msssim_settings
from stfusion.models.stfdcnn import default_intermediate

DEEP = of_family(FUSION, "deep")


def inputs(channels: int, ratio: int, size: int, k: int, batch: int = 1, seed: int = 0):
    """Random reflectances: fine_refs (B, K, C, size, size), coarse_refs and coarse_t1 on the coarse grid."""
    g = torch.Generator().manual_seed(seed)
    n = size // ratio
    return (torch.rand(batch, k, channels, size, size, generator=g), torch.rand(batch, k, channels, n, n, generator=g),
            torch.rand(batch, channels, n, n, generator=g))


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def make(name: str, channels: int, ratio: int):
    """A model; EDCSTFN with a (random) frozen feature extractor so that its full compound loss runs."""
    extra = {"feature_extractor": FeatureAutoencoder(channels)} if name == "edcstfn" else {}
    torch.manual_seed(0)
    return build_model(name, channels=channels, ratio=ratio, **extra)


@pytest.mark.parametrize("name", list(DEEP))
@pytest.mark.parametrize("k", [1, 2])
def test_output_shape(name: str, k: int) -> None:
    model = make(name, channels=6, ratio=16)
    print(f"\n{name}: C=6 ratio=16: {parameter_count(model)} parameters, halo {model.halo}")
    with torch.no_grad():
        out = model(*inputs(6, 16, 64, k))
    assert out.shape == (1, 6, 64, 64) and torch.isfinite(out).all()


def test_parameter_counts_from_the_layer_lists() -> None:
    c = 4  # by hand from SPEC 3.1: weights k*k*in*out + biases out
    g = (9 * c * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 128 + 128)
    h = (9 * 3 * c * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 128 + 128)
    f = (9 * 128 * 64 + 64) + (9 * 64 * 32 + 32) + (32 * c + c)
    assert g + h + f == 281764  # also the count paper 001 reports for EDCSTFN (four bands)
    counts = {name: parameter_count(build_model(name, channels=c, ratio=16)) for name in DEEP}
    print("\nC=4 ratio=16:", counts)
    assert counts["edcstfn"] == g + h + f
    assert counts["stfnet"] == 95972  # paper 001's count for StfNet
    assert parameter_count(DCSTFN(1, 16)) == 408961  # paper 001's count for DCSTFN (one model per band)
    assert counts["stfdcnn"] == 2 * ((81 * c * 64 + 64) + (64 * 32 + 32) + (25 * 32 * c + c))


@pytest.mark.parametrize("name", list(DEEP))
def test_training_loss_falls(name: str) -> None:
    model = make(name, channels=4, ratio=16)
    fine, coarse, t1 = inputs(4, 16, 64, 2)
    losses = training_losses(model, fine, coarse, t1, 0.8 * fine[:, 0] + 0.1, steps=4, lr=1e-3)
    print(f"\n{name}: training loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]


@pytest.mark.parametrize("name, ratio", [*((name, r) for name in DEEP for r in (4, 16)), ("edcstfn", 8),
                                         ("dcstfn", 8), ("stfdcnn", 8)])
def test_halo_is_honest_and_tight(name: str, ratio: int) -> None:
    """A tile cut with the halo reproduces the whole-scene output in its 96x96 interior; one cut with a coarse
    pixel less does not (the halo is the true receptive radius, not more)."""
    model = make(name, channels=4, ratio=ratio).eval()
    with torch.no_grad():  # off EDCSTFN's change-transfer start, whose pass-through taps reach less far
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    assert model.halo % ratio == 0
    start = model.halo + ratio  # the tile stays clear of the scene edges
    size = max(160, 96 + 2 * start) // ratio * ratio
    fine, coarse, t1 = inputs(4, ratio, size, 2, seed=1)

    def interior(halo: int) -> torch.Tensor:
        a, b = start - halo, start + 96 + halo
        with torch.no_grad():
            tile = model(fine[..., a:b, a:b], coarse[..., a // ratio:b // ratio, a // ratio:b // ratio],
                         t1[..., a // ratio:b // ratio, a // ratio:b // ratio])
        return tile[..., halo:halo + 96, halo:halo + 96]

    with torch.no_grad():
        whole = model(fine, coarse, t1)[..., start:start + 96, start:start + 96]
    torch.testing.assert_close(interior(model.halo), whole, atol=1e-5, rtol=0)
    assert (interior(model.halo - ratio) - whole).abs().max() > 1e-4


def test_edcstfn_identical_references_blend_to_the_single_reference_output() -> None:
    model = make("edcstfn", channels=4, ratio=16).eval()
    fine, coarse, t1 = inputs(4, 16, 64, 1)
    with torch.no_grad():
        single = model(fine, coarse, t1)
        double = model(fine.repeat(1, 2, 1, 1, 1), coarse.repeat(1, 2, 1, 1, 1), t1)
    torch.testing.assert_close(double, single, atol=1e-6, rtol=0)


def test_edcstfn_two_reference_training_loss_is_the_sum_of_the_single_ones() -> None:
    model = make("edcstfn", channels=4, ratio=16)
    fine, coarse, t1 = inputs(4, 16, 64, 2)
    target = fine[:, 0]
    each = [model.training_loss(fine[:, i:i + 1], coarse[:, i:i + 1], t1, target) for i in range(2)]
    torch.testing.assert_close(model.training_loss(fine, coarse, t1, target), each[0] + each[1])


def test_edcstfn_feature_extractor_is_frozen() -> None:
    extractor = FeatureAutoencoder(4)
    before = {key: value.clone() for key, value in extractor.state_dict().items()}
    model = EDCSTFN(4, 16, feature_extractor=extractor)
    assert model.feature_extractor is extractor and not extractor.training
    assert not any(p.requires_grad for p in extractor.parameters())
    assert not {id(p) for p in extractor.parameters()} & {id(p) for p in model.parameters()}
    assert {key.split(".")[0] for key in model.state_dict()} == {"fine_encoder", "residual_encoder", "decoder"}
    fine, coarse, t1 = inputs(4, 16, 64, 1)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(2):
        optimiser.zero_grad()
        model.training_loss(fine, coarse, t1, fine[:, 0] * 0.5).backward()
        optimiser.step()
    assert not extractor.training
    assert all(p.grad is None for p in extractor.parameters())
    assert all(torch.equal(before[key], value) for key, value in extractor.state_dict().items())


def test_edcstfn_needs_its_feature_extractor_to_train() -> None:
    fine, coarse, t1 = inputs(4, 16, 64, 1)
    with pytest.raises(ConfigError, match="feature extractor"):
        EDCSTFN(4, 16).training_loss(fine, coarse, t1, fine[:, 0])
    assert torch.isfinite(EDCSTFN(4, 16, feature_loss=False).training_loss(fine, coarse, t1, fine[:, 0]))
    with pytest.raises(ConfigError, match="bands"):
        EDCSTFN(4, 16, feature_extractor=FeatureAutoencoder(6))


def test_autoencoder_trains_and_its_weights_file_is_verified(tmp_path) -> None:
    torch.manual_seed(0)
    autoencoder = FeatureAutoencoder(4)
    images = torch.rand(1, 4, 32, 32)
    assert autoencoder.encode(images).shape == (1, 128, 16, 16) and autoencoder(images).shape == images.shape
    optimiser = torch.optim.Adam(autoencoder.parameters(), lr=1e-3)
    losses = []
    for _ in range(5):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(autoencoder(images), images)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    path = tmp_path / "autoencoder.pt"
    sha256 = save_feature_extractor(autoencoder, path)
    loaded = load_feature_extractor(path)
    assert state_dict_sha256(loaded) == sha256 == state_dict_sha256(autoencoder)
    assert sha256 != state_dict_sha256(FeatureAutoencoder(4))
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), autoencoder.state_dict().values()))
    torch.save({"state_dict": autoencoder.state_dict(), "channels": 4}, path)  # a torch file without its SHA-256
    with pytest.raises(InputDataError, match="autoencoder.pt cannot be read .*rerun the rule autoencoder"):
        load_feature_extractor(path)
    with pytest.raises(InputDataError, match="missing.pt cannot be read"):
        load_feature_extractor(tmp_path / "missing.pt")


def test_msssim_settings_follow_the_patch_size() -> None:
    assert msssim_settings(800) == (11, pytest.approx([0.0448, 0.2856, 0.3001, 0.2363, 0.1333], abs=1e-4))
    win, weights = msssim_settings(64)
    assert win == 3 and len(weights) == 5 and sum(weights) == pytest.approx(1.0)
    win, weights = msssim_settings(64, levels=3)
    assert win == 3 and len(weights) == 3 and sum(weights) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        msssim_settings(32)


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(ConfigError, match="edcstfn, dcstfn, stfnet, stfdcnn"):
        build_model("unet", channels=4, ratio=16)
    with pytest.raises(ConfigError, match="power of two"):
        DCSTFN(4, 12)
    with pytest.raises(ConfigError, match="divide"):
        STFDCNN(4, 16, intermediate=3)
    assert [default_intermediate(r) for r in (16, 8, 4, 6, 30)] == [4, 2, 2, 2, 5]
    fine, coarse, t1 = inputs(4, 16, 64, 1)
    with pytest.raises(ValueError, match="ratio"):
        StfNet(4, 8)(fine, coarse, t1)
    with pytest.raises(ConfigError, match="init: default"):
        StfNet(17, 4)


def up(x: torch.Tensor, factor: int, mode: str = "bicubic") -> torch.Tensor:
    """Upsampling of (N, C, h, w) by ``factor``, bicubic (half-pixel centres) or nearest."""
    return torch.nn.functional.interpolate(x, scale_factor=factor, mode=mode,
                                           **({"align_corners": False} if mode == "bicubic" else {}))


def change_transfer(fine: torch.Tensor, coarse: torch.Tensor, t1: torch.Tensor, ratio: int) -> torch.Tensor:
    """L(tk) + M(t1) - M(tk), coarse images bicubic-upsampled, for each reference: (B, K, C, H, W)."""
    return torch.stack([fine[:, i] + up(t1, ratio) - up(coarse[:, i], ratio) for i in range(fine.shape[1])], dim=1)


def test_edcstfn_change_initialisation_is_the_change_transfer_prediction() -> None:
    """Known answer: untrained, one reference gives max(0, L(tk) + M(t1) - M(tk)) (ReLUs of the decoder)."""
    model = make("edcstfn", channels=4, ratio=16).eval()
    fine, coarse, t1 = inputs(4, 16, 64, 1)
    with torch.no_grad():
        torch.testing.assert_close(model(fine, coarse, t1), change_transfer(fine, coarse, t1, 16)[:, 0].clamp(min=0),
                                   atol=1e-5, rtol=0)


def test_edcstfn_change_initialisation_blends_two_references_by_inverse_change() -> None:
    """Equations 8-10 on the initial network: each band's weight is 1 / |M(t1) - M(tk)| normalised over k."""
    model = make("edcstfn", channels=4, ratio=16).eval()
    fine, coarse, t1 = inputs(4, 16, 64, 2)
    fine = fine + 1.0  # keep every change-transfer prediction positive, where the decoder's ReLUs pass it
    predictions = change_transfer(fine, coarse, t1, 16)
    inverse = 1.0 / ((predictions - fine).abs() + model.eps)
    expected = (inverse * predictions).sum(dim=1) / inverse.sum(dim=1)
    with torch.no_grad():
        torch.testing.assert_close(model(fine, coarse, t1), expected, atol=1e-4, rtol=0)


def test_stfnet_change_initialisation_is_the_change_transfer_prediction() -> None:
    """Known answer: L(tk) + M(t1) - M(tk) exactly; two references blended by the closeness weights."""
    model = make("stfnet", channels=4, ratio=16).eval()
    fine, coarse, t1 = inputs(4, 16, 64, 2)
    predictions = change_transfer(fine, coarse, t1, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(fine[:, :1], coarse[:, :1], t1), predictions[:, 0], atol=1e-5, rtol=0)
        torch.testing.assert_close(model(fine, coarse, t1), (closeness_weights(coarse, t1, 16, 1) * predictions).sum(1),
                                   atol=1e-5, rtol=0)


@pytest.mark.parametrize("ratio", [4, 16])
def test_dcstfn_change_initialisation_is_the_half_resolution_change_transfer(ratio: int) -> None:
    """Known answer: the mid-range of each 2x2 block of L(tk), repeated to the fine grid, plus M(t1) - M(tk)
    repeated over its coarse pixel; the mean over two references."""
    model = make("dcstfn", channels=4, ratio=ratio).eval()
    fine, coarse, t1 = inputs(4, ratio, 64, 2)
    blocks = fine.reshape(1, 2, 4, 32, 2, 32, 2)
    mid_range = (blocks.amax(dim=(4, 6)) + blocks.amin(dim=(4, 6))) / 2
    expected = [up(mid_range[:, i], 2, "nearest") + up(t1 - coarse[:, i], ratio, "nearest") for i in range(2)]
    with torch.no_grad():
        torch.testing.assert_close(model(fine[:, :1], coarse[:, :1], t1), expected[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(model(fine, coarse, t1), (expected[0] + expected[1]) / 2, atol=1e-5, rtol=0)


def test_stfdcnn_change_initialisation_is_the_high_pass_modulation_of_the_interpolated_coarse_images() -> None:
    """Known answer: L(tk) * SR(t1) / SR(tk) with SR two bicubic upsamplings (x4 then x4), floored at 0.01."""
    model = make("stfdcnn", channels=4, ratio=16).eval()
    fine, coarse, t1 = inputs(4, 16, 64, 2)
    sr = lambda x: up(up(x, 4), 4).clamp_min(0.01)  # noqa: E731
    predictions = torch.stack([fine[:, i] * sr(t1) / sr(coarse[:, i]) for i in range(2)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(model(fine[:, :1], coarse[:, :1], t1), predictions[:, 0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(model(fine, coarse, t1), (closeness_weights(coarse, t1, 16, 1) * predictions).sum(1),
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", list(DEEP))
def test_initialisations_differ_and_every_weight_trains(name: str) -> None:
    """The change start is the default; it leaves no layer without a gradient (the zeroed last layers of
    STFDCNN pass one on from the second step)."""
    extra = {"feature_loss": False} if name == "edcstfn" else {}
    fine, coarse, t1 = inputs(4, 16, 64, 1)
    torch.manual_seed(0)
    default = build_model(name, channels=4, ratio=16, init="default", **extra)
    torch.manual_seed(0)
    change = build_model(name, channels=4, ratio=16, **extra)
    assert not torch.allclose(default(fine, coarse, t1), change(fine, coarse, t1), atol=1e-3)
    before = {name: p.detach().clone() for name, p in change.named_parameters()}
    optimizer = torch.optim.Adam(change.parameters(), lr=1e-3)
    for _ in range(2):
        optimizer.zero_grad()
        change.training_loss(fine, coarse, t1, fine[:, 0] * 0.5).backward()
        optimizer.step()
    assert not [name for name, p in change.named_parameters() if torch.equal(p, before[name])]
    with pytest.raises(ConfigError, match="init"):
        build_model(name, channels=4, ratio=16, init="zeros", **extra)
