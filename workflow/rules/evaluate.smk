# Evaluation: every prediction that has a truth (simulated truth, or a held-out
# observation) is scored into a tidy CSV, and a per-site table averages the held-out dates.
# Input functions: fusion_inputs.smk; RESULTS from common.smk.
from stfusion.config import site_methods


rule evaluate:
    input:
        unpack(evaluation_inputs),
    output:
        f"{RESULTS}/{{site}}/metrics/{{method}}.csv",
    log:
        f"{RESULTS}/logs/{{site}}/evaluate_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        pixel_ratio=lambda wildcards: 1 / fusion_ratio(wildcards.site),
        trained_on=trained_targets,
        storage=lambda wildcards: fine_storage_override(wildcards.site),
    script:
        "../scripts/evaluate.py"


rule summary:
    input:
        lambda wildcards: [
            f"{RESULTS}/{wildcards.site}/metrics/{method}.csv" for method in site_methods(config, wildcards.site)
        ],
    output:
        report(
            f"{RESULTS}/{{site}}/metrics/summary.tsv",
            caption="../report/summary.rst",
            category="{site}",
            subcategory="Spatiotemporal fusion",
        ),
    log:
        f"{RESULTS}/logs/{{site}}/summary.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/summary.py"
