"""The SLURM profile on a real one-node SLURM cluster (issue 7): Debian's slurmctld, slurmd, slurmdbd and munge,
with MariaDB behind slurmdbd so that `sacct` works as on a production cluster.

Run by `.ci/run` only, which installs the packages and the plugin first:

    STFUSION_SLURM_TEST=1 .venv/bin/python -m pytest -m slurm tests/test_slurm.py -p no:xdist

Without STFUSION_SLURM_TEST=1 every test here is skipped. With it, a missing package or a machine that
already has a SLURM configuration is an error, not a skip: CI must not pass without the cluster.

What it does: writes a slurm.conf for this machine (one node, its CPUs and memory from `slurmd -C`, two
partitions `cpu` and `gpu` on that node, and one GPU declared as a GRES on /dev/null: SLURM schedules
and accounts it, PyTorch finds no CUDA and runs on the CPU), starts munged, MariaDB, slurmdbd, slurmctld and
slurmd as root with their state in a temporary folder, and stops them when the module ends, failed or not.
slurm.conf, slurmdbd.conf and gres.conf go to /etc/slurm, the place SLURM's commands look by default: the
jobstep plugin 0.6.1 removes SLURM_CONF (like every SLURM_* variable) from the environment of the `srun` it
starts inside each job, so a slurm.conf found only through SLURM_CONF is not found there (srun: "Could not
establish a configuration source"); jobstep 0.6.0 keeps the environment and works there (tried by hand).
The test refuses to run if any of the three files already exists.

Versions that work together (this test, on Debian 12): SLURM 22.05.8 (Debian's slurm-wlm 22.05.8-4+deb12u3),
MariaDB 10.11, snakemake 9.27.1, snakemake-executor-plugin-slurm 2.8.0 and -slurm-jobstep 0.6.1.
Accounting: the plugin asks `sacct` for job states (and checks the account with `sacctmgr`); without
slurmdbd, SLURM 22.05's sacct answers only "Slurm accounting storage is disabled" (AccountingStorageType=
accounting_storage/none; `sacct -c` reads a jobcomp/filetxt log, but the plugin does not use it), hence
slurmdbd with MariaDB (grant tables off, 127.0.0.1 only, data in the temporary folder).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import rasterio

from conftest import REPO, make_workdir, snakemake

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(os.environ.get("STFUSION_SLURM_TEST") != "1",
                       reason="needs a one-node SLURM cluster: set STFUSION_SLURM_TEST=1 (.ci/run does)"),
]

PROFILE = REPO / "workflow/profiles/slurm"
ETC = Path("/etc/slurm")
ACCOUNT = "stfusion"
COMMANDS = ("munged", "mariadb-install-db", "mariadbd", "mariadb", "slurmdbd", "slurmctld", "slurmd",
            "sinfo", "sbatch", "srun", "sacct", "sacctmgr", "scontrol")
# The part of the demo DAG submitted to the cluster: every preprocessing rule, on two scenes of `demo_sts`
# (reproject -> quality -> match_bands for VNIC, reproject -> quality -> simulate for AHSI). Small on purpose:
# the jobs of a group job run one after another, and the plugin checks job states ever less often while
# none finishes (2 s, then 10 s more each time), so each stage of the DAG costs up to twice its run time.
DEMO_TARGETS = (
    "results/demo_sts/matched/zy1_02d_vnic/2021-04-15.tif",
    "results/demo_sts/simulated/gf6_wfv/from_zy1_02d_ahsi/2021-04-15.tif",
)
GROUPED = {"reproject", "quality", "match_bands", "simulate"}  # the profile's `preprocess` group
# A GPU rule next to a CPU-only one: SRECNN (gpu=1) and CNMF (gpu=0) on the paris_hyperion sample.
SPECTRAL_CONFIG = "config/examples/paris_hyperion.yaml"
SPECTRAL_TARGETS = ("results/paris_hyperion/spectral/srecnn.tif", "results/paris_hyperion/spectral/cnmf.tif")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float = 60.0, logs: tuple[Path, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tails = "\n".join(f"--- {log}:\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"{what} did not come up within {timeout:.0f} s\n{tails}")


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)


def succeeds(*command: str) -> bool:
    return run(*command, check=False).returncode == 0


class Cluster:
    """The daemons of a one-node cluster, started in the foreground so that they are stopped by their pid."""

    def __init__(self, root: Path):
        self.root, self.logs = root, root / "log"
        self.processes: list[subprocess.Popen] = []
        self.written: list[Path] = []
        self.node = socket.gethostname().split(".")[0]
        self.ports = {name: free_port() for name in ("slurmctld", "slurmd", "slurmdbd", "mariadb")}

    def start(self, name: str, *command: str) -> None:
        with open(self.logs / f"{name}.out", "w") as out:
            self.processes.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=self.root))

    def write_etc(self, name: str, text: str, mode: int = 0o644) -> None:
        path = ETC / name
        path.write_text(text)
        path.chmod(mode)
        self.written.append(path)

    def up(self) -> None:
        root, logs, ports = self.root, self.logs, self.ports
        for sub in ("log", "munge", "db", "state", "spool"):
            (root / sub).mkdir(mode=0o755)
        # munge: a fresh key and socket of our own
        key = root / "munge/munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        socket_path = root / "munge/munge.socket"
        self.start("munged", "munged", "--foreground", "--force", "--num-threads=10", f"--socket={socket_path}",
                   f"--key-file={key}", f"--pid-file={root / 'munge/munged.pid'}", f"--log-file={logs / 'munged.log'}",
                   f"--seed-file={root / 'munge/munged.seed'}")
        wait_for("munged", socket_path.exists, 20, (logs / "munged.log",))
        # MariaDB for slurmdbd: no grant tables, listening on 127.0.0.1 only
        run("mariadb-install-db", "--no-defaults", f"--datadir={root / 'db'}", "--user=root",
            "--auth-root-authentication-method=normal", "--skip-test-db")
        self.start("mariadbd", "mariadbd", "--no-defaults", f"--datadir={root / 'db'}", f"--socket={root / 'db.sock'}",
                   f"--port={ports['mariadb']}", "--bind-address=127.0.0.1", "--user=root", "--skip-grant-tables",
                   "--innodb-buffer-pool-size=64M", f"--log-error={logs / 'mariadb.log'}")
        wait_for("mariadbd", lambda: succeeds("mariadb", "--no-defaults", "-h", "127.0.0.1", f"-P{ports['mariadb']}",
                                              "-u", "root", "-e", "select 1"), 60, (logs / "mariadb.log",))
        # slurm.conf: the node as `slurmd -C` sees this machine, plus one GPU (a GRES on /dev/null)
        hardware = run("slurmd", "-C").stdout.splitlines()[0]
        fields = dict(item.split("=", 1) for item in hardware.split())
        self.memory = int(fields["RealMemory"])
        node = " ".join(f"{k}={v}" for k, v in fields.items() if k != "NodeName")
        auth = f"socket={socket_path}"
        self.write_etc("slurm.conf", f"""\
