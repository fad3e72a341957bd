"""The classical methods as config `methods:`: reference counts and options are checked when the DAG is built, with
messages naming the key."""
import inspect
import re

import pytest
import yaml

from conftest import REPO
from stfusion.classical import check_options, published_parameters
from stfusion.config import check_config, check_schema
from stfusion.errors import ConfigError
from stfusion.methods import FUSION, of_family
from stfusion.packaged import schema_path

SCHEMA = schema_path("config")


def config_with(method: dict) -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["methods"]["mine"] = method
    return config


@pytest.mark.parametrize("method, message", [
    ({"model": "estarfm", "references": 1}, "methods.mine.references`: 1 is not one of [2] (estarfm takes 2"),
    ({"model": "fsdaf", "references": 2}, "methods.mine.references`: 2 is not one of [1] (fsdaf takes 1"),
    ({"model": "fsdaf"}, "methods.mine`: 'references' is a required property"),
    ({"model": "starfm", "references": 2, "predict_references": 3}, "methods.mine.predict_references"),
])
def test_reference_counts_are_checked(method, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_schema(config_with(method), SCHEMA)


def test_the_demo_methods_pass():
    check_schema(config_with({"model": "starfm", "references": 1}), SCHEMA)


def test_options_must_be_parameters_of_the_method():
    check_options("starfm", "starfm", {"window": 31})
    with pytest.raises(ConfigError, match=r"methods\.fs\.options\.windw is not a parameter of fsdaf: it takes .*half_window"):
        check_options("fs", "fsdaf", {"windw": 31})
    with pytest.raises(ConfigError, match=r"methods\.s\.options\.device"):
        check_options("s", "starfm", {"device": "cuda"})


def test_a_misspelt_option_stops_the_config_check_not_the_job():
    config = config_with({"model": "starfm", "references": 1, "options": {"windw": 31}})
    check_schema(config, SCHEMA)
    with pytest.raises(ConfigError, match=re.escape("methods.mine.options.windw is not a parameter of starfm: it takes "
                                                    "window, classes")):
        check_config(config)


def test_options_given_to_a_naive_baseline_are_refused_not_ignored():
    config = config_with({"model": "nearest_reference", "references": 1, "options": {"window": 31}})
    check_schema(config, SCHEMA)
    with pytest.raises(ConfigError, match=re.escape("methods.mine.options: nearest_reference is a naive baseline and "
                                                    "takes no options (it would ignore ['window']): remove them")):
        check_config(config)


@pytest.mark.parametrize("model", of_family(FUSION, "classical"))
def test_the_parameters_read_from_the_source_are_the_functions(model):
    """published_parameters reads the source, so that the DAG build does not import PyTorch; it must agree with the
    function as Python sees it."""
    signature = inspect.signature(FUSION[model].load())
    keywords = [name for name, p in signature.parameters.items() if p.kind == p.KEYWORD_ONLY]
    assert published_parameters(model) == [name for name in keywords if name not in ("block", "device")]
