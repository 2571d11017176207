"""Spark jobs over a lake: metrics as Spark SQL, graphs as grouped pandas tasks, collection
fanned out per repository, GH Archive backfill. ``pyspark`` is optional: importing this package
does not import it; :func:`get_spark` says what to install when it is missing."""

from ossmetrics.spark.session import check_spark, get_spark

__all__ = ["check_spark", "get_spark"]
