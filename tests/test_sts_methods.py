"""docs/developer/adding-an-sts-method.md as written: its module imported as stfusion.sts.linear and its registry
line added to STS make a valid `sts_methods.<name>.model`, built through the registry as the rules build it, and
it predicts a tiny series with a known answer."""
import importlib.util
import sys

import numpy as np
import yaml

from conftest import REPO
from stfusion import methods
from stfusion.config import check_config, check_schema
from stfusion.methods import STS
from stfusion.packaged import schema_path
from stfusion.sts.data import SiteSeries
from stfusion.sts.method import sts_method
from stfusion.sts.resample import day_numbers

PAGE = REPO / "docs/developer/adding-an-sts-method.md"
SCHEMA = schema_path("config")


def page_example() -> tuple[str, str]:
    """The module and the registry line of the page."""
    blocks = PAGE.read_text().split("```python\n")[1:]
    return blocks[0].split("```")[0], blocks[1].split("```")[0].strip().rstrip(",")


def test_the_pages_sts_method_registers_and_interpolates_the_hs_series(monkeypatch):
    source, line = page_example()
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("stfusion.sts.linear", None))
    module.__package__ = "stfusion.sts"
    exec(compile(source, str(PAGE), "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "stfusion.sts.linear", module)
    name, entry = line.split(":", 1)
    monkeypatch.setitem(STS, eval(name), eval(entry, vars(methods)))

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["sts_methods"]["linear"] = {"model": "hs_linear"}
    config["sites"]["demo_sts"]["sts"]["methods"].append("linear")
    check_schema(config, SCHEMA)
    check_config(config)

    hs_days = day_numbers(["2021-04-15", "2021-06-18"])  # 64 days apart
    hs = np.stack([np.full((5, 4, 4), v, np.float32) for v in (0.1, 0.3)])
    series = SiteSeries(np.zeros((1, 3, 12, 12), np.float32), hs_days[:1], np.zeros((1, 4, 6, 6), np.float32),
                        hs_days[:1], hs, hs_days)
    model = sts_method(config["sts_methods"]["linear"], config["sites"]["demo_sts"]["sts"], config)
    between = model.predict(series, None, float(day_numbers(["2021-05-17"])[0]))  # 32 days after the first
    assert between.shape == (5, 12, 12)
    np.testing.assert_allclose(between, 0.2, atol=1e-6)
    np.testing.assert_allclose(model.predict(series, None, float(day_numbers(["2021-07-04"])[0])), 0.3, atol=1e-6)
