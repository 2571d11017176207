"""``--publish``: salted pseudonyms, allow_names, and the bad inputs (issue 17, part 2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.privacy.conftest import OTHER_SALT, SALT, Collected
from tests.privacy.history import ALLOWED, NOT_ALLOWED, emails_in, names_in

PSEUDONYM = re.compile(r"person-[a-z2-7]{6}")


def _publish(collected: Collected, tmp: Path, salt: str, allow: tuple[str, ...]) -> Path:
    from ossmetrics.privacy import PrivacyOptions
    from ossmetrics.report import build_site
    from ossmetrics.store import connect

    db = collected.copy_store(tmp)
    con = connect(db)
    try:
        opts = PrivacyOptions(publish=True, salt=salt, allow_names=allow)
        build_site(con, tmp / "site", privacy=opts)
    finally:
        con.close()
    return tmp / "site"


def _network_names(site: Path) -> dict[int, str]:
    """person_id → name shown in the project's network chart (from the page's chart data)."""
    html = (site / "projects" / "acme__widget.html").read_text()
    return {i: n for i, n in enumerate(sorted(set(PSEUDONYM.findall(html))))}


def _expected(salt: str, anchor: str) -> str:
    """The pseudonym computed here from its definition: HMAC-SHA256, base32, 6 characters."""
    d = hmac.new(salt.encode(), anchor.encode(), hashlib.sha256).digest()
    return "person-" + base64.b32encode(d).decode()[:6].lower()


def test_published_site_names_only_allowed_people(collected: Collected, tmp_path: Path) -> None:
    site = _publish(collected, tmp_path, SALT, (ALLOWED,))
    assert emails_in(site) == {}
    assert names_in(site, NOT_ALLOWED) == {}
    assert ALLOWED in (site / "projects" / "acme__widget.html").read_text()
    # Bob (person 3, identity key below) is in the network as his pseudonym, and nowhere named
    bob = _expected(SALT, "git:12345+bobj@users.noreply.github.com\x1fBob Jones")
    html = (site / "projects" / "acme__widget.html").read_text()
    assert bob in html
    bundle = json.loads((site / "data" / "projects" / "acme__widget.json").read_text())
    shown = [k["name"] for k in bundle["key_people"]]
    assert shown == [ALLOWED]  # person-level table: only the allowed key person


def test_nobody_allowed_means_no_name_at_all(collected: Collected, tmp_path: Path) -> None:
    site = _publish(collected, tmp_path, SALT, ())
    assert names_in(site, [*NOT_ALLOWED, ALLOWED]) == {}
    text = (site / "projects" / "acme__widget.html").read_text()
    assert "key people not named" in text
    assert (site / "health.html").read_text().count("git:#") == 0


def test_pseudonyms_stable_across_runs_and_changed_by_the_salt(
    collected: Collected, tmp_path: Path
) -> None:
    a = _network_names(_publish(collected, tmp_path / "a", SALT, ()))
    b = _network_names(_publish(collected, tmp_path / "b", SALT, ()))
    c = _network_names(_publish(collected, tmp_path / "c", OTHER_SALT, ()))
    assert len(a) == 4 and a == b  # same salt, another run: the same four pseudonyms
    assert not set(a.values()) & set(c.values())  # another salt: none in common
    ann = "git:ann.smith@planetcoding.net\x1fAnn Smith"
    assert _expected(SALT, ann) in a.values() and _expected(OTHER_SALT, ann) in c.values()


def test_publish_without_salt_is_refused(collected: Collected, tmp_path: Path) -> None:
    db = collected.copy_store(tmp_path)
    for salt in ("", "   "):
        r = run_cli("--db", str(db), "report", "--publish", "--out", str(tmp_path / "site"),
                    env={"OSSMETRICS_PSEUDONYM_SALT": salt})  # fmt: skip
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "OSSMETRICS_PSEUDONYM_SALT" in lines[0], r.stderr
        assert not (tmp_path / "site").exists()
    # the setting turns publish mode on as the flag does
    r = run_cli("--db", str(db), "demo", "--out", str(tmp_path / "d"),
                env={"OSSMETRICS_PUBLISH": "1", "OSSMETRICS_PSEUDONYM_SALT": ""})  # fmt: skip
    assert r.returncode == 2 and "OSSMETRICS_PSEUDONYM_SALT" in r.stderr


def test_allow_names_entry_matching_nobody_warns(collected: Collected, tmp_path: Path) -> None:
    db = collected.copy_store(tmp_path)
    env = {"OSSMETRICS_PSEUDONYM_SALT": SALT, "OSSMETRICS_ALLOW_NAMES": "Ann Smith, Nobody Atall"}
    r = run_cli("--db", str(db), "report", "--publish",
                "--out", str(tmp_path / "site"), env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "Warning: allow_names entry 'Nobody Atall' matches nobody in the store" in r.stderr
    assert "Ann Smith'" not in r.stderr
    assert "Ann Smith" in (tmp_path / "site" / "projects" / "acme__widget.html").read_text()


def test_graph_export_publish(collected: Collected, tmp_path: Path) -> None:
    db = collected.copy_store(tmp_path / "store")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "g.json"
    r = run_cli("--db", str(db), "graph", "export", "--repo", "acme/widget", "-f", "json",
                "-o", str(out), "--publish", env={"OSSMETRICS_PSEUDONYM_SALT": SALT})  # fmt: skip
    assert r.returncode == 0, r.stderr
    labels = {n.get("label") for n in json.loads(out.read_text())["nodes"]}
    assert _expected(SALT, "git:ann.smith@planetcoding.net\x1fAnn Smith") in labels
    assert names_in(out.parent, [*NOT_ALLOWED, ALLOWED]) == {}
    assert emails_in(out.parent) == {}


def test_masked_identity_keys_opt_in(collected: Collected, tmp_path: Path) -> None:
    from ossmetrics.privacy import PeopleView, PrivacyOptions
    from ossmetrics.store import connect

    con = connect(collected.copy_store(tmp_path))
    try:
        masked = PeopleView(con, PrivacyOptions(identity_keys="masked"))
        plain = PeopleView(con)
        key = "git:ann.smith@planetcoding.net\x1fAnn Smith"
        assert masked.identity_label(1, "git", key) == "git:a…@planetcoding.net"
        assert plain.identity_label(1, "git", key) == "git:#1"
        assert masked.identity_label(9, "github", "github:octocat") == "github:octocat"
    finally:
        con.close()
    with pytest.raises(Exception, match="identity_keys"):
        PrivacyOptions(identity_keys="clear")


def test_publish_setting_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    from ossmetrics.errors import ConfigError
    from ossmetrics.privacy import PrivacyOptions

    monkeypatch.setenv("OSSMETRICS_PSEUDONYM_SALT", SALT)
    monkeypatch.setenv("OSSMETRICS_PUBLISH", "0")  # "0" is off, not a non-empty string
    assert not PrivacyOptions.resolve(None, {"settings": {"publish": True}}).publish
    monkeypatch.delenv("OSSMETRICS_PUBLISH")
    toml = {"settings": {"publish": True, "allow_names": ["Ann Smith", " bobj "]}}
    opts = PrivacyOptions.resolve(None, toml)
    assert opts.publish and opts.allow_names == ("Ann Smith", "bobj")
    assert SALT not in repr(opts)  # the secret never reaches a log line
    assert PrivacyOptions.resolve(True, {}).publish  # the flag
    with pytest.raises(ConfigError, match=r"cannot be set in ossmetrics\.toml"):
        PrivacyOptions.resolve(True, {"settings": {"pseudonym_salt": "x"}})
