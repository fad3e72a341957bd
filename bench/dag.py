"""Snakemake's own cost: a dry run on a large scene table, and a whole run's wall time against its jobs.

- Dry run (the default): ``snakemake -n`` on a table of ``--scenes`` rows (500: one site, the demo's
  Landsat and MODIS raw files linked under new daily dates) against the same dry run on the demo site's
  rows of ``config/scenes.tsv``, in alternation in the same run, best of ``--repeat``. The config is the
  default one with the demo generator off and only the ``demo`` site. A dry run stops at the ``pairing``
  checkpoint, so it times the per-scene part of the DAG (catalogue, reproject, quality, match_bands per
  scene); the extra seconds per extra job are Snakemake's cost of a job in the DAG.
- ``--run DIR [--log NAME]``: a complete Snakemake log of DIR (``.snakemake/log``; the newest by default)
  against its jobs: each job's
  time is its benchmark file's ``s`` (rules with ``benchmark:``), else its start and finish stamps in the
  log (whole seconds). A log of a ``-q`` run has no job records: then only the benchmark files written
  during the run (by modification time) are counted.
- ``--fresh``: runs the default demo end to end in a temporary folder (7+ minutes on 2 cores), then as
  ``--run`` on it.

Run: ``python bench/dag.py [--scenes 500] [--repeat 3]``, ``python bench/dag.py --run .`` or
``python bench/dag.py --fresh``; it prints a Markdown table. The demo's raw files are taken from
``data/demo/raw`` after a demo run, else generated in the temporary folder (half a minute).
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from stfusion.demo.products import write_demo

ROOT = Path(__file__).resolve().parents[1]

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def workdir_at(path: Path) -> Path:
    """A working directory that sees the repository's config/ (a link), as a user's run does."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "config").symlink_to(ROOT / "config")
    return path


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake on the repository's Snakefile in ``workdir`` on 2 cores, its output captured."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--cores", "2", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True)


def demo_raw(tmp: Path) -> Path:
    """The demo's raw folder: the repository's after a demo run, else generated under ``tmp``."""
    raw = ROOT / "data/demo/raw"
    if not raw.is_dir():
        write_demo(tmp / "demo")
        raw = tmp / "demo/raw"
    return raw


