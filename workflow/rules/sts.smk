# Spatio-temporal-spectral fusion (SPEC 3.7, paper 000) by its simulation protocol: the three series
# are simulated from a fine hyperspectral truth, each method predicts every date, and the held-out dates
# (no hyperspectral observation) are scored against the truth.


rule sts_fuse:
    input:
        truths=lambda wildcards: sts_truths(wildcards.site),
    output:
        directory(f"{RESULTS}/{{site}}/sts/{{method}}/predictions"),
    log:
        f"{RESULTS}/logs/{{site}}/sts_fuse_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/sts_fuse_{{method}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: workflow.cores
    resources:
        gpu=1,
    params:
        spec=lambda wildcards: config["sites"][wildcards.site]["sts"],
        method=lambda wildcards: config["sts_methods"][wildcards.method],
        training=config["training"],
        seed=config["seed"],
    script:
        "../scripts/sts_fuse.py"


rule sts_evaluate:
    input:
        predictions=f"{RESULTS}/{{site}}/sts/{{method}}/predictions",
        truths=lambda wildcards: sts_truths(wildcards.site),
        benchmark=f"{RESULTS}/benchmarks/{{site}}/sts_fuse_{{method}}.tsv",
    output:
        f"{RESULTS}/{{site}}/sts/metrics/{{method}}.csv",
    log:
        f"{RESULTS}/logs/{{site}}/sts_evaluate_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        spec=lambda wildcards: config["sites"][wildcards.site]["sts"],
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
