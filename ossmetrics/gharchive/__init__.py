"""GH Archive hourly files into the lake's GitHub tables (see parse.py for the two payload
shapes, fold.py for how event snapshots become table rows)."""

from ossmetrics.gharchive.parse import HourResult, parse_hour, parse_lines

__all__ = ["HourResult", "parse_hour", "parse_lines"]
