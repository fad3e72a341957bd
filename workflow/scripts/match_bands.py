"""Rule match_bands: keep a scene's matched bands, in the matched order, under the matched names."""
import json

from stfusion.io import read_raster, write_cog
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
table = json.loads(open(snakemake.input.bands).read())
role = "fine" if w.sensor == table["fine"] else "coarse"
scene = read_raster(snakemake.input.clean)
selected = [scene.names.index(pair[role]) for pair in table["bands"]]
tags = {**scene.tags, "stage": "matched", "role": role}
write_cog(snakemake.output[0], scene.data[selected], scene.crs, scene.transform, [p["name"] for p in table["bands"]], tags)
log.info("%s %s %s: bands %s", w.site, w.sensor, w.date, [p[role] for p in table["bands"]])
