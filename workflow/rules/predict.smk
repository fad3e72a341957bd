# Prediction: every date a method predicts (stfusion.schedule) that has reference pairs, in tiles, from the date's
# gap-filled coarse image (gapfill.smk), with its quality COG (stfusion.quality_band).
# Input functions: fusion_inputs.smk; RESULTS from common.smk.


rule predict:
    input:
        unpack(prediction_inputs),
    output:
        prediction=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}.tif",
        quality=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}_quality.tif",
    log:
        f"{RESULTS}/logs/{{site}}/predict_{{method}}_{{date}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/predict_{{method}}_{{date}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores if is_deep(wildcards.method) else 1  # others: many jobs side by side
    resources:
        gpu=lambda wildcards: int(uses_gpu(wildcards.method)),
    params:
        method=lambda wildcards: config["methods"][wildcards.method],
        group=prediction_group,
        fine_sensor=lambda wildcards: config["sites"][wildcards.site]["fusion"]["fine"],
        prediction=config["prediction"],
        device=config["training"]["device"],
    script:
        "../scripts/predict.py"
