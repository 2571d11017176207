"""Report stage: static, offline HTML dashboards (Altair charts, Jinja2 templates in reports/).

``build_site(con, out_dir, repos=None)`` writes the portfolio (index.html), one dashboard per
project, a comparison page and a data-health page; ``ossmetrics.report.demo.run_demo`` runs the
whole pipeline on the bundled sample first.
"""

from ossmetrics.report.site import build_site

__all__ = ["build_site"]
