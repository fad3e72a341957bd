"""Training, the initial weights as epoch 0, resume after a kill, schedules, mixed precision, the
feature-extractor weights, tile-size independence, and several dates from shared reference features."""
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from stfusion.errors import InputDataError
from stfusion.models import EDCSTFN, FeatureAutoencoder, build_model, load_feature_extractor, save_feature_extractor
from stfusion.tiling import predict_scene, predict_scene_dates
from stfusion.torch_artefact import load_artefact
from stfusion.train import TrainingSettings, best_epoch, fit

RATIO = 4


def batch_set(n=6, channels=3, coarse=8, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    fine_refs = torch.rand(n, k, channels, coarse * RATIO, coarse * RATIO, generator=g)
    coarse_refs = torch.nn.functional.avg_pool2d(fine_refs.flatten(0, 1), RATIO).reshape(n, k, channels, coarse, coarse)
    target = (fine_refs[:, 0] * 0.8 + 0.1).clamp(0, 1)
    coarse_t1 = torch.nn.functional.avg_pool2d(target, RATIO)
    return {"fine_refs": fine_refs, "coarse_refs": coarse_refs, "coarse_t1": coarse_t1, "target": target}


def fusion_loss(module, batch):
    return module.training_loss(batch["fine_refs"], batch["coarse_refs"], batch["coarse_t1"], batch["target"])


SETTINGS = TrainingSettings(epochs=4, lr=1e-3, batch_size=2, seed=3)


def new_model(seed=0, init="default"):
    """StfNet from random weights, which a few epochs improve on (so that the epochs, not the start, are kept)."""
    torch.manual_seed(seed)
    return build_model("stfnet", channels=3, ratio=RATIO, init=init)


def test_loss_falls_and_best_weights_are_returned(tmp_path):
    model = new_model()
    data = batch_set()
    best, history = fit(model, fusion_loss, data, batch_set(seed=1), SETTINGS, tmp_path / "ckpt.pt", "a")
    assert [h["epoch"] for h in history] == [0, 1, 2, 3, 4] and history[-1]["train_loss"] < history[1]["train_loss"]
    assert best_epoch(history) > 0  # from random weights, training beats the start
    assert min(h["validation_loss"] for h in history) == pytest.approx(min(h["validation_loss"] for h in history))
    assert set(best) == set(model.state_dict())


def test_the_initial_weights_are_epoch_0_and_kept_when_no_epoch_beats_them(tmp_path, caplog):
    """A change-transfer start on data it fits to within noise: at a rate of 1 Adam throws it away, and the
    start (epoch 0 of the history) is what comes back, with the log saying so."""
    model = new_model(init="change")
    start = {k: v.clone() for k, v in model.state_dict().items()}

    def near_the_start(seed):
        data = batch_set(seed=seed)
        with torch.no_grad():
            predicted = model(data["fine_refs"], data["coarse_refs"], data["coarse_t1"])
        return data | {"target": predicted + 1e-3 * torch.randn(predicted.shape, generator=torch.Generator().manual_seed(seed))}

    data, validation = near_the_start(0), near_the_start(1)
    with caplog.at_level("INFO", logger="stfusion"):
        best, history = fit(model, fusion_loss, data, validation, replace(SETTINGS, lr=1.0), tmp_path / "c.pt", "a")
    assert history[0]["epoch"] == 0 and history[0]["lr"] == 1.0
    assert history[0]["validation_loss"] == pytest.approx(fusion_loss(new_model(init="change"), validation).item(), rel=1e-5)
    assert best_epoch(history) == 0 and all(h["validation_loss"] > history[0]["validation_loss"] for h in history[1:])
    assert all(torch.equal(best[name], start[name]) for name in start)
    assert "no epoch beat the initial weights" in caplog.text and "keeping the start" in caplog.text


def squared_error(module, batch):
    prediction = module(batch["fine_refs"], batch["coarse_refs"], batch["coarse_t1"])
    return ((prediction - batch["target"]) ** 2).mean(dim=(0, 2, 3))


def test_with_a_score_the_kept_weights_are_those_of_the_lowest_validation_rmse(tmp_path):
    """A loss that falls while the error grows (the negated squared error): by the loss the last epoch would be
    kept; by the validation RMSE of the prediction (band-averaged, here checked by hand) the start is."""
    model = new_model()
    data, validation = batch_set(), batch_set(seed=1)
    with torch.no_grad():
        prediction = model(validation["fine_refs"], validation["coarse_refs"], validation["coarse_t1"])
    by_hand = ((prediction - validation["target"]) ** 2).mean(dim=(0, 2, 3)).sqrt().mean().item()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    best, history = fit(model, lambda m, b: -squared_error(m, b).mean(), data, validation, SETTINGS,
                        tmp_path / "c.pt", "a", squared_error)
    assert history[0]["validation_rmse"] == pytest.approx(by_hand, rel=1e-5)
    assert all(h["validation_loss"] < history[0]["validation_loss"] for h in history[1:])
    assert all(h["validation_rmse"] > history[0]["validation_rmse"] for h in history[1:])
    assert best_epoch(history) == 0 and all(torch.equal(best[k], start[k]) for k in start)


def test_the_best_epoch_is_the_first_lowest_validation_loss():
    rows = [{"epoch": e, "validation_loss": v} for e, v in enumerate([0.3, 0.2, 0.1, 0.1, 0.4])]
    assert best_epoch(rows) == 2 and best_epoch(rows[:2]) == 1 and best_epoch(rows[:1]) == 0


class Killed(Exception):
    pass


@pytest.mark.parametrize("schedule", ["plateau", "cosine"])
def test_resume_after_a_kill_ends_with_the_same_weights(tmp_path, schedule):
    data, validation, settings = batch_set(), batch_set(seed=1), replace(SETTINGS, schedule=schedule)
    straight, _ = fit(new_model(), fusion_loss, data, validation, settings, tmp_path / "straight.pt", "a")
    calls = {"n": 0}

    def dies_in_epoch_3(module, batch):
        calls["n"] += 1
        if calls["n"] > 3 * (3 + 3):  # 3 train + 3 validation batches per epoch from epoch 0: die inside epoch 3
            raise Killed
        return fusion_loss(module, batch)

    with pytest.raises(Killed):
        fit(new_model(), dies_in_epoch_3, data, validation, settings, tmp_path / "resumed.pt", "a")
    assert load_artefact(tmp_path / "resumed.pt", "")["epoch"] == 2
    resumed, history = fit(new_model(seed=99), fusion_loss, data, validation, settings, tmp_path / "resumed.pt", "a")
    assert [h["epoch"] for h in history] == [0, 1, 2, 3, 4]
    for name in straight:
        torch.testing.assert_close(resumed[name], straight[name])


def test_the_cosine_schedule_falls_from_the_rate_to_zero(tmp_path):
    settings = replace(SETTINGS, schedule="cosine")
    _, history = fit(new_model(), fusion_loss, batch_set(), batch_set(seed=1), settings, tmp_path / "c.pt", "a")
    # the rate of the next epoch, recorded after each: lr (1 + cos(pi e / E)) / 2
    expected = [settings.lr * (1 + math.cos(math.pi * epoch / settings.epochs)) / 2 for epoch in range(1, 5)]
    assert [h["lr"] for h in history[1:]] == pytest.approx(expected, abs=1e-12)


def test_an_unknown_schedule_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="plateau or cosine"):
        fit(new_model(), fusion_loss, batch_set(), batch_set(seed=1), replace(SETTINGS, schedule="step"),
            tmp_path / "c.pt", "a")


