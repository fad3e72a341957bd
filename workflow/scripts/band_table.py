"""Rule band_table: the matched bands of a site's fine and coarse sensors (SRF overlap or mapping)."""
import json
from dataclasses import asdict

from stfusion.bands import match_bands
from stfusion.io import write_text
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors

log = log_to(snakemake.log[0])
spec = snakemake.params.site
sensors = read_sensors(snakemake.input.sensors)
fine, coarse = (sensors[spec["fusion"][role]] for role in ("fine", "coarse"))
pairs, warnings = match_bands(fine, coarse, snakemake.params.min_overlap, spec.get("band_mapping"))
for warning in warnings:
    log.warning(warning)
table = {"fine": fine.name, "coarse": coarse.name, "bands": [asdict(p) for p in pairs]}
write_text(snakemake.output[0], json.dumps(table, indent=2))
log.info("matched bands: %s", ", ".join(f"{p.name} ({p.fine}/{p.coarse}, {p.overlap})" for p in pairs))
