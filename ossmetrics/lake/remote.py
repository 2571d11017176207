"""Lakes on object storage (``s3://``, ``s3a://``; ``gs://``, ``az://``, ``https://``) via fsspec.

Why fsspec and not DuckDB's ``httpfs`` extension: DuckDB downloads its extensions from its own
server at run time, which a machine that reaches only the package registries cannot do, and
the PyPI builds of httpfs do not match every DuckDB release. An fsspec filesystem (``s3fs``,
from PyPI: ``pip install 'ossmetrics[lake-s3]'``) is registered on the DuckDB connection with
``register_filesystem``, so DuckDB's Parquet reader reads the lake's objects in place and needs
nothing from the network but the object store itself. ``gs://`` (gcsfs), ``az://`` (adlfs) and
``https://`` (read only; aiohttp) go through the same code when their package is installed.

Endpoint, region and credentials come only from the environment (``AWS_ENDPOINT_URL``,
``AWS_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, retries with
``AWS_MAX_ATTEMPTS``), read by botocore itself: ossmetrics never holds them in a string it
writes. Every failure is translated here into one :class:`LakeError` line (bucket missing,
access denied, endpoint unreachable) built from the exception's *kind*, never its text, and
redacted besides.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb

from ossmetrics.errors import LakeError
from ossmetrics.secret_env import redact

__all__ = ["Remote", "endpoint", "is_remote", "open_remote"]

# scheme -> (package to import, what to pip install)
_PACKAGES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "pip install 'ossmetrics[lake-s3]' (or pip install s3fs)"),
    "s3a": ("s3fs", "pip install 'ossmetrics[lake-s3]' (or pip install s3fs)"),
    "gs": ("gcsfs", "pip install gcsfs"),
    "gcs": ("gcsfs", "pip install gcsfs"),
    "az": ("adlfs", "pip install adlfs"),
    "abfs": ("adlfs", "pip install adlfs"),
    "abfss": ("adlfs", "pip install adlfs"),
    "file": ("fsspec", "pip install fsspec"),  # a folder written as a URL (file:///data/lake)
    "http": ("aiohttp", "pip install aiohttp"),
    "https": ("aiohttp", "pip install aiohttp"),
}

_DENIED = (
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "Forbidden",
    "ExpiredToken",
    "InvalidToken",
)
_UNREACHABLE = (
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "ReadTimeoutError",
    "ClientConnectorError",
    "ServerDisconnectedError",
)
_NO_CREDENTIALS = ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound")


def is_remote(url: str) -> bool:
    return "://" in url


def endpoint(scheme: str = "s3") -> str:
    """Where an s3:// lake lives, for messages: the endpoint from the environment (any user and
    password in it removed), else AWS itself."""
    if scheme not in ("s3", "s3a"):
        return f"{scheme}://"
    raw = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    if not raw:
        return "AWS S3"
    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return redact(urlunsplit((parts.scheme, host, parts.path, "", "")))


def _filesystem(scheme: str) -> Any:
    if scheme not in _PACKAGES:
        raise LakeError(
            f"{scheme}:// is not a lake location ossmetrics can read",
            "use a folder, or an s3://, gs://, az:// or https:// prefix",
        )
    package, install = _PACKAGES[scheme]
    try:
        _require(package)
        import fsspec
    except ImportError:
        raise LakeError(
            f"{scheme}:// lakes need the {package} package, which is not installed", install
        ) from None
    if package == "s3fs":
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        return _lake_s3()(
            skip_instance_cache=True,
            use_listings_cache=False,
            client_kwargs={"region_name": region} if region else {},
        )
    if scheme == "file":
        return fsspec.filesystem("file", skip_instance_cache=True, auto_mkdir=True)
    if scheme in ("http", "https"):
        return _lake_http()(skip_instance_cache=True)
    return fsspec.filesystem(scheme, skip_instance_cache=True)


def _lake_http() -> Any:
    """fsspec's HTTP filesystem with the modification time DuckDB asks for, which HTTP does
    not give: a lake's part files are named by content hash, so one fixed time is exact
    enough (the manifest is read afresh by ossmetrics, never cached by DuckDB)."""
    from datetime import UTC, datetime

    from fsspec.implementations.http import HTTPFileSystem

    class LakeHTTP(HTTPFileSystem):  # type: ignore[misc]
        def modified(self, path: str) -> datetime:
            return datetime(1970, 1, 1, tzinfo=UTC)

    return LakeHTTP


def _require(package: str) -> None:
    """Import the filesystem package a scheme needs (ImportError when it is not installed)."""
    if package == "s3fs":
        import s3fs  # noqa: F401
    elif package == "gcsfs":
        import gcsfs  # noqa: F401
    elif package == "adlfs":
        import adlfs  # noqa: F401
    elif package == "aiohttp":
        import aiohttp  # noqa: F401


def _lake_s3() -> Any:
    """s3fs, remembering the metadata of the lake's Parquet files.

    DuckDB asks the filesystem for a file's metadata on every glob and every open -- about 50
    HEAD requests per metric query on a small lake, 1,000 on a large query. A lake's part files
    are named by their content hash and never change, so one HEAD per file per open lake is
    enough (the manifest and listings are always asked afresh)."""
    import s3fs

    class LakeS3(s3fs.S3FileSystem):  # type: ignore[misc]
        protocol = ("s3", "s3a")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._parts: dict[str, dict[str, Any]] = {}

        async def _info(
            self,
            path: str,
            bucket: str | None = None,
            key: str | None = None,
            refresh: bool = False,
            version_id: str | None = None,
        ) -> dict[str, Any]:
            p = str(self._strip_protocol(path))
            cached = p.endswith(".parquet") and not refresh and version_id is None
            if cached and p in self._parts:
                return dict(self._parts[p])
            info: dict[str, Any] = await super()._info(
                path, bucket=bucket, key=key, refresh=refresh, version_id=version_id
            )
            if cached:
                self._parts[p] = dict(info)
            return info

    return LakeS3


@dataclass
class Remote:
    """A lake's prefix on an object store: ``url`` for DuckDB, ``root`` for the filesystem."""

    url: str
    scheme: str
    bucket: str
    fs: Any
    root: str

    def path(self, rel: str) -> str:
        """The URL DuckDB reads ``rel`` (a lake-relative path) at."""
        return f"{self.url}/{rel}"

    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let ``con`` read (and write) this store's URLs through the fsspec filesystem."""
        names = set(con.list_filesystems())
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        if not names & set(protocols):
            con.register_filesystem(self.fs)

    def unregister(self, con: duckdb.DuckDBPyConnection) -> None:
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        for name in con.list_filesystems():
            if name in protocols:
                con.unregister_filesystem(name)

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn whatever the store raises while ``doing`` into one redacted LakeError line."""
        try:
            yield
        except LakeError:
            raise
        except Exception as exc:
            raise self.error(exc, doing) from None

    def error(self, exc: BaseException, doing: str) -> LakeError:
        name = type(exc).__name__
        text = f"{name} {exc}"
        where = endpoint(self.scheme)
        if any(k in text for k in _NO_CREDENTIALS):
            return LakeError(
                f"no credentials for {self.url} while {doing}",
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment",
            )
        if "NoSuchBucket" in text or "bucket does not exist" in text:
            return self._no_bucket(where)
        if isinstance(exc, PermissionError) or any(k in text for k in _DENIED):
            return LakeError(
                f"access to {self.url} denied by {where} while {doing}",
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the "
                "environment and the bucket's policy",
            )
        if isinstance(exc, FileNotFoundError) or "FileNotFoundError" in text:
            return LakeError(
                f"an object of {self.url} disappeared while {doing}",
                "an export may have replaced it meanwhile: run the command again",
            )
        if any(k in text for k in _UNREACHABLE) or isinstance(exc, ConnectionError | TimeoutError):
            return LakeError(
                f"cannot reach the object store at {where} while {doing}",
                "check AWS_ENDPOINT_URL (or the network), then retry",
            )
        return LakeError(
            redact(f"{doing} {self.url} failed ({name})"),
            "check the URL, the endpoint and the credentials in the environment",
        )

    def _no_bucket(self, where: str) -> LakeError:
        return LakeError(
            f"bucket {self.bucket} does not exist at {where}",
            "create it, or fix the bucket name in the lake URL",
        )

    def check_bucket(self) -> None:
        """Fail in one line now when the bucket is missing, denied or unreachable."""
        if self.scheme in ("http", "https", "file"):
            return
        with self.errors("opening the bucket"):
            try:
                self.fs.info(self.bucket)
            except FileNotFoundError:
                raise self._no_bucket(endpoint(self.scheme)) from None

    def read_text(self, rel: str) -> str | None:
        """The object's text, or None when there is none (the bucket itself must exist)."""
        with self.errors(f"reading {rel}"):
            try:
                data = self.fs.cat_file(self.key(rel))
            except FileNotFoundError as exc:
                if "bucket does not exist" in str(exc):
                    raise self._no_bucket(endpoint(self.scheme)) from None
                return None
        return bytes(data).decode("utf-8")

    def exists(self, rel: str) -> bool:
        with self.errors(f"looking for {rel}"):
            return bool(self.fs.exists(self.key(rel)))

    def put_files(self, pairs: list[tuple[Path, str]]) -> None:
        """Upload (local file, lake-relative path) pairs, several at a time (s3fs runs the
        PUTs concurrently); returns when all are stored."""
        if not pairs:
            return
        with self.errors(f"uploading {pairs[0][1].split('/', 1)[0]}"):
            self.fs.put([str(src) for src, _ in pairs], [self.key(rel) for _, rel in pairs])

    def put_text(self, rel: str, text: str) -> None:
        """One PUT: an object store replaces an object whole, so readers see the old one or
        the new one."""
        with self.errors(f"writing {rel}"):
            self.fs.pipe_file(self.key(rel), text.encode("utf-8"))

    def remove(self, rels: list[str]) -> None:
        if rels:
            with self.errors("removing superseded files"):
                self.fs.rm([self.key(r) for r in rels])

    def list_files(self, rel_dir: str) -> list[str]:
        """Lake-relative paths of every object under ``rel_dir``."""
        with self.errors(f"listing {rel_dir}"):
            found = self.fs.find(self.key(rel_dir))
        prefix = self.root + "/"
        return [str(f)[len(prefix) :] for f in found if str(f).startswith(prefix)]


def open_remote(url: str, *, writing: bool = False) -> Remote:
    """The object-store prefix ``url`` (its package imported, nothing contacted yet)."""
    scheme = url.split("://", 1)[0].lower()
    url = url.rstrip("/")
    if writing and scheme in ("http", "https"):
        raise LakeError(
            f"cannot export to {url}: https:// lakes are read-only",
            "export to a folder or an s3://, gs://, az:// prefix",
        )
    fs = _filesystem(scheme)
    rest = url.split("://", 1)[1]
    bucket = rest.split("/", 1)[0]
    if not bucket and scheme != "file":
        raise LakeError(f"{url} names no bucket", "write the lake URL as s3://BUCKET/PREFIX")
    root = str(fs._strip_protocol(url)).rstrip("/")
    return Remote(url=url, scheme=scheme, bucket=bucket, fs=fs, root=root)
