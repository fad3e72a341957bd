"""Spatio-temporal-spectral fusion of observed series (paper 000 on real data): the series plan, per-date
prediction from a date's own scenes, the saved models, and the config errors raised before any output."""
import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from conftest import REPO
from stfusion.config import check_config
from stfusion.errors import ConfigError, InputDataError
from stfusion.scenes import check_sts_scenes
from stfusion.sts import STSSettings, TrainedSTS
from stfusion.sts.data import SiteSeries
from stfusion.spectral.cnmf import CNMFMethod
from stfusion.sts.method import SRF
from stfusion.sts.naive import NearestHS
from stfusion.sts.network import STSMTLNetwork
from stfusion.sts.pca import HyperspectralPCA
from stfusion.sts.resample import day_numbers
from stfusion.sts.series import plan_series, prediction_dates
from stfusion.sts.stsmtl import STSMTL
from stfusion.sts.two_stage import TwoStage, TwoStageSettings
from stfusion.train import TrainingSettings

FINE = ["2021-04-15", "2021-05-17", "2021-06-18"]
HS = ["2021-04-15", "2021-06-18"]
MS = ["2021-04-01", "2021-04-15", "2021-05-01", "2021-05-17", "2021-06-02", "2021-06-18", "2021-07-04"]


def test_the_plan_trains_inside_the_reference_span_and_predicts_every_ms_date():
    plan = plan_series({"fine": FINE, "ms": MS, "hs": HS}, "sites.s.sts", "inventory.tsv")
    # MS dates outside the first..last fine/HS date add neither label nor reference: not trained on
    assert plan["training"] == {"fine": FINE, "hs": HS, "ms": MS[1:-1]}
    assert list(plan["predict"]) == MS and plan["held_out"] == [d for d in MS if d not in HS]
    # between references: both brackets of each series, and the MS dates bracketing each reference date
    assert plan["predict"]["2021-05-01"] == {"fine": ["2021-04-15", "2021-05-17"], "hs": ["2021-04-15", "2021-06-18"],
                                             "ms": ["2021-04-15", "2021-05-01", "2021-05-17", "2021-06-18"]}
    # on a reference date its own images; before the first or after the last, the nearest ones
    assert plan["predict"]["2021-04-15"] == {"fine": ["2021-04-15"], "hs": ["2021-04-15"], "ms": ["2021-04-15"]}
    assert plan["predict"]["2021-07-04"] == {"fine": ["2021-06-18"], "hs": ["2021-06-18"], "ms": ["2021-06-18", "2021-07-04"]}
    # a reference date without an MS image of its own needs the MS dates on both sides of it
    assert prediction_dates("2021-05-01", ["2021-04-20"], ["2021-04-20"], ["2021-04-15", "2021-05-01"])["ms"] == \
        ["2021-04-15", "2021-05-01"]


def test_a_new_ms_date_after_the_last_reference_leaves_the_training_as_it_is():
    before = plan_series({"fine": FINE, "ms": MS, "hs": HS}, "k", "s")
    after = plan_series({"fine": FINE, "ms": [*MS, "2021-07-20"], "hs": HS}, "k", "s")
    assert after["training"] == before["training"] and "2021-07-20" in after["predict"]
    assert {d: after["predict"][d] for d in before["predict"]} == before["predict"]


@pytest.mark.parametrize("role, key", [("fine", "fine_sensor"), ("hs", "hs_sensor")])
def test_fewer_than_two_kept_dates_name_the_sensor_key_and_the_inventory(role, key):
    dates = {"fine": FINE, "ms": MS, "hs": HS, role: ["2021-04-15"]}
    with pytest.raises(InputDataError, match=rf"sites\.s\.sts\.{key}: 1 kept scene\(s\) in results/s/qa/inventory\.tsv"):
        plan_series(dates, "sites.s.sts", "results/s/qa/inventory.tsv")


