"""Rule spectral_summary: methods x the hyperspectral table's metrics (stfusion.metrics.CUBE_TABLE) and run time of
one site."""
import pandas as pd

from stfusion.io import write_text
from stfusion.metrics import CUBE_TABLE
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
table = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)
table = table[["method", *CUBE_TABLE, "seconds"]]
write_text(snakemake.output[0], table.to_csv(sep="\t", index=False, float_format="%.4f"))
log.info("\n%s", table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
