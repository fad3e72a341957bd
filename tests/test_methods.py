"""The method registry (stfusion.methods): every entry loads and has its family's interface, the config schema's
method names are the registry's, a model registered there is valid config and buildable, and a reference count a
model does not take fails at DAG build naming the key."""
import inspect

import numpy as np
import pytest
import yaml

from conftest import REPO, training_losses
from stfusion.config import check_config, check_schema, with_method_names
from stfusion.ensemble.best import leave_one_date_out_best
from stfusion.ensemble.stacking import leave_one_date_out
from stfusion.errors import ConfigError
from stfusion.methods import FUSION, REGISTRIES, SPECTRAL, STS, Method, of_family
from stfusion.models import build_model
from stfusion.models.base import FusionModel
from stfusion.packaged import schema_path

SCHEMA = schema_path("config")


def demo_config() -> dict:
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


@pytest.mark.parametrize("registry", [FUSION, STS, SPECTRAL], ids=["fusion", "sts", "spectral"])
def test_every_method_loads_and_has_a_known_family(registry):
    for name, method in registry.items():
        assert method.family in ("deep", "classical", "naive", "ensemble"), name
        assert callable(method.load()), name
        assert method.gpu or method.family != "deep", name  # a network asks for a GPU


def test_the_fusion_families_have_their_interfaces():
    for name in of_family(FUSION, "deep"):
        assert issubclass(FUSION[name].load(), FusionModel), name
    for name in of_family(FUSION, "classical"):
        parameters = inspect.signature(FUSION[name].load()).parameters
        assert list(parameters)[:4] == ["fine_refs", "coarse_refs", "coarse_t1", "ratio"], name
        assert {"block", "device"} <= set(parameters), name
    fine_refs = np.stack([np.full((2, 4, 4), 0.1, np.float32), np.full((2, 4, 4), 0.3, np.float32)])
    coarse_refs, coarse_t1 = np.zeros((2, 2, 2, 2), np.float32), np.full((2, 2, 2), 0.2, np.float32)
    nearest, upsampled = (FUSION[n].load()(fine_refs, coarse_refs, coarse_t1, 2, [30, 10]) for n in of_family(FUSION, "naive"))
    np.testing.assert_array_equal(nearest, fine_refs[1])  # 10 days from the target: the second reference
    np.testing.assert_allclose(upsampled, np.full((2, 4, 4), 0.2))
    # the ensembles' fitters (stfusion.ensemble): tested in test_ensemble.py
    assert [FUSION[n].load() for n in of_family(FUSION, "ensemble")] == [leave_one_date_out, leave_one_date_out_best]


def test_the_schema_names_exactly_the_registered_methods():
    schema = with_method_names(yaml.safe_load(SCHEMA.read_text()))
    properties = schema["properties"]
    assert properties["methods"]["additionalProperties"]["properties"]["model"]["enum"] == list(FUSION)
    assert properties["sts_methods"]["additionalProperties"]["properties"]["model"]["enum"] == list(STS)
    spectral = properties["sites"]["additionalProperties"]["properties"]["spectral"]["properties"]["methods"]
    assert spectral["items"]["enum"] == list(SPECTRAL) and REGISTRIES["spectral"] is SPECTRAL
    config = demo_config()
    config["methods"]["mine"] = {"model": "unet", "references": 2}
    with pytest.raises(ConfigError, match=r"config key `methods.mine.model`: 'unet' is not one of \['edcstfn'"):
        check_schema(config, SCHEMA)


def test_a_model_registered_once_is_valid_config_and_builds(monkeypatch):
    """docs, "Adding a method": one registry line makes a model a valid `model:` value and buildable."""
    monkeypatch.setitem(FUSION, "dcstfn_twin", Method("deep", "stfusion.models.dcstfn:DCSTFN", default_init="change",
                                                      groups_for_skill=9))
    config = demo_config()
    config["methods"]["twin"] = {"model": "dcstfn_twin", "references": 1}
    check_schema(config, SCHEMA)
    check_config(config)
    assert type(build_model("dcstfn_twin", channels=3, ratio=4)).__name__ == "DCSTFN"
    with pytest.raises(ConfigError, match="the deep models are edcstfn, dcstfn"):
        build_model("starfm", channels=3, ratio=4)


@pytest.mark.parametrize("model, references", [("fsdaf", 2), ("estarfm", 1)])
def test_a_reference_count_the_model_does_not_take_names_the_key(model, references):
    config = demo_config()
    config["methods"][model]["predict_references"] = references
    with pytest.raises(ConfigError, match=rf"methods.{model}.predict_references`: {references} is not one of "
                                          rf"\[{3 - references}\] \({model} takes {3 - references} reference pair"):
        check_schema(config, SCHEMA)


def readme_example() -> tuple[str, str]:
    """The model module and the registry line of the developer guide's "Adding a method" page."""
    section = (REPO / "docs/developer/adding-a-method.md").read_text()
    blocks = section.split("```python\n")[1:]
    return blocks[0].split("```")[0], blocks[1].split("```")[0].strip().rstrip(",")


def test_the_readmes_added_model_registers_trains_and_tiles_honestly(monkeypatch, one_thread):
    """The docs' example ("Adding a method") as written: its module imported as stfusion.models.resnet_change, its registry line
    added to FUSION; it builds, starts as the change transfer, learns, and its halo gives tiles the whole scene."""
    import importlib.util
    import sys

    import torch

    from stfusion import methods
    from stfusion.tiling import predict_scene

    source, line = readme_example()
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("stfusion.models.resnet_change", None))
    module.__package__ = "stfusion.models"
    exec(compile(source, "docs/developer/adding-a-method.md", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "stfusion.models.resnet_change", module)
    name, entry = line.split(":", 1)
    monkeypatch.setitem(FUSION, eval(name), eval(entry, vars(methods)))
    config = demo_config()
    config["methods"]["resnet_1ref"] = {"model": "resnet_change", "references": 1, "epochs": 20}
    check_schema(config, SCHEMA)
    check_config(config)
    config["methods"]["resnet_1ref"]["references"] = 2
    with pytest.raises(ConfigError, match="methods.resnet_1ref.references`: 2 is not one of"):
        check_schema(config, SCHEMA)

    torch.manual_seed(0)
    model = build_model("resnet_change", channels=3, ratio=4)
    fine, coarse, coarse_t1 = torch.rand(1, 1, 3, 32, 32), torch.rand(1, 1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    change = fine[:, 0] + torch.nn.functional.interpolate(coarse_t1 - coarse[:, 0], scale_factor=4, mode="bicubic",
                                                          align_corners=False)
    torch.testing.assert_close(model(fine, coarse, coarse_t1), change, atol=1e-5, rtol=0)
    losses = training_losses(model, fine, coarse, coarse_t1, change + 0.05, steps=20, lr=1e-2)
    assert losses[-1] < 0.5 * losses[0]
    scene = [x[0].numpy() for x in (torch.rand(1, 1, 3, 64, 64), torch.rand(1, 1, 3, 16, 16), torch.rand(1, 3, 16, 16))]
    whole = predict_scene(model.eval(), *scene, tile=64)
    np.testing.assert_allclose(predict_scene(model, *scene, tile=16), whole, atol=1e-5, rtol=0)
