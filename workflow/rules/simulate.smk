# Spectral and spatial simulation: a target sensor simulated from a finer-spectrum one.
# Input functions: scene_inputs.smk (simulation), job_params.smk (sensor_files); RESULTS from common.smk.


rule simulate:
    input:
        scene=f"{RESULTS}/{{site}}/clean/{{source}}/{{date}}.tif",
        sensors=lambda wildcards: sensor_files([wildcards.source, wildcards.sensor]),
    output:
        f"{RESULTS}/{{site}}/simulated/{{sensor}}/from_{{source}}/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/simulate/{{sensor}}_from_{{source}}_{{date}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        simulation=simulation,
    script:
        "../scripts/simulate.py"
