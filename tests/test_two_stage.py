"""The two-stage baselines of paper 000 (ESTARFM or STFDCNN, then CNMF or SRECNN) on a small simulated series,
fitted and predicted as the rules sts_train and sts_predict do (``TwoStage.fit``, then one date at a time)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from stfusion.classical.similar import upsample_bilinear
from stfusion.sensors import load_sensor
from stfusion.simulate import degrade, spectral_weights
from stfusion.sts.data import SiteSeries
from stfusion.sts.protocol import observe
from stfusion.sts.resample import day_numbers
from stfusion.spectral.cnmf import CNMFMethod
from stfusion.spectral.srecnn import SRECNNMethod
from stfusion.sts.method import SRF
from stfusion.sts.two_stage import DeepStage, TwoStage, TwoStageSettings, apply_band_map, fit_band_map
from stfusion.train import TrainingSettings

DATES = ["2021-04-01", "2021-04-17", "2021-05-03", "2021-05-19", "2021-06-04"]
KNOWN = [DATES[0], DATES[2], DATES[4]]
HELD_OUT = [DATES[1], DATES[3]]
SIZE = 48
CENTRES = np.linspace(400.0, 1000.0, 60)
TO_FINE = spectral_weights(CENTRES, load_sensor("zy1_02d_vnic"))
TO_MS = spectral_weights(CENTRES, load_sensor("gf6_wfv"))


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.one_thread


def synthetic_truth(seed: int = 0) -> dict[str, np.ndarray]:
    """Four smooth endmember spectra mixed by smooth abundances that drift from one field to another."""
    wl = (CENTRES - 400.0) / 600.0
    spectra = np.stack([
        0.05 + 0.45 / (1 + np.exp(-(CENTRES - 715.0) / 12.0)) - 0.04 * np.exp(-((CENTRES - 670) / 30) ** 2),  # plant
        0.10 + 0.25 * wl,                                                                                      # soil
        0.08 * np.exp(-wl * 3.0),                                                                              # water
        0.30 + 0.05 * np.sin(6 * wl),                                                                          # built
    ])
    rng = np.random.default_rng(seed)

    def fields() -> np.ndarray:
        raw = ndimage.gaussian_filter(rng.normal(size=(4, SIZE, SIZE)), sigma=(0, 2.5, 2.5), mode="wrap")
        return raw / raw.std()

    start, end = fields(), fields()
    truth = {}
    for t, date in enumerate(DATES):
        logits = 2.0 * ((1 - t / 4) * start + (t / 4) * end)
        abundance = np.exp(logits) / np.exp(logits).sum(axis=0)
        truth[date] = np.tensordot(spectra.T, abundance, axes=1).astype(np.float32)
    return truth


def simulate(truth: dict[str, np.ndarray], fine_dates: list[str], hs_dates: list[str]) -> SiteSeries:
    """Paper 000's Dataset I as the rule sts_simulate makes it (``protocol.observe``): VNIC on ``fine_dates``,
    GF-6 WFV at ratio 2 on every date, the HS truth at ratio 3 on ``hs_dates``."""
    return SiteSeries(np.stack([observe(truth[d], TO_FINE, 1) for d in fine_dates]), day_numbers(fine_dates),
                      np.stack([observe(truth[d], TO_MS, 2) for d in DATES]), day_numbers(DATES),
                      np.stack([observe(truth[d], None, 3) for d in hs_dates]), day_numbers(hs_dates))


def two_stage(spatiotemporal: str, second=None, deep: DeepStage | None = None) -> TwoStage:
    """A two-stage baseline (bilinear degradation, blocks and tiles of 512, on the CPU); CNMF by default."""
    second = second or CNMFMethod("bilinear", seed=0)
    spectral = "srecnn" if isinstance(second, SRECNNMethod) else "cnmf"
    return TwoStage(spatiotemporal, spectral, second, TwoStageSettings("bilinear", 512, 512, 0, 2**19, "cpu", deep))


def stage_one(series: SiteSeries, spatiotemporal: str = "estarfm", deep: DeepStage | None = None, folder=None):
    """Stage 1 on every date: date -> fine multispectral image, and the band map A and offset."""
    model = two_stage(spatiotemporal, deep=deep)
    model.fit(series, SRF(TO_FINE, TO_MS), folder)
    return {date: model.stage_one(series, day) for date, day in zip(DATES, series.ms_days)}, *model.band_map


def every_date(series: SiteSeries, second=None, folder=None) -> dict[str, np.ndarray]:
    """ESTARFM + ``second`` fitted once, then every date predicted: date -> fine hyperspectral cube."""
    model = two_stage("estarfm", second)
    model.fit(series, SRF(TO_FINE, TO_MS), folder)
    return {date: model.predict(series, SRF(TO_FINE, TO_MS), day) for date, day in zip(DATES, series.ms_days)}


@pytest.fixture(scope="module")
def simulated():
    truth = synthetic_truth()
    return truth, simulate(truth, KNOWN, KNOWN)


@pytest.fixture(scope="module")
def cnmf_result(simulated):
    torch.set_num_threads(1)  # module scope: set up before the per-test one_thread fixture
    return every_date(simulated[1])


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a.astype(np.float64) - b) ** 2)))


def test_band_map_recovers_a_known_linear_relation():
    rng = np.random.default_rng(1)
    ms = rng.uniform(0, 0.5, size=(3, 8, 12, 12))
    a = rng.normal(size=(6, 8))
    offset = rng.normal(size=6)
    fine_low = np.einsum("fm,nmhw->nfhw", a, ms) + offset[None, :, None, None]
    fine_low[0, :, 0, 0] = np.nan  # a missing pixel is left out of the fit
    fitted_a, fitted_offset = fit_band_map(fine_low, ms)
    np.testing.assert_allclose(fitted_a, a, atol=1e-8)
    np.testing.assert_allclose(fitted_offset, offset, atol=1e-8)
    np.testing.assert_allclose(apply_band_map(fitted_a, fitted_offset, ms[1]), fine_low[1], atol=1e-5)


def test_stage_one_keeps_the_fine_images_and_maps_ms_bands(simulated):
    truth, series = simulated
    fine_ms, a, offset = stage_one(series)
    assert sorted(fine_ms) == DATES
    for i, date in enumerate(KNOWN):
        np.testing.assert_array_equal(fine_ms[date], series.fine[i])
    for date in HELD_OUT:  # ESTARFM is close to the fine-sensor truth on the dates without a fine image
        target = np.tensordot(TO_FINE, truth[date], axes=1)
        assert fine_ms[date].shape == target.shape and np.isfinite(fine_ms[date]).all()
        assert rmse(fine_ms[date], target) < 0.5 * rmse(series.fine[0], target)
    # the GF-6 -> VNIC band map explains the degraded fine images well
    low = degrade(series.fine[1], 2, "bilinear")
    assert rmse(apply_band_map(a, offset, series.ms[2]), low) < 0.01


def stfdcnn_stage(epochs: int = 6) -> DeepStage:
    settings = TrainingSettings(epochs=epochs, lr=1e-3, batch_size=8, seed=0, device="cpu", mixed_precision=False)
    return DeepStage(settings, patch=8, stride=4)


def test_stfdcnn_stage_one_keeps_the_fine_images_and_beats_the_nearest_one(simulated, tmp_path):
    truth, series = simulated
    fine_ms, _, _ = stage_one(series, "stfdcnn", stfdcnn_stage(), tmp_path)
    assert sorted(fine_ms) == DATES and (tmp_path / "checkpoint_stfdcnn.pt").exists()
    for i, date in enumerate(KNOWN):
        np.testing.assert_array_equal(fine_ms[date], series.fine[i])
    for date in HELD_OUT:  # high-pass modulation of the two references by the learnt super-resolution
        target = np.tensordot(TO_FINE, truth[date], axes=1)
        before = series.fine[KNOWN.index(DATES[DATES.index(date) - 1])]
        assert fine_ms[date].shape == target.shape and np.isfinite(fine_ms[date]).all()
        assert rmse(fine_ms[date], target) < 0.7 * rmse(before, target), date


def test_stfdcnn_stage_one_uses_one_reference_when_the_fine_dates_lie_on_one_side(simulated, tmp_path):
    truth, _ = simulated
    series = simulate(truth, DATES[:2], [DATES[0]])
    fine_ms, a, offset = stage_one(series, "stfdcnn", stfdcnn_stage(epochs=1), tmp_path)
    from stfusion.models.stfdcnn import STFDCNN
    from stfusion.sts.deep_stage import train_deep_stage  # the same training again resumes its checkpoint

    mapped = [apply_band_map(a, offset, series.ms[i]) for i in (1, 4)]
    model = train_deep_stage(STFDCNN, series.fine.astype(np.float32), np.stack([apply_band_map(a, offset, series.ms[i])
                                                                               for i in (0, 1)]), 2,
                             stfdcnn_stage(epochs=1).training, tmp_path / "checkpoint_stfdcnn.pt", patch=8, stride=4)
    with torch.no_grad():
        expected = model(torch.from_numpy(series.fine[1:2][None]), torch.from_numpy(mapped[0][None, None]),
                         torch.from_numpy(mapped[1][None]))[0].numpy()
    np.testing.assert_allclose(fine_ms[DATES[4]], expected, rtol=1e-5, atol=1e-6)


def test_one_sided_dates_fall_back_to_the_upsampled_change(simulated):
    truth, _ = simulated
    series = simulate(truth, DATES[:2], [DATES[0]])
    fine_ms, a, offset = stage_one(series)
    change = apply_band_map(a, offset, series.ms[4]) - apply_band_map(a, offset, series.ms[1])
    expected = series.fine[1] + upsample_bilinear(torch.from_numpy(change), 2).numpy()
    np.testing.assert_allclose(fine_ms[DATES[4]], expected, rtol=1e-5, atol=1e-6)


def test_cnmf_variant_shapes_and_beats_the_upsampled_nearest_hs(simulated, cnmf_result):
    truth, series = simulated
    assert sorted(cnmf_result) == DATES
    for date in DATES:
        assert cnmf_result[date].shape == (60, SIZE, SIZE)
        assert np.isfinite(cnmf_result[date]).all()
    for date in HELD_OUT:
        nearest = series.hs[[0, 1][DATES.index(date) > 2]]  # date 1 -> HS of date 0 (tie: earlier), 3 -> date 2
        bicubic = torch.nn.functional.interpolate(torch.from_numpy(nearest)[None], scale_factor=3, mode="bicubic",
                                                  align_corners=False)[0].numpy()
        fused, baseline = rmse(cnmf_result[date], truth[date]), rmse(bicubic, truth[date])
        assert fused < 0.8 * baseline, (date, fused, baseline)


def test_srecnn_variant_shapes_and_learns(simulated, tmp_path):
    truth, series = simulated
    settings = TrainingSettings(epochs=8, lr=3e-3, batch_size=64, seed=0, device="cpu", mixed_precision=False,
                                augment=False)
    out = every_date(series, SRECNNMethod("bilinear", settings, 512), tmp_path)
    assert sorted(out) == DATES and (tmp_path / "checkpoint.pt").exists()
    for date in DATES:
        assert out[date].shape == (60, SIZE, SIZE)
        assert np.isfinite(out[date]).all()
    mean_spectrum = truth[DATES[1]].mean(axis=(1, 2), keepdims=True)
    assert rmse(out[DATES[1]], truth[DATES[1]]) < 0.5 * rmse(np.broadcast_to(mean_spectrum, truth[DATES[1]].shape),
                                                             truth[DATES[1]])


def test_stfdcnn_srecnn_saved_and_loaded_predicts_as_fitted(simulated, tmp_path):
    """The file the rule sts_train writes (``save``: the band map, STFDCNN's and SRECNN's weights) rebuilds, in a
    method made from the same settings (``load_fitted``, as sts_predict), the same prediction."""
    _, series = simulated
    srecnn = TrainingSettings(epochs=1, lr=3e-3, batch_size=64, seed=0, device="cpu", mixed_precision=False,
                              augment=False)
    fitted, unfitted = (two_stage("stfdcnn", SRECNNMethod("bilinear", srecnn, 512), stfdcnn_stage(epochs=1))
                        for _ in range(2))
    fitted.fit(series, SRF(TO_FINE, TO_MS), tmp_path)
    fitted.save(tmp_path / "model.pt")
    loaded = unfitted.load_fitted(tmp_path / "model.pt")
    day = series.ms_days[1]
    np.testing.assert_array_equal(loaded.predict(series, SRF(TO_FINE, TO_MS), day),
                                  fitted.predict(series, SRF(TO_FINE, TO_MS), day))
