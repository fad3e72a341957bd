"""The conda environments (envs/*.yaml) agree with pyproject.toml, and every rule names the one it needs.

So that ``--software-deployment-method conda`` gives the software that ``pip install .`` gives:

- every package of an environment (conda names mapped to PyPI names, ``pip:`` entries as they are) is a
  dependency of pyproject.toml with the *same* version range. Equality of the two ``SpecifierSet``s, not
  mere compatibility (overlapping ranges): with overlapping ranges conda may resolve a version that pip
  never would, and the point of the environments is the same software. A conda ``=X.Y`` means ``==X.Y.*``;
  ``python`` is checked against ``requires-python`` instead (its range must lie inside it);
- every rule that runs code names an existing environment file with ``conda:``. Rules that run nothing
  (``all``: inputs only) are exempt, as no environment is ever made for them;
- every third-party module a rule's script imports at module level, directly or through the ``stfusion``
  modules it imports, comes from its environment: a dependency of pyproject.toml must be listed there; a
  module pyproject does not declare (``affine``, ``threadpoolctl``) must be required by a listed package
  (installed metadata). Imports inside functions are lazy by design and belong to the rules that call
  them (``patches.load_patches`` imports torch for training). The check matters because Snakemake's
  script preamble appends the driver's own site-packages to the script's ``sys.path``: a package missing
  from an environment is found there on a machine with a matching Python and fails only elsewhere;
- no environment holds a package none of its rules imports, and every dependency of pyproject is in some
  environment, except ``snakemake`` itself (the driver; scripts get it through the preamble above). A package
  that an imported library loads by name when called (``LOADED_BY``: zarr, which xarray's ``to_zarr`` imports)
  counts as imported with that library, and an environment with the library must hold it.
  A script that loads fusion methods by name (``FUSION[...].load()``, predict.py through stfusion.predict_group)
  imports their modules.

The rules are those of the workflow loaded with the default config (Snakemake's API), so a rule behind a
config condition (``demo``) is checked when the default config enables it.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from stfusion.methods import FUSION
from conftest import REPO, make_workdir
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

CONDA_TO_PYPI = {"pytorch": "torch", "matplotlib-base": "matplotlib"}
DRIVER_ONLY = {"snakemake"}
# dependencies of library code that no rule runs yet: they join a rule's environment with the rule (then leave here)
NOT_YET_IN_A_RULE: dict[str, str] = {}
LOADED_BY = {"zarr": "xarray"}  # package -> the library that imports it when called (stfusion.series.cube)
PACKAGE = REPO / "workflow"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
DEPENDENCIES = {canonicalize_name(r.name): r.specifier for r in map(Requirement, PYPROJECT["dependencies"])}
ENVS = sorted((REPO / "envs").glob("*.yaml"))


def conda_entry(entry: str) -> tuple[str, SpecifierSet]:
    """(PyPI name, PEP 440 range) of a conda match spec such as ``rasterio>=1.3.10,<2`` or ``python=3.11``."""
    name, spec = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry).groups()
    if spec.startswith("=") and not spec.startswith("=="):
        spec = f"=={spec[1:]}.*"
    return canonicalize_name(CONDA_TO_PYPI.get(name, name)), SpecifierSet(spec)


@cache
def env_packages(path: Path) -> dict[str, SpecifierSet]:
    """PyPI name -> range of every package of an environment file (``pip`` itself, the installer, left out)."""
    packages = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(entry, dict):
            packages.update({canonicalize_name(r.name): r.specifier for r in map(Requirement, entry["pip"])})
        elif entry != "pip":
            name, spec = conda_entry(entry)
            packages[name] = spec
    return packages


@cache
def requirements(name: str) -> frozenset[str]:
    """The distribution and everything it requires, recursively (installed metadata, no extras)."""
    found = {name}
    for requirement in map(Requirement, metadata.requires(name) or []):
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            try:
                found |= requirements(canonicalize_name(requirement.name))
            except metadata.PackageNotFoundError:  # an optional platform dependency not installed here
                pass
    return frozenset(found)


def module_imports(path: Path, package: str) -> list[str]:
    """Absolute names of the modules a file imports at module level (also under if/try/with, not in functions)."""
    names: list[str] = []

    def visit(statements) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                parts = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(parts + ([node.module] if node.module else []))
                names.extend([module, *(f"{module}.{alias.name}" for alias in node.names)])
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for block in (node.body, getattr(node, "orelse", []), getattr(node, "finalbody", []),
                              *(handler.body for handler in getattr(node, "handlers", []))):
                    visit(block)

    visit(ast.parse(path.read_text()).body)
    return names


def third_party_imports(script: Path) -> set[str]:
    """Top-level names of the third-party modules a script needs, through every stfusion module it imports."""
    found, seen, todo = set(), set(), [(script, "")]
    while todo:
        path, package = todo.pop()
        names = module_imports(path, package)
        if "stfusion.methods" in names and ".load()" in path.read_text():  # predict.py through stfusion.predict_group
            names += [entry.implementation.split(":")[0] for entry in FUSION.values()]  # imported when loaded
        for name in names:
            parts = name.split(".")
            if parts[0] != "stfusion":
                if parts[0] not in sys.stdlib_module_names:
                    found.add(parts[0])
                continue
            for i in range(1, len(parts) + 1):  # the package __init__s run too; a name that is no module is skipped
                module, base = ".".join(parts[:i]), PACKAGE.joinpath(*parts[:i])
                file = base / "__init__.py" if (base / "__init__.py").exists() else base.with_suffix(".py")
                if module not in seen and file.exists():
                    seen.add(module)
                    todo.append((file, module if file.name == "__init__.py" else module.rpartition(".")[0]))
    return found


@cache
def distribution(module: str) -> str:
    """The installed distribution that provides a top-level module."""
    providers = [canonicalize_name(p) for p in metadata.packages_distributions().get(module, [])]
    assert providers, f"module {module!r} is imported by a rule but no installed distribution provides it"
    declared = [p for p in providers if p in DEPENDENCIES]  # pystac's extensions also install modules under pystac/
    return (declared or providers)[0]


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> dict:
    """name -> (environment file or None, script or None, runs nothing) of every rule of the default workflow."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import OutputSettings, ResourceSettings

    workdir = make_workdir(tmp_path_factory.mktemp("envs"))
    with SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(ResourceSettings(cores=1), snakefile=REPO / "Snakefile", workdir=workdir)
        return {  # _workflow: the loaded rules (the API has no public accessor); paths relative to the rule's file
            rule.name: (Path(rule.basedir, str(rule.conda_env)).resolve() if rule.conda_env else None,
                        Path(rule.basedir, str(rule.script)).resolve() if rule.script else None, rule.norun)
            for rule in workflow._workflow.rules
        }


