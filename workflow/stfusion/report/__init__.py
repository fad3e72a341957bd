"""The run's HTML report: one self-contained page, one section per site.

``experiments`` reads a site's result files (``series`` the time series at a few sample pixels), ``rendering``
turns bands into colours, ``figures`` draws them (matplotlib, PNG), ``tables`` writes the tables and ``page``
assembles the HTML.
"""
from .page import build_report

__all__ = ["build_report"]
