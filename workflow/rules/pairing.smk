# Pairing and training patches for the sites with a fusion pair.
# Input functions: fusion_inputs.smk; RESULTS from common.smk.


checkpoint pairing:
    input:
        f"{RESULTS}/{{site}}/qa/inventory.tsv",
    output:
        f"{RESULTS}/{{site}}/pairs/pairs.json",
    log:
        f"{RESULTS}/logs/{{site}}/pairing.log",
    conda:
        "../../envs/geo.yaml"
    params:
        fusion=lambda wildcards: config["sites"][wildcards.site]["fusion"],
        pairing=config["pairing"],
        seed=config["seed"],
        max_masked=config["quality"]["coarse_usable"]["max_masked"],
        gap_filling=config["gap_filling"],
        series=lambda wildcards: config["sites"][wildcards.site].get("series"),
    script:
        "../scripts/pairing.py"


rule patches:
    input:
        training_scenes,
    output:
        f"{RESULTS}/{{site}}/patches/{{k}}ref.npz",
    log:
        f"{RESULTS}/logs/{{site}}/patches_{{k}}ref.log",
    conda:
        "../../envs/geo.yaml"
    params:
        patches=config["patches"],
        ratio=lambda wildcards: fusion_ratio(wildcards.site),
        groups=training_groups,
        validation_fraction=config["pairing"]["validation_fraction"],
        fusion=lambda wildcards: config["sites"][wildcards.site]["fusion"],
        inventory=lambda wildcards: f"{RESULTS}/{wildcards.site}/qa/inventory.tsv",  # named by its errors
    script:
        "../scripts/patches.py"
