"""The cost of a series: a further date with the same reference pairs, as a share of the first date's; and the
seconds per date and peak memory of a whole-scene series (issue 28, items 2 and 5).

On one synthetic scene (``whole_scene.scene``: 6 bands, ratio 16, four covers in 32-px fields, seeded, float32
band by band so that the inputs are all the memory it takes) of ``--size`` fine pixels a side, each method
predicts 1 and then ``--dates`` coarse dates from the same reference pairs (two for STARFM, ESTARFM and EDCSTFN,
the first of them for FSDAF), through the functions a job per reference group calls: ``predict_starfm_dates``,
``predict_estarfm_dates``, ``predict_fsdaf_dates`` (block by block: each block's shared work, made once for all
the dates, is dropped after it; every date's block goes to an ``out`` that keeps nothing, as a writer of windows
would) and ``tiling.predict_scene_dates`` for EDCSTFN (untrained: its speed does not depend on its weights; the
fine branch's features shared per batch of tiles, the n outputs held). The first date is the 1-date run; a
further date costs (T(n) - T(1)) / (n - 1), and the share is that over T(1); seconds per date are T(n) / n. The
dates are the scene's third date shifted by a seeded offset per band, so each has its own coarse change. Each
method runs in a process of its own, after a small scene has compiled its kernels (numba, cached on disk), so
that its peak resident memory (``ru_maxrss``: inputs, working memory and, for EDCSTFN, the outputs) is its own.

Run: ``python bench/series.py [--size 1024] [--dates 23] [--methods ...] [--threads N] [--json]``; the whole-scene
series is ``--size 4096 --methods starfm estarfm fsdaf``. It prints a Markdown table, or with ``--json`` a JSON
list with one object per method (``method``, ``first_s``, ``further_s``, ``marginal_share``, ``per_date_s``,
``peak_mb``, ``size``, ``dates``, ``threads``, ``cpu``: the model name ``lscpu`` gives).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numba
import numpy as np
import torch
from classical import BANDS, RATIO, cpu_model
from whole_scene import scene

from stfusion.classical.estarfm import predict_estarfm_dates, prepare_estarfm
from stfusion.classical.fsdaf import predict_fsdaf_dates, prepare_fsdaf
from stfusion.classical.starfm import predict_starfm_dates, prepare_starfm
from stfusion.models import FeatureAutoencoder, build_model
from stfusion.tiling import predict_scene_dates


class Discard:
    """An ``out`` that keeps no block: the series' own cost, without the n whole-scene outputs."""

    def __setitem__(self, window, block) -> None:
        pass


def edcstfn(fine_refs: np.ndarray, coarse_refs: np.ndarray, dates: np.ndarray) -> None:
    torch.manual_seed(0)
    model = build_model("edcstfn", channels=BANDS, ratio=RATIO, feature_extractor=FeatureAutoencoder(BANDS).eval())
    predict_scene_dates(model, fine_refs, coarse_refs, dates)


METHODS = {  # (fine refs, coarse refs, dates) -> None: preparation and the dates
    "starfm": lambda f, c, d: predict_starfm_dates(prepare_starfm(f, c, RATIO), d, Discard()),
    "estarfm": lambda f, c, d: predict_estarfm_dates(prepare_estarfm(f, c, RATIO, fold=False), d, Discard()),
    "fsdaf": lambda f, c, d: predict_fsdaf_dates(prepare_fsdaf(f[:1], c[:1], RATIO, keep_blocks=False), d, Discard()),
    "edcstfn": edcstfn,
}


def series(size: int, dates: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fine_refs (2, C, size, size), coarse_refs (2, C, ., .) and ``dates`` coarse images (dates, C, ., .)."""
    fine_refs, coarse_refs, coarse_t1 = scene(size, seed)
    shifts = np.random.default_rng(seed + 1).uniform(-0.03, 0.03, (dates, BANDS, 1, 1)).astype(np.float32)
    return fine_refs, coarse_refs, coarse_t1 + shifts


def measure(name: str, size: int, dates: int) -> dict:
    """One method in this process: the seconds of 1 date and of ``dates`` dates, and the peak resident MB."""
    METHODS[name](*series(4 * RATIO, 2))  # compiles the kernels (or loads them from the cache)
    fine_refs, coarse_refs, coarse_dates = series(size, dates)
    seconds = []
    for n in (1, dates):
        start = time.perf_counter()
        METHODS[name](fine_refs, coarse_refs, coarse_dates[:n])
        seconds.append(time.perf_counter() - start)
    first, total = seconds
    further = (total - first) / max(dates - 1, 1)
    return {"method": name, "first_s": round(first, 2), "further_s": round(further, 2),
            "marginal_share": round(further / first, 3), "per_date_s": round(total / dates, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "size": size,
            "dates": dates, "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="fine pixels a side (a multiple of 32)")
    parser.add_argument("--dates", type=int, default=23)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a Markdown table")
    parser.add_argument("--one", choices=list(METHODS), help="measure one method in this process (used by the run)")
    args = parser.parse_args()
    if args.size % 32 or args.dates < 2:
        parser.error(f"--size must be a multiple of 32 and --dates at least 2; got {args.size} and {args.dates}")
    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    if args.one:
        print(json.dumps(measure(args.one, args.size, args.dates)))
        return
    cpu = cpu_model()
    if not args.json:
        print(f"{cpu}, {args.threads} threads, {args.size}^2 px, {args.dates} dates\n")
        print("| method | first date s | further date s | further / first | s per date | peak MB |")
        print("|---|---|---|---|---|---|")
    rows = []
    for name in args.methods:
        command = [sys.executable, __file__, "--one", name, "--size", str(args.size), "--dates", str(args.dates),
                   "--threads", str(args.threads)]
        row = {**json.loads(subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout), "cpu": cpu}
        rows.append(row)
        if not args.json:
            print(f"| {name} | {row['first_s']:.2f} | {row['further_s']:.2f} | {row['marginal_share']:.2f} | "
                  f"{row['per_date_s']:.2f} | {row['peak_mb']} |", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
