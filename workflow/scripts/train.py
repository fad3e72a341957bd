"""Rule train: a deep fusion model from its patch set, resumable after a kill. history.csv has a row
per epoch from 0 (the initial weights) with the validation loss and RMSE, and marks the kept one (``kept``, the
lowest validation RMSE); weights.pt records ``kept_epoch`` and ``kept_start``."""
from pathlib import Path

import pandas as pd
import torch

from stfusion.artefacts import fingerprint, save_model
from stfusion.io import atomic_path, write_text
from stfusion.methods import FUSION
from stfusion.models import build_model
from stfusion.models.autoencoder import load_feature_extractor, state_dict_sha256
from stfusion.patches import load_patches
from stfusion.report.figures import learning_curves
from stfusion.runlog import log_to
from stfusion.train import best_epoch, fit, settings_from_config
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, method, training = snakemake.wildcards, snakemake.params.method, snakemake.params.training
use_threads(snakemake.threads)
torch.manual_seed(snakemake.params.seed)
train, validation = load_patches(snakemake.input.patches)
channels, ratio = train["target"].shape[1], snakemake.params.ratio
options = dict(method.get("options", {}))
extra = {}
if "autoencoder" in FUSION[method["model"]].pretrained:  # EDCSTFN's feature extractor (Tan et al. 2019, section 2.2)
    extractor = load_feature_extractor(snakemake.input.autoencoder)
    extra["autoencoder_sha256"] = state_dict_sha256(extractor)
    model = build_model(method["model"], channels=channels, ratio=ratio, feature_extractor=extractor, **options)
else:
    model = build_model(method["model"], channels=channels, ratio=ratio, **options)
log.info("%s: %s, %d trainable parameters, %d training and %d validation patches", w.method, method["model"],
         sum(p.numel() for p in model.parameters() if p.requires_grad), len(train["target"]), len(validation["target"]))
settings = settings_from_config(method, training, snakemake.params.seed)


def loss(module, batch):
    return module.training_loss(batch["fine_refs"], batch["coarse_refs"], batch["coarse_t1"], batch["target"])


def squared_error(module, batch):
    """Per-band mean squared error of the prediction: the kept weights are those of the lowest validation RMSE."""
    prediction = module(batch["fine_refs"], batch["coarse_refs"], batch["coarse_t1"])
    return ((prediction.float() - batch["target"]) ** 2).mean(dim=(0, 2, 3))


checkpoint = Path(snakemake.output.weights).with_name("checkpoint.pt")
key = fingerprint(method, settings, "kept by validation RMSE", files=tuple(snakemake.input))
best, history = fit(model, loss, train, validation, settings, checkpoint, key, squared_error)
kept = best_epoch(history)  # 0: no epoch beat the initial weights, the start is kept (issue 16)
save_model(snakemake.output.weights, method["model"], channels, ratio, options, best, kept_epoch=kept,
           kept_start=kept == 0, **extra)
table = pd.DataFrame(history).assign(kept=lambda t: t.epoch == kept)
write_text(snakemake.output.history, table.to_csv(index=False))
with atomic_path(snakemake.output.curve) as tmp:
    tmp.write_bytes(learning_curves({f"{w.site} {w.method}": table}))
