"""Rule patches: cut every training and validation group of a site into stored patches; with one training
target, held-out windows of its groups validate (``patches.window_split``)."""
from pathlib import Path

import numpy as np

from stfusion.io import read_stack
from stfusion.pairing import require_groups
from stfusion.patches import ARRAYS, cut_patches, save_patches, window_split
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
groups, fusion = snakemake.params.groups, snakemake.params.fusion
require_groups(groups["training"], w.site, int(w.k), snakemake.params.inventory)
matched = {(Path(path).parent.name, Path(path).stem): path for path in snakemake.input}  # <sensor>/<date>.tif


def scene(sensor, date):
    return read_stack(matched[sensor, date])


sizes = snakemake.params.patches
windows = None  # held-out windows when no validation group is possible (one training target)
if not groups["validation"]:
    height = scene(fusion["coarse"], groups["training"][0]["target"]).shape[-2]
    windows = window_split(height, sizes["size"], sizes["stride"], snakemake.params.validation_fraction)
    log.info("one training target, no validation group: window rows %s of every group are held out for "
             "validation, rows %s train", windows[1] or "(none: the scene is too small)", windows[0])
if windows is None:
    jobs = [(split, group, None) for split in ("training", "validation") for group in groups[split]]
else:
    jobs = [(split, group, rows) for group in groups["training"]
            for split, rows in zip(("training", "validation"), windows) if rows]
arrays = {name: [] for name in (*ARRAYS, "group", "validation")}
for split, group, rows in jobs:
    refs = group["references"]
    patches = cut_patches(
        np.stack([scene(fusion["fine"], d) for d in refs]),
        np.stack([scene(fusion["coarse"], d) for d in refs]),
        scene(fusion["coarse"], group["target"]),
        scene(fusion["fine"], group["target"]),
        snakemake.params.ratio, sizes["size"], sizes["stride"], rows,
    )
    count = len(patches["target"])
    log.info("%s group %s: %d patches", split, "_".join([group["target"], *refs]), count)
    if count:
        for name in ARRAYS:
            arrays[name].append(patches[name])
        arrays["group"].append(np.full(count, f"{group['target']}:{','.join(refs)}"))
        arrays["validation"].append(np.full(count, split == "validation"))
if not arrays["target"]:
    raise ValueError(f"no NaN-free patch in any group of site {w.site}: lower `patches.size` or check the cloud masks")
save_patches(snakemake.output[0], {name: np.concatenate(parts) for name, parts in arrays.items()})
