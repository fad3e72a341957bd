# The built-in demo: simulated raw products and their truth, from a fixed seed.
# Uses DEMO_DIR (common.smk), demo_files (scene_inputs.smk).
import os

if DEMO_DIR:

    rule demo:
        output:
            demo_files(DEMO_DIR),
        log:
            f"{RESULTS}/logs/demo.log",
        conda:
            "../../envs/geo.yaml"
        params:
            out_dir=lambda wildcards, output: os.path.commonpath(output),  # the folder of every file written
            layout=config["demo"].get("layout", "stacked"),
        script:
            "../scripts/make_demo.py"
