"""Rule evaluate: the metrics of every prediction of a method that has a truth, as a tidy CSV."""
import json

import pandas as pd

from stfusion.benchmarks import job_usage
from stfusion.evaluation import require_scores, score_prediction
from stfusion.io import read_raster, write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
matched = json.loads(open(snakemake.input.bands).read())["bands"]
# Held out: never the target of a training group of this method (Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced
# Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898, scores validation groups).
trained_on = set(snakemake.params.trained_on)
rows = []
for prediction, truth, benchmark in zip(snakemake.input.predictions, snakemake.input.truths, snakemake.input.benchmarks):
    predicted = read_raster(prediction)
    tags = predicted.tags
    scores = score_prediction(predicted, read_raster(truth), matched, snakemake.params.pixel_ratio)
    require_scores([row["value"] for row in scores], prediction, truth, "predict")
    # the run time and peak memory of the job that made the prediction
    scores += [{"band": "all", "metric": metric, "value": value} for metric, value in job_usage(benchmark).items()]
    held_out = tags["date"] not in trained_on
    rows += [{"site": w.site, "method": w.method, "date": tags["date"], "references": tags["reference_dates"],
              "held_out": held_out, **row} for row in scores]
    log.info("%s %s: %d rows", w.method, tags["date"], len(scores))
for benchmark in snakemake.input.training:  # deep models: the training job, as date "training"
    rows += [{"site": w.site, "method": w.method, "date": "training", "references": "", "held_out": False,
              "band": "all", "metric": metric, "value": value} for metric, value in job_usage(benchmark).items()]
write_text(snakemake.output[0], pd.DataFrame(rows, columns=["site", "method", "date", "references", "held_out", "band", "metric", "value"]).to_csv(index=False))
