"""Ombud's configuration, read from the environment.

Every variable may also be given as ``<NAME>_FILE``, the path of a file holding
the value (for secrets mounted by an orchestrator). A bad value raises
:class:`ConfigError` naming the variable; ``settings.py`` and the ``ombud``
command turn it into one line on standard error and exit status 2.

This module reads no Django settings, so it can run before Django starts.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SECRET_KEY_FILE_NAME = "secret_key"  # noqa: S105 - a file name, not a secret
AUDIT_KEY_FILE_NAME = "audit_signing.key"
PEPPER_FILE_NAME = "pepper"
MIN_PRODUCTION_MEMORY_MIB = 64
ENVIRONMENTS = ("development", "production")
SMTP_SECURITY = ("none", "starttls", "tls")
# The languages Ombud speaks (settings.LANGUAGES); OMBUD_LANGUAGE picks the default.
LANGUAGES = ("en", "zh-hans")
# Where mail goes: an SMTP server; one .eml file per message in the data folder's
# mail/ (development only: nobody receives it); or nowhere, said on purpose.
MAIL_MODES = ("smtp", "folder", "off")
MAIL_FOLDER_NAME = "mail"
# The standards of proof a finding may be held to (ombud.investigation.models.Finding.Standard);
# OMBUD_STANDARD_OF_PROOF picks the one every new finding starts from.
STANDARDS_OF_PROOF = ("balance_of_probabilities", "clear_and_convincing", "beyond_reasonable_doubt")
_HOST_RE = re.compile(r"^(\*|\.?[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_REDIS_RE = re.compile(r"^(rediss?://[^\s/?#]+(/\d*)?(\?\S*)?|unix:///\S+)$")
# Rate limits of the public writes (ombud.intake.ratelimit):
# scope -> (variable, default attempts, window in seconds). Only the counts are
# settings, so tests and benchmarks can raise them; the windows are fixed.
RATELIMIT_VARIABLES = {
    "report": ("OMBUD_RATELIMIT_REPORTS", 10, 3600),
    "form": ("OMBUD_RATELIMIT_FORM_STEPS", 60, 3600),
    "receipt": ("OMBUD_RATELIMIT_RECEIPT_FAILURES", 20, 600),
    "directory": ("OMBUD_RATELIMIT_SEARCHES", 30, 600),
    "message": ("OMBUD_RATELIMIT_MESSAGES", 30, 3600),
}
RATELIMIT_MAX = 10_000


class ConfigError(Exception):
    """A configuration variable is missing or wrong."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True)
class Config:
    env: str
    data_dir: Path
    database: dict[str, object] = field(repr=False)  # may hold a password
    secret_key: str = field(repr=False)
    allowed_hosts: list[str]
    time_zone: str
    country: str
    smtp_host: str | None
    smtp_port: int
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_security: str
    mail_from: str
    mail: str
    audit_checkpoint_interval: int
    audit_signing_key_file: Path
    organisation_name: str
    pepper_file: Path
    argon2_memory_mib: int
    argon2_passes: int
    argon2_concurrency: int = 1
    signin_failure_limit: int = 10
    reset_limit: int = 5
    quick_exit_url: str = "https://www.wikipedia.org/"
    trusted_proxies: int = 0
    base_url: str = "http://127.0.0.1:8000"
    notify_key_file: Path = Path("notify.key")
    redis_url: str | None = field(default=None, repr=False)  # may hold a password
    ratelimits: Mapping[str, int] = field(
        default_factory=lambda: {scope: row[1] for scope, row in RATELIMIT_VARIABLES.items()}
    )
    image_megapixels: int = 40
    cleaner_memory_mib: int = 768
    cleaner_seconds: int = 30
    draft_files_mb: int = 30
    language: str = "en"
    standard_of_proof: str = "balance_of_probabilities"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def mail_configured(self) -> bool:
        """Whether mail goes anywhere (an SMTP server, or the folder in development)."""
        return self.mail != "off"

    @property
    def mail_folder(self) -> Path:
        return self.data_dir / MAIL_FOLDER_NAME


