"""GitHub's published GraphQL schema for the test server, and GitHub's cost rule over a parsed query.

The schema is the ``schema.graphql`` of the npm package ``@octokit/graphql-schema``, fetched at
test time with ``npm pack`` into a cache folder git ignores (``$OSSMETRICS_TEST_CACHE``, else
``tests/.cache``); it is never committed. Split from ``github_graphql_server`` (which re-exports
these names) to keep each module short.
"""

from __future__ import annotations

import functools
import io
import math
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

__all__ = ["CACHE", "PACKAGE", "github_schema", "query_cost", "schema_tarball"]

PACKAGE = "@octokit/graphql-schema"
CACHE = Path(os.environ.get("OSSMETRICS_TEST_CACHE") or Path(__file__).parent / ".cache")


def schema_tarball() -> Path:
    """The npm tarball of ``@octokit/graphql-schema`` in the cache, packed now if missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("octokit-graphql-schema-*.tgz"))
    if found:
        return found[-1]
    try:
        proc = subprocess.run(
            ["npm", "pack", PACKAGE, "--pack-destination", str(CACHE)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(
            f"cannot fetch GitHub's GraphQL schema: `npm pack {PACKAGE}` failed to run ({exc}); "
            f"install npm and reach the npm registry, or put the tarball in {CACHE}"
        ) from None
    found = sorted(CACHE.glob("octokit-graphql-schema-*.tgz"))
    if proc.returncode != 0 or not found:
        raise RuntimeError(
            f"cannot fetch GitHub's GraphQL schema: `npm pack {PACKAGE}` exited {proc.returncode} "
            f"({proc.stderr.strip()[-300:]}); reach the npm registry, or put the tarball in {CACHE}"
        )
    return found[-1]


@functools.lru_cache(maxsize=1)
def github_schema() -> Any:
    """GitHub's GraphQL schema as a graphql-core ``GraphQLSchema`` (built once per process)."""
    import graphql

    with tarfile.open(schema_tarball()) as tar:
        member = tar.extractfile("package/schema.graphql")
        assert member is not None
        sdl = io.TextIOWrapper(member, encoding="utf-8").read()
    schema = graphql.build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # see the module docstring
    return schema


# -- cost -----------------------------------------------------------------------------------


def query_cost(document: Any, variables: dict[str, Any]) -> tuple[int, int]:
    """(points, nodes) of a parsed query by GitHub's documented rule."""
    from graphql.language import (
        FieldNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        InlineFragmentNode,
        IntValueNode,
        VariableNode,
    )

    frags = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def limit(field: Any) -> int | None:
        for arg in field.arguments or ():
            if arg.name.value in ("first", "last"):
                v = arg.value
                if isinstance(v, IntValueNode):
                    return int(v.value)
                if isinstance(v, VariableNode):
                    return int(variables.get(v.name.value) or 0)
        return None

    def walk(sel_set: Any, parents: int) -> tuple[int, int]:
        calls = nodes = 0
        for sel in sel_set.selections if sel_set else ():
            if isinstance(sel, FieldNode):
                n = limit(sel)
                if n is not None:
                    calls, nodes = calls + parents, nodes + parents * n
                    c, k = walk(sel.selection_set, parents * n)
                else:
                    c, k = walk(sel.selection_set, parents)
            elif isinstance(sel, InlineFragmentNode):
                c, k = walk(sel.selection_set, parents)
            elif isinstance(sel, FragmentSpreadNode):
                c, k = walk(frags[sel.name.value].selection_set, parents)
            else:
                c = k = 0
            calls, nodes = calls + c, nodes + k
        return calls, nodes

    calls = nodes = 0
    for d in document.definitions:
        if not isinstance(d, FragmentDefinitionNode):
            c, k = walk(d.selection_set, 1)
            calls, nodes = calls + c, nodes + k
    return max(1, math.floor(calls / 100 + 0.5)), nodes
