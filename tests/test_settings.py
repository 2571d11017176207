"""Settings precedence through the CLI: flag > OSSMETRICS_* > ossmetrics.toml [settings] > default."""

from __future__ import annotations

from pathlib import Path


def test_toml_settings_then_env_then_flag(tmp_path: Path, cli) -> None:
    (tmp_path / "ossmetrics.toml").write_text(
        '[settings]\ndb = "from-toml.duckdb"\nout = "site-toml"\n'
    )
    env = {"OSSMETRICS_DB": "", "OSSMETRICS_OUT": "", "OSSMETRICS_CONFIG": ""}

    r = cli("report", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "from-toml.duckdb").exists()
    assert (tmp_path / "site-toml" / "index.html").exists()

    r = cli("report", cwd=tmp_path, env={**env, "OSSMETRICS_OUT": "site-env"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "site-env" / "index.html").exists()

    r = cli(
        "--db",
        "flag.duckdb",
        "report",
        "--out",
        "site-flag",
        cwd=tmp_path,
        env={**env, "OSSMETRICS_OUT": "site-env"},
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "flag.duckdb").exists()
    assert (tmp_path / "site-flag" / "index.html").exists()


def test_malformed_toml_names_file_and_line(tmp_path: Path, cli) -> None:
    (tmp_path / "ossmetrics.toml").write_text('[settings]\ndb = "x.duckdb"\nout = = 3\n')
    r = cli("report", cwd=tmp_path, env={"OSSMETRICS_CONFIG": ""})
    assert r.returncode == 2
    assert "ossmetrics.toml:3" in r.stderr and "Traceback" not in r.stderr
