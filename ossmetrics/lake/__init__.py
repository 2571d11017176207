"""The store as a Hive-partitioned Parquet lake: export, read in place, load back.

``export_lake`` writes (incrementally), ``open_lake`` gives a DuckDB connection over a lake that
every read-only command uses as if it were the store, ``import_lake`` loads one into a store.
Layout and the choice of partition keys: ``layout.py`` and docs/scale.md.
"""

from ossmetrics.lake.export import ExportResult, export_lake
from ossmetrics.lake.layout import MANIFEST, TABLES
from ossmetrics.lake.load import ImportResult, import_lake
from ossmetrics.lake.reader import Lake, Skipped, open_lake

__all__ = [
    "MANIFEST",
    "TABLES",
    "ExportResult",
    "ImportResult",
    "Lake",
    "Skipped",
    "export_lake",
    "import_lake",
    "open_lake",
]
