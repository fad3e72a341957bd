"""Rule evaluate: the metrics of every prediction of a method that has a truth, as a tidy CSV."""
import json
from functools import partial

import pandas as pd

from stfusion.benchmarks import job_usage
from stfusion.evaluation import score_prediction
from stfusion.grid import SiteGrid
from stfusion.ingest import storage_for
from stfusion.io import read_raster, write_text
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors
from stfusion.truth import read_truth

log = log_to(snakemake.log[0])
w = snakemake.wildcards
matched = json.loads(open(snakemake.input.bands).read())["bands"]
# Held out: never the target of a training group of this method (Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced
# Deep Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898, scores validation groups).
trained_on = set(snakemake.params.trained_on)
read_truth_file = read_raster  # a held-out matched observation, on the grid and band-matched
if snakemake.input.truth_read:  # the config's truth, read like a scene of the fine sensor (stfusion.truth)
    grid_file, sensor_file = snakemake.input.truth_read
    fine = next(iter(read_sensors([sensor_file]).values()))
    read_truth_file = partial(read_truth, sensor=fine, storage=storage_for(fine, snakemake.params.storage),
                              grid=SiteGrid.from_json(grid_file))
rows = []
for prediction, truth, benchmark in zip(snakemake.input.predictions, snakemake.input.truths, snakemake.input.benchmarks):
    predicted = read_raster(prediction)
    tags = predicted.tags
    scores = score_prediction(predicted, read_truth_file(truth), matched, snakemake.params.pixel_ratio)
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