@pytest.mark.parametrize("env", ENVS, ids=lambda path: path.name)
def test_environment_ranges_equal_pyproject(env):
    packages = env_packages(env)
    python = packages.pop("python", None)
    assert python is not None, f"{env.name}: pin `python` (the scripts run on the environment's interpreter)"
    versions = [f"3.{minor}.{patch}" for minor in range(8, 20) for patch in (0, 99)]
    allowed = [v for v in versions if python.contains(v)]
    requires = SpecifierSet(PYPROJECT["requires-python"])
    assert allowed and all(requires.contains(v) for v in allowed), (
        f"{env.name}: python {python} is not inside pyproject's requires-python {requires}")
    for name, spec in packages.items():
        assert name in DEPENDENCIES, f"{env.name}: {name} is not a dependency in pyproject.toml: add it there or drop it"
        assert spec == DEPENDENCIES[name], (
            f"{env.name}: {name} {spec or '(any version)'} differs from pyproject.toml's {DEPENDENCIES[name]}: "
            "give both the same range")


def test_every_rule_names_an_existing_environment(rules):
    for name, (env, _, runs_nothing) in rules.items():
        if not runs_nothing:
            assert env is not None, f"rule {name} names no environment: add `conda: \"../../envs/<family>.yaml\"`"
            assert env.is_file() and env.parent == REPO / "envs", f"rule {name}: {env} is not a file in envs/"


def test_environments_provide_what_rules_import(rules):
    used: dict[Path, set[str]] = {env: set() for env in ENVS}
    for name, (env, script, _) in rules.items():
        if script is None:
            continue
        packages = set(env_packages(env))
        provided = set().union(*(requirements(p) for p in packages if p != "python"))
        for module in third_party_imports(script):
            dist = distribution(module)
            if dist in DEPENDENCIES:
                assert dist in packages, (f"rule {name} ({script.name}) imports {module}, but {env.name} lacks {dist}: "
                                          f"add it with pyproject's range {DEPENDENCIES[dist]}")
                used[env].add(dist)
            else:
                assert dist in provided, (f"rule {name} ({script.name}) imports {module} ({dist}), which pyproject.toml "
                                          f"does not declare and no package of {env.name} requires: declare it in both")
    for env, names in used.items():
        for package, library in LOADED_BY.items():
            if library in names:
                assert package in env_packages(env), (f"{env.name} has {library}, whose calls import {package}: add "
                                                      f"it with pyproject's range {DEPENDENCIES[package]}")
                names.add(package)
        unused = set(env_packages(env)) - names - {"python"}
        assert not unused, f"{env.name} holds {sorted(unused)}, which none of its rules imports: drop them"
    wired = set(NOT_YET_IN_A_RULE) & set().union(*used.values())
    assert not wired, f"a rule imports {sorted(wired)} now: take them out of NOT_YET_IN_A_RULE"
    missing = set(DEPENDENCIES) - set().union(*used.values()) - DRIVER_ONLY - set(NOT_YET_IN_A_RULE)
    assert not missing, f"pyproject dependencies {sorted(missing)} are in no rule's environment (nor driver-only)"
