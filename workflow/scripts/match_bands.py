"""Rule match_bands: keep a scene's matched bands, in the matched order, under the matched names."""
import json

import rasterio

from stfusion.io import read_stack, write_cog
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
table = json.loads(open(snakemake.input.bands).read())
role = "fine" if w.sensor == table["fine"] else "coarse"
with rasterio.open(snakemake.input.clean) as src:
    profile, names, tags = src.profile, list(src.descriptions), src.tags()
selected = [names.index(pair[role]) for pair in table["bands"]]
data = read_stack(snakemake.input.clean)[selected]
tags.update(stage="matched", role=role)
write_cog(snakemake.output[0], data, str(profile["crs"]), profile["transform"], [p["name"] for p in table["bands"]], tags)
log.info("%s %s %s: bands %s", w.site, w.sensor, w.date, [p[role] for p in table["bands"]])
