"""Signing keys (issue 20): never a constant in the code. Development and test generate them once per
installation into a git-ignored file; production refuses to start without keys of its own."""

from __future__ import annotations

import json
import stat
import subprocess

import pytest

from server.config import PROFILES, PROJECT_ROOT, config_from_env, development_secrets


def test_development_keys_are_generated_once_and_kept(tmp_path):
    path = tmp_path / "var" / "dev-secrets.json"
    first = development_secrets(path)
    assert len(first["SECRET_KEY"]) >= 48 and len(first["JWT_SECRET_KEY"]) >= 48
    assert first["SECRET_KEY"] != first["JWT_SECRET_KEY"]
    assert development_secrets(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert development_secrets(tmp_path / "other.json") != first  # per installation


def test_the_development_profile_reads_the_installation_file(tmp_path, monkeypatch):
    path = tmp_path / "dev-secrets.json"
    monkeypatch.setenv("VERVAL_DEV_SECRETS_FILE", str(path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    settings = config_from_env("development")
    assert settings["JWT_SECRET_KEY"] == json.loads(path.read_text())["JWT_SECRET_KEY"]


def test_no_key_is_a_constant_in_the_code():
    for profile in PROFILES.values():
        assert profile.SECRET_KEY == "" and profile.JWT_SECRET_KEY == ""


def test_the_keys_file_is_ignored_by_git():
    relative = "var/dev-secrets.json"
    ignored = subprocess.run(["git", "check-ignore", "-q", relative], cwd=PROJECT_ROOT, check=False)
    assert ignored.returncode == 0


def test_production_refuses_to_start_without_its_keys(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="SECRET_KEY"):
        config_from_env("production", SQLALCHEMY_DATABASE_URI="postgresql://x@/y")
    with pytest.raises(ValueError, match="JWT_SECRET_KEY"):
        config_from_env("production", SQLALCHEMY_DATABASE_URI="postgresql://x@/y", SECRET_KEY="k" * 40)
    settings = config_from_env(
        "production", SQLALCHEMY_DATABASE_URI="postgresql://x@/y", SECRET_KEY="k" * 40, JWT_SECRET_KEY="j" * 40
    )
    assert settings["JWT_SECRET_KEY"] == "j" * 40
