"""stfusion: spatiotemporal and spatio-temporal-spectral fusion of satellite images."""

__version__ = "0.1.0"
