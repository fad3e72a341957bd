"""Figures written by rules (learning curves); the report's figures join here."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from .io import atomic_path  # noqa: E402


def learning_curve(history: list[dict], path: str | Path, title: str) -> None:
    """Training and validation loss per epoch, log scale, as in paper 001's Figures 6 and 10."""
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(epochs, [h["train_loss"] for h in history], "-", label="training")
    ax.plot(epochs, [h["validation_loss"] for h in history], "--", label="validation")
    ax.set(xlabel="epoch", ylabel="loss", title=title, yscale="log")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
