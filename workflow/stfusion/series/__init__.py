"""The fused time series as products for analysts (issue 25, item 4): per method a Zarr datacube (:mod:`.cube`),
per site a STAC collection of the per-date COGs (:mod:`.catalogue`). Both are assembled from the prediction COGs,
which stay the pipeline's units of work."""
