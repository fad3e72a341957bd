"""The no-skill warning (issue 16): the training groups each deep model needs from random weights, the count a
scene table allows, and one warning per method at DAG build (a dry run of the lgc_crop example)."""
import inspect

import yaml

from conftest import REPO, make_workdir, snakemake
from stfusion.methods import FUSION, of_family
from stfusion.pairing import split_groups, training_groups
from stfusion.skill import estimated_training_groups, few_groups_warning, starts_with_skill


def test_every_deep_model_has_a_need_and_its_default_start():
    for name in of_family(FUSION, "deep"):  # default_init mirrors the constructor (the DAG build imports no torch)
        method = FUSION[name]
        init = inspect.signature(method.load().__init__).parameters.get("init")
        assert method.groups_for_skill > 0, name
        assert method.default_init == (init.default if init else "default"), name


def test_starts_with_skill_follow_the_init_option():
    assert starts_with_skill({"model": "edcstfn"})  # change transfer by default
    assert not starts_with_skill({"model": "edcstfn", "options": {"init": "default"}})
    assert not starts_with_skill({"model": "dcstfn", "options": {"init": "default"}})
    assert starts_with_skill({"model": "stfnet", "options": {"init": "change"}})


def test_the_scene_tables_training_groups_are_the_pairings():
    pairing = {"window_days": 90, "validation_fraction": 0.25}
    pairs = ["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01"]
    # One reference: each pair date with its neighbour on either side, 6 groups (1, 2, 2, 1 per target), and one
    # of the 4 targets for validation: at most 5 (4 when the inner target is drawn), whatever the quality filter.
    assert estimated_training_groups(pairs, pairing, 1, seed=0) == 5
    assert estimated_training_groups(pairs, pairing, 2, seed=0) == 1  # the two inner dates, one for validation
    assert estimated_training_groups(pairs[:1], pairing, 1, seed=0) == 0
    for seed in range(20):  # a bound of the exact count for every subset the quality filter could leave
        for kept in (pairs, pairs[1:], pairs[:2] + pairs[3:], pairs[:3]):
            train, _ = split_groups(training_groups(kept, 90, 1), 0.25, seed)
            assert len(train) <= estimated_training_groups(pairs, pairing, 1, seed)


def test_the_warning_names_method_site_count_need_and_fix():
    method = {"model": "dcstfn", "references": 1, "options": {"init": "default"}}
    text = few_groups_warning("dcstfn_1ref", method, "lgc", 3, exact=False)
    assert "dcstfn_1ref (dcstfn) at site lgc: at most 3 training group(s) of 1 reference(s)" in text
    assert "fewer than the 9" in text and "methods.dcstfn_1ref.options.init: change" in text
    assert "at most" not in few_groups_warning("dcstfn_1ref", method, "lgc", 3, exact=True)
    assert few_groups_warning("dcstfn_1ref", method, "lgc", 9, exact=True) is None  # enough groups
    assert few_groups_warning("d", {"model": "dcstfn", "references": 1}, "lgc", 1, exact=True) is None  # a skilled start


def test_the_dag_build_warns_once_per_deep_method_without_skill(tmp_path):
    """lgc_crop has two pairs: at most one training group of one reference, far fewer than any model needs."""
    workdir = make_workdir(tmp_path / "run")
    config = yaml.safe_load((REPO / "config/examples/lgc_crop.yaml").read_text())
    random = {"references": 1, "epochs": 1, "options": {"init": "default"}}
    config["methods"] |= {"dcstfn_random": {"model": "dcstfn", **random}, "edcstfn_random": {"model": "edcstfn", **random},
                          "stfnet_1ref": {"model": "stfnet", "references": 1, "epochs": 1}}  # init: change by default
    config["sites"]["lgc_crop"]["methods"] += ["dcstfn_random", "edcstfn_random", "stfnet_1ref"]
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--configfile", str(workdir / "config.yaml"), "-n")
    output = result.stdout + result.stderr
    for name, model in (("dcstfn_random", "dcstfn"), ("edcstfn_random", "edcstfn")):
        assert output.count(f"method {name} ({model}) at site lgc_crop: at most 1 training group(s)") == 1, output[-3000:]
    assert "method edcstfn_1ref" not in output and "method stfnet_1ref" not in output  # change-transfer starts
