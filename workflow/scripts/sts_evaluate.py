"""Rule sts_evaluate: the metrics of every predicted date against the truth, as in Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning", with the method's run time
(its sts_train job and every sts_predict job) and the peak memory of those jobs."""
import pandas as pd

from stfusion.benchmarks import job_usage
from stfusion.evaluation import require_scores, score_cube
from stfusion.io import read_stack, write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w, held_out = snakemake.wildcards, set(snakemake.params.held_out)
usage = [job_usage(path) for path in snakemake.input.benchmarks]
cost = {"seconds": sum(u["job_seconds"] for u in usage), "job_max_rss_mb": max(u["job_max_rss_mb"] for u in usage)}
rows = []
for date, prediction, truth in zip(snakemake.params.dates, snakemake.input.predictions, snakemake.input.truths):
    scores = score_cube(read_stack(truth), read_stack(prediction))
    require_scores(scores.values(), prediction, truth, "sts_predict")
    rows.append({"site": w.site, "method": w.method, "date": date, "held_out": date in held_out, **scores, **cost})
    log.info("%s %s: %s", w.method, date, scores)
write_text(snakemake.output[0], pd.DataFrame(rows).to_csv(index=False))
