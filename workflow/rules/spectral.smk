# Spectral super-resolution on real data: a site's real HS image is degraded by the
# `spectral.ratio` and predicted back from the MS image by each method (Wald's protocol), then
# scored against the real HS image.
# Input functions: job_params.smk (sensor_files); RESULTS from common.smk.
from stfusion.methods import SPECTRAL


rule spectral_fuse:
    input:
        hs=lambda wildcards: config["sites"][wildcards.site]["spectral"]["hs"],
        ms=lambda wildcards: config["sites"][wildcards.site]["spectral"]["ms"],
        sensors=lambda wildcards: sensor_files(
            config["sites"][wildcards.site]["spectral"][r] for r in ("hs_sensor", "ms_sensor")
        ),
    output:
        prediction=f"{RESULTS}/{{site}}/spectral/{{method}}.tif",
        run=f"{RESULTS}/{{site}}/spectral/{{method}}.json",
    log:
        f"{RESULTS}/logs/{{site}}/spectral_fuse_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/spectral_fuse_{{method}}.tsv"
    conda:
        "../../envs/torch.yaml"
    # One thread, jobs side by side: per-pixel problems too small for threads to pay. On the 72 x 72 sample
    # CNMF took 0.8 s with one BLAS thread and 20 s with two on a shared 2-core machine; for large scenes
    # give more with --set-threads spectral_fuse=N.
    threads: 1
    resources:
        gpu=lambda wildcards: int(SPECTRAL[wildcards.method].gpu),  # SRECNN: CNMF is NumPy, the baseline an interpolation
    params:
        spec=lambda wildcards: config["sites"][wildcards.site]["spectral"],
        config=method_config,
    script:
        "../scripts/spectral_fuse.py"


rule spectral_evaluate:
    input:
        prediction=f"{RESULTS}/{{site}}/spectral/{{method}}.tif",
        run=f"{RESULTS}/{{site}}/spectral/{{method}}.json",
        truth=lambda wildcards: config["sites"][wildcards.site]["spectral"]["hs"],
    output:
        f"{RESULTS}/{{site}}/spectral/metrics/{{method}}.csv",
    log:
        f"{RESULTS}/logs/{{site}}/spectral_evaluate_{{method}}.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/spectral_evaluate.py"


rule spectral_summary:
    input:
        lambda wildcards: [
            f"{RESULTS}/{wildcards.site}/spectral/metrics/{m}.csv"
            for m in config["sites"][wildcards.site]["spectral"]["methods"]
        ],
    output:
        f"{RESULTS}/{{site}}/spectral/summary.tsv",
    log:
        f"{RESULTS}/logs/{{site}}/spectral_summary.log",
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/spectral_summary.py"
