# Prediction: every date a method predicts (stfusion.schedule) that has reference pairs, from the date's gap-filled
# coarse image (gapfill.smk), with its quality COG (stfusion.quality_band). One job per reference group (issue 28):
# the dates predicted from the same reference pairs share one process, one reading of the references and a classical
# method's work on them (stfusion.predict_group); each date then gets its path of before by a local rule
# (link_prediction).
# Input functions: fusion_inputs.smk; RESULTS from common.smk.


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


def link_command(*names):
    """The shell command of a local link rule: each params.<name> to output.<name>, a hard link, a copy where the file
    system refuses one, then dated now. A local shell job (a `run:` job would cost more: Snakemake 9's local executor
    starts a whole Snakemake process for each). Dated now: Snakemake dates a folder output by the
    .snakemake_timestamp it writes when the job ends, after the files inside, so a link that kept its file's time
    would look older than its input and run again each time."""
    links = [f"(ln -f {{params.{n}:q}} {{output.{n}:q}} 2>/dev/null || cp {{params.{n}:q}} {{output.{n}:q}})"
             for n in names]
    return " && ".join([*links, "touch " + " ".join(f"{{output.{n}:q}}" for n in names)])


# Each date of a group's folder at its path of before (also the uncertainty's link, uncertainty.smk).
rule link_prediction:
    input:
        prediction_folder,
    output:
        prediction=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}.tif",
        quality=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}_quality.tif",
    conda:
        "../../envs/geo.yaml"  # ln, cp and touch only: the environment every light rule shares
    params:
        prediction=lambda wildcards, input: f"{input[0]}/{wildcards.date}.tif",
        quality=lambda wildcards, input: f"{input[0]}/{wildcards.date}_quality.tif",
    shell:
        link_command("prediction", "quality")
