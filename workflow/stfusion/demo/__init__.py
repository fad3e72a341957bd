"""Synthetic demo site: hyperspectral ground truth, landscape, clouds and stripes (NumPy/SciPy only)."""
