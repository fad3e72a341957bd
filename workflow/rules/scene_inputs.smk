# Input functions of the preprocessing rules (preprocess.smk, simulate.smk, demo.smk): each scene's files and the
# site settings the preprocessing depends on. Uses SCENES and PRODUCTS (common.smk).
from stfusion.demo.scenario import all_raw_files, truth_files
from stfusion.products import Product


def scene_row(wildcards):
    """The scene-table row of (site, sensor, date)."""
    rows = SCENES[
        (SCENES.site == wildcards.site) & (SCENES.sensor == wildcards.sensor) & (SCENES.date == wildcards.date)
    ]
    return rows.iloc[0]


def scene_product(row):
    """The product of a scene-table row (a demo scene: the raster it will be)."""
    return PRODUCTS.get((row.site, row.sensor, row.date), Product(path=row.path, family="raster"))


def raw_inputs(wildcards):
    """The files a scene is read from (a raster, or a product's metadata, band and QA files) and the table's QA file."""
    row = scene_row(wildcards)
    files = {"scene": scene_product(row).files}
    return {**files, "qa": row.qa} if row.qa else files


def site_scenes(site):
    """(sensor, date) of every scene of a site."""
    rows = SCENES[SCENES.site == site]
    return list(zip(rows.sensor, rows.date))


def site_raw_files(wildcards):
    rows = SCENES[SCENES.site == wildcards.site]
    products = [scene_product(r) for r in rows.itertuples()]
    return sorted({f for p in products for f in p.files} | set(p for p in rows.qa if p))


EXPERIMENT_KEYS = ("methods", "truth", "sts", "spectral", "series")  # what a site runs and scores, not how its scenes are read


def site_config(wildcards):
    """The site's config entry without its experiment keys: a parameter of the preprocessing rules, so that a change
    to the grid, sensors, storage or QA re-runs them, and a method added or a truth named does not."""
    return {k: v for k, v in config["sites"][wildcards.site].items() if k not in EXPERIMENT_KEYS}


def demo_files(out_dir):
    """Every file that the demo writes (raw scenes or products in its layout, QA files and the truth)."""
    return all_raw_files(out_dir, config["demo"].get("layout", "stacked")) + truth_files(out_dir)


def simulation(wildcards):
    """The config's `simulate` entry for this site, target and source."""
    for sim in config.get("simulate", []):
        if (sim["site"], sim["target"], sim["source"]) == (wildcards.site, wildcards.sensor, wildcards.source):
            return sim
    raise ValueError(f"no `simulate` entry for {wildcards}")