def random_series(seed=0, size=12):
    """Fine (3 bands, size px), MS (4 bands, ratio 2) and HS (6 bands, ratio 3) series on the dates above."""
    rng = np.random.default_rng(seed)
    return SiteSeries(rng.uniform(0, 0.5, (len(FINE), 3, size, size)).astype(np.float32), day_numbers(FINE),
                      rng.uniform(0, 0.5, (len(MS), 4, size // 2, size // 2)).astype(np.float32), day_numbers(MS),
                      rng.uniform(0, 0.5, (len(HS), 6, size // 3, size // 3)).astype(np.float32), day_numbers(HS))


def subset(series: SiteSeries, dates: dict) -> SiteSeries:
    pick = {role: [list(np.asarray(getattr(series, f"{role}_days"))).index(day_numbers([d])[0]) for d in dates[role]]
            for role in ("fine", "ms", "hs")}
    return SiteSeries(series.fine[pick["fine"]], series.fine_days[pick["fine"]], series.ms[pick["ms"]],
                      series.ms_days[pick["ms"]], series.hs[pick["hs"]], series.hs_days[pick["hs"]])


def trained_sts(series: SiteSeries) -> TrainedSTS:
    torch.manual_seed(0)
    pca = HyperspectralPCA(1.0).fit(series.hs)
    network = STSMTLNetwork(3, 4, pca.n_components, 2, 3, features=4, blocks=1, kernels=(1, 3)).eval()
    network.standardise(torch.from_numpy(series.fine), torch.from_numpy(series.ms),
                        torch.from_numpy(pca.transform(series.hs)))
    settings = STSSettings(kernels=(1, 3), features=4, blocks=1, pca_variance=1.0, degradation="area", patch=6, stride=6,
                           tile=6, training=TrainingSettings(epochs=1, lr=1e-3, batch_size=1, seed=0))  # untrained
    return TrainedSTS(network, pca, series, pca.transform(series.hs), settings, [], {})


def test_sts_mtl_predicts_a_date_from_its_planned_scenes_as_from_the_whole_series(tmp_path):
    """The series plan's claim: the scenes it lists for a date give the prediction of the whole series; the method
    file written by ``save`` and read by ``load`` (as sts_train and sts_predict do) predicts the same."""
    series = random_series()
    whole = trained_sts(series)
    fitted = STSMTL(whole.settings)
    fitted.state = whole.state()
    fitted.save(tmp_path / "model.pt")
    loaded = STSMTL(whole.settings).load_fitted(tmp_path / "model.pt")
    plan = plan_series({"fine": FINE, "ms": MS, "hs": HS}, "k", "s")
    for date in MS:
        own = loaded.predict(subset(series, plan["predict"][date]), None, day_numbers([date])[0])  # STS-MTL needs no SRF
        np.testing.assert_allclose(own, whole.predict(date), atol=1e-5, err_msg=date)


def test_two_stage_predicts_a_date_from_its_planned_scenes_as_from_the_whole_series(tmp_path):
    series = random_series(1)
    hs_to_fine = np.random.default_rng(2).dirichlet(np.ones(6), 3)
    srf = SRF(hs_to_fine, np.random.default_rng(3).dirichlet(np.ones(6), 4))
    settings = TwoStageSettings("bilinear", 512, 512, 0, 2**19, "cpu", None)
    model = TwoStage("estarfm", "cnmf", CNMFMethod("bilinear", seed=0), settings)
    model.fit(series, srf, tmp_path)
    model.save(tmp_path / "model.pt")
    loaded = TwoStage("estarfm", "cnmf", CNMFMethod("bilinear", seed=0), settings).load_fitted(tmp_path / "model.pt")
    plan = plan_series({"fine": FINE, "ms": MS, "hs": HS}, "k", "s")
    for date in ("2021-05-01", "2021-07-04", "2021-05-17"):
        day = day_numbers([date])[0]
        own = loaded.predict(subset(series, plan["predict"][date]), srf, day)
        np.testing.assert_allclose(own, model.predict(series, srf, day), atol=1e-5, err_msg=date)


def test_nearest_hs_is_the_nearest_hs_image_upsampled():
    series = random_series()
    flat = SiteSeries(series.fine, series.fine_days, series.ms, series.ms_days,
                      np.stack([np.full((6, 4, 4), v, np.float32) for v in (0.1, 0.3)]), series.hs_days)
    nearest = NearestHS()
    np.testing.assert_allclose(nearest.predict(flat, None, day_numbers(["2021-05-01"])[0]), 0.1, atol=1e-6)  # 16 days after 04-15
    np.testing.assert_allclose(nearest.predict(flat, None, day_numbers(["2021-06-02"])[0]), 0.3, atol=1e-6)  # 16 days before 06-18
    assert nearest.predict(flat, None, 0.0).shape == (6, 12, 12)


def demo_config() -> dict:
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


@pytest.mark.parametrize("change, message", [
    (lambda c: c["sites"]["demo_sts"]["sts"].update(fine_sensor="gf1_wfv"),
     r"sites\.demo_sts\.sts\.fine_sensor is 'gf1_wfv', which is not one of sites\.demo_sts\.sensors"),
    (lambda c: c["sites"]["demo_sts"]["sensors"].update(gf6_wfv=1),
     r"sites\.demo_sts\.sensors: the ratio of sites\.demo_sts\.sts\.ms_sensor \(gf6_wfv: 1\) must be a whole multiple"),
    (lambda c: c["sites"]["demo_sts"].pop("fusion") and c["sites"]["demo_sts"]["sensors"].update(
        zy1_02d_vnic=2, gf6_wfv=4, zy1_02d_ahsi=3),
     r"sites\.demo_sts\.sensors: the ratio of sites\.demo_sts\.sts\.hs_sensor \(zy1_02d_ahsi: 3\)"),
    (lambda c: c["sites"]["demo_sts"]["sts"].update(hs_dates=["2021-04-15"]),
     r"sites\.demo_sts\.sts: `dates`, `fine_dates` and `hs_dates` belong to the simulation protocol"),
    (lambda c: c["sites"]["demo_sts"]["sts"].update(protocol="simulated"),
     r"sites\.demo_sts\.sts\.protocol is `simulated`, which needs sites\.demo_sts\.sts\.dates"),
])
def test_bad_observed_sts_settings_name_their_key(change, message):
    config = demo_config()
    change(config)
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_an_hs_sensor_that_does_not_cover_the_fine_srfs_names_the_key():
    """A VNIR-only hyperspectral sensor (400-700 nm) cannot simulate the VNIC near-infrared band."""
    config = demo_config()
    bands = [{"name": f"B{i}", "label": f"b{i}", "centre_nm": 400.0 + 10 * i, "fwhm_nm": 10.0} for i in range(31)]
    config["sensors"] = {"vnir_hs": {"title": "a VNIR imaging spectrometer", "gsd_m": 30, "kind": "hyperspectral",
                                     "storage": {"dtype": "int16", "scale": 1.0e-4, "offset": 0.0, "nodata": -9999},
                                     "qa": {"kind": "mask"}, "srf": {"kind": "gaussian", "source": "band table"},
                                     "bands": bands}}
    config["sites"]["demo_sts"]["sensors"]["vnir_hs"] = 3
    config["sites"]["demo_sts"]["sts"]["hs_sensor"] = "vnir_hs"
    with pytest.raises(ConfigError, match=r"sites\.demo_sts\.sts\.hs_sensor \(vnir_hs, 400-700 nm\) does not cover sites\.demo_sts\.sts\.fine_sensor \(zy1_02d_vnic\): bands B4 \(0%\)"):
        check_config(config)


def test_a_scene_table_with_one_hs_scene_fails_before_the_dag_naming_the_key_and_table():
    config = demo_config()
    rows = [("demo_sts", "zy1_02d_vnic", d) for d in FINE] + [("demo_sts", "gf6_wfv", d) for d in MS] \
        + [("demo_sts", "zy1_02d_ahsi", "2021-04-15")]
    table = pd.DataFrame(rows, columns=["site", "sensor", "date"])
    with pytest.raises(InputDataError, match=r"sites\.demo_sts\.sts\.hs_sensor: 1 scene\(s\) in my/scenes\.tsv"):
        check_sts_scenes(config, table, "my/scenes.tsv")
    check_sts_scenes(config, pd.concat([table, table.assign(date="2021-06-18")]), "my/scenes.tsv")
