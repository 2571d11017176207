"""The one exception tree of ossmetrics.

Every failure a user can cause or meet is one of these, so the CLI can print it as a single
line (``Error: what went wrong — what to do``) with a stable exit code, and library callers can
branch on the class or its fields instead of parsing messages::

    OssmetricsError                      exit 1 unless stated
    ├── UsageError                       exit 2: the user asked for something malformed
    │   ├── InvalidRepoName              "owner/name" expected
    │   ├── UnknownMetric                .suggestion: the closest known name
    │   ├── BadParameter                 a --param or option value that cannot be used
    │   ├── QueryError                   SQL that DuckDB cannot parse or bind (.position)
    │   ├── WriteNotAllowed              a write statement without --write
    │   └── ConfigError                  .path, .line: ossmetrics.toml cannot be used
    ├── StoreError                       the DuckDB file cannot be used
    │   ├── StoreLocked                  .pid: another process holds the file
    │   ├── StoreCorrupt                 not a DuckDB file, or unreadable
    │   ├── StoreTooNew                  .db_version, .code_version
    │   └── StoreReadOnly                opened read-only or on a read-only disk
    ├── CollectError                     a source could not be read
    │   ├── NotAGitRepository            .path
    │   ├── GitError                     git failed on a repository
    │   └── GitHubError                  .status, .repo
    │       ├── GitHubNotFound           404: unknown repository
    │       ├── GitHubAuthError          401/403 without rate-limit headers
    │       ├── GitHubUnavailable        5xx / connection errors after retries
    │       ├── RateLimited              .reset_at: budget exhausted beyond --max-wait
    │       ├── GraphQLError             .types: GitHub refused a GraphQL query (one repository)
    │       └── GraphQLUnavailable       no GraphQL for this token/server: REST is used instead
    ├── MetricDefinitionError            a queries/*.sql file is malformed (.path, .line)
    ├── GraphError                       a graph cannot be built or exported
    ├── RiskError                        the risk model cannot train or score
    │   ├── DeviceUnavailable            --device cuda without a GPU
    │   ├── ModelVersionMismatch         .file_version, .code_version
    │   ├── InsufficientHistory          too little labelled history to train
    │   └── GraphsMissing                .missing: truck factors the graph stage has not stored
    ├── ReportError                      the report site cannot be written
    ├── FundError                        the funding inputs or plan cannot be used
    │   ├── SbomError                    .path: an SBOM or purl list cannot be read
    │   └── ServiceError                 .source: deps.dev / ecosyste.ms failed after retries
    ├── LakeError                        a Parquet lake cannot be written or read
    │   ├── LakeTooNew                   .lake_version, .code_version: written by a newer one
    │   └── SparkUnavailable             pyspark or Java missing (what to install)
    └── NightlyError                     the nightly pipeline cannot start
        └── AlreadyRunning               .pid: another nightly run holds the lock

Messages never contain secrets: tokens are read from the environment and never formatted into
an exception (see ``ossmetrics.secret_env.redact``).
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "AlreadyRunning",
    "BadParameter",
    "CollectError",
    "ConfigError",
    "DeviceUnavailable",
    "FundError",
    "GitError",
    "GitHubAuthError",
    "GitHubError",
    "GitHubNotFound",
    "GitHubUnavailable",
    "GraphError",
    "GraphQLError",
    "GraphQLUnavailable",
    "GraphsMissing",
    "InsufficientHistory",
    "InvalidRepoName",
    "LakeError",
    "LakeTooNew",
    "MetricDefinitionError",
    "ModelVersionMismatch",
    "NightlyError",
    "NotAGitRepository",
    "OssmetricsError",
    "OssmetricsWarning",
    "QueryError",
    "RateLimited",
    "ReportError",
    "RiskError",
    "SbomError",
    "ServiceError",
    "SparkUnavailable",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "StoreReadOnly",
    "StoreTooNew",
    "UnknownMetric",
    "UsageError",
    "WriteNotAllowed",
]


class OssmetricsWarning(UserWarning):
    """Warnings of our own; the test suite turns them into errors."""


class OssmetricsError(Exception):
    """Base of every expected failure.

    ``message`` says what went wrong, ``hint`` what to do about it; the CLI joins them as
    ``Error: message — hint``.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = self.message if not self.hint else f"{self.message} — {self.hint}"
        return " ".join(text.split())


class UsageError(OssmetricsError):
    exit_code = 2


class InvalidRepoName(UsageError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"'{name}' is not a repository name",
            "give it as OWNER/REPO, e.g. pallets/flask",
        )
        self.name = name


class UnknownMetric(UsageError):
    def __init__(self, name: str, suggestion: str | None = None) -> None:
        hint = (
            f"did you mean '{suggestion}'? (`ossmetrics metrics list` shows them all)"
            if suggestion
            else "`ossmetrics metrics list` shows the available metrics"
        )
        super().__init__(f"unknown metric '{name}'", hint)
        self.name = name
        self.suggestion = suggestion


class BadParameter(UsageError):
    pass


class ConfigError(UsageError):
    def __init__(
        self, message: str, hint: str | None = None, *, path: str = "", line: int | None = None
    ) -> None:
        where = f"{path}:{line}: " if line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint)
        self.path = path
        self.line = line


class StoreError(OssmetricsError):
    pass


