"""Rule sts_series: a site's series plan (which scenes train, which predict each MS date) from the inventory's
kept scenes of its three STS sensors, or from the dates of its simulation."""
import json

import pandas as pd

from stfusion.io import write_text
from stfusion.runlog import log_to
from stfusion.sts.series import ROLES, plan_series

log = log_to(snakemake.log[0])
w, spec = snakemake.wildcards, snakemake.params.spec
key = f"sites.{w.site}.sts"
if spec["protocol"] == "simulated":
    dates, source = {"fine": spec["fine_dates"], "ms": spec["dates"], "hs": spec["hs_dates"]}, f"{key}.dates"
else:
    inventory = pd.read_csv(snakemake.input[0], sep="\t", dtype={"date": str})
    kept = inventory[inventory.kept.astype(bool)]
    dates = {role: list(kept[kept.sensor == spec[f"{role}_sensor"]].date) for role in ROLES}
    source = snakemake.input[0]
plan = plan_series(dates, key, source)
write_text(snakemake.output[0], json.dumps(plan, indent=1))
log.info("%s: %s; training on %s; held out: %s", key, {r: len(plan[r]) for r in ROLES},
         {r: len(d) for r, d in plan["training"].items()}, ", ".join(plan["held_out"]) or "none")
