# stfusion: spatiotemporal and spatio-temporal-spectral fusion of satellite images.
# Run `snakemake --cores N`; pick another config with `--configfile config/examples/<name>.yaml`.
from snakemake.utils import min_version

min_version("8.0")


# The demo config unless the command line gives one (--configfile replaces it, not extends it).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"



# The run's globals first, then the input functions (each file after those it calls), then the rules.
include: "workflow/rules/common.smk"
include: "workflow/rules/scene_inputs.smk"
include: "workflow/rules/job_params.smk"
include: "workflow/rules/fusion_inputs.smk"
include: "workflow/rules/ensemble_inputs.smk"
include: "workflow/rules/sts_inputs.smk"
include: "workflow/rules/report_inputs.smk"
include: "workflow/rules/series_inputs.smk"
include: "workflow/rules/uncertainty_inputs.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/pairing.smk"
include: "workflow/rules/gapfill.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/ensemble.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/sts.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/spectral.smk"
include: "workflow/rules/series.smk"
include: "workflow/rules/uncertainty.smk"


# Every target of the run (workflow/rules/targets.smk).
rule all:
    input:
        preprocessing_targets,
        prediction_targets,
        summary_targets,
        series_targets,
        report_target,
    default_target: True
