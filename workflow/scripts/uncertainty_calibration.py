"""Rule uncertainty_calibration: one method's per-pixel uncertainty models, calibrated on the held-out residuals of
the predictions its params name (stfusion.uncertainty.method), and their leave-one-date-out reliability table."""
import json
from pathlib import Path

from stfusion.evaluation import truth_bands
from stfusion.runlog import log_to
from stfusion.truth import truth_reader
from stfusion.uncertainty.date_files import DateFiles, SiteScenes
from stfusion.uncertainty.method import CalibrationPrediction, calibrate, calibration_samples, write_calibration

log = log_to(snakemake.log[0])
w, params = snakemake.wildcards, snakemake.params
matched = json.loads(Path(snakemake.input.bands).read_text())["bands"]
read_truth = truth_reader(snakemake.input.truth_read, params.storage)
predictions = [CalibrationPrediction(e["method"], DateFiles.from_mapping(e["date"], e["files"]), e["truth"])
               for e in params.predictions]
borrowed = params.methods != [w.method]
what = f"method {w.method} of site {w.site}" + (f" (the held-out residuals of {', '.join(params.methods)}, as it "
                                                 "holds out too few dates)" if borrowed else "")
log.info("%s: %d predictions of %d dates", what, len(predictions), len({p.files.date for p in predictions}))
samples = calibration_samples(predictions, SiteScenes(params.scenes["fine"], params.scenes["coarse"],
                                                      params.scenes["ratio"]),
                              lambda path: truth_bands(read_truth(path), matched), params.seed)
calibration = calibrate(samples, [pair["name"] for pair in matched], what, params.methods, params.seed)
write_calibration(calibration, snakemake.output.model, snakemake.output.leave_one_out, snakemake.output.reliability)
pooled = calibration.reliability[calibration.reliability.band == "all"]
for row in pooled.itertuples():
    log.info("stated %.0f%%: observed %.1f%% of %d held-out pixel values (Spearman %.2f)", 100 * row.stated,
             100 * row.observed, row.pixels, row.spearman)
