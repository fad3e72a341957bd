"""Speed and memory of the deep models on this machine, as ratios against a baseline in the same run.

For each model (6 bands, ratio 16, two references):
- training: seconds per 100 patches of 64 x 64 fine pixels (batch 8, the model's own training loss), in
  float32 and under bfloat16 autocast (what ``training.mixed_precision`` does where ``train.native_bfloat16``
  holds), and their ratio;
- prediction: megapixels per second of ``tiling.predict_scene`` at its default tile, overlap and batch on a
  scene of 3 x 3 default tiles (1536 x 1536: edge and interior tiles, each with its halo), against a plain
  forward pass of the same network on the same whole scene (no tiling), both after one small untimed pass
  (the process's one-time oneDNN set-up): the ratio is the tiling overhead; and the peak resident memory
  each adds to a fresh process (tiled first, so the plain pass's figure is its own peak when it is the
  larger: 2-6 kB per pixel, the reason for tiles).

Run: ``python bench/deep_models.py [--device cuda] [--no-training]``; it prints a Markdown table
(``--no-training``: prediction columns only, the training ones left as "-"). Each model runs in its own
process so that peak-memory figures do not mix.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from stfusion.models import FeatureAutoencoder, build_model
from stfusion.tiling import TILE, predict_scene

RATIO, BANDS, K = 16, 6, 2


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make(name: str):
    options = {"feature_extractor": FeatureAutoencoder(BANDS).eval()} if name == "edcstfn" else {}
    return build_model(name, channels=BANDS, ratio=RATIO, **options)


def training_seconds(model, device, mixed_precision=False, patches=100, size=64, batch=8) -> float:
    g = torch.Generator().manual_seed(0)
    data = [torch.rand(batch, K, BANDS, size, size, generator=g), torch.rand(batch, K, BANDS, size // RATIO, size // RATIO, generator=g),
            torch.rand(batch, BANDS, size // RATIO, size // RATIO, generator=g), torch.rand(batch, BANDS, size, size, generator=g)]
    data = [d.to(device) for d in data]
    model.to(device).train()
    return step_seconds(lambda: model.training_loss(*data), model.parameters(), device, patches // batch,
                        mixed_precision) * patches / batch


def step_seconds(loss, parameters, device, steps: int, mixed_precision: bool = False) -> float:
    """Seconds per Adam step on ``loss()``, a closure over one batch already on ``device``; with
    ``mixed_precision`` the loss runs under bfloat16 autocast, as ``train.fit`` runs it."""
    optimizer = torch.optim.Adam([p for p in parameters if p.requires_grad])
    start = time.perf_counter()
    for _ in range(steps):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed_precision):
            value = loss()
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def scene(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random fine_refs (K, C, size, size), coarse_refs and coarse_t1 on the coarse grid, float32."""
    rng = np.random.default_rng(0)
    n = size // RATIO
    return (rng.random((K, BANDS, size, size), dtype=np.float32), rng.random((K, BANDS, n, n), dtype=np.float32),
            rng.random((BANDS, n, n), dtype=np.float32))


def prediction_rates(model, device, size=3 * TILE) -> tuple[float, float, float, float]:
    """(plain MP/s, tiled MP/s, plain peak MB, tiled peak MB) over the process's baseline on a ``size`` scene."""
    arrays = scene(size)
    model.to(device).eval()

    @torch.no_grad()
    def plain(inputs=arrays):
        model(*(torch.from_numpy(a)[None].to(device) for a in inputs)).cpu()

    plain(scene(4 * RATIO))
    return tiled_and_plain(lambda: predict_scene(model, *arrays, device=device), plain, size**2 / 1e6)


def tiled_and_plain(tiled, plain, megapixels: float) -> tuple[float, float, float, float]:
    """(plain MP/s, tiled MP/s, plain peak MB, tiled peak MB): ``tiled()`` then ``plain()``, each predicting
    ``megapixels`` and returning on the host; peaks over the process's baseline (tiled first, so the plain
    figure is its own peak when it is the larger)."""
    baseline = peak_mb()
    start = time.perf_counter()
    tiled()
    tiled_rate, tiled_peak = megapixels / (time.perf_counter() - start), peak_mb() - baseline
    start = time.perf_counter()
    plain()
    return megapixels / (time.perf_counter() - start), tiled_rate, peak_mb() - baseline, tiled_peak


def row(name: str, device: torch.device, training: bool = True) -> str:
    torch.manual_seed(0)
    model = make(name)
    plain, tiled, plain_mb, tiled_mb = prediction_rates(model, device)
    cells = "- | - | -"
    if training:
        train, mixed = training_seconds(model, device), training_seconds(model, device, mixed_precision=True)
        cells = f"{train:.1f} | {mixed:.1f} | {train / mixed:.2f}"
    return (f"| {name} | {cells} | {plain:.3f} | {tiled:.3f} | {tiled / plain:.2f} | {plain_mb:.0f} | "
            f"{tiled_mb:.0f} |")


def print_rows(script: str, names, device: str, options: tuple[str, ...] = ()) -> None:
    """Print each model's row, measured by ``script --one NAME [options]`` in a process of its own (peak memory
    apart)."""
    for name in names:
        result = subprocess.run([sys.executable, script, "--one", name, "--device", device, *options],
                                capture_output=True, text=True, check=True)
        print(result.stdout.strip(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one", help="measure one model in this process (used by the table run)")
    parser.add_argument("--no-training", action="store_true", help="skip the training columns")
    args = parser.parse_args()
    if args.one:
        print(row(args.one, torch.device(args.device), not args.no_training))
        return
    print(f"device: {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("| model | training s / 100 patches (64 px) | bf16 autocast | float32 / bf16 | plain forward MP/s | "
          "tiled MP/s | tiled / plain | plain peak MB | tiled peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print_rows(__file__, ("edcstfn", "dcstfn", "stfnet", "stfdcnn"), args.device,
               ("--no-training",) if args.no_training else ())


if __name__ == "__main__":
    main()
