"""Rule ensemble_weights: an ensemble's weights per band and member, fitted on its fitting dates (those every member
holds out) and leave-one-date-out (stfusion.ensemble), with each member's cross-validated RMSE on those dates."""
import json

import numpy as np
import pandas as pd

from stfusion.cross_validation import cross_validation_table, rmse_by_date
from stfusion.ensemble.best import leave_one_date_out_best
from stfusion.ensemble.stacking import leave_one_date_out, moments
from stfusion.ensemble.weights_file import EnsembleWeights
from stfusion.evaluation import truth_bands
from stfusion.io import read_stack, write_text
from stfusion.runlog import log_to
from stfusion.truth import truth_reader

log = log_to(snakemake.log[0])
params, inputs = snakemake.params, snakemake.input
matched = json.loads(open(inputs.bands).read())["bands"]
bands = [pair["name"] for pair in matched]
scores = pd.concat([pd.read_csv(path, dtype={"date": str}) for path in inputs.scores], ignore_index=True)
rmse = rmse_by_date(cross_validation_table(scores)).reindex(index=params.dates, columns=params.members)
log.info("%s: members %s, fitting dates %s; band-averaged RMSE per date:\n%s", snakemake.wildcards.method,
         ", ".join(params.members), ", ".join(params.dates), rmse.to_string(float_format=lambda v: f"{v:.4f}"))
if params.model == "best":
    weights = leave_one_date_out_best(rmse, params.members, len(bands))
else:  # stacking: the moments of each fitting date, from the members' predictions and the truth
    read_truth = truth_reader(inputs.truth_read, params.storage)
    count = len(params.members)
    by_date = {}
    for i, (date, truth) in enumerate(zip(params.dates, inputs.truths)):
        predictions = np.stack([read_stack(path) for path in inputs.predictions[i * count:(i + 1) * count]])
        by_date[date] = moments(predictions, truth_bands(read_truth(truth), matched))
    weights = leave_one_date_out(by_date, bands)
result = EnsembleWeights(snakemake.wildcards.method, params.model, list(params.members), bands, list(params.dates),
                         {m: float(v) for m, v in rmse.mean().items()}, weights)
log.info("weights fitted on every fitting date (bands x members):\n%s",
         pd.DataFrame(weights.all_dates, index=bands, columns=params.members).round(3).to_string())
write_text(snakemake.output[0], result.to_json())
