# The fused series as products (issue 25, item 4): per site and method a Zarr cube, per site a STAC collection of
# the prediction COGs, which stay the pipeline's units (a new date is one new prediction job, then the cubes of the
# methods that predict it and the collection are assembled again). Input functions: series_inputs.smk; the
# targets: series_targets (targets.smk); RESULTS from common.smk.


rule series_cube:
    input:
        unpack(cube_inputs),
    output:
        directory(f"{RESULTS}/{{site}}/series/{{method}}.zarr"),
    log:
        f"{RESULTS}/logs/{{site}}/series_cube_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    params:
        files=cube_files,
        tile=config["prediction"]["tile"],
    script:
        "../scripts/series_cube.py"


rule series_catalogue:
    input:
        unpack(catalogue_inputs),
    output:
        f"{RESULTS}/{{site}}/stac/collection.json",
    log:
        f"{RESULTS}/logs/{{site}}/series_catalogue.log",
    conda:
        "../../envs/geo.yaml"
    params:
        files=catalogue_files,
    script:
        "../scripts/series_catalogue.py"
