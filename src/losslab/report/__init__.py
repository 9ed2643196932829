"""Plots and the self-contained HTML report of a comparison; loss-shape plots for ``losslab plot``."""

from __future__ import annotations

from .html import render_report, write_report
from .plots import plot_losses

__all__ = ["plot_losses", "render_report", "write_report"]
