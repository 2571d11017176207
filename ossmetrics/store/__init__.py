"""The DuckDB store: connection, schema migrations and idempotent write helpers.

Every stage reads from and writes to the store only through a connection made here.
"""

from ossmetrics.store.connection import connect, transaction
from ossmetrics.store.migrations import CODE_VERSION, migrate, schema_version
from ossmetrics.store.repos import ensure_repo, get_repo_id, repo_names

__all__ = [
    "CODE_VERSION",
    "connect",
    "ensure_repo",
    "get_repo_id",
    "migrate",
    "repo_names",
    "schema_version",
    "transaction",
]
