"""STS-MTL (paper 000, SPEC 3.7): residual blocks and branches, honest halo, observation model, learnable task
weights, PCA, time-encoded resampling, and tiny end-to-end runs (supervised and Wald's protocol) on a synthetic
3-date series. Random or synthetic arrays only; the file runs in well under a minute on 2 CPUs."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from scipy import ndimage
from stfusion.errors import ConfigError
from stfusion.simulate import degrade as degrade_numpy
from stfusion.sts import STSSettings, TrainedSTS, predict_scores, train_sts
from stfusion.sts.data import SiteSeries, bracketing_references, date_sample, fill_gaps, reference_choices
from stfusion.sts.losses import MultiTaskObjective, ObservationModel, TaskWeights, masked_mse
from stfusion.sts.network import KERNEL_SETS, Branch, MultiScaleResidualBlock, STSMTLNetwork
from stfusion.sts.pca import HyperspectralPCA
from stfusion.sts.resample import day_numbers, resample_in_time, time_code
from stfusion.train import TrainingSettings

DAYS = ["2021-04-01", "2021-05-01", "2021-06-10"]


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.one_thread


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def network_inputs(fine_bands=4, ms_bands=4, components=3, size=24, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    ms = lambda: torch.rand(batch, ms_bands, size // 2, size // 2, generator=g)
    return (torch.rand(batch, fine_bands, size, size, generator=g), ms(), ms(), ms(),
            torch.randn(batch, components, size // 3, size // 3, generator=g), torch.randn(batch, 5, 1, 1, generator=g))


def synthetic_site(size=24, hs_bands=8, ms_bands=4, fine_bands=4, seed=0):
    """A fine HS truth series of 3 dates (3 smooth endmember maps, one greening, one browning) and its MS
    (ratio 2), fine (ratio 1) and HS (ratio 3) observations through random SRF matrices and area means."""
    rng = np.random.default_rng(seed)
    abundance = np.stack([ndimage.gaussian_filter(rng.random((size, size)), 1.5) for _ in range(3)])
    abundance /= abundance.sum(0, keepdims=True)
    spectra = rng.uniform(0.05, 0.6, (3, hs_bands))
    truth = np.stack([np.einsum("kc,khw->chw", spectra * np.array([g, 1.0, 2.0 - g])[:, None], abundance)
                      for g in (0.7, 1.0, 1.3)]).astype(np.float32)

    def srf(n):
        w = rng.random((n, hs_bands)) ** 3
        return w / w.sum(1, keepdims=True)

    to_ms, to_fine = srf(ms_bands), srf(fine_bands)
    area = lambda x, r: x.reshape(*x.shape[:-2], x.shape[-2] // r, r, x.shape[-1] // r, r).mean((-3, -1))
    ms = area(np.einsum("mc,tchw->tmhw", to_ms, truth), 2).astype(np.float32)
    fine = np.einsum("fc,tchw->tfhw", to_fine, truth).astype(np.float32)
    return truth, fine, ms, area(truth, 3).astype(np.float32), to_ms, to_fine


# ---------------------------------------------------------------- blocks, branches, network

@pytest.mark.parametrize("kernels", KERNEL_SETS)
def test_residual_block_and_branch_shapes_and_parameter_counts(kernels):
    features = 8
    block = MultiScaleResidualBlock(features, kernels)
    branch = Branch(11, features, blocks=2, kernels=kernels)
    x = torch.rand(2, features, 12, 12)
    print(f"\nkernels {kernels}: block {parameter_count(block)}, branch (2 blocks) {parameter_count(branch)} "
          "parameters")
    assert block(x).shape == x.shape
    assert branch(torch.rand(2, 11, 12, 12)).shape == (2, features, 12, 12)
    per_block = sum(2 * (k * k * features * features + features) for k in kernels)  # two convs per path
    assert parameter_count(block) == per_block
    assert parameter_count(branch) == 11 * features + features + 2 * per_block
    with torch.no_grad():  # y = x + sum_i T_i(x): zero paths give the identity
        for p in block.parameters():
            p.zero_()
        torch.testing.assert_close(block(x), x)


@pytest.mark.parametrize("kernels", KERNEL_SETS)
def test_network_output_shape(kernels):
    torch.manual_seed(0)
    net = STSMTLNetwork(fine_bands=4, ms_bands=4, components=3, features=8, blocks=2, kernels=kernels)
    print(f"\nSTS-MTL kernels {kernels}: {parameter_count(net)} parameters, halo {net.halo}")
    out = net(*network_inputs())
    assert out.shape == (2, 3, 24, 24) and torch.isfinite(out).all()
    assert net.halo % 6 == 0
    with pytest.raises(ValueError, match="multiples of 6"):
        net(*network_inputs(size=16))


def test_tiled_prediction_equals_the_whole_scene():
    torch.manual_seed(1)
    net = STSMTLNetwork(fine_bands=4, ms_bands=4, components=3, features=6, blocks=1, kernels=(1, 3, 5)).eval()
    assert net.halo == 12  # tiles of 12 with halos of 12 in a 60-pixel scene: interior windows touch no edge
    inputs = {name: t[0].numpy() for name, t in zip(STSMTLNetwork.INPUTS, network_inputs(size=60, batch=1))}
    whole = predict_scores(net, inputs, tile=60)
    tiled = predict_scores(net, inputs, tile=12)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


# ---------------------------------------------------------------- observation model and task weights

def test_observation_model_matches_the_numpy_simulation():
    rng = np.random.default_rng(2)
    hs_cube = rng.random((3, 8, 12, 12))
    pca = HyperspectralPCA(1.0).fit(hs_cube)
    to_ms, to_fine = rng.random((4, 8)), rng.random((5, 8))
    scores = torch.from_numpy(pca.transform(hs_cube[0])[None])
    for method in ("area", "bilinear"):
        model = ObservationModel(pca.components, pca.mean, to_ms, to_fine, ms_ratio=2, hs_ratio=3, degradation=method)
        ms = degrade_numpy(np.tensordot(to_ms, hs_cube[0], 1), 2, method)
        np.testing.assert_allclose(model.ms(scores)[0].numpy(), ms, atol=1e-5)
        hs = pca.transform(degrade_numpy(hs_cube[0], 3, method))
        np.testing.assert_allclose(model.hs(scores)[0].numpy(), hs, atol=1e-5)
        np.testing.assert_allclose(model.fine(scores)[0].numpy(), np.tensordot(to_fine, hs_cube[0], 1), atol=1e-5)


def test_task_weight_formula_and_absent_tasks():
    weights = TaskWeights(("a", "b"))
    with torch.no_grad():
        weights.c.copy_(torch.tensor([0.5, -2.0]))
    losses = {"a": torch.tensor(0.3), "b": torch.tensor(0.1)}
    expected = 0.3 / (2 * 0.25) + np.log(1.25) + 0.1 / (2 * 4.0) + np.log(5.0)
    assert float(weights(losses).detach()) == pytest.approx(expected, rel=1e-6)
    assert float(weights({"a": losses["a"]}).detach()) == pytest.approx(0.3 / 0.5 + np.log(1.25), rel=1e-6)
    assert all(w > 0 for w in weights.weights().values())  # 1 / (2 c^2) is positive even for c < 0
    no_sample = torch.zeros(2, 1, 1, 1)
    assert masked_mse(torch.ones(2, 3, 4, 4), torch.zeros(2, 3, 4, 4), no_sample) is None
    one = torch.tensor([1.0, 0.0]).reshape(2, 1, 1, 1)
    assert float(masked_mse(torch.ones(2, 3, 4, 4), torch.zeros(2, 3, 4, 4), one)) == 1.0


def test_learnable_task_weights_stay_positive_and_move():
    truth, fine, ms, hs, to_ms, to_fine = synthetic_site()
    series = SiteSeries(fine[[0, 2]], day_numbers(DAYS)[[0, 2]], ms, day_numbers(DAYS), hs[:2], day_numbers(DAYS)[:2])
    pca = HyperspectralPCA(0.9999).fit(hs)
    scores = pca.transform(series.hs)
    samples = [date_sample(series, scores, day, 0, 1) for day in series.ms_days]
    batch = {k: torch.from_numpy(np.stack([s[k] for s in samples])) for k in samples[0]}
    batch["truth"] = torch.from_numpy(pca.transform(truth))
    batch["has_truth"] = torch.ones(3, 1, 1, 1)
    torch.manual_seed(0)
    objective = MultiTaskObjective(STSMTLNetwork(4, 4, pca.n_components, features=8, blocks=1),
                                   ObservationModel(pca.components, pca.mean, to_ms, to_fine, 2, 3))
    assert set(objective.task_losses(batch)) == {"spatial", "temporal", "spectral", "truth"}
    start = objective.weights.c.detach().clone()
    optimizer = torch.optim.Adam(objective.parameters(), lr=1e-2)
    for _ in range(5):
        optimizer.zero_grad()
        objective(batch).backward()
        optimizer.step()
    c = objective.weights.c.detach()
    print(f"\nc before {start.tolist()}, after {c.tolist()}, weights {objective.weights.weights()}")
    assert (c - start).abs().min() > 1e-3  # every task's c moved
    assert all(np.isfinite(w) and w > 0 for w in objective.weights.weights().values())


# ---------------------------------------------------------------- PCA

def test_pca_round_trip_of_a_rank_k_cube():
    rng = np.random.default_rng(3)
    k, bands = 3, 12
    spectra = rng.normal(size=(bands, k))
    rank_k = lambda: (spectra @ rng.normal(size=(k, 10 * 10))).reshape(bands, 10, 10) + 0.5
    cube = rank_k()
    pca = HyperspectralPCA(0.999999).fit(cube)
    assert pca.n_components == k
    assert pca.transform(cube).shape == (k, 10, 10)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(cube)), cube, atol=1e-5)
    series = np.stack([cube, rank_k()])
    series[1, :, 4, 4] = np.nan  # a missing pixel: ignored by fit, NaN in the transform
    pca = HyperspectralPCA(0.999999).fit(series)
    scores = pca.transform(series)
    assert scores.shape == (2, k, 10, 10) and np.isnan(scores[1, :, 4, 4]).all()
    np.testing.assert_allclose(pca.inverse_transform(scores)[0], cube, atol=1e-5)


@pytest.mark.parametrize(("variance", "components"), [(0.85, 1), (0.95, 2), (0.995, 3), (1.0, 6)])
def test_pca_components_chosen_by_explained_variance(variance, components):
    rng = np.random.default_rng(4)
    n, bands = 500, 6
    q, _ = np.linalg.qr(rng.normal(size=(n, 3)) - rng.normal(size=(n, 3)).mean(0))
    q -= q.mean(0)
    q, _ = np.linalg.qr(q)  # orthonormal, zero-mean columns: variance fractions exactly 0.9, 0.09, 0.01
    basis, _ = np.linalg.qr(rng.normal(size=(bands, 3)))
    pixels = (q * np.sqrt([90.0, 9.0, 1.0])) @ basis.T
    pca = HyperspectralPCA(variance).fit(pixels.T.reshape(bands, 20, 25))
    assert pca.n_components == components
    np.testing.assert_allclose(pca.explained_variance_ratio[:3], [0.9, 0.09, 0.01][:components], atol=1e-6)


# ---------------------------------------------------------------- time-encoded resampling

def test_time_encoded_resampling_known_answers():
    source = day_numbers(["2021-01-01", "2021-01-11", "2021-02-10"])
    assert list(source - source[0]) == [0, 10, 40]
    rng = np.random.default_rng(5)
    a, b = rng.random((2, 3, 3)), rng.random((2, 3, 3))
    series = np.stack([a + b * d for d in source])  # linear in time per pixel
    exact = resample_in_time(series, source, source)
    np.testing.assert_array_equal(exact, series)
    middle = source[1] + 17.5
    np.testing.assert_allclose(resample_in_time(series, source, [middle])[0], a + b * middle, rtol=1e-12)
    held = resample_in_time(series, source, [source[0] - 5, source[2] + 5])
    np.testing.assert_array_equal(held, series[[0, 2]])
    np.testing.assert_array_equal(resample_in_time(series, source, [source[1] + 14], "nearest")[0], series[1])
    gappy = series.copy()
    gappy[2, 0, 0, 0] = np.nan
    assert resample_in_time(gappy, source, [middle])[0, 0, 0, 0] == series[1, 0, 0, 0]
    code = time_code(source[1] + 5, fine_day=source[0], hs_day=source[2] + 10, ms_days=source, scale_days=10.0)
    np.testing.assert_allclose(code, [1.5, 0.0, -3.5, 1.0, 0.5])  # t = 15, t_f = 0, t_h = 50 days
    with pytest.raises(ConfigError, match="increasing"):
        resample_in_time(series, source[::-1], source)


def test_samples_select_dates_and_references():
    _, fine, ms, hs, _, _ = synthetic_site()
    days = day_numbers(DAYS)
    series = SiteSeries(fine[[0, 2]], days[[0, 2]], ms, days, hs[:2], days[:2])
    assert reference_choices(days[1], series.fine_days, series.hs_days, other_dates=False) == [(0, 1)]
    assert reference_choices(days[1], series.fine_days, series.hs_days, other_dates=True) == [(0, 1), (0, 0)]
    # training also carries references from the other side: fine dates 0 and 2 around the middle date
    three = day_numbers(["2021-04-01", "2021-05-01", "2021-06-01"])
    assert reference_choices(three[1], three, three, other_dates=True) == [(1, 1), (0, 0), (2, 2)]
    assert reference_choices(three[0], three, three, other_dates=True) == [(0, 0), (1, 1)]
    # prediction: the latest references at or before the date and the earliest at or after it
    assert bracketing_references(days[1], series.fine_days, series.hs_days) == [(0, 1), (1, 1)]
    assert bracketing_references(days[0], series.fine_days, series.hs_days) == [(0, 0)]
    assert bracketing_references(days[2] + 10, series.fine_days, series.hs_days) == [(1, 1)]
    sample = date_sample(series, hs[:2], days[1], 0, 1)
    assert sample["has_fine"].item() == 0 and not sample["fine_obs"].any()
    assert sample["has_hs"].item() == 1 and sample["has_ms"].item() == 1
    np.testing.assert_array_equal(sample["hs_obs"], hs[1])
    np.testing.assert_array_equal(sample["ms_t"], ms[1])


def test_standardisation_centres_and_scales_every_input_channel():
    net = STSMTLNetwork(fine_bands=4, ms_bands=4, components=3, features=6, blocks=1, kernels=(1,))
    g = torch.Generator().manual_seed(3)
    fine, ms = 0.3 + 0.05 * torch.rand(5, 4, 12, 12, generator=g), 0.1 * torch.rand(5, 4, 6, 6, generator=g)
    scores = torch.randn(5, 3, 4, 4, generator=g) * torch.tensor([10.0, 1.0, 0.01])[:, None, None]
    ms[0, 1, 0, 0] = float("nan")  # missing pixels are left out of the statistics
    net.standardise(fine, ms, scores)
    for name, images in (("fine", fine), ("ms", ms), ("hs", scores)):
        scaled = net._scaled(images, name).transpose(0, 1).reshape(images.shape[1], -1).double()
        np.testing.assert_allclose(scaled.nanmean(dim=1), 0, atol=1e-6)
        np.testing.assert_allclose(((scaled - scaled.nanmean(1, keepdim=True)) ** 2).nanmean(1).sqrt(), 1, atol=1e-5)
    assert {"fine_mean", "ms_std", "hs_std"} <= set(net.state_dict())  # saved with the weights


def test_unlabelled_ms_dates_train_on_the_observation_tasks_only():
    from stfusion.sts.chain import _training_data

    truth, fine, ms, hs, _, _ = synthetic_site()
    days = day_numbers(DAYS)
    series = SiteSeries(fine[[0, 2]], days[[0, 2]], ms, days, hs[:2], days[:2])
    labels = {days[0]: truth[0][:3], days[2]: truth[2][:3]}  # any 3 "components": only the flags matter here
    scores = hs[:2, :3]
    settings = tiny_settings(other_references=False, validation_fraction=0.0)
    with_dates, _ = _training_data(series, scores, labels, settings)
    without, _ = _training_data(series, scores, labels, tiny_settings(other_references=False, observation_dates=False))
    per_date = len(without["has_truth"]) // 2
    assert len(with_dates["has_truth"]) == 3 * per_date  # the unlabelled middle date adds its windows
    assert with_dates["has_truth"].sum() == 2 * per_date and without["has_truth"].all()
    assert with_dates["has_ms"].all()


# ---------------------------------------------------------------- end to end

def tiny_settings(epochs: int = 8, **changes) -> STSSettings:
    base = {"features": 8, "blocks": 1, "kernels": (1, 3), "pca_variance": 0.9999, "degradation": "area", "patch": 12,
            "stride": 6, "tile": 12, "validation_fraction": 0.0}  # area: synthetic_site degrades by block means
    training = TrainingSettings(epochs=epochs, lr=2e-3, batch_size=4, seed=0, device="cpu")
    return STSSettings(**{**base, **changes}, training=training)


def every_ms_date(model: TrainedSTS) -> np.ndarray:
    """The predictions (T, C_h, H, W) of every MS date, one date at a time as the rule sts_predict makes them."""
    return np.stack([model.predict(day) for day in model.series.ms_days])


def test_tiny_supervised_run_learns(tmp_path):
    truth, fine, ms, hs, to_ms, to_fine = synthetic_site()
    start = time.perf_counter()
    model = train_sts(fine[[0, 2]], [DAYS[0], DAYS[2]], ms, DAYS, hs[:2], DAYS[:2], to_ms, to_fine, tiny_settings(),
                      tmp_path / "checkpoint.pt", truth=truth)
    predictions = every_ms_date(model)
    seconds = time.perf_counter() - start
    losses = [h["train_loss"] for h in model.history]
    rmse = float(np.sqrt(np.mean((predictions - truth) ** 2)))
    print(f"\ntiny supervised run: {seconds:.1f} s, {model.pca.n_components} components, "
          f"losses {np.round(losses, 4)}, RMSE {rmse:.4f}, task weights {model.task_weights}")
    assert predictions.shape == truth.shape and np.isfinite(predictions).all()
    assert list(model.series.ms_days) == list(day_numbers(DAYS))
    nearest_hs = np.repeat(np.repeat(hs[[0, 1, 1]], 3, axis=-2), 3, axis=-1)  # the HS image of the nearest HS date
    baseline = float(np.sqrt(np.mean((nearest_hs - truth) ** 2)))
    print(f"RMSE of the nearest HS image, pixel-replicated: {baseline:.4f}")
    assert losses[-1] < losses[0]
    assert rmse < baseline


def test_prediction_blends_the_references_before_and_after_by_ms_closeness(tmp_path):
    """Between two fine dates the prediction is the per-pixel closeness-weighted blend of the network's
    prediction from each side. Known answer: where the MS image of the date equals the MS image of the date
    before (and differs from the one after), the blend is the prediction from before alone."""
    truth, fine, ms, hs, to_ms, to_fine = synthetic_site()
    ms = ms.copy()
    ms[1] = ms[0]  # the middle date looks exactly like the first one in MS space
    model = train_sts(fine[[0, 2]], [DAYS[0], DAYS[2]], ms, DAYS, hs[[0, 2]], [DAYS[0], DAYS[2]], to_ms, to_fine,
                      tiny_settings(epochs=1), tmp_path / "checkpoint.pt", truth=truth)
    day = day_numbers(DAYS)[1]
    assert bracketing_references(day, model.series.fine_days, model.series.hs_days) == [(0, 0), (1, 1)]

    def one_side(index, day=day):
        sample = date_sample(model.series, model.hs_scores, day, index, index)
        inputs, _ = fill_gaps({name: sample[name] for name in STSMTLNetwork.INPUTS}, 2)
        return model.pca.inverse_transform(predict_scores(model.network, inputs, 12))

    before, after = one_side(0), one_side(1)
    disagreement = np.abs(before - after).mean()
    assert disagreement > 1e-4  # the two sides disagree, so the weights matter
    assert np.abs(model.predict(DAYS[1]) - before).max() < 0.01 * disagreement
    first = day_numbers(DAYS)[0]  # a date with its own fine and HS images: those references alone
    np.testing.assert_array_equal(model.predict(DAYS[0]), one_side(0, first))


def test_tiny_wald_run(tmp_path):
    truth, fine, ms, hs, to_ms, to_fine = synthetic_site(size=36)
    model = train_sts(fine[[0, 2]], [DAYS[0], DAYS[2]], ms, DAYS, hs[:2], DAYS[:2], to_ms, to_fine,
                      tiny_settings(epochs=2, patch=6, stride=6), tmp_path / "checkpoint.pt")
    predictions = every_ms_date(model)
    assert predictions.shape == truth.shape and np.isfinite(predictions).all()


def test_sizes_off_the_ratio_grid_are_a_config_error(tmp_path):
    truth, fine, ms, hs, to_ms, to_fine = synthetic_site()
    with pytest.raises(ConfigError, match="multiple of 6"):
        train_sts(fine[[0, 2]], [DAYS[0], DAYS[2]], ms, DAYS, hs[:2], DAYS[:2], to_ms, to_fine,
                  tiny_settings(patch=10), tmp_path / "c.pt", truth=truth)
