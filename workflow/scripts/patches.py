"""Rule patches: cut every training and validation group of a site into stored patches."""
import numpy as np

from stfusion.io import atomic_path, read_stack
from stfusion.pairing import require_groups
from stfusion.patches import ARRAYS, cut_patches
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
groups, fusion = snakemake.params.groups, snakemake.params.fusion
require_groups(groups["training"], w.site, int(w.k))
matched = f"{snakemake.config.get('results', 'results')}/{w.site}/matched"


def scene(sensor, date):
    return read_stack(f"{matched}/{sensor}/{date}.tif")


arrays = {name: [] for name in (*ARRAYS, "group", "validation")}
for split in ("training", "validation"):
    for index, group in enumerate(groups[split]):
        refs = group["references"]
        patches = cut_patches(
            np.stack([scene(fusion["fine"], d) for d in refs]),
            np.stack([scene(fusion["coarse"], d) for d in refs]),
            scene(fusion["coarse"], group["target"]),
            scene(fusion["fine"], group["target"]),
            snakemake.params.ratio,
            snakemake.params.patches["size"],
            snakemake.params.patches["stride"],
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
with atomic_path(snakemake.output[0]) as tmp, open(tmp, "wb") as handle:
    np.savez(handle, **{name: np.concatenate(parts) for name, parts in arrays.items()})
