"""One source of every default: the config schema's (Snakemake's validate fills them in). The settings objects
built from the validated config (``STSSettings.from_config``, ``train.settings_from_config``) have no defaults of
their own for keys of the config, and the few defaults kept for callers outside the pipeline (tests, benches) are
read from the schema (``packaged.schema_defaults``): exactly its keys, none missing, none of their own."""
import dataclasses
import inspect

import yaml

from stfusion import tiling
from stfusion.packaged import schema_path
from stfusion.sts import STSSettings
from stfusion.train import TrainingSettings

PROPERTIES = yaml.safe_load(schema_path("config").read_text())["properties"]


def schema_defaults(node: dict) -> dict:
    return {name: spec["default"] for name, spec in node["properties"].items() if "default" in spec}


def test_training_settings_defaults_are_the_schemas():
    sts_method = PROPERTIES["sts_methods"]["additionalProperties"]
    training = {key: value for key, value in schema_defaults(PROPERTIES["training"]).items() if key != "autoencoder"}
    expected = {**training, "schedule": schema_defaults(sts_method)["schedule"]}
    defaults = {f.name: f.default for f in dataclasses.fields(TrainingSettings) if f.default is not dataclasses.MISSING}
    assert defaults == expected


def test_sts_settings_have_no_defaults_for_config_keys():
    """Every key STSSettings.from_config reads comes from the validated config (the site's ``degradation`` and
    the ``sts_methods`` entry's keys); the fields with a default are the chain's fixed choices, not config keys."""
    sts_method = PROPERTIES["sts_methods"]["additionalProperties"]["properties"]
    defaulted = {f.name for f in dataclasses.fields(STSSettings) if f.default is not dataclasses.MISSING}
    assert defaulted and not defaulted & ({"degradation", "training"} | set(sts_method))


def test_tiling_defaults_are_the_schemas():
    prediction = schema_defaults(PROPERTIES["prediction"])
    overlap = inspect.signature(tiling.predict_scene).parameters["overlap"].default
    assert (tiling.TILE, overlap, tiling.BATCH_PIXELS) == (prediction["tile"], prediction["overlap"],
                                                           prediction["batch_pixels"])
