# Prediction: every date a method predicts (stfusion.schedule) that has reference pairs, from the date's gap-filled
# coarse image (gapfill.smk), with its quality COG (stfusion.quality_band). One job per reference group (issue 28):
# the dates predicted from the same reference pairs share one process, one reading of the references and a classical
# method's work on them (stfusion.predict_group); each date then gets its path of before by a local rule.
# Input functions: fusion_inputs.smk; RESULTS from common.smk.
from pathlib import Path

from stfusion.links import expose


rule predict:
    input:
        unpack(prediction_inputs),
    output:
        directory(group_folder("{site}", "{method}", "{references}")),
    log:
        f"{RESULTS}/logs/{{site}}/predict_{{method}}_{{references}}.log",
    benchmark:
        group_benchmark("{site}", "{method}", "{references}")
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores if is_deep(wildcards.method) else 1  # others: many jobs side by side
    resources:
        gpu=lambda wildcards: int(uses_gpu(wildcards.method)),
    params:
        method=lambda wildcards: config["methods"][wildcards.method],
        references=lambda wildcards: wildcards.references.split("_"),
        dates=group_dates,
        fine_sensor=lambda wildcards: config["sites"][wildcards.site]["fusion"]["fine"],
        prediction=config["prediction"],
        device=config["training"]["device"],
    script:
        "../scripts/predict.py"


localrules:
    link_prediction,


rule link_prediction:  # in the Snakemake process itself (a local rule with `run:`): no process start per date
    input:
        prediction_folder,
    output:
        prediction=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}.tif",
        quality=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}_quality.tif",
    run:
        for name in ("prediction", "quality"):  # stfusion.links: hard links (or copies), dated now
            expose(Path(input[0]) / Path(output[name]).name, output[name])
