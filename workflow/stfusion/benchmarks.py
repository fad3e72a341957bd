"""Run time and peak memory of a job, from the benchmark file Snakemake writes for it (``benchmark:``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

USAGE = {"s": "job_seconds", "max_rss": "job_max_rss_mb"}  # Snakemake's columns -> metric names of the CSVs


def job_usage(path: str | Path) -> dict[str, float]:
    """Wall-clock seconds and peak resident memory (MB) of the job; the mean when the job was repeated."""
    table = pd.read_csv(path, sep="\t")
    return {metric: float(pd.to_numeric(table[column], errors="coerce").mean()) for column, metric in USAGE.items()}


def date_usage(path: str | Path, dates: int) -> dict[str, float]:
    """A date's share of a job that predicted ``dates`` dates (rule predict, one job per reference group): the job's
    seconds divided evenly among its dates, and the job's peak memory (shared by all, not divided)."""
    usage = job_usage(path)
    return {**usage, "job_seconds": usage["job_seconds"] / dates}
