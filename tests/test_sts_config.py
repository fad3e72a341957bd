"""The spatio-temporal-spectral part of the config and paper 000's simulation protocol (Dataset I); the observed
protocol's config checks are in test_sts_observed.py."""
import numpy as np
import pytest
import yaml

from conftest import REPO
from stfusion.config import check_config, check_schema
from stfusion.errors import ConfigError
from stfusion.sensors import load_sensor
from stfusion.simulate import spectral_weights
from stfusion.sts.protocol import simulate_series

SCHEMA = REPO / "config/schemas/config.schema.yaml"


def demo_config() -> dict:
    """The simulation protocol's config (the default config runs the observed one)."""
    return yaml.safe_load((REPO / "config/examples/sts_dataset1.yaml").read_text())


@pytest.mark.parametrize("change, message", [
    (lambda sts: sts.update(methods=["nope"]), "sites.demo_sts.sts.methods names 'nope', which is not a key of `sts_methods`"),
    (lambda sts: sts.update(hs_dates=["2021-04-15", "2030-01-01"]), "sites.demo_sts.sts.hs_dates has dates that are not in"),
    (lambda sts: sts.update(ms_sensor="gf7"), "sites.demo_sts.sts.ms_sensor"),
])
def test_bad_sts_settings_name_their_key(change, message):
    config = demo_config()
    change(config["sites"]["demo_sts"]["sts"])
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.").replace("`", ".")):
        check_config(config)


def test_an_unknown_sts_schedule_names_its_key():
    config = demo_config()
    config["sts_methods"]["stsmtl"]["schedule"] = "step"
    with pytest.raises(ConfigError, match=r"sts_methods\.stsmtl\.schedule"):
        check_schema(config, SCHEMA)


def test_sts_dates_must_be_strings():
    config = demo_config()
    config["sites"]["demo_sts"]["sts"]["dates"][0] = 20210415
    with pytest.raises(ConfigError, match=r"sites\.demo_sts\.sts\.dates\.0"):
        check_schema(config, SCHEMA)


def test_simulation_protocol_known_answer():
    """A flat truth whose spectrum is the same everywhere gives each sensor its SRF-weighted spectrum everywhere,
    on grids 1, 2 and 3 times coarser; dates are sorted and checked."""
    centres = np.arange(400.0, 1000.0, 5.0)
    spectrum = np.linspace(0.05, 0.5, centres.size)
    truth = {d: np.broadcast_to(spectrum[:, None, None] * (1 + i / 10), (centres.size, 12, 12)).astype(np.float32)
             for i, d in enumerate(["2021-01-01", "2021-01-11", "2021-01-21"])}
    fine_sensor, ms_sensor = load_sensor("zy1_02d_vnic"), load_sensor("gf6_wfv")
    series = simulate_series(truth, centres, fine_sensor, ms_sensor, ["2021-01-21", "2021-01-01"], ["2021-01-11"])
    assert series.fine_dates == ["2021-01-01", "2021-01-21"] and series.ms.shape[-2:] == (6, 6)
    assert series.hs.shape == (1, centres.size, 4, 4)
    np.testing.assert_allclose(series.fine[1, :, 5, 7], spectral_weights(centres, fine_sensor) @ spectrum * 1.2, rtol=1e-5)
    np.testing.assert_allclose(series.ms[1, :, 2, 3], spectral_weights(centres, ms_sensor) @ spectrum * 1.1, rtol=1e-5)
    np.testing.assert_allclose(series.hs[0, :, 1, 1], spectrum * 1.1, rtol=1e-5)
    with pytest.raises(ConfigError, match="sts.hs_dates must be a non-empty subset"):
        simulate_series(truth, centres, fine_sensor, ms_sensor, ["2021-01-01"], ["2020-12-31"])
