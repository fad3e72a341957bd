"""Rule summary: methods x metrics over the held-out dates of a site (as in the tables of Tan et al. 2019)."""
import pandas as pd

from stfusion.evaluation import summary
from stfusion.io import write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
scores = pd.concat([pd.read_csv(path, dtype={"date": str}) for path in snakemake.input], ignore_index=True)
table = summary(scores)
write_text(snakemake.output[0], table.to_csv(sep="\t", float_format="%.4f"))
log.info("\n%s", table.to_string(float_format=lambda v: f"{v:.4f}"))
