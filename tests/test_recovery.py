"""Recovery after a kill (issue 27, item 6): `snakemake --unlock` works as Snakemake's lock message prints it (no
--cores), and the hidden ``.part`` file a job killed inside ``io.atomic_path`` leaves is removed by the job's next
run, while the temporary files of other outputs stay."""
from __future__ import annotations

import signal
import subprocess
import sys

from conftest import REPO, job_env, make_workdir

from stfusion.io import write_text

KILLED_WRITER = """
import os, signal, sys
from stfusion.io import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_next_run_of_a_job_killed_while_writing_removes_its_part_file(tmp_path):
    target = tmp_path / "summary.tsv"
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], env=job_env())
    assert killed.returncode == -signal.SIGKILL
    [left] = tmp_path.glob(".summary.tsv.*.part")
    others = [tmp_path / ".summary.tsv.x.abcdefgh.part", tmp_path / ".other.tsv.abcdefgh.part"]
    for path in others:  # temporary files of summary.tsv.x and other.tsv: not this job's
        path.write_text("another output's")
    write_text(target, "done")
    assert target.read_text() == "done" and not left.exists() and all(path.exists() for path in others)


def test_unlock_needs_no_cores(tmp_path):
    """The rules whose threads are the run's cores read ``workflow.cores`` when a job is made, not when the
    workflow is parsed: before, `snakemake --unlock` failed with "Workflow requires a total number of cores"."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(make_workdir(tmp_path)), "--unlock"]
    result = subprocess.run(command, capture_output=True, text=True, env=job_env())
    assert result.returncode == 0 and "Unlocked working directory" in result.stdout + result.stderr, result.stderr
