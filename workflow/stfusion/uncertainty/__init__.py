"""A calibrated per-pixel uncertainty for every prediction (issue 26, item 3): the half-width of an interval around
the predicted reflectance that holds the truth for a stated share of pixels.

- :mod:`.features`: what is known at prediction time, per pixel and band (the methods' spread, the coarse change
  since the references, the days to them, the coarse gap filling, the fine reference's local heterogeneity);
- :mod:`.calibration`: normalized split-conformal regression on the residuals of held-out dates (a difficulty model
  of log|r| on the features, the conformal quantiles by crepes), stored as JSON;
- :mod:`.reliability`: stated against observed coverage and the rank correlation of half-width and error, on dates
  the calibration did not see (leave one date out).
"""

LEVELS = (0.5, 0.8, 0.9, 0.95)  # the coverage levels calibrated and shown in the reliability diagram
WRITTEN_LEVEL = 0.9  # the level of the half-width that {date}_uncertainty.tif holds