ClusterName=stfusionci
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={ports['slurmctld']}
SlurmdPort={ports['slurmd']}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo={auth}
StateSaveLocation={root / 'state'}
SlurmdSpoolDir={root / 'spool'}
SlurmctldPidFile={root / 'slurmctld.pid'}
SlurmdPidFile={root / 'slurmd.pid'}
SlurmctldLogFile={logs / 'slurmctld.log'}
SlurmdLogFile={logs / 'slurmd.log'}
# no cgroups: processes tracked through /proc, no task containment (fine in containers and VMs)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={ports['slurmdbd']}
AccountingStoragePass={socket_path}
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
MpiDefault=none
ReturnToService=2
MinJobAge=300
NodeName={self.node} NodeAddr=127.0.0.1 {node} Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={self.node} MaxTime=INFINITE State=UP
""")
        self.write_etc("gres.conf", f"NodeName={self.node} Name=gpu File=/dev/null\n")
        self.write_etc("slurmdbd.conf", f"""\
AuthType=auth/munge
AuthInfo={auth}
DbdHost={self.node}
DbdAddr=127.0.0.1
DbdPort={ports['slurmdbd']}
SlurmUser=root
PidFile={root / 'slurmdbd.pid'}
LogFile={logs / 'slurmdbd.log'}
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={ports['mariadb']}
StorageUser=root
StorageLoc=slurm_acct_db
""", mode=0o600)
        self.start("slurmdbd", "slurmdbd", "-D")
        wait_for("slurmdbd", lambda: succeeds("sacctmgr", "-n", "list", "cluster"), 60, (logs / "slurmdbd.log",))
        for command in (("add", "cluster", "stfusionci"),
                        ("add", "account", ACCOUNT, "Description=stfusion CI", "Organization=stfusion"),
                        ("add", "user", "root", f"Account={ACCOUNT}")):
            run("sacctmgr", "-i", *command)
        self.start("slurmctld", "slurmctld", "-D")
        wait_for("slurmctld", lambda: succeeds("scontrol", "ping"), 60, (logs / "slurmctld.log",))
        self.start("slurmd", "slurmd", "-D", "-N", self.node)
        wait_for("the node to be idle", lambda: run("sinfo", "-h", "-N", "-o", "%t", check=False).stdout.split()[:1]
                 == ["idle"], 60, (logs / "slurmctld.log", logs / "slurmd.log"))

    def down(self) -> None:
        for process in reversed(self.processes):  # slurmd, slurmctld, slurmdbd, mariadbd, munged
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for path in self.written:
            path.unlink(missing_ok=True)

    def jobs(self, workdir: Path) -> list[dict[str, str]]:
        """The cluster's accounting records (sacct) of the jobs that ran in ``workdir``."""
        fields = ("JobIDRaw", "JobName", "Comment", "State", "ExitCode", "Account", "Partition", "AllocTRES", "WorkDir")
        out = run("sacct", "-X", "-n", "-P", "-a", "--starttime", "now-1hours", "--format", ",".join(fields)).stdout
        rows = [dict(zip(fields, line.split("|"))) for line in out.splitlines()]
        return [row for row in rows if row["WorkDir"] == str(workdir)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = [command for command in COMMANDS if shutil.which(command) is None]
    if missing:
        pytest.fail(f"STFUSION_SLURM_TEST=1 but {', '.join(missing)} not found: install slurmctld slurmd slurmdbd "
                    "slurm-client munge mariadb-server (see .ci/run)")
    if os.geteuid() != 0:
        pytest.fail("STFUSION_SLURM_TEST=1 needs root: the test starts the SLURM daemons itself")
    existing = [str(ETC / name) for name in ("slurm.conf", "slurmdbd.conf", "gres.conf") if (ETC / name).exists()]
    if existing:
        pytest.fail(f"{', '.join(existing)} exists: this machine has a SLURM configuration of its own, which the "
                    "test would replace; run it on a machine without one (CI)")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.fail("STFUSION_SLURM_TEST=1 but the executor plugin is not installed: pip install -e '.[slurm]'")
    ETC.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(ETC / "slurm.conf")  # where SLURM's commands look anyway, whatever was set
    one = Cluster(tmp_path_factory.mktemp("slurm"))
    try:
        one.up()
        yield one
    finally:
        one.down()
        if before is None:
            os.environ.pop("SLURM_CONF")
        else:
            os.environ["SLURM_CONF"] = before


def on_cluster(monkeypatch, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """snakemake with the SLURM profile; 2 cores per job at most (the node has 2), status checks every few seconds."""
    monkeypatch.setenv("STFUSION_SLURM_PARTITION", "cpu")
    monkeypatch.setenv("STFUSION_SLURM_GPU_PARTITION", "gpu")
    monkeypatch.setenv("STFUSION_SLURM_ACCOUNT", ACCOUNT)
    return snakemake(workdir, "--profile", str(PROFILE), "--slurm-init-seconds-before-status-checks", "2", *args)


@contextmanager
def local_run(workdir: Path, *args: str):
    """The same snakemake run locally (no profile), side by side with the cluster run to save time; checked on exit."""
    log = workdir / "local_run.txt"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
                                    "--directory", str(workdir), "--cores", "2", *args],
                                   stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        yield
        assert process.wait(timeout=900) == 0, f"the local run failed:\n{log.read_text()[-6000:]}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def outputs(workdir: Path, *folders: str) -> dict[str, Path]:
    return {str(p.relative_to(workdir)): p for folder in folders for p in sorted((workdir / folder).rglob("*"))
            if p.is_file() and "logs" not in p.parts and "benchmarks" not in p.parts}


def assert_same_outputs(local: Path, remote: Path, folders: tuple[str, ...], compare: tuple[str, ...] = ()) -> None:
    """The cluster run made the files the local run made, equal byte for byte (rasters: else pixel for pixel);
    with ``compare``, only files of those suffixes are compared (the others hold run times)."""
    mine, theirs = outputs(local, *folders), outputs(remote, *folders)
    assert mine and sorted(mine) == sorted(theirs)
    for name, path in mine.items():
        if compare and path.suffix not in compare:
            continue
        if hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(theirs[name].read_bytes()).digest():
            continue
        assert path.suffix == ".tif", f"{name} differs between the local and the SLURM run"
        with rasterio.open(path) as a, rasterio.open(theirs[name]) as b:
            assert a.profile == b.profile and a.tags() == b.tags(), name
            np.testing.assert_array_equal(a.read(), b.read(), err_msg=name)


def test_demo_preprocessing_runs_as_slurm_jobs_and_matches_a_local_run(cluster, monkeypatch, tmp_path):
    # The group job asks for 2 CPUs and twice the largest memory of its rules in the profile.
    assert cluster.memory >= 8000, f"the node has {cluster.memory} MB; the profile's preprocess group job needs 8000"
    local, remote = make_workdir(tmp_path / "local"), make_workdir(tmp_path / "slurm")
    with local_run(local, *DEMO_TARGETS):
        on_cluster(monkeypatch, remote, *DEMO_TARGETS)

    jobs = cluster.jobs(remote)
    summary = "\n".join(" ".join(job.values()) for job in jobs)
    assert jobs and all(job["State"] == "COMPLETED" and job["ExitCode"] == "0:0" for job in jobs), summary
    assert all(job["Account"] == ACCOUNT and job["Partition"] == "cpu" for job in jobs), summary
    assert not any("gres/gpu" in job["AllocTRES"] for job in jobs), summary  # preprocessing is CPU-only
    assert len({job["JobName"] for job in jobs}) == 1  # one snakemake run: the plugin names jobs by its run id
    rules = sorted(job["Comment"] for job in jobs)
    # demo, catalogue, band_table each a job; the 6 reproject/quality/match_bands/simulate jobs in 1 group job
    assert rules == sorted(["rule_demo", "rule_catalogue_wildcards_demo_sts", "rule_band_table_wildcards_demo_sts",
                            "rule_preprocess_" + "_".join(sorted(GROUPED))]), summary

    assert_same_outputs(local, remote, ("data/demo", "results/demo_sts"))


def test_gpu_rules_get_a_gpu_on_the_gpu_partition(cluster, monkeypatch, tmp_path):
    local, remote = make_workdir(tmp_path / "local"), make_workdir(tmp_path / "slurm")
    args = (*SPECTRAL_TARGETS, "--configfile", SPECTRAL_CONFIG)  # targets first: --configfile takes a list
    with local_run(local, *args):
        on_cluster(monkeypatch, remote, *args)

    jobs = {job["Comment"]: job for job in cluster.jobs(remote)}
    summary = "\n".join(" ".join(job.values()) for job in jobs.values())
    srecnn, cnmf = (jobs.get(f"rule_spectral_fuse_wildcards_paris_hyperion_{m}") for m in ("srecnn", "cnmf"))
    assert srecnn and cnmf and len(jobs) == 2, summary
    assert all(job["State"] == "COMPLETED" and job["Account"] == ACCOUNT for job in jobs.values()), summary
    assert srecnn["Partition"] == "gpu" and "gres/gpu=1" in srecnn["AllocTRES"], summary
    assert cnmf["Partition"] == "cpu" and "gres/gpu" not in cnmf["AllocTRES"], summary

    assert_same_outputs(local, remote, ("results/paris_hyperion",), compare=(".tif",))  # {method}.json: seconds
