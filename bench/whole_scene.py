"""Time and peak memory of whole-scene prediction through the package's block and tile paths (issue 14).

STARFM (``classical.starfm`` at its default block) and EDCSTFN (``tiling.predict_scene`` at its default tile,
an untrained network built as ``deep_models.py`` builds it) predict one date of a synthetic scene of
``--size`` x ``--size`` fine pixels (default 4096), 6 bands, ratio 16, two reference pairs: fields of four land
covers with texture and a class-wise change, made band by band in float32 so that the inputs are all the
memory the scene takes (at 4096: 805 MB of fine references). Each method runs in a process of its own after
one small untimed call (numba compilation, oneDNN set-up), on all cores; the peak resident memory of that
process (``ru_maxrss``) counts the inputs, the output and the method's working memory.

Run: ``python bench/whole_scene.py [--size N] [--methods starfm edcstfn] [--json]``; it prints a Markdown
table (method, seconds, MP/s, peak MB), or with ``--json`` a JSON list of objects with keys ``method``,
``size``, ``seconds``, ``mp_per_s``, ``peak_mb``, ``threads``, ``cpu`` (the model name ``lscpu`` gives).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from classical import cpu_model
from deep_models import make
from stfusion.classical.starfm import starfm
from stfusion.tiling import predict_scene

RATIO, BANDS, K = 16, 6, 2


def scene(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fine_refs (K, C, size, size), coarse_refs (K, C, n, n), coarse_t1 (C, n, n), float32, n = size / ratio:
    four covers in 32-pixel fields, each changing its own way between the dates, with 1 % noise; the fine image
    at t1 only ever exists one band at a time (for its coarse mean)."""
    rng = np.random.default_rng(seed)
    fields = rng.integers(0, 4, (size // 32, size // 32)).astype(np.uint8)
    cover = fields.repeat(32, axis=0).repeat(32, axis=1)
    spectra = rng.uniform(0.05, 0.5, (K + 1, 4, BANDS)).astype(np.float32)
    n = size // RATIO
    fine_refs = np.empty((K, BANDS, size, size), np.float32)
    coarse = np.empty((K + 1, BANDS, n, n), np.float32)
    for k in range(K + 1):
        for b in range(BANDS):
            band = spectra[k, :, b][cover] + rng.standard_normal((size, size), np.float32) * np.float32(0.01)
            coarse[k, b] = band.reshape(n, RATIO, n, RATIO).mean(axis=(1, 3))
            if k < K:
                fine_refs[k, b] = band
    return fine_refs, coarse[:K], coarse[K]


def run_edcstfn(fine_refs, coarse_refs, coarse_t1) -> np.ndarray:
    torch.manual_seed(0)
    return predict_scene(make("edcstfn"), fine_refs, coarse_refs, coarse_t1)


def run_starfm(fine_refs, coarse_refs, coarse_t1) -> np.ndarray:
    return starfm(fine_refs, coarse_refs, coarse_t1, RATIO)


METHODS = {"starfm": run_starfm, "edcstfn": run_edcstfn}


def measure(method: str, size: int) -> dict:
    """One method in this process: a 64 x 64 untimed call, then the timed ``size`` scene."""
    METHODS[method](*scene(64))
    inputs = scene(size)
    start = time.perf_counter()
    METHODS[method](*inputs)
    seconds = time.perf_counter() - start
    return {"method": method, "size": size, "seconds": round(seconds, 2), "mp_per_s": round(size**2 / 1e6 / seconds, 4),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="scene side in fine pixels (a multiple of 32)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--one", choices=list(METHODS), help="measure one method in this process (used by the run)")
    args = parser.parse_args()
    if args.size % 32:
        parser.error(f"--size must be a multiple of 32 (the fields of the scene), got {args.size}")
    if args.one:
        print(json.dumps(measure(args.one, args.size)))
        return
    cpu = cpu_model()
    rows = [{**json.loads(subprocess.run([sys.executable, __file__, "--one", m, "--size", str(args.size)],
                                         stdout=subprocess.PIPE, text=True, check=True).stdout), "cpu": cpu}
            for m in args.methods]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"cpu: {cpu}, {rows[0]['threads']} threads, scene {args.size} x {args.size}, 6 bands, ratio 16, 2 pairs")
    print("| method | seconds | MP/s | peak MB |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} | {r['seconds']:.1f} | {r['mp_per_s']:.3f} | {r['peak_mb']} |")


if __name__ == "__main__":
    main()
