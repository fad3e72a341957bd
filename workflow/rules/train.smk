# Training: the feature autoencoder of EDCSTFN and every deep model, GPU-tagged so a
# cluster profile can route them; they run on the CPU when there is no GPU.
# Input functions: fusion_inputs.smk; RESULTS from common.smk.


rule autoencoder:
    input:
        f"{RESULTS}/{{site}}/patches/1ref.npz",
    output:
        weights=f"{RESULTS}/{{site}}/autoencoder/weights.pt",
        history=f"{RESULTS}/{{site}}/autoencoder/history.csv",
    log:
        f"{RESULTS}/logs/{{site}}/train_autoencoder.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/train_autoencoder.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores  # read per job, so `snakemake --unlock` needs no --cores
    resources:
        gpu=1,
    params:
        training=config["training"],
        seed=config["seed"],
    script:
        "../scripts/train_autoencoder.py"


# One job per model: methods with identical training settings read the weights of the first of them
# (model_of in fusion_inputs.smk); its params are the method's training settings only, so a change of a
# prediction-only key (`predict_references`) does not retrain.
rule train:
    input:
        unpack(training_inputs),
    output:
        weights=f"{RESULTS}/{{site}}/models/{{method}}/weights.pt",
        history=f"{RESULTS}/{{site}}/models/{{method}}/history.csv",
        curve=report(
            f"{RESULTS}/{{site}}/models/{{method}}/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="{site}",
            subcategory="Learning curves",
        ),
    log:
        f"{RESULTS}/logs/{{site}}/train_{{method}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{site}}/train_{{method}}.tsv"
    wildcard_constraints:
        method=r"(?!autoencoder\b)[A-Za-z0-9_]+",  # not "autoencoder": train_autoencoder.tsv is the autoencoder rule's benchmark
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: workflow.cores  # read per job, so `snakemake --unlock` needs no --cores
    resources:
        gpu=1,
    params:
        method=lambda wildcards: training_settings(config["methods"][wildcards.method]),
        training=config["training"],
        ratio=lambda wildcards: fusion_ratio(wildcards.site),
        seed=config["seed"],
    script:
        "../scripts/train.py"
