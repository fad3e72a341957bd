"""CNMF and SRECNN (SPEC 3.6) on a synthetic low-rank scene: 4 endmember spectra mixed by smooth abundance
maps that sum to 1, observed as an HS image (40 bands, 400-1000 nm, block mean over 3 x 3 pixels) and an
MS image (ZY1-02D VNIC's 8 bands through ``simulate.spectral_weights``), the layout of paper 000."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from stfusion.models.base import upsample_bicubic
from stfusion.sensors import load_sensor
from stfusion.simulate import degrade, spectral_weights
from stfusion.spectral import SRECNN, apply_srecnn, cnmf, train_srecnn, training_pairs
from stfusion.torch_artefact import load_artefact
from stfusion.train import TrainingSettings

RATIO = 3
WAVELENGTHS = np.linspace(400, 1000, 40)
MS_SENSOR = load_sensor("zy1_02d_vnic")


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.one_thread


def endmember_spectra() -> np.ndarray:
    """(40 bands, 4) reflectance of vegetation (green peak, red edge), soil, water and a built-up surface."""
    wl = WAVELENGTHS
    return np.stack([
        0.04 + 0.05 * np.exp(-((wl - 550) / 30) ** 2) + 0.4 / (1 + np.exp(-(wl - 715) / 15)),
        0.08 + 0.25 * (wl - 400) / 600,
        0.01 + 0.09 * np.exp(-(wl - 400) / 150),
        0.22 + 0.05 * np.sin((wl - 400) / 120),
    ], axis=1)


@pytest.fixture(scope="module")
def scene() -> dict:
    """Truth (40, 48, 48), HS (40, 16, 16), MS (8, 48, 48) and the SRF matrix (8, 40), all float32."""
    fields = ndimage.gaussian_filter(np.random.default_rng(0).standard_normal((4, 48, 48)), (0, 2, 2), mode="wrap")
    abundances = np.exp(4 * fields / fields.std())
    abundances /= abundances.sum(axis=0, keepdims=True)
    truth = np.tensordot(endmember_spectra(), abundances, axes=1).astype(np.float32)
    srf = spectral_weights(WAVELENGTHS, MS_SENSOR)
    return {"truth": truth, "srf": srf, "hs": degrade(truth, RATIO, "area").astype(np.float32),
            "ms": np.tensordot(srf, truth, axes=1).astype(np.float32)}


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.nanmean((a - b) ** 2)))


def test_cnmf_recovers_a_low_rank_mixture(scene):
    """With its published defaults (30 endmembers, 1 outer round) CNMF is within 0.002 RMSE of the truth, and
    at least 20 times closer than bicubic upsampling of the HS image (about 0.0003 against 0.038)."""
    fused = cnmf(scene["hs"], scene["ms"], scene["srf"], RATIO)
    bicubic = upsample_bicubic(torch.from_numpy(scene["hs"])[None], RATIO)[0].numpy()
    assert fused.shape == scene["truth"].shape and fused.dtype == np.float32
    assert rmse(fused, scene["truth"]) < 0.002
    assert rmse(fused, scene["truth"]) < rmse(bicubic, scene["truth"]) / 20


def test_cnmf_output_reproduces_both_observations(scene):
    """Degraded in space the output is the HS image, integrated by the SRFs it is the MS image (RMSE < 0.001)."""
    fused = cnmf(scene["hs"], scene["ms"], scene["srf"], RATIO, endmembers=4, outer=3)
    assert rmse(degrade(fused, RATIO, "area"), scene["hs"]) < 0.001
    assert rmse(np.tensordot(scene["srf"], fused, axes=1), scene["ms"]) < 0.001


def test_cnmf_leaves_missing_pixels_out_and_marks_them(scene):
    hs, ms = scene["hs"].copy(), scene["ms"].copy()
    ms[2, 10:14, 20:25] = np.nan
    hs[:, 4, 7] = np.nan
    missing = np.zeros(ms.shape[1:], bool)
    missing[10:14, 20:25] = True
    missing[12:15, 21:24] = True  # the fine pixels under HS pixel (4, 7)
    fused = cnmf(hs, ms, scene["srf"], RATIO)
    assert np.array_equal(np.isnan(fused).any(axis=0), missing)
    assert np.isnan(fused[:, missing]).all()
    assert rmse(fused[:, ~missing], scene["truth"][:, ~missing]) < 0.002


def test_cnmf_says_which_shapes_do_not_fit(scene):
    hs, ms, srf = scene["hs"], scene["ms"], scene["srf"]
    with pytest.raises(ValueError, match=r"srf must be \(MS bands, HS bands\) = \(8, 40\)"):
        cnmf(hs, ms, srf[:, :-1], RATIO)
    with pytest.raises(ValueError, match="must be ratio 2 times the HS image"):
        cnmf(hs, ms, srf, 2)
    with pytest.raises(ValueError, match="must be ratio 3 times"):
        cnmf(hs, ms[:, :-3], srf, RATIO)
    with pytest.raises(ValueError, match="endmembers must be between 1 and the 40 HS bands"):
        cnmf(hs, ms, srf, RATIO, endmembers=41)
    with pytest.raises(ValueError, match="unknown degradation"):
        cnmf(hs, ms, srf, RATIO, degradation="cubic")


def test_srecnn_shapes_and_receptive_field():
    model = SRECNN(8, 40)
    wide = SRECNN(8, 40, features=(16, 8), kernels=(3, 1, 5))
    print(f"SRECNN(8 -> 40) parameters: {sum(p.numel() for p in model.parameters())}")
    assert model(torch.rand(2, 8, 12, 10)).shape == (2, 40, 12, 10)
    assert wide(torch.rand(1, 8, 7, 9)).shape == (1, 40, 7, 9) and (model.halo, wide.halo) == (0, 3)
    with pytest.raises(ValueError, match="odd kernel sizes"):
        SRECNN(8, 40, kernels=(2, 1, 1))


def test_training_pairs_pair_degraded_ms_with_hs_and_skip_missing(scene):
    hs = scene["hs"].copy()
    hs[5, 0, 0] = np.nan
    ms_patches, hs_patches = training_pairs(scene["ms"], hs, RATIO, patch=4)
    assert ms_patches.shape == (15, 8, 4, 4) and hs_patches.shape == (15, 40, 4, 4)  # 16 patches, 1 with a NaN
    np.testing.assert_allclose(ms_patches[0].numpy(), degrade(scene["ms"], RATIO, "area")[:, 0:4, 4:8], rtol=1e-6)
    np.testing.assert_array_equal(hs_patches[0].numpy(), hs[:, 0:4, 4:8])
    with pytest.raises(ValueError, match="ratio 2 times"):
        training_pairs(scene["ms"], hs, 2, patch=4)


def test_srecnn_learns_the_spectral_mapping(scene, tmp_path):
    """30 epochs (about 1 s) on the 256 HS pixels of the scene: the training loss falls by more than 100 times,
    and on the fine grid SRECNN is more than twice as close to the truth as linear interpolation of the MS
    spectrum at the HS band centres (about 0.0015 against 0.012 RMSE; the mapping here is linear, so this shows
    that the network learns the linear part, not that it would learn a non-linear one)."""
    settings = TrainingSettings(epochs=30, lr=3e-3, batch_size=16, seed=0)
    model = train_srecnn(scene["ms"], scene["hs"], RATIO, settings, tmp_path / "srecnn.pt")
    history = load_artefact(tmp_path / "srecnn.pt", "")["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 100
    predicted = apply_srecnn(model, scene["ms"])
    order = np.argsort([band.centre_nm for band in MS_SENSOR.bands])
    centres = np.array([band.centre_nm for band in MS_SENSOR.bands])[order]
    spectra = scene["ms"][order].reshape(len(order), -1).T
    naive = np.stack([np.interp(WAVELENGTHS, centres, spectrum) for spectrum in spectra], axis=1)
    assert predicted.shape == scene["truth"].shape and predicted.dtype == np.float32
    assert rmse(predicted, scene["truth"]) < rmse(naive.reshape(predicted.shape), scene["truth"]) / 2


def test_apply_srecnn_in_blocks_equals_the_whole_image():
    torch.manual_seed(0)
    model = SRECNN(4, 6, features=(8, 8), kernels=(3, 1, 5)).eval()
    ms = np.random.default_rng(1).random((4, 37, 29)).astype(np.float32)
    ms[1, 5, 6] = np.nan
    whole = apply_srecnn(model, ms, block=64)
    tiled = apply_srecnn(model, ms, block=8)
    assert np.array_equal(np.isnan(whole).any(axis=0), np.isnan(ms).any(axis=0))
    np.testing.assert_allclose(tiled, whole, atol=1e-6, equal_nan=True)
    with torch.no_grad():
        direct = model(torch.from_numpy(np.nan_to_num(ms))[None])[0].numpy()
    np.testing.assert_allclose(whole[:, 20:], direct[:, 20:], atol=1e-6)
