"""Rule evaluate: the metrics of every prediction of a method that has a truth, as a tidy CSV."""
import json

import pandas as pd

from stfusion.benchmarks import date_usage, job_usage
from stfusion.evaluation import (SCORE_COLUMNS, TRAINING, TRAINING_JOB, require_scores, rmse_by_coarse_state,
                                 score_prediction, target_role, truth_bands)
from stfusion.io import read_raster, write_text
from stfusion.runlog import log_to
from stfusion.truth import truth_reader

log = log_to(snakemake.log[0])
w = snakemake.wildcards
matched = json.loads(open(snakemake.input.bands).read())["bands"]
roles = snakemake.params.roles  # the targets of the method's training and validation groups (deep methods)
read_truth_file = truth_reader(snakemake.input.truth_read, snakemake.params.storage)
rows = []
for prediction, quality, truth in zip(snakemake.input.predictions, snakemake.input.qualities, snakemake.input.truths):
    predicted, truth_raster = read_raster(prediction), read_truth_file(truth)
    tags = predicted.tags
    scores = score_prediction(predicted, truth_raster, matched, snakemake.params.pixel_ratio)
    require_scores([row["value"] for row in scores], prediction, truth, "predict")
    # observed and gap-filled coarse pixels apart (issue 25): the quality COG's coarse_state
    scores += rmse_by_coarse_state(truth_bands(truth_raster, matched), predicted.data, read_raster(quality).data[0])
    # the run time and peak memory of the job that made the prediction: the date's share of its group's job time
    benchmark, dates = snakemake.params.benchmark_of[tags["date"]]
    scores += [{"band": "all", "metric": metric, "value": value}
               for metric, value in date_usage(benchmark, dates).items()]
    role = target_role(tags["date"], roles["training"], roles["validation"])
    rows += [{"site": w.site, "method": w.method, "date": tags["date"], "references": tags["reference_dates"],
              "role": role, **row} for row in scores]
    log.info("%s %s (%s): %d rows", w.method, tags["date"], role, len(scores))
for benchmark in snakemake.input.training:  # deep models: the training job (its model's, shared or not)
    rows += [{"site": w.site, "method": w.method, "date": TRAINING_JOB, "references": "", "role": TRAINING,
              "band": "all", "metric": metric, "value": value} for metric, value in job_usage(benchmark).items()]
write_text(snakemake.output[0], pd.DataFrame(rows, columns=SCORE_COLUMNS).to_csv(index=False))
