# The report: one self-contained HTML page with every site's results, and the workflow
# description of Snakemake's own report (`snakemake --report report.html`).
# Input functions: report_inputs.smk; RESULTS from common.smk.


report: "../report/workflow.rst"


rule report:
    input:
        lambda wildcards: paths_in(report_files()),
    output:
        report(f"{RESULTS}/report.html", caption="../report/report.rst", category="Report"),
    log:
        f"{RESULTS}/logs/report.log",
    conda:
        "../../envs/geo.yaml"
    params:
        sites=lambda wildcards: report_files(),
        sensors=config.get("sensors"),
    script:
        "../scripts/report.py"
