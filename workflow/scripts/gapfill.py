"""Rule gapfill: the coarse image of a date with its gaps filled in time, and its per-pixel fill info."""
import numpy as np

from stfusion.gapfill import FILLED_BETWEEN, FILLED_ONE_SIDE, days_between, fill_linear
from stfusion.io import read_raster, write_cog
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
scenes = [read_raster(path) for path in snakemake.input]
first = scenes[0]
offsets = [days_between(date, w.date) for date in snakemake.params.dates]
value, info = fill_linear(np.stack([s.data for s in scenes]), offsets, snakemake.params.max_gap_days)
tags = {"site": w.site, "date": w.date, "stage": "filled", "sensor": first.tags.get("sensor", ""),
        "scenes": ",".join(snakemake.params.dates), "max_gap_days": snakemake.params.max_gap_days}
write_cog(snakemake.output.coarse, value, first.crs, first.transform, first.names, tags)
write_cog(snakemake.output.fill, np.stack([info.state, info.days_to_clear]), first.crs, first.transform,
          ["coarse_state", "coarse_days_to_clear"], tags)
shares = {name: float(np.mean(info.state == code)) for name, code in (("between", FILLED_BETWEEN),
                                                                       ("one side", FILLED_ONE_SIDE))}
log.info("%s %s from %s: %.1f %% filled between, %.1f %% from one side, %.1f %% unfilled", w.site, w.date,
         snakemake.params.dates, 100 * shares["between"], 100 * shares["one side"], 100 * np.isnan(info.state).mean())
