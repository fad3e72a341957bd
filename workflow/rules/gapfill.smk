# Gap filling of the coarse series (issue 25, item 1): per site and date to predict, the coarse image with its cloud,
# shadow and nodata pixels filled from the same pixels' clear observations before and after (stfusion.gapfill), and
# per pixel how (observed or filled, days to the nearest clear observation). Its inputs are the matched coarse scenes
# that can change it (filling_scenes), so a new coarse scene re-runs only the dates it can change.
# Input functions: fusion_inputs.smk; RESULTS from common.smk.


rule gapfill:
    input:
        gapfill_scenes,
    output:
        coarse=f"{RESULTS}/{{site}}/filled/{{date}}.tif",
        fill=f"{RESULTS}/{{site}}/filled/{{date}}_fill.tif",
    log:
        f"{RESULTS}/logs/{{site}}/gapfill/{{date}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        dates=gapfill_dates,
        max_gap_days=config["gap_filling"]["max_gap_days"],
    script:
        "../scripts/gapfill.py"
