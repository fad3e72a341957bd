# Spatio-temporal-spectral fusion (Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion
# Method via Multi-task Learning"). A site's `sts:` block names its hyperspectral, fine and multispectral (MS)
# sensors. By default (`protocol: observed`) the three series are the site's cleaned scenes of those sensors
# that the inventory kept; `protocol: simulated` is the Dataset I of Peng et al., the series simulated from a
# fine hyperspectral truth. The series plan (sts/series.json) says which scenes train and
# which predict each MS date; sts_train fits a method once, sts_predict predicts one date, and where a truth
# exists every date is scored.
# Input functions: sts_inputs.smk; RESULTS from common.smk.


checkpoint sts_series:
    input:
        sts_series_inputs,
    output:
        f"{RESULTS}/{{site}}/sts/series.json",
    log:
        f"{RESULTS}/logs/{{site}}/sts_series.log",
    conda:
        "../../envs/torch.yaml"  # stfusion.sts imports torch
    params:
        spec=sts_spec,
    script:
        "../scripts/sts_series.py"


rule sts_simulate:
    input:
        lambda wildcards: sts_truth(wildcards.site, wildcards.date),
    output:
        f"{RESULTS}/{{site}}/sts/simulated/{{sensor}}/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/sts_simulate/{{sensor}}_{{date}}.log",
    conda:
        "../../envs/torch.yaml"  # stfusion.sts imports torch
    params:
        spec=sts_spec,
        sensors=sts_sensors,
    script:
        "../scripts/sts_simulate.py"


rule sts_train:
    input:
        unpack(sts_training_inputs),
    output:
        model=f"{RESULTS}/{{site}}/sts/{{method}}/model.pt",
        record=f"{RESULTS}/{{site}}/sts/{{method}}/training.json",
    log:
        f"{RESULTS}/logs/{{site}}/sts_train_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/sts/train_{{method}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores  # read per job, so `snakemake --unlock` needs no --cores
    resources:
        gpu=1,
    params:
        dates=sts_training_dates,
        spec=sts_spec,
        method=lambda wildcards: config["sts_methods"][wildcards.method],
        sensors=sts_sensors,
        config=method_config,
    script:
        "../scripts/sts_train.py"


rule sts_predict:
    input:
        unpack(sts_prediction_inputs),
    output:
        f"{RESULTS}/{{site}}/sts/{{method}}/predictions/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/sts_predict/{{method}}_{{date}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/sts/predict_{{method}}_{{date}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores if sts_trained(wildcards.method) else 1
    resources:
        gpu=lambda wildcards: int(sts_trained(wildcards.method)),
    params:
        dates=sts_prediction_dates,
        spec=sts_spec,
        method=lambda wildcards: config["sts_methods"][wildcards.method],
        sensors=sts_sensors,
        config=method_config,
    script:
        "../scripts/sts_predict.py"


rule sts_evaluate:
    input:
        unpack(sts_evaluation_inputs),
    output:
        f"{RESULTS}/{{site}}/sts/metrics/{{method}}.csv",
    log:
        f"{RESULTS}/logs/{{site}}/sts_evaluate_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        dates=lambda wildcards: sts_plan(wildcards.site)["ms"],  # the order of `predictions` and `truths`
        held_out=lambda wildcards: sts_plan(wildcards.site)["held_out"],
    script:
        "../scripts/sts_evaluate.py"


rule sts_summary:
    input:
        lambda wildcards: [
            f"{RESULTS}/{wildcards.site}/sts/metrics/{m}.csv" for m in config["sites"][wildcards.site]["sts"]["methods"]
        ],
    output:
        report(
            f"{RESULTS}/{{site}}/sts/summary.tsv",
            caption="../report/sts_summary.rst",
            category="{site}",
            subcategory="Spatio-temporal-spectral fusion",
        ),
    log:
        f"{RESULTS}/logs/{{site}}/sts_summary.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/sts_summary.py"
