"""Rule sts_evaluate: paper 000's metrics of every predicted date against the truth, with the run time and the
sts_fuse job's wall time and peak memory."""
import json
from pathlib import Path

import pandas as pd

from stfusion.benchmarks import job_usage
from stfusion.evaluation import score_cube
from stfusion.io import read_stack, write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w, spec = snakemake.wildcards, snakemake.params.spec
predictions = Path(snakemake.input.predictions)
seconds = json.loads((predictions / "run.json").read_text())["seconds"]
usage = job_usage(snakemake.input.benchmark)  # of the sts_fuse job, which also loads and writes the rasters
rows = []
for date, truth in zip(spec["dates"], snakemake.input.truths):
    scores = score_cube(read_stack(truth), read_stack(predictions / f"{date}.tif"))
    rows.append({"site": w.site, "method": w.method, "date": date, "held_out": date not in spec["hs_dates"],
                 **scores, "seconds": seconds, **usage})
    log.info("%s %s: %s", w.method, date, scores)
write_text(snakemake.output[0], pd.DataFrame(rows).to_csv(index=False))
