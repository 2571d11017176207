"""Building a corpus from a manifest: real git repositories in temp folders, the real CLI.

One build (module fixture) covers: two repositories sharing a contributor, one found through
``--mirror-dir``, one whose README becomes "no longer maintained", one that fails to clone, one
with no commits. The checks are on the Parquet files a risk engineer would read.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from ossmetrics.collect.corpus_manifest import read_manifest
from ossmetrics.collect.gitlog import open_repository
from ossmetrics.collect.readme_status import classify, readme_status_events
from ossmetrics.errors import UsageError
from tests.conftest import REPO_ROOT, run_cli
from tests.gitfactory import GitFactory, Person

ALICE = Person("Alice Example", "alice@example.org")
BOB = Person("Bob Builder", "bob@example.net")
CAROL = Person("Carol Coder", "carol@example.com")
RAW = ("alice@example.org", "bob@example.net", "carol@example.com", "Alice", "Bob", "Carol")


def _manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["repo", "ecosystem", "why", "source", "commit"])
        w.writeheader()
        for r in rows:
            w.writerow({"why": "test", "source": "", "commit": "", **r})
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("corpus")
    a = GitFactory(base / "alpha")
    a.commit({"README.md": "# alpha\n\nA library.\n"}, author=ALICE, date="2020-01-01T00:00:00Z")
    a.commit({"a.py": "x = 1\n"}, author=BOB, date="2020-02-01T00:00:00Z")
    a.commit(
        {"README.md": "# alpha\n\n**This project is no longer maintained.**\n"},
        author=ALICE,
        date="2021-06-01T12:00:00Z",
    )
    b = GitFactory(base / "beta")
    b.commit({"b.go": "package b\n"}, author=BOB, date="2022-01-01T00:00:00Z")
    b.commit({"b.go": "package b\n// c\n"}, author=CAROL, date="2022-03-01T00:00:00Z")
    mirror = base / "mirror"
    b.clone_bare(mirror / "gamma+beta" / "repo")  # found through --mirror-dir
    empty = GitFactory(base / "empty.git", bare=True)
    manifest = _manifest(
        base / "manifest.csv",
        [
            {"repo": "acme/alpha", "ecosystem": "pypi", "source": str(a.path)},
            {"repo": "gamma/beta", "ecosystem": "go"},
            {"repo": "acme/empty", "ecosystem": "npm", "source": str(empty.path)},
            {"repo": "acme/gone", "ecosystem": "npm", "source": (base / "nope.git").as_uri()},
            {"repo": "apache/kafka", "ecosystem": "jvm", "source": str(a.path)},
        ],
    )
    out = base / "out"
    proc = run_cli(
        "collect", "corpus", "--manifest", str(manifest), "--out", str(out),
        "--mirror-dir", str(mirror),
        env={"OSSMETRICS_CORPUS_SALT": "test-salt"},
    )  # fmt: skip
    return {"proc": proc, "out": out, "manifest": manifest, "mirror": mirror, "alpha": a}


def _rows(out: Path, table: str) -> list[dict[str, object]]:
    rel = duckdb.sql(f"FROM read_parquet('{out / table}.parquet')")
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def test_build_skips_bad_rows_and_builds_the_rest(built: dict[str, object]) -> None:
    proc, out = built["proc"], Path(str(built["out"]))
    assert proc.returncode == 0, proc.stderr  # type: ignore[attr-defined]
    assert "built 2 repositories, skipped 3" in proc.stdout  # type: ignore[attr-defined]
    with (out / "skipped.csv").open() as fh:
        skipped = {r["repo"]: r["reason"] for r in csv.DictReader(fh)}
    assert set(skipped) == {"acme/empty", "acme/gone", "apache/kafka"}
    assert "no commits" in skipped["acme/empty"]
    assert "cannot clone" in skipped["acme/gone"]
    assert "reserved" in skipped["apache/kafka"]
    repos = {r["repo"]: r for r in _rows(out, "repos")}
    assert set(repos) == {"acme/alpha", "gamma/beta"}
    assert repos["acme/alpha"]["ecosystem"] == "pypi" and repos["gamma/beta"]["ecosystem"] == "go"
    assert repos["acme/alpha"]["n_commits"] == 3 and repos["gamma/beta"]["n_commits"] == 2
    assert repos["acme/alpha"]["head_sha"] == built["alpha"].head()  # type: ignore[attr-defined]


def test_output_holds_no_name_or_email(built: dict[str, object]) -> None:
    out = Path(str(built["out"]))
    for table in ("repos", "commits", "commit_files", "status_events"):
        for row in _rows(out, table):
            for v in row.values():
                if isinstance(v, str):
                    assert "@" not in v, (table, v)
                    assert not any(x.lower() in v.lower() for x in RAW), (table, v)


def test_one_person_is_one_pseudonym_across_repositories(built: dict[str, object]) -> None:
    out = Path(str(built["out"]))
    commits = _rows(out, "commits")
    alpha = sorted((c for c in commits if c["repo"] == "acme/alpha"), key=lambda c: c["sha"])
    ids = {c["author_mailmap_id"] for c in commits}
    assert len(ids) == 3  # Alice, Bob, Carol
    bob_in_alpha = {
        c["author_mailmap_id"]
        for c in alpha
        if c["authored_at"] == datetime(2020, 2, 1, tzinfo=UTC)
    }
    bob_in_beta = {
        c["author_mailmap_id"]
        for c in commits
        if c["repo"] == "gamma/beta" and c["authored_at"] == datetime(2022, 1, 1, tzinfo=UTC)
    }
    assert bob_in_alpha == bob_in_beta and len(bob_in_alpha) == 1
    assert all(re.fullmatch(r"[0-9a-f]{16}", str(c["author_id"])) for c in commits)
    files = _rows(out, "commit_files")
    assert {(f["repo"], f["path"]) for f in files} >= {
        ("acme/alpha", "a.py"),
        ("gamma/beta", "b.go"),
    }


def test_salt_changes_every_pseudonym(built: dict[str, object], tmp_path: Path) -> None:
    out2 = tmp_path / "out2"
    proc = run_cli(
        "collect", "corpus", "--manifest", str(built["manifest"]), "--out", str(out2),
        "--mirror-dir", str(built["mirror"]), "--limit", "2",
        env={"OSSMETRICS_CORPUS_SALT": "another-salt"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first = {c["author_id"] for c in _rows(Path(str(built["out"])), "commits")}
    second = {c["author_id"] for c in _rows(out2, "commits")}
    assert len(first) == len(second) == 3 and not first & second


def test_readme_notice_becomes_a_status_event(built: dict[str, object]) -> None:
    events = _rows(Path(str(built["out"])), "status_events")
    assert [(e["repo"], e["kind"], e["at"]) for e in events] == [
        ("acme/alpha", "unmaintained", datetime(2021, 6, 1, 12, tzinfo=UTC))
    ]
    assert "no longer maintained" in str(events[0]["evidence"])


def test_readme_history_declared_then_cleared(tmp_path: Path) -> None:
    g = GitFactory(tmp_path / "r")
    g.commit({"README.rst": "lib\n===\n"}, date="2019-01-01T00:00:00Z")
    g.commit({"docs/README.md": "DEPRECATED\n"}, date="2019-02-01T00:00:00Z")  # not at root
    g.commit({"README.rst": "lib\n===\n\nDEPRECATED\n----------\n"}, date="2019-03-01T00:00:00Z")
    g.commit({"README.rst": "lib\n===\n\nBack in business.\n"}, date="2020-01-01T00:00:00Z")
    g.commit({"README.rst": None, "README.md": "We are looking for maintainers!\n"}, date="2021-01-01T00:00:00Z")  # fmt: skip
    events = readme_status_events(open_repository(g.path))
    assert [(e.kind, e.at.date().isoformat()) for e in events] == [
        ("deprecated", "2019-03-01"),
        ("cleared", "2020-01-01"),
        ("seeking_maintainers", "2021-01-01"),
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("# foo\n\n> **Note**: this repository is archived and read-only.\n", "archived"),
        ("# foo [DEPRECATED]\n", "deprecated"),
        ("Deprecated: use bar instead.\n", "deprecated"),
        ("This library has been deprecated in favour of bar.\n", "deprecated"),
        ("![No Maintenance Intended](http://unmaintained.tech/badge.svg)\n", "unmaintained"),
        ("This project is NOT actively maintained.\n", "unmaintained"),
        ("**NOTE**: this library is in **maintenance mode**.\n", "maintenance_mode"),
        ("The `old()` function is deprecated; use `new()`.\n", None),  # an API note
        ("# foo\n\nFast and maintained.\n", None),
        ("x\n" * 2000 + "This project is no longer maintained.\n", None),  # past the head
    ],
)
def test_classify(text: str, kind: str | None) -> None:
    got = classify(text)
    assert (got[0] if got else None) == kind


def test_manifest_duplicates_are_refused(tmp_path: Path) -> None:
    m = _manifest(
        tmp_path / "m.csv",
        [{"repo": "a/b", "ecosystem": "npm"}, {"repo": "A/B", "ecosystem": "npm"}],
    )
    with pytest.raises(UsageError, match="twice"):
        read_manifest(m)
    proc = run_cli("collect", "corpus", "--manifest", str(m), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr  # bad usage
    assert "names A/B twice (lines 2 and 3)" in proc.stdout + proc.stderr


def test_the_committed_manifest() -> None:
    """>= 1,500 repositories, >= 6 ecosystems, no duplicates, no apache/* (validation only)."""
    rows = read_manifest(REPO_ROOT / "corpus" / "manifest.csv")  # refuses duplicates itself
    assert len(rows) >= 1500
    assert len({r.ecosystem for r in rows}) >= 6
    assert not [r.repo for r in rows if r.repo.lower().startswith("apache/")]
    assert len({r.repo.lower() for r in rows}) == len(rows)
    with (REPO_ROOT / "corpus" / "manifest.csv").open(newline="") as fh:
        recs = list(csv.DictReader(fh))
    assert {"repo", "ecosystem", "why", "commit"} <= set(recs[0])
    assert all(r["why"].strip() for r in recs)
    assert all(re.fullmatch(r"(?:[0-9a-f]{40})?", r["commit"]) for r in recs)


def test_a_second_run_resumes_without_collecting_again(built: dict[str, object]) -> None:
    out = Path(str(built["out"]))
    before = {r["repo"]: r for r in _rows(out, "repos")}
    commits_before = sorted((c["repo"], c["sha"], c["author_id"]) for c in _rows(out, "commits"))
    proc = run_cli(
        "collect", "corpus", "--manifest", str(built["manifest"]), "--out", str(out),
        "--mirror-dir", str(built["mirror"]),
        env={"OSSMETRICS_CORPUS_SALT": "test-salt"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert not re.search(r"\d commits \(", proc.stdout)  # nothing collected: every HEAD known
    after = {r["repo"]: r for r in _rows(out, "repos")}
    assert after == before  # including the first run's build_seconds
    assert (
        sorted((c["repo"], c["sha"], c["author_id"]) for c in _rows(out, "commits"))
        == commits_before
    )


def test_clones_are_cut_at_the_manifest_commit(built: dict[str, object], tmp_path: Path) -> None:
    alpha = built["alpha"]
    first = alpha.git("rev-list", "--max-parents=0", "HEAD").strip()  # type: ignore[attr-defined]
    url = alpha.path.as_uri()  # type: ignore[attr-defined]
    m = _manifest(
        tmp_path / "m.csv",
        [
            {"repo": "acme/old", "ecosystem": "pypi", "source": url, "commit": first},
            {"repo": "acme/new", "ecosystem": "pypi", "source": url},
        ],
    )
    proc = run_cli(
        "collect", "corpus", "--manifest", str(m), "--out", str(tmp_path / "o"), "--write-commits",
        env={"OSSMETRICS_CORPUS_SALT": "s"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    repos = {r["repo"]: r for r in _rows(tmp_path / "o", "repos")}
    assert repos["acme/old"]["n_commits"] == 1 and repos["acme/old"]["head_sha"] == first
    assert repos["acme/new"]["n_commits"] == 3
    with m.open() as fh:
        commits = {r["repo"]: r["commit"] for r in csv.DictReader(fh)}
    assert commits == {"acme/old": first, "acme/new": alpha.head()}  # type: ignore[attr-defined]


def test_the_built_corpus_loads_like_the_shared_one(
    built: dict[str, object], tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    proc = run_cli("--db", str(db), "collect", "corpus", str(built["out"]))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("loaded 2 corpus repositories")
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute(
        "SELECT r.full_name, count(*) FROM commits c JOIN repos r USING (repo_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    people = con.execute("SELECT count(DISTINCT person_id) FROM identities").fetchone()
    con.close()
    assert n == [("acme/alpha", 3), ("gamma/beta", 2)]
    assert people == (3,)  # Alice, Bob (in both repositories), Carol


def test_repos_from_builds_only_the_listed_rows(built: dict[str, object], tmp_path: Path) -> None:
    """How the shipped model's corpus (a subset of the manifest) is rebuilt."""
    names = tmp_path / "names.txt"
    names.write_text("# the subset\nGAMMA/beta\n")
    out = tmp_path / "sub"
    proc = run_cli(
        "collect", "corpus", "--manifest", str(built["manifest"]), "--out", str(out),
        "--mirror-dir", str(built["mirror"]), "--repos-from", str(names),
        env={"OSSMETRICS_CORPUS_SALT": "test-salt"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [r["repo"] for r in _rows(out, "repos")] == ["gamma/beta"]
    full = sorted((c["sha"], c["author_id"]) for c in _rows(Path(str(built["out"])), "commits")
                  if c["repo"] == "gamma/beta")  # fmt: skip
    assert sorted((c["sha"], c["author_id"]) for c in _rows(out, "commits")) == full
    names.write_text("gamma/beta\nacme/nowhere\n")
    bad = run_cli(
        "collect", "corpus", "--manifest", str(built["manifest"]), "--out", str(out),
        "--repos-from", str(names),
    )  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (
        "1 repositories are not in" in bad.stdout + bad.stderr
        and "acme/nowhere" in bad.stdout + bad.stderr
    )
    missing = run_cli("collect", "corpus", "--repos-from", str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stdout + missing.stderr


def test_the_shipped_models_repository_list_is_in_the_manifest() -> None:
    manifest = {r.repo: r for r in read_manifest(REPO_ROOT / "corpus" / "manifest.csv")}
    lines = (REPO_ROOT / "corpus" / "model-repos.txt").read_text().splitlines()
    names = [x for x in lines if x and not x.startswith("#")]
    # issue 19: at least 1,500 built repositories from at least 6 ecosystems, each cut at a
    # recorded commit so the build is reproducible
    assert len(names) == len(set(names)) >= 1500
    assert set(names) <= set(manifest)
    assert not [n for n in names if n.lower().startswith("apache/")]
    per_ecosystem = Counter(manifest[n].ecosystem for n in names)
    assert len(per_ecosystem) >= 6 and min(per_ecosystem.values()) >= 150, per_ecosystem
    assert all(len(manifest[n].commit or "") == 40 for n in names)
