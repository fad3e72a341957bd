"""Rule series_catalogue: a site's prediction, quality and uncertainty COGs as a STAC collection, one item per date."""
import json
from pathlib import Path

from stfusion.bands import BandPair
from stfusion.grid import SiteGrid
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors
from stfusion.series.catalogue import spectral_bands, write_catalogue

log = log_to(snakemake.log[0])
site, files = snakemake.wildcards.site, snakemake.params.files
fine = next(iter(read_sensors(snakemake.input.sensor).values()))
pairs = [BandPair(**pair) for pair in json.loads(Path(snakemake.input.bands).read_text())["bands"]]
write_catalogue(Path(snakemake.output[0]).parent, site, SiteGrid.from_json(snakemake.input.grid),
                files["predictions"], files["qualities"], spectral_bands(pairs, fine), files["uncertainties"])
log.info("%s: %d methods, %d dates", site, len(files["predictions"]),
         len({d for by_date in files["predictions"].values() for d in by_date}))
