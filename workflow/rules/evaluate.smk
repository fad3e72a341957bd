# Evaluation: every prediction that has a truth (simulated truth, or a held-out
# observation) is scored into a tidy CSV with what the date was to the method (held out, validation or training
# target), and a per-site table averages the dates that every method holds out (a second: each method's own dates;
# a third, the cross-validation table: each method's RMSE per scored date and band, stfusion.cross_validation).
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
        roles=target_roles,
        # per scored date its group's predict job and that job's number of dates (the date's share of its time)
        benchmark_of=lambda wildcards: date_benchmarks(wildcards.site, wildcards.method,
                                                       scored_dates(wildcards.site, wildcards.method)),
        storage=lambda wildcards: fine_storage_override(wildcards.site),
    script:
        "../scripts/evaluate.py"


rule summary:
    input:
        lambda wildcards: [
            f"{RESULTS}/{wildcards.site}/metrics/{method}.csv" for method in site_methods(config, wildcards.site)
        ],
    output:
        summary=report(
            f"{RESULTS}/{{site}}/metrics/summary.tsv",
            caption="../report/summary.rst",
            category="{site}",
            subcategory="Spatiotemporal fusion",
        ),
        own_dates=f"{RESULTS}/{{site}}/metrics/summary_own_dates.tsv",
        cross_validation=f"{RESULTS}/{{site}}/metrics/cross_validation.tsv",
    log:
        f"{RESULTS}/logs/{{site}}/summary.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/summary.py"
