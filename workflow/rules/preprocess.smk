# Preprocessing: catalogue, reprojection to the site's UTM grid with scale
# harmonisation, quality filtering with a scene inventory, and band matching.
# Input functions: scene_inputs.smk, job_params.smk; RESULTS and SCENES from common.smk.


# Each sensor's definition as the file that the jobs using the sensor read (config.read_sensors), so that editing one
# sensor, in the config or the registry, re-runs its own jobs and not the others'. A file and not a parameter of those
# jobs: when the catalogue runs again, Snakemake checks no job downstream of it (reproject: ancient catalogue) for
# changed params or inputs, only for an input that a job about to run makes (snakemake/snakemake#4166).
# A local rule: writing a small YAML file is not worth a cluster job and its queue wait.
localrules:
    sensor_definition,


rule sensor_definition:
    input:
        srf_table,
    output:
        f"{RESULTS}/sensors/{{sensor}}.yaml",
    log:
        f"{RESULTS}/logs/sensors/{{sensor}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        definition=lambda wildcards: sensor_definition(wildcards.sensor),
    script:
        "../scripts/sensor_definition.py"


rule catalogue:
    input:
        site_raw_files,
        sensors=lambda wildcards: sensor_files(config["sites"][wildcards.site]["sensors"]),
    output:
        catalogue=f"{RESULTS}/{{site}}/catalogue.tsv",
        grid=f"{RESULTS}/{{site}}/grid.json",
    log:
        f"{RESULTS}/logs/{{site}}/catalogue.log",
    conda:
        "../../envs/geo.yaml"
    params:
        rows=lambda wildcards: SCENES[SCENES.site == wildcards.site].to_dict("records"),
        site=site_config,
        grid=site_grid_fields,
    script:
        "../scripts/catalogue.py"


rule reproject:
    input:
        unpack(raw_inputs),
        # ancient: a new scene re-runs the catalogue but must not re-run the other scenes' jobs
        catalogue=ancient(f"{RESULTS}/{{site}}/catalogue.tsv"),
        grid=ancient(f"{RESULTS}/{{site}}/grid.json"),
        sensors=lambda wildcards: sensor_files([wildcards.sensor]),
    output:
        reflectance=f"{RESULTS}/{{site}}/grid/{{sensor}}/{{date}}.tif",
        flags=f"{RESULTS}/{{site}}/grid/{{sensor}}/{{date}}_flags.tif",
    log:
        f"{RESULTS}/logs/{{site}}/reproject/{{sensor}}_{{date}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        row=lambda wildcards: scene_row(wildcards).to_dict(),
        site=site_config,
        upsampling=config["reproject"]["upsampling"],
    script:
        "../scripts/reproject.py"


rule quality:
    input:
        reflectance=rules.reproject.output.reflectance,
        flags=rules.reproject.output.flags,
        sensors=lambda wildcards: sensor_files([wildcards.sensor]),
    output:
        report=f"{RESULTS}/{{site}}/qa/{{sensor}}/{{date}}.json",
        clean=f"{RESULTS}/{{site}}/clean/{{sensor}}/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/quality/{{sensor}}_{{date}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        quality=config["quality"],
        ratio=lambda wildcards: config["sites"][wildcards.site]["sensors"][wildcards.sensor],
    script:
        "../scripts/quality.py"


rule inventory:
    input:
        catalogue=f"{RESULTS}/{{site}}/catalogue.tsv",
        reports=lambda wildcards: [
            f"{RESULTS}/{wildcards.site}/qa/{sensor}/{date}.json" for sensor, date in site_scenes(wildcards.site)
        ],
    output:
        f"{RESULTS}/{{site}}/qa/inventory.tsv",
    log:
        f"{RESULTS}/logs/{{site}}/inventory.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/inventory.py"


rule band_table:
    input:
        sensors=lambda wildcards: sensor_files(
            config["sites"][wildcards.site]["fusion"][r] for r in ("fine", "coarse")
        ),
    output:
        f"{RESULTS}/{{site}}/matched/bands.json",
    log:
        f"{RESULTS}/logs/{{site}}/band_table.log",
    conda:
        "../../envs/geo.yaml"
    params:
        site=site_config,
        min_overlap=config["band_matching"]["min_overlap"],
    script:
        "../scripts/band_table.py"


rule match_bands:
    input:
        clean=rules.quality.output.clean,
        bands=rules.band_table.output[0],
    output:
        f"{RESULTS}/{{site}}/matched/{{sensor}}/{{date}}.tif",
    log:
        f"{RESULTS}/logs/{{site}}/match_bands/{{sensor}}_{{date}}.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/match_bands.py"