@pytest.mark.parametrize("amx", [False, True])
def test_mixed_precision_on_a_cpu_only_where_it_has_amx(tmp_path, monkeypatch, amx):
    """bfloat16 autocast on a CPU with AMX tiles (the weights then differ from a float32 run); float32
    elsewhere (the same weights as with mixed precision off)."""
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    data, validation = batch_set(), batch_set(seed=1)
    mixed, _ = fit(new_model(), fusion_loss, data, validation, replace(SETTINGS, mixed_precision=True),
                   tmp_path / "mixed.pt", "a")
    full, _ = fit(new_model(), fusion_loss, data, validation, replace(SETTINGS, mixed_precision=False),
                  tmp_path / "full.pt", "a")
    assert all(torch.equal(mixed[name], full[name]) for name in full) != amx


def test_a_checkpoint_of_other_settings_is_not_resumed(tmp_path):
    fit(new_model(), fusion_loss, batch_set(), batch_set(seed=1), SETTINGS, tmp_path / "c.pt", "a")
    _, history = fit(new_model(), fusion_loss, batch_set(), batch_set(seed=1), SETTINGS, tmp_path / "c.pt", "b")
    assert len(history) == 5  # started again


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "c.pt").write_bytes(b"\x00 not a checkpoint")
    with pytest.raises(InputDataError, match="c.pt cannot be read .*training restarts from its first epoch"):
        fit(new_model(), fusion_loss, batch_set(), batch_set(seed=1), SETTINGS, tmp_path / "c.pt", "a")


