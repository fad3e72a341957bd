"""Rule sensor_definition: a sensor's definition (config entry or registry file) as the file its jobs read."""
import yaml

from stfusion.io import write_text
from stfusion.runlog import log_to
from stfusion.sensors import load_sensor

log = log_to(snakemake.log[0])
name, definition = snakemake.wildcards.sensor, snakemake.params.definition
sensor = load_sensor(name, {name: definition})  # a bad definition fails here, before the file exists
write_text(snakemake.output[0], yaml.safe_dump(definition, sort_keys=False))
log.info("%s: %d bands (%s), %s SRF", name, len(sensor.bands), ", ".join(sensor.band_names), sensor.srf_kind)