class StoreLocked(StoreError):
    def __init__(self, path: str, pid: int | None = None) -> None:
        holder = f" by process {pid}" if pid else " by another process"
        super().__init__(
            f"database {path} is locked{holder}",
            "wait for that run to finish, or point --db at another file",
        )
        self.pid = pid


class StoreCorrupt(StoreError):
    pass


class StoreTooNew(StoreError):
    def __init__(self, path: str, db_version: int, code_version: int) -> None:
        super().__init__(
            f"database {path} was written by a newer ossmetrics (schema {db_version}, this version knows {code_version})",
            "upgrade ossmetrics (pip install -U ossmetrics) or use another --db",
        )
        self.db_version = db_version
        self.code_version = code_version


class StoreReadOnly(StoreError):
    pass


class CollectError(OssmetricsError):
    pass


class NotAGitRepository(CollectError):
    def __init__(self, path: str, detail: str = "") -> None:
        super().__init__(
            f"{path} is not a git repository{': ' + detail if detail else ''}",
            "give the path of a clone or a bare repository",
        )
        self.path = path


class GitError(CollectError):
    pass


class GitHubError(CollectError):
    def __init__(
        self, message: str, hint: str | None = None, *, status: int | None = None, repo: str = ""
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.repo = repo


class GitHubNotFound(GitHubError):
    pass


class GitHubAuthError(GitHubError):
    pass


class GitHubUnavailable(GitHubError):
    pass


class RateLimited(GitHubError):
    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        reset_at: datetime | None = None,
        repo: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, hint, status=status, repo=repo)
        self.reset_at = reset_at


class GraphQLError(GitHubError):
    """GitHub answered a GraphQL query with errors (``types``: their ``type`` fields)."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        types: tuple[str, ...] = (),
        repo: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, hint, status=status, repo=repo)
        self.types = types


class GraphQLUnavailable(GitHubError):
    """The token or server offers no GraphQL API; the collector falls back to REST."""


class GraphError(OssmetricsError):
    pass


class RiskError(OssmetricsError):
    pass


class DeviceUnavailable(RiskError):
    exit_code = 2


class ModelVersionMismatch(RiskError):
    def __init__(self, path: str, file_version: str, code_version: str) -> None:
        super().__init__(
            f"model {path} is format {file_version}, this ossmetrics reads format {code_version}",
            "retrain with `ossmetrics train` or use the shipped model (omit --model)",
        )
        self.file_version = file_version
        self.code_version = code_version


class InsufficientHistory(RiskError):
    pass


class GraphsMissing(RiskError):
    """The risk model needs the graph stage's truck factors at dates the store lacks.

    ``missing`` holds (repo_id, date) pairs; the message names how many and the command that
    stores them.
    """

    def __init__(
        self, message: str, suggestion: str | None = None, *, missing: list[tuple[int, object]]
    ) -> None:
        super().__init__(message, suggestion)
        self.missing = missing


class ReportError(OssmetricsError):
    pass


class FundError(OssmetricsError):
    pass


class SbomError(FundError):
    """An input file of ``fund ingest`` that cannot be used; the message starts with its path."""

    def __init__(self, path: str, message: str, hint: str | None = None) -> None:
        super().__init__(
            f"{path}: {message}",
            hint or "fix or remove that file; nothing was ingested from this run",
        )
        self.path = path


class ServiceError(FundError):
    """A usage-signal service (deps.dev, ecosyste.ms) failed after retries."""

    def __init__(self, source: str, message: str, hint: str | None = None) -> None:
        super().__init__(
            f"{source}: {message}",
            hint or "what was fetched is cached; run `fund enrich` again later, or use --offline",
        )
        self.source = source


class NightlyError(OssmetricsError):
    pass


class AlreadyRunning(NightlyError):
    def __init__(self, lock_path: str, pid: int | None) -> None:
        super().__init__(
            f"another nightly run (process {pid or 'unknown'}) holds {lock_path}",
            "wait for it to finish; the lock frees itself when that process exits",
        )
        self.pid = pid


class QueryError(UsageError):
    """SQL given by the user that DuckDB rejects; ``position`` is (line, column) when known."""

    def __init__(
        self, message: str, hint: str | None = None, *, position: tuple[int, int] | None = None
    ) -> None:
        super().__init__(message, hint)
        self.position = position


class WriteNotAllowed(UsageError):
    """A statement that would change the store, given without ``--write``."""


class MetricDefinitionError(OssmetricsError):
    """A metric file in ``queries/`` cannot be used; ``path:line`` says where."""

    def __init__(
        self, message: str, hint: str | None = None, *, path: str = "", line: int = 0
    ) -> None:
        where = f"{path}:{line}: " if line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint)
        self.path = path
        self.line = line


class LakeError(OssmetricsError):
    """A Parquet lake (``ossmetrics export --lake``, ``--lake DIR``) cannot be used."""


class LakeTooNew(LakeError):
    def __init__(
        self, where: str, lake_version: int, code_version: int, lake_format: int, code_format: int
    ) -> None:
        super().__init__(
            f"lake {where} was written by a newer ossmetrics (schema {lake_version}, lake format "
            f"{lake_format}; this version knows schema {code_version}, lake format {code_format})",
            "upgrade ossmetrics (pip install -U ossmetrics) or export a new lake",
        )
        self.lake_version = lake_version
        self.code_version = code_version


class SparkUnavailable(LakeError):
    """pyspark or a Java runtime is missing; the message says what to install."""
