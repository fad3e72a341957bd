"""Shared fixtures: the package on sys.path, and snakemake runs in a scratch working directory."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "workflow"))
# The suite's two workers each run Snakemake with --cores 2 on the same 2 cores. OpenMP threads that spin
# while they wait then starve the other worker's threads: a small training step ran 30 times slower side by
# side than alone (0.2 s against 0.006 s). Threads that sleep while they wait lose under 2x alone and keep
# two runs side by side near their own speed. Every job and test process inherits this.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def make_workdir(path: Path) -> Path:
    """A working directory that sees the repository's config/ and resources/ (read-only use)."""
    path.mkdir(parents=True, exist_ok=True)
    for name in ("config", "resources"):
        link = path / name
        if not link.exists():
            link.symlink_to(REPO / name)
    return path


def read_nan(path: Path):
    """Every band of a raster as float64, NaN where it is nodata."""
    import numpy as np
    import rasterio

    with rasterio.open(path) as src:
        return src.read(masked=True).astype("float64").filled(np.nan)


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake on the repository's Snakefile in ``workdir``; output is captured as text."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--cores", "2", *args]
    # the jobs import this checkout's package (Snakemake appends a script's folder to sys.path, after an
    # editable install of another checkout)
    path = os.pathsep.join([str(REPO / "workflow"), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": path}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The default config run end to end once; tests read its results."""
    workdir = make_workdir(tmp_path_factory.mktemp("demo"))
    snakemake(workdir)
    return workdir


@pytest.fixture
def one_thread():
    """One torch and one BLAS thread for small arrays (the 2 cores are shared by 2 test workers), restored after."""
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


def add_start_twins(config: dict, site: str) -> dict[str, str]:
    """Give every deep method of ``site`` a twin ``<method>_start`` with ``epochs: 0``, the start it is trained from
    (its ``init`` weights, e.g. change transfer), to compare a training with; returns {method: twin}."""
    from stfusion.methods import FUSION

    spec = config["sites"][site]
    methods = spec.get("methods", list(config["methods"]))  # a site without a list runs every method
    twins = {m: f"{m}_start" for m in methods if FUSION[config["methods"][m]["model"]].family == "deep"}
    for method, twin in twins.items():
        config["methods"][twin] = {**config["methods"][method], "epochs": 0}
    spec["methods"] = [*methods, *twins.values()]
    return twins
