"""Observation model, task losses and learnable task weights of STS-MTL (Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning").

Every observed series is a temporal, spatial and spectral resampling of the unknown fine
hyperspectral series Z (Peng et al., section 3.1: X^n = f_n(Z)). With Z given by its PCA scores s,
Z = s V + m (``pca.HyperspectralPCA``), the observation operators are linear in s:

* fine series (spatial task):   X^fine(t) = W_fine Z(t)                  (SRF integration)
* MS series (temporal task):    X^mul(t)  = D_ms(W_ms Z(t))               (SRF, then spatial degradation)
* HS series (spectral task):    X^hy(t)   = D_hs(Z(t)), compared in PCA scores
* truth (supervised or Wald's label): Z(t) itself, in PCA scores

and date selection is a per-sample availability flag: a task's loss is the mean squared error over
the samples whose date has that observation. D_r is the spatial degradation by the ratio r
(``degrade``). The task losses are combined with learnable weights (Peng et al., section 3.2):
L = sum_tau L_tau / (2 c_tau^2) + ln(1 + c_tau^2); a task absent from a batch adds nothing, so its
c_tau is not driven towards 0 by the regulariser alone.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ConfigError
from .network import STSMTLNetwork

TASKS = ("spatial", "temporal", "spectral", "truth")
DEGRADATIONS = ("area", "bilinear")


def degrade(x: Tensor, ratio: int, method: str = "area") -> Tensor:
    """(B, C, H, W) -> (B, C, H/r, W/r): area mean, or bilinear sampling at the coarse pixel centres.

    Both equal ``simulate.degrade`` with the same method name (bilinear: F.interpolate samples the
    fine grid at i r + (r - 1) / 2, the coarse centres, without antialiasing).
    """
    if ratio == 1:
        return x
    if method == "area":
        return F.avg_pool2d(x, ratio)
    if method == "bilinear":
        return F.interpolate(x, size=(x.shape[-2] // ratio, x.shape[-1] // ratio), mode="bilinear",
                             align_corners=False)
    raise ConfigError(f"unknown spatial degradation {method!r}: use one of {', '.join(DEGRADATIONS)}")


class ObservationModel(nn.Module):
    """The linear operators above, from PCA scores (B, K, H, W) to each observed series.

    components (K, C_h) and mean (C_h,) from the PCA; hs_to_ms (C_m, C_h) and hs_to_fine (C_f, C_h)
    are SRF integration matrices (``simulate.spectral_weights``); ratios in fine pixels.
    """

    def __init__(self, components: np.ndarray, mean: np.ndarray, hs_to_ms: np.ndarray, hs_to_fine: np.ndarray,
                 ms_ratio: int, hs_ratio: int, degradation: str = "area") -> None:
        super().__init__()
        if degradation not in DEGRADATIONS:
            raise ConfigError(f"unknown spatial degradation {degradation!r}: use one of {', '.join(DEGRADATIONS)}")
        bands = components.shape[1]
        for name, matrix in (("hs_to_ms", hs_to_ms), ("hs_to_fine", hs_to_fine)):
            if matrix.ndim != 2 or matrix.shape[1] != bands:
                raise ValueError(f"{name} must be (target bands, {bands} HS bands); got {matrix.shape}")
        components, mean = np.asarray(components, np.float64), np.asarray(mean, np.float64)
        for name, matrix in (("ms", hs_to_ms), ("fine", hs_to_fine)):
            self.register_buffer(f"{name}_gain", torch.tensor(matrix @ components.T, dtype=torch.float32))
            self.register_buffer(f"{name}_offset", torch.tensor(matrix @ mean, dtype=torch.float32))
        self.ms_ratio, self.hs_ratio, self.degradation = ms_ratio, hs_ratio, degradation

    @staticmethod
    def _spectral(scores: Tensor, gain: Tensor, offset: Tensor) -> Tensor:
        return torch.einsum("ck,bkhw->bchw", gain, scores) + offset[:, None, None]

    def fine(self, scores: Tensor) -> Tensor:
        """The fine sensor's image: W_fine Z."""
        return self._spectral(scores, self.fine_gain, self.fine_offset)

    def ms(self, scores: Tensor) -> Tensor:
        """The MS sensor's image: D_ms(W_ms Z)."""
        return degrade(self._spectral(scores, self.ms_gain, self.ms_offset), self.ms_ratio, self.degradation)

    def hs(self, scores: Tensor) -> Tensor:
        """The HS sensor's image in PCA scores: D_hs(Z)."""
        return degrade(scores, self.hs_ratio, self.degradation)


class TaskWeights(nn.Module):
    """Learnable task weights: L = sum_tau L_tau / (2 c_tau^2) + ln(1 + c_tau^2), c_tau initialised to 1."""

    def __init__(self, tasks: tuple[str, ...] = TASKS) -> None:
        super().__init__()
        self.tasks = tasks
        self.c = nn.Parameter(torch.ones(len(tasks)))

    def weights(self) -> dict[str, float]:
        """Current 1 / (2 c_tau^2) per task (positive for every real c_tau)."""
        return {task: float(w) for task, w in zip(self.tasks, 1.0 / (2.0 * self.c.detach() ** 2))}

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        """Combine the task losses present in ``losses`` (a subset of the tasks)."""
        total = self.c.new_zeros(())
        for i, task in enumerate(self.tasks):
            if task in losses:
                c2 = self.c[i] ** 2
                total = total + losses[task] / (2.0 * c2) + torch.log1p(c2)
        return total


def masked_mse(prediction: Tensor, observed: Tensor, available: Tensor) -> Tensor | None:
    """MSE over the samples with ``available`` (B, 1, 1, 1) = 1; None when no sample has the observation."""
    count = available.sum()
    if float(count) == 0:
        return None
    per_sample = ((prediction.float() - observed.float()) ** 2).mean(dim=(1, 2, 3), keepdim=True)
    return (per_sample * available).sum() / count


class MultiTaskObjective(nn.Module):
    """The network, its observation model and task weights as one module for ``stfusion.train.fit``.

    ``forward(batch)`` is the combined loss of a batch from ``data.training_samples``: the
    prediction's fine, MS and HS resamplings against ``fine_obs``, ``ms_t`` and ``hs_obs``, and the
    prediction against ``truth``, each where its ``has_*`` flag is set.
    """

    def __init__(self, network: STSMTLNetwork, observation: ObservationModel) -> None:
        super().__init__()
        self.network, self.observation, self.weights = network, observation, TaskWeights(TASKS)

    def task_losses(self, batch: Mapping[str, Tensor]) -> dict[str, Tensor]:
        scores = self.network(*(batch[name] for name in STSMTLNetwork.INPUTS))
        pairs = {
            "spatial": (self.observation.fine(scores), batch["fine_obs"], batch["has_fine"]),
            "temporal": (self.observation.ms(scores), batch["ms_t"], batch["has_ms"]),
            "spectral": (self.observation.hs(scores), batch["hs_obs"], batch["has_hs"]),
            "truth": (scores, batch["truth"], batch["has_truth"]),
        }
        losses = {task: masked_mse(*args) for task, args in pairs.items()}
        return {task: loss for task, loss in losses.items() if loss is not None}

    def forward(self, batch: Mapping[str, Tensor]) -> Tensor:
        return self.weights(self.task_losses(batch))
