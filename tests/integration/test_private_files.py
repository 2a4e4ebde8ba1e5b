"""Files holding secrets are the owner's only (0600) from the moment they exist: backups, credentials,
the server's key and exports of the audit trail — whatever the umask of the process that writes them."""
from __future__ import annotations

import os
import stat

import pytest

from gis_tracker import config, localdb


@pytest.fixture()
def open_umask():
    """Run as a careless administrator would: umask 022 (new files world-readable by default)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_backup_dump_is_owner_only(app, tmp_path, open_umask):
    dump = tmp_path / "shifeng.dump"
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(dump)])
    assert result.exit_code == 0, result.output
    assert _mode(dump) == 0o600
    assert not (tmp_path / "shifeng.dump.partial").exists()


def test_a_backup_over_an_old_world_readable_file_is_owner_only(app, tmp_path, open_umask):
    dump = tmp_path / "old.dump"
    dump.write_bytes(b"old")
    dump.chmod(0o644)
    assert app.test_cli_runner().invoke(args=["backup", "--out", str(dump)]).exit_code == 0
    assert _mode(dump) == 0o600


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_audit_trail_is_owner_only(app, tmp_path, open_umask, fmt):
    out = tmp_path / f"audit.{fmt}"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o600
    body = out.read_bytes()
    assert (b"username" in body) if fmt == "csv" else body.startswith(b"PK")


def test_the_cluster_credentials_are_owner_only(tmp_path, monkeypatch, open_umask):
    monkeypatch.setattr(localdb, "_credentials_file", lambda: tmp_path / "credentials")
    localdb._write_credentials({"postgres": "secret-1", "shifeng": "secret-2"})
    assert _mode(tmp_path / "credentials") == 0o600
    assert localdb._read_credentials() == {"postgres": "secret-1", "shifeng": "secret-2"}
    assert not (tmp_path / "credentials.tmp").exists()


def test_the_generated_secret_key_is_owner_only(tmp_path, monkeypatch, open_umask):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    key = config._secret_key()
    assert len(key) == 64 and _mode(tmp_path / "var" / "secret_key") == 0o600
    assert config._secret_key() == key  # kept across restarts
