"""Speed and memory of the STS-MTL and SRECNN networks, as ratios against a baseline in the same run.

The two deep networks outside ``stfusion.models`` (which ``deep_models.py`` measures), in that file's
style and with its helpers, at the sizes of the shipped configs:
- STS-MTL (``sts.network.STSMTLNetwork``, default settings: 32 features, 3 blocks, kernels (1, 3)) with
  the demo's 8 fine (VNIC) and 8 MS (GF-6 WFV) bands, 6 principal components of 166 AHSI bands, ratios
  2 and 3: training seconds per 100 patches of 48 x 48 fine pixels (batch 8, the multi-task loss of
  ``sts.losses`` with every task present; in float32 and under bfloat16 autocast, as in ``deep_models.py``),
  and prediction of a 480 x 480 scene by ``sts.chain.predict_scores`` (240-pixel tiles, the default) against
  one plain forward pass of the network on the whole scene;
- SRECNN (``spectral.srecnn.SRECNN``, default 1 x 1 kernels, 64 and 32 features) from the 9 ALI bands to
  the 128 Hyperion bands of the Paris sample: training seconds per 100 patches of 1 pixel (its default
  patch; batch 64 as in config/examples/paris_hyperion.yaml; float32 and bfloat16), and prediction of a
  1024 x 1024 scene by ``apply_srecnn`` (its default 512-pixel blocks) against one plain forward pass on the
  whole scene.
Peak memory as in ``deep_models.py``: what each prediction adds to a fresh process, tiled first.

Run: ``python bench/deep_sts_spectral.py [--device cuda]``; it prints a Markdown table. Each network runs
in its own process so that peak-memory figures do not mix.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from deep_models import print_rows, step_seconds, tiled_and_plain
from stfusion.spectral.srecnn import SRECNN, apply_srecnn, srecnn_loss
from stfusion.sts.chain import predict_scores
from stfusion.sts.losses import MultiTaskObjective, ObservationModel
from stfusion.sts.network import STSMTLNetwork
from stfusion.sts.resample import TIME_CODE_SIZE

FINE, MS, HS, COMPONENTS, R_MS, R_HS = 8, 8, 166, 6, 2, 3  # the demo_sts site
ALI, HYPERION = 9, 128  # the paris_hyperion sample


def sts_inputs(batch: int, size: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Random network inputs and training targets for ``batch`` windows of ``size`` fine pixels."""
    shapes = {"fine_ref": (FINE, size), "fine_obs": (FINE, size), "truth": (COMPONENTS, size),
              "ms_ref_fine": (MS, size // R_MS), "ms_t": (MS, size // R_MS), "ms_ref_hs": (MS, size // R_MS),
              "hs_ref": (COMPONENTS, size // R_HS), "hs_obs": (COMPONENTS, size // R_HS)}
    data = {name: torch.rand(batch, bands, side, side, generator=generator) for name, (bands, side) in shapes.items()}
    data["time_code"] = torch.rand(batch, TIME_CODE_SIZE, 1, 1, generator=generator)
    data.update({f"has_{task}": torch.ones(batch, 1, 1, 1) for task in ("fine", "ms", "hs", "truth")})
    return data


def stsmtl_row(device: torch.device) -> str:
    g = torch.Generator().manual_seed(0)
    network = STSMTLNetwork(FINE, MS, COMPONENTS, R_MS, R_HS)
    inputs = {name: array[0].numpy() for name, array in sts_inputs(1, 480, g).items()}

    @torch.no_grad()
    def plain():
        network(*(torch.from_numpy(inputs[name])[None].to(device) for name in STSMTLNetwork.INPUTS)).cpu()

    rates = tiled_and_plain(lambda: predict_scores(network, inputs, 240, device), plain, 480 * 480 / 1e6)
    observation = ObservationModel(np.random.default_rng(0).random((COMPONENTS, HS)), np.zeros(HS),
                                   np.full((MS, HS), 1 / HS), np.full((FINE, HS), 1 / HS), R_MS, R_HS)
    objective = MultiTaskObjective(network, observation).to(device).train()
    batch = {name: tensor.to(device) for name, tensor in sts_inputs(8, 48, g).items()}
    train = [step_seconds(lambda: objective(batch), objective.parameters(), device, 12, mixed) * 100 / 8
             for mixed in (False, True)]
    return row("stsmtl", "48 px", *train, *rates)


def srecnn_row(device: torch.device) -> str:
    g = torch.Generator().manual_seed(0)
    model = SRECNN(ALI, HYPERION).to(device)
    ms = torch.rand(ALI, 1024, 1024, generator=g).numpy()

    @torch.no_grad()
    def plain():
        model(torch.from_numpy(ms)[None].to(device)).cpu()

    rates = tiled_and_plain(lambda: apply_srecnn(model, ms), plain, 1024 * 1024 / 1e6)
    batch = {name: torch.rand(64, bands, 1, 1, generator=g).to(device) for name, bands in (("ms", ALI), ("hs", HYPERION))}
    model.train()
    train = [step_seconds(lambda: srecnn_loss(model, batch), model.parameters(), device, 50, mixed) * 100 / 64
             for mixed in (False, True)]
    return row("srecnn", "1 px", *train, *rates)


def row(name: str, patch: str, train: float, mixed: float, plain: float, tiled: float, plain_mb: float,
        tiled_mb: float) -> str:
    return (f"| {name} | {patch} | {train:.3g} | {mixed:.3g} | {train / mixed:.2f} | {plain:.3f} | {tiled:.3f} | "
            f"{tiled / plain:.2f} | {plain_mb:.0f} | {tiled_mb:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one", help="measure one network in this process (used by the table run)")
    args = parser.parse_args()
    if args.one:
        print({"stsmtl": stsmtl_row, "srecnn": srecnn_row}[args.one](torch.device(args.device)))
        return
    print(f"device: {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("| network | patch | training s / 100 patches | bf16 autocast | float32 / bf16 | plain forward MP/s | "
          "tiled MP/s | tiled / plain | plain peak MB | tiled peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print_rows(__file__, ("stsmtl", "srecnn"), args.device)


if __name__ == "__main__":
    main()
