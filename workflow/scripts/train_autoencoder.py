"""Rule autoencoder: pre-train the autoencoder whose encoder gives EDCSTFN's feature loss (Tan, Di, Zhang, Guo and
Gao (2019), "An Enhanced Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898,
Fig. 2)."""
from pathlib import Path

import pandas as pd
import torch

from stfusion.artefacts import fingerprint
from stfusion.io import write_text
from stfusion.models.autoencoder import FeatureAutoencoder, save_feature_extractor
from stfusion.patches import load_patches
from stfusion.runlog import log_to
from stfusion.train import fit, settings_from_config
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
training = snakemake.params.training
use_threads(snakemake.threads)
torch.manual_seed(snakemake.params.seed)
train, validation = load_patches(snakemake.input[0])
fine = {"fine": train["target"]}, {"fine": validation["target"]}
model = FeatureAutoencoder(channels=train["target"].shape[1])
settings = settings_from_config(training["autoencoder"], training, snakemake.params.seed)


def reconstruction_loss(module, batch):
    return torch.nn.functional.mse_loss(module(batch["fine"]), batch["fine"])


checkpoint = Path(snakemake.output.weights).with_name("checkpoint.pt")
best, history = fit(model, reconstruction_loss, *fine, settings, checkpoint, fingerprint(settings, files=tuple(snakemake.input)))
model.load_state_dict(best)
log.info("autoencoder weights sha256 %s", save_feature_extractor(model, snakemake.output.weights))
write_text(snakemake.output.history, pd.DataFrame(history).to_csv(index=False))
