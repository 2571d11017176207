"""One crafted store shared by the metric tests (built once per session, opened read-only).

``build_widget`` writes the history every expectation in tests/metrics/ is computed from, by
hand, in the comments of the tests. Months are UTC months throughout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ossmetrics.store import connect
from tests.metrics.history import History


def build_widget(con: duckdb.DuckDBPyConnection) -> History:
    """acme/widget (git + GitHub), solo/one (git only, one person), acme/empty (nothing)."""
    h = History(con)
    h.repo("acme/empty")
    h.person("alice", org="acme.com")
    h.person("bob", org="acme.com")
    h.person("carol", org="globex.com")
    h.person("dave")  # no organisation: left out of the elephant factor
    h.person("erin", org="initech.com")
    h.person("dependabot", bot=True, login="dependabot[bot]")
    h.person("sam", org="solo.dev")
    alice_alias = h.identity("alice", h.pid["alice"], "git:alice@old-mail.example")

    w = "acme/widget"
    # --- git: non-merge, non-bot commits and their UTC months --------------------------------
    h.commit(w, "alice", "2024-01-05T10:00:00Z")  # Jan
    h.commit(w, "alice", "2024-01-20T10:00:00Z")  # Jan
    h.commit(w, "alice", "2024-02-10T10:00:00Z", identity=alice_alias)  # Feb, alias of alice
    h.commit(w, "alice", "2024-02-11T10:00:00Z")  # Feb
    h.commit(w, "alice", "2024-05-02T10:00:00Z")  # May
    h.commit(w, "alice", "2024-10-15T00:00:00Z", merge=True)  # a merge: only in days_since
    h.commit(w, "bob", "2024-01-31T23:30:00-05:00")  # 2024-02-01T04:30Z -> Feb, not Jan
    h.commit(w, "bob", "2024-03-15T10:00:00Z")  # Mar
    h.commit(w, "carol", "2024-04-30T22:00:00-03:00")  # 2024-05-01T01:00Z -> May
    h.commit(w, "dave", "2024-03-01T01:00:00+02:00")  # 2024-02-29T23:00Z -> Feb, not Mar
    h.commit(w, "dave", "2024-09-01T12:00:00Z")  # Sep
    h.commit(w, "erin", "2024-06-01T00:00:00Z")  # Jun; exactly as_of - 6 months for 2024-12-01
    h.commit(w, "dependabot", "2024-03-01T00:00:00Z")  # bot: never counted
    h.commit(w, "dependabot", "2024-11-01T00:00:00Z")  # bot: not the last commit either

    s = "solo/one"
    h.commit(s, "sam", "2023-12-01T00:00:00Z")  # exactly as_of - 12 months: outside the window
    h.commit(s, "sam", "2024-10-01T00:00:00Z")
    h.commit(s, "sam", "2024-10-02T00:00:00Z")
    h.commit(s, "sam", "2024-12-01T00:00:00Z")  # exactly as_of: inside the window

    # --- GitHub: issues, pull requests, comments, reviews -------------------------------------
    h.issue(w, 1, "carol", "2024-03-01T00:00:00Z", closed="2024-03-03T00:00:00Z")
    h.comment(w, 1, "carol", "2024-03-01T01:00:00Z")  # the author: not a response
    h.comment(w, 1, "dependabot", "2024-03-01T02:00:00Z")  # a bot: not a response
    h.comment(w, 1, "alice", "2024-03-01T10:00:00Z", association="MEMBER")  # response: 10 h
    h.issue(w, 2, "bob", "2024-03-10T00:00:00Z")  # stays open
    h.comment(w, 2, "alice", "2024-03-10T04:00:00Z", association="MEMBER")  # response: 4 h
    h.comment(
        w, 2, "", "2024-04-28T00:00:00Z", association="MEMBER", login="github-actions[bot]"
    )  # a bot (login only), even as MEMBER
    # opened 2024-03-31T23:00-02:00 = 2024-04-01T01:00Z -> April; closed after 24 h, no reply
    h.issue(w, 3, "carol", "2024-03-31T23:00:00-02:00", closed="2024-04-02T01:00:00Z")
    h.issue(w, 4, "", "2024-03-05T00:00:00Z", login="renovate[bot]")  # bot item: left out
    h.issue(w, 5, "bob", "2024-03-02T00:00:00Z", pull=True, merged="2024-03-04T00:00:00Z")
    h.comment(
        w, 5, "alice", "2024-03-02T06:00:00Z", kind="review", association="MEMBER"
    )  # 6 h; a review before the merge
    h.issue(w, 6, "carol", "2024-03-20T00:00:00Z", pull=True, merged="2024-04-02T12:00:00Z")
    h.comment(w, 6, "carol", "2024-03-20T01:00:00Z")  # the author
    h.comment(w, 6, "carol", "2024-03-20T02:00:00Z", kind="review")  # self-review: not counted
    h.comment(w, 6, "bob", "2024-03-21T00:00:00Z")  # response: 24 h
    h.comment(
        w, 6, "alice", "2024-04-01T00:00:00Z", kind="review", association="MEMBER"
    )  # review before the merge; last maintainer response
    h.issue(w, 7, "bob", "2024-04-05T00:00:00Z", pull=True, closed="2024-04-06T00:00:00Z")
    h.issue(
        w, 8, "dependabot", "2024-04-01T00:00:00Z", pull=True, merged="2024-04-01T01:00:00Z"
    )  # bot pull request: left out
    h.issue(w, 9, "alice", "2024-04-10T00:00:00Z", pull=True, merged="2024-04-11T00:00:00Z")
    h.comment(w, 9, "bob", "2024-04-10T12:00:00Z", kind="review", review_state="PENDING")
    h.comment(w, 9, "carol", "2024-04-20T00:00:00Z", kind="review")  # after the merge: 240 h
    h.comment(w, 9, "alice", "2024-04-25T00:00:00Z", association="MEMBER")  # own pull request
    h.issue(w, 10, "bob", "2024-04-14T12:00:00Z")  # open
    h.issue(w, 11, "carol", "2023-01-01T00:00:00Z", closed="2024-05-01T00:00:00Z")

    # --- releases ------------------------------------------------------------------------------
    h.release(w, "v0.9", "2020-06-01T00:00:00Z")
    h.release(w, "v1.0", "2022-06-01T00:00:00Z")
    h.release(w, "v1.1", "2023-03-01T00:00:00Z")
    h.release(w, "v1.2rc1", "2023-05-01T00:00:00Z", prerelease=True)
    h.release(w, "v1.2", "2023-06-01T00:00:00Z")
    h.release(w, "v2.0", None, draft=True)
    h.release(w, "v2.1", "2024-02-01T00:00:00Z")
    return h


@pytest.fixture(scope="session")
def widget_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("widget") / "widget.duckdb"
    con = connect(path)
    build_widget(con)
    con.close()
    return path


@pytest.fixture
def wcon(widget_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the shared crafted store."""
    con = connect(widget_db, read_only=True)
    yield con
    con.close()