def scene_tables(workdir: Path, raw: Path, rows: int) -> tuple[Path, Path]:
    """(the demo site's rows of config/scenes.tsv, a table of ``rows`` rows on daily dates), absolute paths."""
    demo = pd.read_csv(ROOT / "config/scenes.tsv", sep="\t", dtype=str)
    demo = demo[demo.site == "demo"].copy()
    for column in ("path", "qa"):
        demo[column] = [str(raw / Path(p).relative_to("data/demo/raw")) for p in demo[column]]
    large = []
    for i in range(rows):
        sensor = ("landsat8_oli", "modis")[i % 2]
        source = demo[demo.sensor == sensor].iloc[(i // 2) % (demo.sensor == sensor).sum()]
        date = (dt.date(2021, 1, 1) + dt.timedelta(days=i // 2)).isoformat()
        row = {"site": "demo", "sensor": sensor, "date": date}
        for column, suffix in (("path", ""), ("qa", "_qa")):
            link = workdir / "scenes" / sensor / f"{date}{suffix}.tif"
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source[column])
            row[column] = str(link)
        large.append(row)
    paths = workdir / "demo_scenes.tsv", workdir / f"scenes_{rows}.tsv"
    demo.to_csv(paths[0], sep="\t", index=False)
    pd.DataFrame(large).to_csv(paths[1], sep="\t", index=False)
    return paths


def dry_run(workdir: Path, table: Path) -> tuple[float, int]:
    """(seconds, jobs) of ``snakemake -n`` on the default config's demo site with this scene table."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config.update(scenes=str(table), demo={"enabled": False}, simulate=[], sites={"demo": config["sites"]["demo"]})
    path = workdir / f"{table.stem}.yaml"
    path.write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    result = snakemake(workdir, "-n", "--configfile", str(path))
    seconds = time.perf_counter() - start
    return seconds, int(re.search(r"^total\s+(\d+)", result.stdout, re.M).group(1))


def dry_run_table(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = workdir_at(Path(tmp) / "work")
        tables = scene_tables(workdir, demo_raw(Path(tmp)), rows)
        runs = [[dry_run(workdir, table) for table in tables] for _ in range(repeat)]  # alternated
    (base, base_jobs), (large, jobs) = (min(run[i] for run in runs) for i in (0, 1))
    base_rows = len(pd.read_csv(ROOT / "config/scenes.tsv", sep="\t").query("site == 'demo'"))
    print(f"snakemake -n, best of {repeat}, 2 cores")
    print("| scene table | rows | jobs | dry run s | s per job | ratio to the demo table |")
    print("|---|---|---|---|---|---|")
    print(f"| demo site (config/scenes.tsv) | {base_rows} | {base_jobs} | {base:.2f} | {base / base_jobs:.3f} | 1.00 |")
    print(f"| daily dates, demo files | {rows} | {jobs} | {large:.2f} | {large / jobs:.3f} | {large / base:.2f} |")
    print(f"extra seconds per extra job: {(large - base) / (jobs - base_jobs):.4f}")


def log_jobs(lines: list[str]) -> list[dict]:
    """Jobs of a Snakemake log: rule, benchmark file (or None), start and finish stamps."""
    jobs, stamp, current = {}, None, None
    for line in lines:
        if match := STAMP.match(line):
            stamp = dt.datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
        elif match := re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):$", line):
            current = {"rule": match.group(1), "start": stamp, "benchmark": None, "end": None}
        elif current and (match := re.match(r"^\s+jobid: (\d+)$", line)):
            jobs[match.group(1)] = current
        elif current and (match := re.match(r"^\s+benchmark: (.+)$", line)):
            current["benchmark"] = match.group(1)
        elif (match := re.match(r"^Finished jobid: (\d+)", line)) and match.group(1) in jobs:
            jobs[match.group(1)]["end"] = stamp
    return list(jobs.values())


def benchmark_seconds(path: Path) -> float:
    return float(pd.read_csv(path, sep="\t")["s"].iloc[0])


def run_table(folder: Path, log: str | None = None) -> None:
    """Wall time (the log's elapsed time) of a complete run in ``folder`` (``log``, default the newest)
    against the sum of its job times."""
    logs = [p for p in sorted((folder / ".snakemake/log").glob("*.snakemake.log"))
            if "Elapsed time:" in p.read_text() and (log is None or p.name == Path(log).name)]
    if not logs:
        sys.exit(f"no complete Snakemake log {log or ''} in {folder / '.snakemake/log'}: run the workflow there first")
    text = logs[-1].read_text()
    start = dt.datetime.fromisoformat(re.search(r"Date: (.+)", text).group(1))
    h, m, s = re.search(r"Elapsed time: (\d+):(\d+):([\d.]+)", text).groups()
    elapsed = 3600 * int(h) + 60 * int(m) + float(s)
    cores = re.search(r"--cores (\d+)|Provided cores: (\d+)", text)
    jobs = log_jobs(text.splitlines())
    if jobs:
        times = [benchmark_seconds(folder / j["benchmark"]) if j["benchmark"] else (j["end"] - j["start"]).total_seconds()
                 for j in jobs if j["end"]]
        timed = f"{len(times)} of {len(jobs)} (the finished ones)"
    else:  # a quiet log: the benchmark files written during the run
        window = (start.timestamp() - 1, start.timestamp() + elapsed + 1)
        files = [p for p in (folder / "results/benchmarks").rglob("*.tsv") if window[0] <= p.stat().st_mtime <= window[1]]
        times = [benchmark_seconds(p) for p in files]
        timed = f"{len(times)} (benchmarked only: a -q log)"
    total, n = sum(times), next(g for g in cores.groups() if g) if cores else "?"
    print(f"run: {logs[-1].name}, {re.search(r'Command: (.+)', text).group(1)}")
    print("| cores | jobs timed | wall s | sum of job s | wall / sum |")
    print("|---|---|---|---|---|")
    print(f"| {n} | {timed} | {elapsed:.0f} | {total:.0f} | {elapsed / total:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=500, help="rows of the large scene table")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--run", type=Path, help="a folder with a finished run (its .snakemake/log and results/)")
    parser.add_argument("--log", help="with --run: the log file's name (default: the newest complete one)")
    parser.add_argument("--fresh", action="store_true", help="run the default demo in a temporary folder first")
    args = parser.parse_args()
    if args.run:
        run_table(args.run.resolve(), args.log)
    elif args.fresh:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = workdir_at(Path(tmp))
            start = time.perf_counter()
            snakemake(workdir)
            print(f"the whole command took {time.perf_counter() - start:.0f} s")
            run_table(workdir)
    else:
        dry_run_table(args.scenes, args.repeat)


if __name__ == "__main__":
    main()
