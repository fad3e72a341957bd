"""Rule simulate: a target sensor's scene from a finer-spectrum scene (SRF integration, degradation)."""
from affine import Affine

from stfusion.io import read_raster, write_cog
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors
from stfusion.simulate import degrade, simulate_spectral

log = log_to(snakemake.log[0])
sim = snakemake.params.simulation
sensors = read_sensors(snakemake.input.sensors)
source, target = sensors[sim["source"]], sensors[sim["target"]]
scene = read_raster(snakemake.input.scene)
centres = [band.centre_nm for band in source.bands]
ratio = sim.get("ratio", 1)
image = degrade(simulate_spectral(scene.data, centres, target), ratio, sim.get("method", "bilinear"))
tags = {**scene.tags, "stage": "simulated", "sensor": target.name, "simulated_from": source.name, "ratio": ratio}
write_cog(snakemake.output[0], image, scene.crs, scene.transform @ Affine.scale(ratio), target.band_names, tags)
log.info("%s from %s at ratio %d", target.name, source.name, ratio)
