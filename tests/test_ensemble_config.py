"""`model: ensemble` and `model: best` in a config (stfusion.ensemble.members, issue 26): valid with two or more
members of the site, by default every other method of the site; each bad setting fails at DAG build naming the key
and the fix, as does a site whose members hold out too few common dates to fit and score the weights honestly."""
import pytest
import yaml

from conftest import REPO
from stfusion.config import check_config, check_schema, site_methods
from stfusion.ensemble.members import check_fitting_dates, ensemble_members
from stfusion.errors import ConfigError
from stfusion.packaged import schema_path

SCHEMA = schema_path("config")
OTHERS = ["edcstfn_2ref", "edcstfn_1ref", "starfm", "estarfm", "fsdaf", "nearest_reference", "coarse_upsampled"]


def config_with(**methods) -> dict:
    """The demo config with the given methods added."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["methods"].update(methods)
    return config


def test_an_ensemble_and_a_best_of_the_sites_methods_are_valid():
    config = config_with(stack={"model": "ensemble"}, best_two={"model": "best", "members": ["fsdaf", "estarfm"]})
    check_schema(config, SCHEMA)
    check_config(config)
    assert ensemble_members(config["methods"], "stack", site_methods(config, "demo")) == OTHERS  # no ensemble
    assert ensemble_members(config["methods"], "best_two", site_methods(config, "demo")) == ["fsdaf", "estarfm"]


@pytest.mark.parametrize("methods, sites_methods, message", [
    ({"stack": {"model": "ensemble", "members": ["fsdaf"]}}, None,
     r"methods.stack.members lists 1 method\(s\) \(fsdaf\): an ensemble combines or chooses among two or more: list "
     r"two or more of the site's fusion methods in methods.stack.members, or use the one method itself"),
    ({"stack": {"model": "ensemble"}}, ["fsdaf", "stack"],
     r"site demo has, as methods.stack.members by default, 1 method\(s\) \(fsdaf\)"),
    ({"stack": {"model": "ensemble", "members": ["fsdaf", "unet"]}}, None,
     r"methods.stack.members names 'unet', which is not a method of site demo \(not in `methods` \(edcstfn_2ref, .*"
     r"\)\): add it there, or remove it from methods.stack.members"),
    ({"stack": {"model": "ensemble", "members": ["fsdaf", "starfm"]}}, ["fsdaf", "estarfm", "stack"],
     r"methods.stack.members names 'starfm', which is not a method of site demo \(not in `sites.demo.methods` "
     r"\(fsdaf, estarfm, stack\)\): add it there"),
    ({"stack": {"model": "ensemble", "members": ["fsdaf", "pick"]}, "pick": {"model": "best"}}, None,
     r"methods.stack.members names 'pick', which is itself an ensemble \(model best\) .* list the fusion methods "
     r"themselves in methods.stack.members"),
    ({"fsdaf": {"model": "fsdaf", "references": 1, "members": ["starfm", "estarfm"]}}, None,
     r"methods.fsdaf.members: fsdaf is not an ensemble \(models ensemble, best\) and would ignore them: remove them, "
     r"or set methods.fsdaf.model to one of those"),
    ({"stack": {"model": "ensemble", "options": {"init": "change"}}}, None,
     r"methods.stack.options: ensemble is an ensemble of other methods and takes no options \(it would ignore "
     r"\['init'\]\): remove them"),
])
def test_a_bad_ensemble_names_the_key_and_the_fix(methods, sites_methods, message):
    config = config_with(**methods)
    if sites_methods:
        config["sites"]["demo"]["methods"] = sites_methods
    check_schema(config, SCHEMA)
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_repeated_members_are_a_schema_error():
    config = config_with(stack={"model": "ensemble", "members": ["fsdaf", "fsdaf"]})
    with pytest.raises(ConfigError, match=r"config key `methods.stack.members`: \['fsdaf', 'fsdaf'\] has non-unique "
                                          r"elements \(`ensemble` and `best` only"):
        check_schema(config, SCHEMA)


def test_too_few_common_held_out_dates_name_the_ensemble_and_the_fix():
    held_out = {"fsdaf": ["2021-04-03", "2021-05-01", "2021-06-26"], "edcstfn_2ref": ["2021-05-01", "2021-06-26"]}
    assert check_fitting_dates("stack", "demo", held_out) == ["2021-05-01", "2021-06-26"]
    held_out["edcstfn_2ref"] = ["2021-06-26", "2021-08-07"]
    message = (r"methods.stack: at site demo its members \(fsdaf, edcstfn_2ref\) hold out 1 common date\(s\) "
               r"\(2021-06-26\), .* needs 2 or more: add fine\+coarse pairs to the scene table, leave out of "
               r"methods.stack.members the deep methods .* or remove stack from sites.demo.methods")
    with pytest.raises(ConfigError, match=message):
        check_fitting_dates("stack", "demo", held_out)
