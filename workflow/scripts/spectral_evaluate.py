"""Rule spectral_evaluate: the metrics of one method's prediction against the real HS image, with its run time, as
in Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning"."""
import json
from pathlib import Path

import pandas as pd

from stfusion.evaluation import require_scores, score_cube
from stfusion.io import read_stack, write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
scores = score_cube(read_stack(snakemake.input.truth), read_stack(snakemake.input.prediction))
require_scores(scores.values(), snakemake.input.prediction, snakemake.input.truth, "spectral_fuse")
seconds = json.loads(Path(snakemake.input.run).read_text())["seconds"]
row = {"site": w.site, "method": w.method, **scores, "seconds": seconds}
write_text(snakemake.output[0], pd.DataFrame([row]).to_csv(index=False))
log.info("%s: %s", w.method, scores)
