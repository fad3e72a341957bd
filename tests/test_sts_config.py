"""The spatio-temporal-spectral part of the config and paper 000's simulation protocol (Dataset I); the observed
protocol's config checks are in test_sts_observed.py."""
import numpy as np
import pytest
import yaml

from conftest import REPO
from stfusion.config import check_config, check_schema
from stfusion.errors import ConfigError
from stfusion.packaged import schema_path
from stfusion.sensors import load_sensor
from stfusion.simulate import spectral_weights
from stfusion.sts.protocol import observe

SCHEMA = schema_path("config")


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
    on grids 1, 2 and 3 times coarser (``protocol.observe``, as the rule sts_simulate makes each scene)."""
    centres = np.arange(400.0, 1000.0, 5.0)
    spectrum = np.linspace(0.05, 0.5, centres.size)
    truth = np.broadcast_to(spectrum[:, None, None] * 1.1, (centres.size, 12, 12)).astype(np.float32)
    to_fine = spectral_weights(centres, load_sensor("zy1_02d_vnic"))
    to_ms = spectral_weights(centres, load_sensor("gf6_wfv"))
    fine, ms, hs = observe(truth, to_fine, 1), observe(truth, to_ms, 2), observe(truth, None, 3)
    assert fine.shape == (len(to_fine), 12, 12) and ms.shape == (len(to_ms), 6, 6) and hs.shape == (centres.size, 4, 4)
    np.testing.assert_allclose(fine[:, 5, 7], to_fine @ spectrum * 1.1, rtol=1e-5)
    np.testing.assert_allclose(ms[:, 2, 3], to_ms @ spectrum * 1.1, rtol=1e-5)
    np.testing.assert_allclose(hs[:, 1, 1], spectrum * 1.1, rtol=1e-5)
