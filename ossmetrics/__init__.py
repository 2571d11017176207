"""ossmetrics: open-source project health analytics.

Data flows one way: collectors -> DuckDB store -> SQL metrics / contributor graphs -> risk model
-> HTML reports; ``nightly`` runs them all for the tracked repositories.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