def test_edcstfn_uses_the_trained_autoencoder_weights(tmp_path):
    """The loaded feature extractor is the trained one, bit for bit, and not a fresh initialisation."""
    torch.manual_seed(0)
    autoencoder = FeatureAutoencoder(3)
    images = {"fine": batch_set(coarse=9)["target"]}  # MS-SSIM needs patches over 32 px
    best, _ = fit(autoencoder, lambda m, b: torch.nn.functional.mse_loss(m(b["fine"]), b["fine"]), images, images,
                  TrainingSettings(epochs=2, lr=1e-3, batch_size=2, seed=0), tmp_path / "ae_ckpt.pt", "ae")
    autoencoder.load_state_dict(best)
    save_feature_extractor(autoencoder, tmp_path / "ae.pt")
    model = EDCSTFN(3, RATIO, feature_extractor=load_feature_extractor(tmp_path / "ae.pt"))
    torch.manual_seed(0)
    fresh = FeatureAutoencoder(3).state_dict()
    for name, value in model.feature_extractor.state_dict().items():
        torch.testing.assert_close(value, best[name], rtol=0, atol=0)
        assert not torch.equal(value, fresh[name]) or "bias" in name
    data = batch_set(coarse=9)
    before = {k: v.clone() for k, v in model.feature_extractor.state_dict().items()}
    fit(model, fusion_loss, data, data, TrainingSettings(epochs=1, lr=1e-2, batch_size=2, seed=0), tmp_path / "e.pt", "e")
    for name, value in model.feature_extractor.state_dict().items():
        assert torch.equal(value, before[name])  # frozen during EDCSTFN training


@pytest.mark.parametrize("name", ["edcstfn", "stfnet", "stfdcnn", "dcstfn"])
def test_prediction_does_not_depend_on_the_tile_size_or_batch(name):
    torch.manual_seed(0)
    model = build_model(name, channels=3, ratio=RATIO, **({"feature_loss": False} if name == "edcstfn" else {})).eval()
    rng = np.random.default_rng(0)
    fine_refs = rng.random((2, 3, 96, 80), dtype=np.float32)
    coarse_refs = rng.random((2, 3, 24, 20), dtype=np.float32)
    coarse_t1 = rng.random((3, 24, 20), dtype=np.float32)
    whole = predict_scene(model, fine_refs, coarse_refs, coarse_t1, tile=512)
    with torch.no_grad():
        direct = model(*(torch.from_numpy(a)[None] for a in (fine_refs, coarse_refs, coarse_t1)))[0].numpy()
    np.testing.assert_allclose(whole, direct, atol=1e-5)
    for tile, overlap, batch_pixels in [(32, 8, 1), (48, 16, 2**19), (40, 4, 2**19), (16, 0, 2**19), (24, 0, 1)]:
        tiled = predict_scene(model, fine_refs, coarse_refs, coarse_t1, tile, overlap, batch_pixels=batch_pixels)
        np.testing.assert_allclose(tiled, whole, atol=1e-5)


@pytest.mark.parametrize("name, references", [("edcstfn", 2), ("edcstfn", 1), ("stfnet", 2)])
def test_several_dates_from_shared_reference_features_equal_each_date_alone(name, references):
    """EDCSTFN encodes its fine references once per batch of tiles for every date (issue 28); a model that shares
    nothing (STFNet) goes through the same function. Each date equals the untiled network on it."""
    torch.manual_seed(0)
    options = {"feature_loss": False, "init": "default"} if name == "edcstfn" else {}
    model = build_model(name, channels=3, ratio=RATIO, **options).eval()
    rng = np.random.default_rng(1)
    fine_refs = rng.random((references, 3, 96, 80), dtype=np.float32)
    coarse_refs = rng.random((references, 3, 24, 20), dtype=np.float32)
    coarse_dates = rng.random((3, 3, 24, 20), dtype=np.float32)
    with torch.no_grad():
        direct = [model(*(torch.from_numpy(a)[None] for a in (fine_refs, coarse_refs, t1)))[0].numpy()
                  for t1 in coarse_dates]
    for tile, overlap, batch_pixels in [(32, 8, 1), (40, 4, 2**19)]:
        dates = predict_scene_dates(model, fine_refs, coarse_refs, coarse_dates, tile, overlap,
                                    batch_pixels=batch_pixels)
        np.testing.assert_allclose(dates, np.stack(direct), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"coarse_dates must be \(n, C, h, w\)"):
        predict_scene_dates(model, fine_refs, coarse_refs, coarse_dates[0])