def _read(environ: Mapping[str, str], name: str) -> str | None:
    """The value of ``name``, or the content of the file ``name_FILE`` names."""
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ConfigError(name, f"set either {name} or {name}_FILE, not both")
    if file_name is not None:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ConfigError(f"{name}_FILE", f"cannot read {file_name!r}: {reason}") from exc
    if value is not None:
        return value.strip()
    return None


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _read(environ, name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None
    if not low <= number <= high:
        raise ConfigError(name, f"{number} is out of range ({low} to {high})")
    return number


def _data_dir(environ: Mapping[str, str]) -> Path:
    raw = _read(environ, "OMBUD_DATA_DIR") or "var"
    path = Path(raw).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise ConfigError("OMBUD_DATA_DIR", f"{str(path)!r} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError("OMBUD_DATA_DIR", f"cannot create {str(path)!r}: {exc.strerror}") from exc
    if not os.access(path, os.W_OK):
        raise ConfigError("OMBUD_DATA_DIR", f"{str(path)!r} is not writable")
    return path


def _database(environ: Mapping[str, str], data_dir: Path) -> dict[str, object]:
    import dj_database_url  # a small pure-Python parser, no Django settings needed

    url = _read(environ, "DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_dir / "ombud.sqlite3"),
        }
    scheme = url.split(":", 1)[0]
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ConfigError(
            "DATABASE_URL", f"scheme {scheme!r} is not supported (use postgresql:// or sqlite:///)"
        )
    try:
        parsed = dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise ConfigError("DATABASE_URL", f"cannot be parsed: {exc}") from exc
    if scheme != "sqlite" and not parsed.get("NAME"):
        raise ConfigError("DATABASE_URL", "names no database (add /DBNAME to the URL)")
    if scheme == "sqlite" and not parsed.get("NAME"):
        raise ConfigError("DATABASE_URL", "names no file (use sqlite:////absolute/path.sqlite3)")
    return parsed


def _owner_only(path: Path, variable: str) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            variable,
            f"{str(path)!r} can be read by other users (mode {mode:o}); run chmod 600 on it",
        )


def _generated_secret(path: Path, variable: str, make: bytes) -> bytes:
    """Read a secret kept in the data folder, creating it (mode 0600) on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _owner_only(path, variable)
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(make)
    return make


def _secret_key(environ: Mapping[str, str], env: str, data_dir: Path) -> str:
    key = _read(environ, "OMBUD_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("OMBUD_SECRET_KEY", "is shorter than 32 characters")
        return key
    if env == "production":
        raise ConfigError("OMBUD_SECRET_KEY", "is required when OMBUD_ENV=production")
    path = data_dir / SECRET_KEY_FILE_NAME
    value = _generated_secret(path, "OMBUD_SECRET_KEY", secrets.token_urlsafe(50).encode())
    return value.decode().strip()


def _allowed_hosts(environ: Mapping[str, str], env: str) -> list[str]:
    raw = _read(environ, "OMBUD_ALLOWED_HOSTS")
    if not raw:
        if env == "production":
            raise ConfigError(
                "OMBUD_ALLOWED_HOSTS",
                "is required when OMBUD_ENV=production (the host names Ombud answers to)",
            )
        return ["127.0.0.1", "localhost", "[::1]"]
    hosts = [host.strip() for host in raw.split(",") if host.strip()]
    for host in hosts:
        if not _HOST_RE.match(host):
            raise ConfigError("OMBUD_ALLOWED_HOSTS", f"{host!r} is not a host name")
    return hosts


def _time_zone(environ: Mapping[str, str]) -> str:
    name = _read(environ, "OMBUD_TIME_ZONE") or "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "OMBUD_TIME_ZONE", f"{name!r} is not a known time zone (e.g. Europe/Dublin)"
        ) from None
    return name


def _country(environ: Mapping[str, str]) -> str:
    import holidays

    code = (_read(environ, "OMBUD_COUNTRY") or "IE").upper()
    if code not in holidays.list_supported_countries():
        raise ConfigError(
            "OMBUD_COUNTRY",
            f"{code!r} is not a country code with known public holidays (ISO 3166, e.g. IE)",
        )
    return code


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_read(environ, name) or default).lower()
    if value not in choices:
        raise ConfigError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _redis_url(environ: Mapping[str, str]) -> str | None:
    url = _read(environ, "OMBUD_REDIS_URL")
    if not url:
        return None
    if not _REDIS_RE.match(url):
        raise ConfigError(
            "OMBUD_REDIS_URL",
            "is not a Redis address (redis://host:6379/0, rediss://… or unix:///path)",
        )
    return url


def _mail(environ: Mapping[str, str], env: str, smtp_host: str | None) -> str:
    """Where mail goes. Production without a mail server refuses to start, unless
    told on purpose that no notice is to go out: a deadline escalation nobody
    receives must not look sent."""
    chosen = _read(environ, "OMBUD_MAIL")
    if not chosen:
        if smtp_host:
            return "smtp"
        if env == "production":
            raise ConfigError(
                "OMBUD_SMTP_HOST",
                "is required when OMBUD_ENV=production, or no notice reaches anyone "
                "(set OMBUD_MAIL=off to run without sending mail, on purpose)",
            )
        return "folder"
    mode = _choice(environ, "OMBUD_MAIL", MAIL_MODES, "smtp")
    if mode == "smtp" and not smtp_host:
        raise ConfigError("OMBUD_SMTP_HOST", "is required with OMBUD_MAIL=smtp")
    if mode != "smtp" and smtp_host:
        raise ConfigError(
            "OMBUD_MAIL", f"is {mode!r} but OMBUD_SMTP_HOST is set too: unset one of them"
        )
    if mode == "folder" and env == "production":
        raise ConfigError(
            "OMBUD_MAIL",
            "'folder' is for development, where nobody reads the mail: set "
            "OMBUD_SMTP_HOST, or OMBUD_MAIL=off to send nothing on purpose",
        )
    return mode


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Read and check the whole configuration; raise ConfigError on the first problem."""
    environ = os.environ if environ is None else environ
    env = _choice(environ, "OMBUD_ENV", ENVIRONMENTS, "development")
    data_dir = _data_dir(environ)
    database = _database(environ, data_dir)
    secret_key = _secret_key(environ, env, data_dir)
    allowed_hosts = _allowed_hosts(environ, env)
    time_zone = _time_zone(environ)
    country = _country(environ)
    # The default of every page, and the language of the e-mails to staff.
    language = _choice(environ, "OMBUD_LANGUAGE", LANGUAGES, "en")

    smtp_host = _read(environ, "OMBUD_SMTP_HOST") or None
    smtp_security = _choice(environ, "OMBUD_SMTP_SECURITY", SMTP_SECURITY, "starttls")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[smtp_security]
    smtp_port = _int(environ, "OMBUD_SMTP_PORT", default_port, 1, 65535)
    mail_from = _read(environ, "OMBUD_MAIL_FROM") or "ombud@localhost"
    if not _EMAIL_RE.match(mail_from):
        raise ConfigError("OMBUD_MAIL_FROM", f"{mail_from!r} is not an e-mail address")

    interval = _int(environ, "OMBUD_AUDIT_CHECKPOINT_INTERVAL", 1000, 1, 10_000_000)
    audit_key_raw = _read(environ, "OMBUD_AUDIT_SIGNING_KEY_PATH")
    audit_key = Path(audit_key_raw) if audit_key_raw else data_dir / AUDIT_KEY_FILE_NAME
    organisation = _read(environ, "OMBUD_ORGANISATION_NAME") or "Ombud"
    # The pepper's own path, not its content: OMBUD_PEPPER_FILE names the file.
    pepper_path = environ.get("OMBUD_PEPPER_FILE")
    pepper_file = Path(pepper_path) if pepper_path else data_dir / PEPPER_FILE_NAME
    memory = _int(environ, "OMBUD_ARGON2_MEMORY_MIB", 64, 8, 4096)
    if env == "production" and memory < MIN_PRODUCTION_MEMORY_MIB:
        raise ConfigError(
            "OMBUD_ARGON2_MEMORY_MIB",
            f"{memory} MiB is too weak for production (at least {MIN_PRODUCTION_MEMORY_MIB})",
        )
    passes = _int(environ, "OMBUD_ARGON2_PASSES", 3, 1, 20)
    concurrency = _int(environ, "OMBUD_ARGON2_CONCURRENCY", 1, 1, 64)
    signin_failure_limit = _int(environ, "OMBUD_SIGNIN_FAILURE_LIMIT", 10, 3, 1000)
    reset_limit = _int(environ, "OMBUD_RESET_LIMIT", 5, 1, 1000)
    trusted_proxies = _int(environ, "OMBUD_TRUSTED_PROXIES", 0, 0, 5)
    notify_path = environ.get("OMBUD_NOTIFY_KEY_FILE")
    notify_key_file = Path(notify_path) if notify_path else data_dir / "notify.key"
    base_url = (_read(environ, "OMBUD_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    if not re.match(r"^https?://[^\s/]+(:\d+)?(/\S*)?$", base_url):
        raise ConfigError("OMBUD_BASE_URL", f"{base_url!r} is not an http(s) address")
    quick_exit = _read(environ, "OMBUD_QUICK_EXIT_URL") or "https://www.wikipedia.org/"
    if not re.match(r"^https?://[^\s/]+\.[^\s]+$", quick_exit):
        raise ConfigError(
            "OMBUD_QUICK_EXIT_URL", f"{quick_exit!r} is not an http(s) address of a website"
        )
    ratelimits = {
        scope: _int(environ, variable, default, 1, RATELIMIT_MAX)
        for scope, (variable, default, _window) in RATELIMIT_VARIABLES.items()
    }
    megapixels = _int(environ, "OMBUD_IMAGE_MEGAPIXELS", 40, 1, 200)
    cleaner_memory = _int(environ, "OMBUD_CLEANER_MEMORY_MIB", 768, 256, 65536)
    # The cleaning child holds the interpreter and two copies of a picture at up
    # to four bytes a pixel (src/ombud/intake/attachments.py).
    needed = 128 + 8 * megapixels
    if cleaner_memory < needed:
        raise ConfigError(
            "OMBUD_CLEANER_MEMORY_MIB",
            f"{cleaner_memory} MiB is too little to open pictures of {megapixels} megapixels "
            f"(OMBUD_IMAGE_MEGAPIXELS); give at least {needed}",
        )
    cleaner_seconds = _int(environ, "OMBUD_CLEANER_SECONDS", 30, 1, 600)
    draft_files_mb = _int(environ, "OMBUD_DRAFT_FILES_MB", 30, 10, 500)
    mail = _mail(environ, env, smtp_host)
    standard_of_proof = _choice(
        environ, "OMBUD_STANDARD_OF_PROOF", STANDARDS_OF_PROOF, "balance_of_probabilities"
    )
    loaded = Config(
        env=env,
        data_dir=data_dir,
        database=database,
        secret_key=secret_key,
        allowed_hosts=allowed_hosts,
        time_zone=time_zone,
        country=country,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_user=_read(environ, "OMBUD_SMTP_USER") or "",
        smtp_password=_read(environ, "OMBUD_SMTP_PASSWORD") or "",
        smtp_security=smtp_security,
        mail_from=mail_from,
        mail=mail,
        audit_checkpoint_interval=interval,
        audit_signing_key_file=audit_key,
        organisation_name=organisation,
        pepper_file=pepper_file,
        argon2_memory_mib=memory,
        argon2_passes=passes,
        argon2_concurrency=concurrency,
        signin_failure_limit=signin_failure_limit,
        reset_limit=reset_limit,
        quick_exit_url=quick_exit,
        trusted_proxies=trusted_proxies,
        base_url=base_url,
        notify_key_file=notify_key_file,
        redis_url=_redis_url(environ),
        ratelimits=ratelimits,
        image_megapixels=megapixels,
        cleaner_memory_mib=cleaner_memory,
        cleaner_seconds=cleaner_seconds,
        draft_files_mb=draft_files_mb,
        language=language,
        standard_of_proof=standard_of_proof,
    )
    # Create them now, or stop now if they are damaged.
    audit_signing_seed(loaded)
    pepper(loaded)
    return loaded


def _hex_secret(path: Path, variable: str, *, exact: bool) -> bytes:
    """32 random bytes kept as hexadecimal in a file (mode 0600), created on first use.
    With ``exact`` the file must hold exactly 32 bytes; otherwise at least 32."""
    try:
        raw = _generated_secret(path, variable, secrets.token_hex(32).encode())
    except OSError as exc:
        raise ConfigError(variable, f"cannot use {str(path)!r}: {exc.strerror}") from exc
    try:
        value = bytes.fromhex(raw.decode().strip())
    except ValueError:
        value = b""
    if len(value) < 32 or (exact and len(value) != 32):
        wanted = "64" if exact else "at least 64"
        raise ConfigError(variable, f"{str(path)!r} does not hold {wanted} hexadecimal characters")
    return value


def audit_signing_seed(config: Config) -> bytes:
    """The 32-byte seed of the server's Ed25519 audit key."""
    return _hex_secret(config.audit_signing_key_file, "OMBUD_AUDIT_SIGNING_KEY_PATH", exact=True)


def notify_private_key(config: Config) -> bytes:
    """The X25519 key that opens reporters' sealed e-mail addresses: for the worker."""
    return _hex_secret(config.notify_key_file, "OMBUD_NOTIFY_KEY_FILE", exact=True)


def pepper(config: Config) -> bytes:
    """The pepper mixed into every password-derived key, kept outside the database."""
    return _hex_secret(config.pepper_file, "OMBUD_PEPPER_FILE", exact=False)
