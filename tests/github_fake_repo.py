"""The generated repository behind ``tests/github_server.FakeGitHub``: its issues, pull requests,
comments, reviews, review comments, releases, commits and stargazers, made from the example
payloads in ``tests/fixtures/github-api`` (each item a copy with ids, numbers, dates and users
varied), and how its REST endpoints answer (filters, sort order, pages). Apart from the server
so each module holds one responsibility: data here, HTTP and faults in ``github_server``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "T0", "FakeRepo", "iso"]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "github-api"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _template(name: str) -> Any:
    data = json.loads((FIXTURES / name).read_text())
    return data[0] if isinstance(data, list) else data


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeRepo:
    """One generated repository: its payloads, and how its endpoints answer."""

    def __init__(
        self,
        full_name: str,
        repo_id: int,
        *,
        issues: int = 10,
        pr_every: int = 2,
        comments_per_issue: int = 1,
        reviews_per_pr: int = 1,
        review_comments_per_pr: int = 1,
        releases: int = 2,
        commits: int = 3,
        stars: int = 0,
        is_fork: bool = False,
    ) -> None:
        self.full_name = full_name
        self.repo_id = repo_id
        self._generate(
            issues,
            pr_every,
            comments_per_issue,
            reviews_per_pr,
            review_comments_per_pr,
            releases,
            commits,
            stars,
            is_fork,
        )

    def touch_issue(self, number: int, when: datetime | None = None) -> None:
        """Mark issue/PR ``number`` updated at ``when`` (default: now)."""
        self.issues[number]["updated_at"] = iso(when or datetime.now(UTC))

    def add_activity(
        self,
        numbers: list[int],
        comments: int = 2,
        when: datetime | None = None,
        step: timedelta = timedelta(0),
    ) -> None:
        """New conversation on ``numbers``: ``comments`` new comments each, and on a pull
        request with a review one more inline comment in that review; the i-th item moves to
        ``when + i * step`` (default: now, all at once)."""
        start = when or datetime.now(UTC)
        for i, k in enumerate(numbers):
            ts = iso(start + i * step)
            it = self.issues[k]
            it["updated_at"] = ts
            for _ in range(comments):
                self._next_id += 1
                c = copy.deepcopy(self.comments[0]) if self.comments else {}
                c.update(id=self._next_id, created_at=ts, updated_at=ts, body="new",
                         issue_url=it["url"], user=self._user(f"user{k % 17}"))  # fmt: skip
                self.comments.append(c)
                it["comments"] = int(it.get("comments") or 0) + 1
            reviews = self.reviews.get(k) or []
            if reviews and self.review_comments:
                self._next_id += 1
                c = copy.deepcopy(self.review_comments[0])
                c.update(id=self._next_id, created_at=ts, updated_at=ts, body="nit",
                         pull_request_url=it["pull_request"]["url"],
                         pull_request_review_id=reviews[0]["id"], user=self._user("maint"))  # fmt: skip
                self.review_comments.append(c)

    def _user(self, login: str) -> dict[str, Any]:
        u = copy.deepcopy(self._tpl_user)
        u.update(
            login=login,
            id=zlib.crc32(login.encode()) % 10**7,
            url=f"https://api.github.com/users/{login}",
        )
        u["type"] = "Bot" if login.endswith("[bot]") else "User"
        return u

    def _generate(
        self,
        n: int,
        pr_every: int,
        cpi: int,
        rpp: int,
        rcpp: int,
        n_rel: int,
        n_commits: int,
        n_stars: int,
        is_fork: bool,
    ) -> None:
        fn = self.full_name
        t_issue, t_com = (
            _template("issues-list-for-repo.json"),
            _template("issues-list-comments-for-repo.json"),
        )
        t_rev, t_rc = (
            _template("pulls-list-reviews.json"),
            _template("pulls-list-review-comments-for-repo.json"),
        )
        t_rel, t_commit = (
            _template("repos-list-releases.json"),
            _template("repos-list-commits.json"),
        )
        t_star = _template("activity-list-stargazers-for-repo.star+json.json")
        self._tpl_user = copy.deepcopy(t_issue["user"])
        repo = _template("repos-get.json")
        repo.update(
            id=self.repo_id,
            full_name=fn,
            name=fn.split("/")[1],
            fork=is_fork,
            topics=["health", "metrics"],
        )
        repo.update(html_url=f"https://github.com/{fn}", url=f"https://api.github.com/repos/{fn}")
        self.repo = repo
        self.community = _template("repos-get-community-profile-metrics.json")
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        api = f"https://api.github.com/repos/{fn}"
        cid = 1000
        for k in range(1, n + 1):
            created = T0 + timedelta(hours=k)
            login = "dependabot[bot]" if k % 13 == 0 else f"user{k % 17}"
            it = copy.deepcopy(t_issue)
            it.pop("pull_request", None)
            it.update(
                id=10_000 + k,
                number=k,
                title=f"Item {k}",
                user=self._user(login),
                state="closed" if k % 3 else "open",
                state_reason="completed" if k % 3 else None,
                locked=False,
                comments=cpi,
                created_at=iso(created),
                updated_at=iso(created + timedelta(minutes=30 + k % 7)),
                closed_at=iso(created + timedelta(days=1)) if k % 3 else None,
                labels=[{"id": 1, "name": "bug"}] if k % 4 == 0 else [],
                assignees=[self._user("maint")] if k % 5 == 0 else [],
                url=f"{api}/issues/{k}",
                html_url=f"https://github.com/{fn}/issues/{k}",
            )
            it.pop("closed_by", None)
            if pr_every and k % pr_every == 0:
                merged = iso(created + timedelta(days=1)) if k % 3 else None
                it["pull_request"] = {"url": f"{api}/pulls/{k}", "merged_at": merged}
                it["state_reason"] = None  # GitHub gives pull requests no closing reason
                it["draft"] = k % 10 == 0
                if merged:
                    it["closed_by"] = self._user("maint")
                self.reviews[k] = []
                for j in range(rpp):
                    r = copy.deepcopy(t_rev)
                    r.update(
                        id=500_000 + k * 10 + j,
                        user=self._user(f"reviewer{(k + j) % 5}"),
                        state=("APPROVED", "COMMENTED", "CHANGES_REQUESTED")[(k + j) % 3],
                        submitted_at=iso(created + timedelta(hours=2, minutes=j)),
                        pull_request_url=f"{api}/pulls/{k}",
                        body="r" * (j + 1),
                    )
                    self.reviews[k].append(r)
                for j in range(rcpp):
                    c = copy.deepcopy(t_rc)
                    cid += 1
                    ts = iso(created + timedelta(hours=3, minutes=j))
                    c.update(
                        id=cid,
                        user=self._user(f"reviewer{(k + j) % 5}"),
                        created_at=ts,
                        updated_at=ts,
                        pull_request_url=f"{api}/pulls/{k}",
                        url=f"{api}/pulls/comments/{cid}",
                        body="x" * (j + 3),
                        # every review comment belongs to a review, as on GitHub
                        pull_request_review_id=500_000 + k * 10 + j % rpp if rpp else None,
                    )
                    self.review_comments.append(c)
            self.issues[k] = it
            for j in range(cpi):
                c = copy.deepcopy(t_com)
                cid += 1
                ts = iso(created + timedelta(minutes=40 + j))
                c.update(
                    id=cid,
                    user=self._user(f"user{(k + j + 1) % 17}"),
                    created_at=ts,
                    updated_at=ts,
                    issue_url=f"{api}/issues/{k}",
                    url=f"{api}/issues/comments/{cid}",
                    body="c" * (j + 2),
                )
                self.comments.append(c)
        self._next_id = cid + 10_000_000
        self.releases = []
        for j in range(n_rel):
            r = copy.deepcopy(t_rel)
            ts = iso(T0 + timedelta(days=30 * j))
            r.update(
                id=700 + j,
                tag_name=f"v1.{j}.0",
                name=f"1.{j}",
                created_at=ts,
                published_at=ts,
                prerelease=j % 4 == 3,
                draft=False,
                author=self._user("maint"),
            )
            self.releases.append(r)
        self.commits = []
        for j in range(n_commits):
            c = copy.deepcopy(t_commit)
            ts = iso(T0 + timedelta(hours=j, minutes=5))
            login = f"user{j % 17}"
            sha = hashlib.sha1(f"{fn}{j}".encode()).hexdigest()
            c.update(sha=sha, author=self._user(login) if j % 4 else None)
            c["commit"] = {
                **c["commit"],
                "author": {"name": f"User {j % 17}", "email": f"{login}@example.org", "date": ts},
                "committer": {
                    "name": f"User {j % 17}",
                    "email": f"{login}@example.org",
                    "date": ts,
                },
            }
            self.commits.append(c)
        self.stars = []
        for j in range(n_stars):
            s = copy.deepcopy(t_star)
            s.update(starred_at=iso(T0 + timedelta(hours=j)), user=self._user(f"fan{j}"))
            self.stars.append(s)

    # -- answering --------------------------------------------------------------------------

    def route(self, sub: str, q: dict[str, str]) -> tuple[int, Any]:
        """(status, payload) for a path below the repository."""
        since = q.get("since")
        if sub == "":
            return 200, self.repo
        if sub == "/community/profile":
            return (
                (404, {"message": "Not Found"}) if self.repo.get("fork") else (200, self.community)
            )
        if sub == "/issues":
            items = list(self.issues.values())
            state = q.get("state", "open")
            if state != "all":
                items = [i for i in items if i["state"] == state]
            return 200, self._order(items, q, since, "created")
        if sub == "/issues/comments":
            return 200, self._order(self.comments, q, since, "created", default_dir="asc")
        if sub == "/pulls/comments":
            return 200, self._order(self.review_comments, q, since, "created", default_dir="asc")
        m = re.fullmatch(r"/pulls/(\d+)/reviews", sub)
        if m:
            n = int(m.group(1))
            return (200, self.reviews[n]) if n in self.reviews else (404, {"message": "Not Found"})
        if sub == "/releases":
            return 200, sorted(self.releases, key=lambda r: r["created_at"], reverse=True)
        if sub == "/commits":
            items = [
                c for c in self.commits if not since or c["commit"]["committer"]["date"] >= since
            ]
            return 200, sorted(items, key=lambda c: c["commit"]["committer"]["date"], reverse=True)
        if sub == "/stargazers":
            return 200, self.stars
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    @staticmethod
    def _order(
        items: list[dict[str, Any]],
        q: dict[str, str],
        since: str | None,
        default_sort: str,
        default_dir: str = "desc",
    ) -> list[dict[str, Any]]:
        if since:
            items = [i for i in items if i["updated_at"] >= since]
        key = "updated_at" if q.get("sort", default_sort) == "updated" else "created_at"
        desc = q.get("direction", default_dir) == "desc"
        return sorted(items, key=lambda i: (i[key], i.get("number", i.get("id"))), reverse=desc)
