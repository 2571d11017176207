"""Report stage: static, offline HTML dashboards (Altair charts, Jinja2 templates in reports/).

``build_site(con, out_dir, repos=None)`` writes the portfolio (index.html), one dashboard per
project, a comparison page and a data-health page. It reads only the store: every number was
computed by an earlier stage (the risk model's what-if too, by the risk step); it runs no model
and imports no collector. ``ossmetrics.pipeline.demo.run_demo`` runs the whole pipeline on the
bundled sample.
"""

from ossmetrics.report.site import build_site

__all__ = ["build_site"]
