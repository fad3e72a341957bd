"""Speed and memory of the classical methods (STARFM, ESTARFM, FSDAF), as ratios within one run.

For each method, on a structured synthetic scene (6 bands, ratio 16, fields of a few land covers with
texture and a class-wise change between the dates):
- the vectorised method on a 1024 x 1024 fine-pixel scene with its published defaults (blocks of
  512): megapixels per second and the peak resident memory of its process;
- the per-pixel reference of the tests (``tests/reference_classical_*.py``, written straight from
  the papers) on a 64 x 64 crop of the same scene: megapixels per second, and the speed-up of the
  vectorised method over it (the same defaults, so the same work per pixel).

Run: ``python bench/classical.py [--device cuda] [--threads N] [--json]`` (one thread by default, as the
predict rule runs these methods, several jobs side by side); it prints a Markdown table, or with ``--json`` a
JSON list with one object per method (``method``, ``mp_per_s``, ``reference_mp_per_s``, ``speedup``,
``peak_mb``, ``threads``, ``cpu``: the model name ``lscpu`` gives), so a script can check the ratios. Each
method runs in its own process so that peak-memory figures do not mix.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "workflow"), str(ROOT / "tests")]
from stfusion.classical import CLASSICAL  # noqa: E402
from stfusion.classical.fsdaf import class_map, class_samples  # noqa: E402
from stfusion.classical.unmixing import kmeans  # noqa: E402

RATIO, BANDS, SIZE, CROP = 16, 6, 1024, 64
PAIRS = {"starfm": 2, "estarfm": 2, "fsdaf": 1}


def scene(size: int, pairs: int, seed: int = 0):
    """fine_refs (K, C, size, size), coarse_refs, coarse_t1: 4 covers in 32-px fields, each changing its own way."""
    rng = np.random.default_rng(seed)
    cover = np.kron(rng.integers(0, 4, (size // 32, size // 32)), np.ones((32, 32), int))
    spectra = rng.uniform(0.05, 0.5, (4, BANDS))
    change = rng.uniform(-0.05, 0.05, (pairs + 1, 4, BANDS))
    fine = [(spectra + change[k])[cover].transpose(2, 0, 1) + rng.normal(0, 0.01, (BANDS, size, size))
            for k in range(pairs + 1)]
    coarse = [f.reshape(BANDS, size // RATIO, RATIO, size // RATIO, RATIO).mean(axis=(2, 4)) for f in fine]
    return (np.stack(fine[:pairs]).astype(np.float32), np.stack(coarse[:pairs]).astype(np.float32),
            coarse[pairs].astype(np.float32))


def reference_run(name: str, fine_refs, coarse_refs, coarse_t1):
    if name == "fsdaf":
        from reference_classical_fsdaf import fsdaf_reference
        labels = class_map(torch.as_tensor(fine_refs[0], dtype=torch.float64),
                           torch.as_tensor(kmeans(class_samples(fine_refs[0]), 4, seed=0))).numpy()
        return fsdaf_reference(fine_refs[0], coarse_refs[0], coarse_t1, RATIO, labels, 4)
    import reference_classical_starfm as reference
    return getattr(reference, f"{name}_reference")(fine_refs, coarse_refs, coarse_t1, RATIO)


def measure(name: str, device: str) -> None:
    """One method in this process: prints 'fast_mpps reference_mpps peak_mb'."""
    fine_refs, coarse_refs, coarse_t1 = scene(SIZE, PAIRS[name])
    start = time.perf_counter()
    CLASSICAL[name](fine_refs, coarse_refs, coarse_t1, RATIO, block=512, device=device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    fast = SIZE * SIZE / 1e6 / (time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    crop = np.s_[..., :CROP, :CROP]
    coarse_crop = np.s_[..., : CROP // RATIO, : CROP // RATIO]
    start = time.perf_counter()
    reference_run(name, fine_refs[crop], coarse_refs[coarse_crop], coarse_t1[coarse_crop])
    slow = CROP * CROP / 1e6 / (time.perf_counter() - start)
    print(f"{fast} {slow} {peak}")


def cpu_model() -> str:
    """The CPU's model name as ``lscpu`` prints it (the machine every figure names)."""
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)  # as the predict rule runs them: one thread per job
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a Markdown table")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.one:
        measure(args.one, args.device)
        return
    rows = []
    if not args.json:
        print(f"| method | MP/s, {SIZE}^2 px | peak memory MB | MP/s per-pixel reference, {CROP}^2 px | speed-up |")
        print("|---|---|---|---|---|")
    for name in CLASSICAL:
        out = subprocess.run([sys.executable, __file__, "--one", name, "--device", args.device,
                              "--threads", str(args.threads)], capture_output=True, text=True, check=True)
        fast, slow, peak = (float(v) for v in out.stdout.split())
        rows.append({"method": name, "mp_per_s": fast, "reference_mp_per_s": slow, "speedup": fast / slow,
                     "peak_mb": peak, "threads": args.threads, "cpu": cpu_model()})
        if not args.json:
            print(f"| {name} | {fast:.3f} | {peak:.0f} | {slow:.4f} | {fast / slow:.0f}x |", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
