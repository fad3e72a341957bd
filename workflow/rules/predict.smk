# Prediction: every coarse date of the series that has reference pairs, in tiles.
# Input functions: fusion_inputs.smk; RESULTS from common.smk.


rule predict:
    input:
        unpack(prediction_inputs),
    output:
        f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}.tif",
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
