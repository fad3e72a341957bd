"""Rule predict: one fine image for one date from its gap-filled coarse image, by a trained model in tiles, a
classical method or a naive baseline (the model's family in stfusion.methods), and its quality COG."""
import datetime as dt

import numpy as np

from stfusion.integrity import rerun_hint
from stfusion.io import read_raster, read_stack, write_cog
from stfusion.methods import FUSION
from stfusion.predict import fill_from_coarse, prepare_inputs, require_predicted, valid_inputs
from stfusion.quality_band import DESCRIPTION, NO_CLEAR_REFERENCE, QUALITY_BANDS, quality_band
from stfusion.runlog import log_to
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, method = snakemake.wildcards, snakemake.params.method
use_threads(snakemake.threads)
group = snakemake.params.group
first_ref = read_raster(snakemake.input.fine_refs[0])
fine_refs = np.stack([first_ref.data] + [read_stack(p) for p in snakemake.input.fine_refs[1:]])
coarse_refs = np.stack([read_stack(p) for p in snakemake.input.coarse_refs])
coarse_t1 = read_stack(snakemake.input.coarse_t1)
ratio = fine_refs.shape[-1] // coarse_t1.shape[-1]
days = [abs((dt.date.fromisoformat(w.date) - dt.date.fromisoformat(d)).days) for d in group["references"]]
fill = read_stack(snakemake.input.fill)
quality = quality_band(fill[0], fill[1], fine_refs, days, ratio)  # from the references as read, before their filling
entry = FUSION[method["model"]]
valid = valid_inputs(fine_refs, coarse_refs, coarse_t1, ratio)
if entry.family != "naive":  # PyTorch only where it is used: a naive job starts in a fraction of the time
    from stfusion.train import resolve_device
    device = resolve_device(snakemake.params.device)
if entry.family == "classical":  # NaN-aware themselves: they see the masks
    prediction = entry.load()(fine_refs, coarse_refs, coarse_t1, ratio, block=snakemake.params.prediction["block"],
                              device=device, **method.get("options", {}))  # checked at DAG build (check_config)
else:
    fine_refs, coarse_refs, coarse_t1, missing = prepare_inputs(fine_refs, coarse_refs, coarse_t1, ratio)
    if entry.family == "naive":
        prediction = entry.load()(fine_refs, coarse_refs, coarse_t1, ratio, days)
    else:
        from stfusion.artefacts import load_model
        from stfusion.tiling import predict_scene
        model = load_model(snakemake.input.weights)
        log.info("%s: weights %s", w.method, snakemake.input.weights)  # another method's where training settings match
        tiles = snakemake.params.prediction
        prediction = predict_scene(model, fine_refs, coarse_refs, coarse_t1, tiles["tile"], tiles["overlap"], device,
                                   tiles["batch_pixels"])
    prediction = np.where(missing, np.nan, prediction)
prediction = prediction.astype(np.float32)
quality[:, np.isnan(prediction).all(axis=0)] = np.nan  # NaN where the prediction is: outside the data
if entry.family == "deep":
    fix = (f"its model {snakemake.input.weights} predicts nothing (damaged, or a training that diverged): "
           f"{rerun_hint(snakemake.input.weights, 'train')}")
else:
    fix = f"the method gives no value there: check its options, `methods.{w.method}` in the config"
require_predicted(prediction, valid, f"the {w.method} prediction of {w.date}", fix)
if entry.family == "classical":  # NaN only outside the data: the coarse image where the method reads no fine pixel
    prediction, from_coarse = fill_from_coarse(prediction, coarse_t1, ratio)
    quality[2, from_coarse] = NO_CLEAR_REFERENCE
    log.info("%s %s: %d pixels without a usable fine reference take the coarse image", w.method, w.date,
             int(from_coarse.sum()))
tags = {"site": w.site, "date": w.date, "stage": "prediction", "method": w.method, "model": method["model"],
        "reference_dates": ",".join(group["references"]), "sensor": snakemake.params.fine_sensor}
write_cog(snakemake.output.prediction, prediction, first_ref.crs, first_ref.transform, first_ref.names, tags)
write_cog(snakemake.output.quality, quality, first_ref.crs, first_ref.transform, list(QUALITY_BANDS),
          {**tags, "stage": "quality", "bands": DESCRIPTION})
log.info("%s %s from references %s", w.method, w.date, group["references"])
