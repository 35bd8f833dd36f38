"""A bad setting stops start-up with one line naming the variable, exit status 2."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from tests.conftest import OMBUD

GOOD_SECRET = "s" * 40


def run_ombud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OMBUD, *(args or ("audit", "verify"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OMBUD_", "DATABASE_URL"))
    }
    clean["OMBUD_DATA_DIR"] = str(tmp_path / "data")
    return clean


CASES = [
    ({"OMBUD_ENV": "staging"}, "OMBUD_ENV", "not one of"),
    ({"OMBUD_ENV": "production"}, "OMBUD_SECRET_KEY", "required when OMBUD_ENV=production"),
    (
        {"OMBUD_ENV": "production", "OMBUD_SECRET_KEY": GOOD_SECRET},
        "OMBUD_ALLOWED_HOSTS",
        "required",
    ),
    ({"OMBUD_SECRET_KEY": "short"}, "OMBUD_SECRET_KEY", "shorter than 32"),
    ({"OMBUD_SECRET_KEY_FILE": "/nonexistent/secret"}, "OMBUD_SECRET_KEY_FILE", "cannot read"),
    (
        {"OMBUD_SECRET_KEY": GOOD_SECRET, "OMBUD_SECRET_KEY_FILE": "/etc/hostname"},
        "OMBUD_SECRET_KEY",
        "not both",
    ),
    ({"DATABASE_URL": "mysql://root@localhost/ombud"}, "DATABASE_URL", "not supported"),
    ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432"}, "DATABASE_URL", "names no database"),
    (
        {"OMBUD_ALLOWED_HOSTS": "ombud.example, bad host!"},
        "OMBUD_ALLOWED_HOSTS",
        "'bad host!' is not a host name",
    ),
    ({"OMBUD_TIME_ZONE": "Mars/Olympus_Mons"}, "OMBUD_TIME_ZONE", "not a known time zone"),
    ({"OMBUD_COUNTRY": "XQ"}, "OMBUD_COUNTRY", "not a country code with known public holidays"),
    ({"OMBUD_SMTP_PORT": "smtp"}, "OMBUD_SMTP_PORT", "not a whole number"),
    ({"OMBUD_SMTP_PORT": "70000"}, "OMBUD_SMTP_PORT", "out of range"),
    ({"OMBUD_SMTP_SECURITY": "ssl3"}, "OMBUD_SMTP_SECURITY", "not one of"),
    ({"OMBUD_MAIL_FROM": "nobody"}, "OMBUD_MAIL_FROM", "not an e-mail address"),
    ({"OMBUD_AUDIT_CHECKPOINT_INTERVAL": "0"}, "OMBUD_AUDIT_CHECKPOINT_INTERVAL", "out of range"),
    ({"OMBUD_DATA_DIR": "/etc/hostname"}, "OMBUD_DATA_DIR", "is not a folder"),
    (
        {
            "OMBUD_ENV": "production",
            "OMBUD_SECRET_KEY": GOOD_SECRET,
            "OMBUD_ALLOWED_HOSTS": "ombud.example",
            "OMBUD_ARGON2_MEMORY_MIB": "32",
        },
        "OMBUD_ARGON2_MEMORY_MIB",
        "too weak for production (at least 64)",
    ),
    ({"OMBUD_ARGON2_MEMORY_MIB": "4"}, "OMBUD_ARGON2_MEMORY_MIB", "out of range"),
    ({"OMBUD_ARGON2_PASSES": "0"}, "OMBUD_ARGON2_PASSES", "out of range"),
    ({"OMBUD_TRUSTED_PROXIES": "9"}, "OMBUD_TRUSTED_PROXIES", "out of range"),
    ({"OMBUD_QUICK_EXIT_URL": "javascript:alert(1)"}, "OMBUD_QUICK_EXIT_URL", "not an http(s)"),
    ({"OMBUD_REDIS_URL": "127.0.0.1:6379"}, "OMBUD_REDIS_URL", "not a Redis address"),
    ({"OMBUD_RATELIMIT_REPORTS": "0"}, "OMBUD_RATELIMIT_REPORTS", "out of range (1 to 10000)"),
    ({"OMBUD_RATELIMIT_RECEIPT_FAILURES": "many"}, "OMBUD_RATELIMIT_RECEIPT_FAILURES", "whole"),
    # Production without a mail server: no escalation notice would reach anyone.
    (
        {
            "OMBUD_ENV": "production",
            "OMBUD_SECRET_KEY": GOOD_SECRET,
            "OMBUD_ALLOWED_HOSTS": "ombud.example",
        },
        "OMBUD_SMTP_HOST",
        "required when OMBUD_ENV=production, or no notice reaches anyone (set OMBUD_MAIL=off",
    ),
    (
        {
            "OMBUD_ENV": "production",
            "OMBUD_SECRET_KEY": GOOD_SECRET,
            "OMBUD_ALLOWED_HOSTS": "ombud.example",
            "OMBUD_MAIL": "folder",
        },
        "OMBUD_MAIL",
        "'folder' is for development",
    ),
    ({"OMBUD_MAIL": "smtp"}, "OMBUD_SMTP_HOST", "required with OMBUD_MAIL=smtp"),
    ({"OMBUD_MAIL": "pigeon"}, "OMBUD_MAIL", "not one of smtp, folder, off"),
    (
        {"OMBUD_MAIL": "off", "OMBUD_SMTP_HOST": "mail.example"},
        "OMBUD_MAIL",
        "OMBUD_SMTP_HOST is set too",
    ),
]


@pytest.mark.parametrize(
    ("variables", "variable", "problem"),
    CASES,
    ids=[f"{case[1]}-{index}" for index, case in enumerate(CASES)],
)
def test_a_bad_setting_stops_startup_naming_the_variable(env, variables, variable, problem):
    result = run_ombud({**env, **variables})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ombud: configuration error: {variable}: ")
    assert problem in lines[0]
    assert "Traceback" not in result.stderr


def test_a_secret_key_file_others_can_read_is_refused(env, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("k" * 60)
    os.chmod(data / "secret_key", 0o644)
    result = run_ombud(env)
    assert result.returncode == 2
    assert "OMBUD_SECRET_KEY" in result.stderr and "chmod 600" in result.stderr


def test_a_damaged_audit_signing_key_is_refused(env, tmp_path):
    key = tmp_path / "audit.key"
    key.write_text("not hex at all")
    key.chmod(0o600)
    result = run_ombud({**env, "OMBUD_AUDIT_SIGNING_KEY_PATH": str(key)})
    assert result.returncode == 2
    assert "OMBUD_AUDIT_SIGNING_KEY_PATH" in result.stderr


def test_a_fresh_data_folder_gets_its_secrets_readable_by_the_owner_only(instance):
    result = instance.run("audit", "verify")
    assert result.returncode == 0, result.stderr
    kept = {}
    for name in ("secret_key", "audit_signing.key", "pepper"):
        mode = stat.S_IMODE((instance.data_dir / name).stat().st_mode)
        assert mode == 0o600, name
        kept[name] = (instance.data_dir / name).read_text()
    again = instance.run("audit", "verify")
    assert again.returncode == 0
    for name, content in kept.items():
        assert (instance.data_dir / name).read_text() == content  # generated once, then kept


def test_values_may_come_from_files(instance, tmp_path):
    zone = tmp_path / "zone"
    zone.write_text("Asia/Shanghai\n")
    bad = tmp_path / "country"
    bad.write_text("ZZ\n")
    good = instance.run(
        "manage", "shell", "-c", "from django.conf import settings; print(settings.TIME_ZONE)"
    )
    assert good.returncode == 0
    instance.env["OMBUD_TIME_ZONE_FILE"] = str(zone)
    from_file = instance.run(
        "manage", "shell", "-c", "from django.conf import settings; print(settings.TIME_ZONE)"
    )
    assert from_file.stdout.strip().splitlines()[-1] == "Asia/Shanghai"
    instance.env["OMBUD_COUNTRY_FILE"] = str(bad)
    refused = instance.run("audit", "verify")
    assert refused.returncode == 2
    assert "OMBUD_COUNTRY" in refused.stderr and "'ZZ'" in refused.stderr


def test_the_demo_refuses_to_load_in_production_however_it_is_said(env, tmp_path):
    secret = tmp_path / "env"
    secret.write_text("production\n")
    result = run_ombud(
        {
            **env,
            "OMBUD_ENV_FILE": str(secret),
            "OMBUD_SECRET_KEY": GOOD_SECRET,
            "OMBUD_ALLOWED_HOSTS": "ombud.example",
            "OMBUD_MAIL": "off",
        },
        "demo",
    )
    assert result.returncode == 2
    assert "cannot be loaded when OMBUD_ENV=production" in result.stderr


def test_a_pepper_file_that_is_too_short_is_refused(env, tmp_path):
    pepper = tmp_path / "pepper"
    pepper.write_text("abcd")
    pepper.chmod(0o600)
    result = run_ombud({**env, "OMBUD_PEPPER_FILE": str(pepper)})
    assert result.returncode == 2
    assert "OMBUD_PEPPER_FILE" in result.stderr and "64 hexadecimal" in result.stderr


def test_the_pepper_can_live_outside_the_data_folder(instance, tmp_path):
    pepper = tmp_path / "secrets" / "pepper"
    pepper.parent.mkdir()
    instance.env["OMBUD_PEPPER_FILE"] = str(pepper)
    assert instance.run("audit", "verify").returncode == 0
    assert len(bytes.fromhex(pepper.read_text())) == 32
    assert not (instance.data_dir / "pepper").exists()


def test_serve_stops_naming_the_variable_when_redis_does_not_answer(env):
    from tests.conftest import free_port

    env["OMBUD_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    result = run_ombud(env, "serve", "--port", str(free_port()))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ombud: configuration error: OMBUD_REDIS_URL: the cache does not")
