"""Per-pixel float64 references of the classical methods: slow, loop-by-loop transcriptions of the papers, the
independent check of the fast kernels in stfusion.classical (tests/test_starfm_estarfm.py, tests/test_fsdaf.py)
and the baseline of their speed (bench/classical.py). Never used by the pipeline."""
