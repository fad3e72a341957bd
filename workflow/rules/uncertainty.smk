# The calibrated per-pixel uncertainty of every prediction (issue 26, item 3; stfusion.uncertainty): per site and
# method a calibration on the held-out residuals (with a model per calibration date left out, and the reliability
# table of those), then one job writing every date's 90 % half-width map, then per date a local link to
# predictions/{method}/{date}_uncertainty.tif, beside the prediction. The link is a job of its own, not one of
# link_prediction's outputs: the calibration reads the predictions of held-out dates, so a link made by the same
# job as theirs would depend on itself. Input functions: uncertainty_inputs.smk; link_command: predict.smk.


rule uncertainty_calibration:
    input:
        unpack(calibration_inputs),
    output:
        model=f"{RESULTS}/{{site}}/uncertainty/{{method}}/calibration.json",
        leave_one_out=directory(f"{RESULTS}/{{site}}/uncertainty/{{method}}/{LEAVE_ONE_OUT}"),
        reliability=f"{RESULTS}/{{site}}/uncertainty/{{method}}/reliability.tsv",
    log:
        f"{RESULTS}/logs/{{site}}/uncertainty_calibration_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/uncertainty_calibration_{{method}}.tsv"
    conda:
        "../../envs/geo.yaml"
    params:
        predictions=calibration_predictions,
        methods=lambda wildcards: calibration_methods(wildcards.site, wildcards.method),
        scenes=lambda wildcards: site_scenes_of_pairs(wildcards.site),
        storage=lambda wildcards: fine_storage_override(wildcards.site),
        seed=config["seed"],
    script:
        "../scripts/uncertainty_calibration.py"


rule uncertainty:
    input:
        unpack(uncertainty_inputs),
    output:
        directory(f"{RESULTS}/{{site}}/uncertainty/{{method}}/half_widths"),
    log:
        f"{RESULTS}/logs/{{site}}/uncertainty_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/uncertainty_{{method}}.tsv"
    conda:
        "../../envs/geo.yaml"
    params:
        dates=method_dates_files,
        scenes=lambda wildcards: site_scenes_of_pairs(wildcards.site),
    script:
        "../scripts/uncertainty.py"


localrules:
    link_uncertainty,


rule link_uncertainty:
    input:
        half_width_folder,
    output:
        uncertainty=f"{RESULTS}/{{site}}/predictions/{{method}}/{{date}}_uncertainty.tif",
    conda:
        "../../envs/geo.yaml"  # ln, cp and touch only, as link_prediction
    params:
        uncertainty=lambda wildcards, input: f"{input[0]}/{wildcards.date}.tif",
    shell:
        link_command("uncertainty")
