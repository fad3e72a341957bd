"""Shared fixtures: snakemake runs in a scratch working directory; the check that the suite tests this checkout's
package."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# The suite's two workers each run Snakemake with --cores 2 on the same 2 cores. OpenMP threads that spin
# while they wait then starve the other worker's threads: a small training step ran 30 times slower side by
# side than alone (0.2 s against 0.006 s). Threads that sleep while they wait lose under 2x alone and keep
# two runs side by side near their own speed. Every job and test process inherits this.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_configure(config):
    """Refuse to run against another copy of the package: the suite and its Snakemake runs import stfusion as
    installed (no path is inserted), so that copy must be this checkout's."""
    import stfusion

    found = Path(stfusion.__file__).resolve().parent
    if found != REPO / "workflow" / "stfusion":
        raise pytest.UsageError(f"the tests are this checkout's ({REPO}), but Python imports stfusion from {found}: "
                                f"run `pip install -e {REPO}` in this environment")


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


def job_env() -> dict[str, str]:
    """The environment of a test's Snakemake run: the suite's own, warnings off."""
    return {**os.environ, "PYTHONWARNINGS": "ignore"}


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake on the repository's Snakefile in ``workdir``; output is captured as text."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--cores", "2", *args]
    result = subprocess.run(command, capture_output=True, text=True, env=job_env())
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


# The suite runs on 2 xdist workers, one file at a time each (--dist loadfile), in this order (with
# --no-loadscope-reorder; xdist would otherwise order files by their number of tests): the longest files first, so
# that neither worker is left with one at the end. The default run is made in two parts (``demo_preprocessed``,
# then ``demo_run``) by the worker that takes test_pipeline_demo.py; the files that start from its first part
# (test_demo_sts.py, test_products_demo_layout.py) come after the NDVI year, by when that part is done, and run
# beside its second part; those that copy the whole run come last.
LONG_FILES = ["test_pipeline_demo.py", "test_samples_ifsdaf_ndvi.py", "test_demo_sts.py", "test_lgc_crop.py",
              "test_products_demo_layout.py", "test_samples.py", "test_demo_resume.py", "test_demo_starts.py",
              "test_shared_models.py", "test_uncertainty_dag.py"]


def pytest_collection_modifyitems(items):
    """Each of LONG_FILES first, in its order; then the other files as collected."""
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def shared_run(tmp_path_factory, name: str, make: Callable[[Path], object]) -> Path:
    """The folder ``name`` made once per test session by ``make(folder)`` and shared by the xdist workers: the first
    to need it makes it, another waits for it (a lock file)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # the workers' base folders share a parent
    shared = tmp_path_factory.getbasetemp().parent if worker else tmp_path_factory.getbasetemp()
    workdir, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(workdir, ignore_errors=True)  # a run that failed in the other worker
            make(workdir)
            done.touch()
    return workdir


# The files whose jobs, with all they depend on, are the default run's first part: the demo site's grids and
# inventory, and demo_sts through its spatio-temporal-spectral fusion (STS-MTL and hs_nearest, scored); the demo
# site's band matching, pairing, training, prediction, scoring and the report are the second. (Files, not
# `--until` rules: with --until, Snakemake 9 stops at the sts_series checkpoint, "Out of jobs ready to be started".)
FIRST_PART = ("results/demo/qa/inventory.tsv", "results/demo_sts/sts/summary.tsv")


@pytest.fixture(scope="session")
def demo_preprocessed(tmp_path_factory) -> Path:
    """The first part of the default run (``FIRST_PART``, about two fifths of its time). What it buys: the files that read
    only the grids or the STS results, or add STS methods (test_demo_sts.py, test_products_demo_layout.py), start
    from it while the other worker makes the rest of the run, instead of waiting for the whole run."""
    return shared_run(tmp_path_factory, "demo_preprocessed",
                      lambda folder: snakemake(make_workdir(folder), *FIRST_PART))


@pytest.fixture(scope="session")
def demo_run(demo_preprocessed, tmp_path_factory) -> Path:
    """The default config run end to end (the README's first command), continued from a copy of its first part
    (``demo_preprocessed``). What it buys: every test of the default run reads its results, dry-runs it with
    --nolock, or copies it (``copy_run``) to change it, so the run is made once per session."""
    return shared_run(tmp_path_factory, "demo_run", lambda folder: snakemake(copy_run(demo_preprocessed, folder)))


def copy_run(run: Path, to: Path) -> Path:
    """A copy of a finished run (symlinks as links) to run Snakemake on, without another process's locks."""
    shutil.copytree(run, to, symlinks=True, ignore=shutil.ignore_patterns("locks"))
    return to


def dry_run_jobs(dry_run: str) -> list[tuple[str, str]]:
    """(rule, its indented fields) of each job of a dry run (Snakemake 9: a date line, then "rule NAME:")."""
    return re.findall(r"^(?:local)?rule (\w+):\n((?:[ \t]+.*\n?)*)", dry_run, flags=re.M)


def field(block: str, name: str) -> list[str]:
    """The values of one field (input, output, ...) of a dry run's job block."""
    found = re.search(rf"^\s+{name}: (.*)$", block, flags=re.M)
    return found.group(1).split(", ") if found else []


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


def training_losses(model, fine_refs, coarse_refs, coarse_t1, target, steps: int, lr: float) -> list[float]:
    """The model's training loss at each of ``steps`` Adam steps on one batch (a model that learns: they fall)."""
    import torch

    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimiser.zero_grad()
        loss = model.training_loss(fine_refs, coarse_refs, coarse_t1, target)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return losses


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
