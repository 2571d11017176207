"""``ossmetrics collect corpus`` on the bundled sample (the corpus format, real history)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ossmetrics.pipeline.demo import sample_dir
from tests.collect.test_cli_git import one_error_line


def test_collect_corpus_loads_the_named_repositories(cli, tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    sample = str(sample_dir())
    ok = cli(
        "--db",
        str(db),
        "collect",
        "corpus",
        sample,
        "--repo",
        "fabric/fabric",
        "--repo",
        "jqlang/jq",
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("loaded 2 corpus repositories from ")
    con = duckdb.connect(str(db), read_only=True)
    per_repo = con.execute(
        """SELECT r.full_name, count(*) FROM commits c JOIN repos r USING (repo_id)
           GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    con.close()
    assert per_repo == [("fabric/fabric", 204), ("jqlang/jq", 637)]  # the sample README's counts
    again = cli("--db", str(db), "collect", "corpus", sample, "--repo", "jqlang/jq")
    assert (
        again.returncode == 0 and "(841 commits in the store" in again.stdout
    )  # replaced, not doubled


def test_collect_corpus_bad_input(cli, tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    missing = cli("--db", str(db), "collect", "corpus", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "nowhere/repos.parquet not found" in one_error_line(missing)
    # no PATH and no OSSMETRICS_CORPUS: no guessed folder, one line saying what to give
    bare = cli("--db", str(db), "collect", "corpus", env={"OSSMETRICS_CORPUS": ""})
    assert bare.returncode == 2
    assert one_error_line(bare) == (
        "Error: no corpus folder given — pass the folder holding "
        "repos/commits/commit_files.parquet as PATH, or set OSSMETRICS_CORPUS"
    )
    unknown = cli("--db", str(db), "collect", "corpus", str(sample_dir()), "--repo", "no/such")
    assert unknown.returncode == 2
    assert "no corpus repository matched" in one_error_line(unknown)


def test_loading_a_corpus_numbers_repositories_and_people_in_name_order(tmp_path: Path) -> None:
    """Two loads of one corpus give the same ids: the truck factor breaks ties by person id,
    so ids handed out in hash order made two builds of one store train different models."""
    from ossmetrics.collect.corpus import load_corpus
    from ossmetrics.store import connect

    ids = []
    for name in ("a", "b"):
        con = connect(tmp_path / f"{name}.duckdb")
        load_corpus(con, sample_dir())
        repos = con.execute("SELECT repo_id, full_name FROM repos ORDER BY repo_id").fetchall()
        people = con.execute(
            "SELECT identity_id, identity_key FROM identities ORDER BY identity_id"
        ).fetchall()
        con.close()
        assert [r[1] for r in repos] == sorted(r[1] for r in repos)
        assert len(people) > 100
        assert [p[1] for p in people] == sorted(p[1] for p in people)
        ids.append((repos, people))
    assert ids[0] == ids[1]
