"""Rule sts_summary: methods x the hyperspectral metrics (stfusion.metrics.CUBE_TABLE) per date and averaged, with run times."""
import pandas as pd

from stfusion.evaluation import sts_summary
from stfusion.io import write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
scores = pd.concat([pd.read_csv(path, dtype={"date": str}) for path in snakemake.input], ignore_index=True)
table = sts_summary(scores)
write_text(snakemake.output[0], table.to_csv(sep="\t", float_format="%.4f"))
log.info("\n%s", table.to_string(float_format=lambda v: f"{v:.4f}"))
