"""Rule inventory: the scene inventory of a site (catalogue + quality decision per scene)."""
import json

import pandas as pd

from stfusion.io import write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
catalogue = pd.read_csv(snakemake.input.catalogue, sep="\t", dtype={"date": str})
reports = pd.DataFrame([json.loads(open(path).read()) for path in snakemake.input.reports])
inventory = catalogue[["site", "sensor", "date", "path", "crs", "bbox_coverage"]].merge(reports, on=["site", "sensor", "date"])
inventory = inventory.sort_values(["sensor", "date"])
write_text(snakemake.output[0], inventory.to_csv(sep="\t", index=False))
log.info("%d scenes kept, %d dropped", inventory.kept.sum(), (~inventory.kept).sum())
