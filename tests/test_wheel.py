"""The package as a user installs it: a wheel of the project (not an editable install of the checkout), installed
in a fresh virtual environment, plans the demo (``snakemake -n``) with its own sensor registry, SRF tables and
schemas (package data, stfusion.packaged).

Cheap on purpose: the fresh environment gets the suite's third-party packages through a ``.pth`` line naming the
suite's site-packages (a plain path line: the ``.pth`` files of that folder, among them the editable install of
the checkout, are not processed), and pip installs only the wheel (``--no-deps``, offline). The wheel is built
without build isolation (offline too) from a copy of what it is made of, so the checkout gets no build folder.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import REPO, make_workdir


def run(*command: str | Path, env: dict[str, str]) -> str:
    """Run a command; its stdout, or an AssertionError with its output."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_built_wheel_installed_in_a_fresh_venv_plans_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PIP_NO_INDEX": "1"}
    source = tmp_path / "source"
    shutil.copytree(REPO / "workflow" / "stfusion", source / "workflow" / "stfusion",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path / "dist",
        source, env=env)
    (wheel,) = (tmp_path / "dist").glob("stfusion-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, env=env)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", env=env).strip())
    suite = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "suite_packages.pth").write_text("\n".join(sorted(suite)) + "\n")
    run(python, "-m", "pip", "install", "--no-deps", "--ignore-installed", "--no-compile", "-q", wheel, env=env)

    installed = site / "stfusion"
    assert run(python, "-c", "import stfusion; print(stfusion.__file__)", env=env).strip() == str(installed / "__init__.py")
    workdir = make_workdir(tmp_path / "work")
    plan = run(python, "-m", "snakemake", "--snakefile", REPO / "Snakefile", "--directory", workdir, "-n",
               "--cores", "1", env=env)
    assert "report.html" in plan
    # the registry's SRF tables are rule inputs (rule sensor_definition): the installed package's, not the checkout's
    assert str(installed / "data" / "srf" / "landsat8_oli.csv") in plan
    assert str(REPO / "workflow" / "stfusion") not in plan
