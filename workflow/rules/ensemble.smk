# The ensemble family (issue 26: `model: ensemble`, `model: best`): per site and ensemble, its weights fitted on the
# members' predictions of the dates they all hold out (rule ensemble_weights), then every date the members all
# predict combined with them in one job (rule ensemble_predict), each date linked to its path by link_prediction
# (predict.smk) and scored by rule evaluate like any method. A new date re-runs the ensemble's job (weighted sums of
# its members' COGs: seconds), a new pair date its weights too.
# Input functions: ensemble_inputs.smk; RESULTS from common.smk.


rule ensemble_weights:
    input:
        unpack(ensemble_weights_inputs),
    output:
        ensemble_weights_file("{site}", "{method}"),
    log:
        f"{RESULTS}/logs/{{site}}/ensemble_weights_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        model=lambda wildcards: config["methods"][wildcards.method]["model"],
        members=lambda wildcards: members_of(wildcards.site, wildcards.method),
        dates=lambda wildcards: fitting_dates(wildcards.site, wildcards.method),
        storage=lambda wildcards: fine_storage_override(wildcards.site),
    script:
        "../scripts/ensemble_weights.py"


rule ensemble_predict:
    input:
        unpack(ensemble_prediction_inputs),
    output:
        directory(ensemble_folder("{site}", "{method}")),
    log:
        f"{RESULTS}/logs/{{site}}/ensemble_predict_{{method}}.log",
    benchmark:
        ensemble_benchmark("{site}", "{method}")
    conda:
        "../../envs/geo.yaml"
    params:
        dates=lambda wildcards: ensemble_dates(wildcards.site, wildcards.method),  # a new date re-runs the job
    script:
        "../scripts/ensemble_predict.py"
