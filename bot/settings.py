"""StudyBot's settings: one pydantic-settings class read from the environment and `.env`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.database import redact

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
KAGGLE_API_BASE = "https://api.kaggle.com"
ARXIV_API_BASE = "https://export.arxiv.org/api/query"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _env(name: str) -> AliasChoices:
    """Accept a setting under its environment name or its field name."""
    return AliasChoices(name, name.lower())


def database_target(value: str) -> Path | str:
    """An SQLite path (a `Path`) or a checked postgresql:// URL (a `str`); else ValueError.

    The messages never repeat the value: a URL may carry a password.
    """
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in ("postgresql", "postgres"):
            raise ValueError(
                f"{scheme}:// is not supported: use an SQLite file path or a "
                "postgresql://user:password@host:port/dbname URL"
            )
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it validates it
        except ValueError:
            raise ValueError("the PostgreSQL URL cannot be read") from None
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("the PostgreSQL URL needs a host (postgresql://user@host/db)")
        if not parts.path.strip("/"):
            raise ValueError("the PostgreSQL URL needs a database name (…/dbname)")
        return value
    if not value.strip():
        raise ValueError("must be an SQLite file path or a postgresql:// URL")
    return Path(value)


class Settings(BaseSettings):
    """Every setting StudyBot reads, with the SPEC's defaults."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    #: An SQLite file (a `Path`) or a PostgreSQL URL (a `str`); `bot.database` picks the engine.
    database: Path | str = Field(
        Path("data/studybot.db"), validation_alias=_env("STUDYBOT_DATABASE")
    )
    roadmap: Path | None = Field(None, validation_alias=_env("STUDYBOT_ROADMAP"))
    dev_guild: int | None = Field(None, validation_alias=_env("STUDYBOT_DEV_GUILD"), gt=0)
    log_level: LogLevel = Field("INFO", validation_alias=_env("STUDYBOT_LOG_LEVEL"))
    discord_api_base: str = Field(DISCORD_API_BASE, validation_alias=_env("DISCORD_API_BASE"))
    discord_gateway_url: str = Field(
        DISCORD_GATEWAY_URL, validation_alias=_env("DISCORD_GATEWAY_URL")
    )
    kaggle_api_token: SecretStr | None = Field(None, validation_alias=_env("KAGGLE_API_TOKEN"))
    kaggle_username: str | None = Field(None, validation_alias=_env("KAGGLE_USERNAME"))
    kaggle_key: SecretStr | None = Field(None, validation_alias=_env("KAGGLE_KEY"))
    kaggle_api_base: str = Field(KAGGLE_API_BASE, validation_alias=_env("KAGGLE_API_BASE"))
    kaggle_poll_minutes: int = Field(
        60, validation_alias=_env("STUDYBOT_KAGGLE_POLL_MINUTES"), ge=1, le=7 * 24 * 60
    )
    arxiv_api_base: str = Field(ARXIV_API_BASE, validation_alias=_env("ARXIV_API_BASE"))
    # arXiv asks for at most one request every 3 seconds; a mirror of one's own may allow more.
    arxiv_min_interval_seconds: float = Field(
        3.0, validation_alias=_env("ARXIV_MIN_INTERVAL_SECONDS"), ge=0, le=60
    )
    arxiv_timeout_seconds: float = Field(
        10.0, validation_alias=_env("ARXIV_TIMEOUT_SECONDS"), gt=0, le=120
    )
    kaggle_timeout_seconds: float = Field(
        20.0, validation_alias=_env("KAGGLE_TIMEOUT_SECONDS"), gt=0, le=120
    )
    kaggle_max_retries: int = Field(4, validation_alias=_env("KAGGLE_MAX_RETRIES"), ge=0, le=10)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        """Accept log levels in any case."""
        return value.upper() if isinstance(value, str) else value

    @field_validator("database", mode="before")
    @classmethod
    def _database(cls, value: object) -> object:
        """An SQLite path, or a postgresql:// URL with a host and a database name."""
        return database_target(value) if isinstance(value, str) else value

    @field_validator("discord_api_base", "discord_gateway_url", "kaggle_api_base", "arxiv_api_base")
    @classmethod
    def _url(cls, value: str) -> str:
        """Require an absolute http(s) or ws(s) URL without a trailing slash problem."""
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must be an absolute URL such as https://example.org/path")
        return value.rstrip("/") if value.startswith("http") else value

    @field_validator("discord_token", "kaggle_api_token", "kaggle_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """Treat an empty variable as unset."""
        return None if isinstance(value, str) and not value.strip() else value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Show the settings without the database URL's password (tokens are SecretStr)."""
        for name, value in super().__repr_args__():
            yield name, redact(value) if name == "database" and isinstance(value, str) else value

    @property
    def kaggle_configured(self) -> bool:
        """Whether Kaggle credentials are set."""
        return self.kaggle_api_token is not None or (
            bool(self.kaggle_username) and self.kaggle_key is not None
        )


class SettingsError(Exception):
    """A missing or invalid setting, described in one line."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = err["loc"][0] if err["loc"] else "settings"
            field = Settings.model_fields.get(str(loc))
            name = str(loc).upper()
            if field is not None and isinstance(field.validation_alias, AliasChoices):
                name = str(field.validation_alias.choices[0])
            parts.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid setting " + "; ".join(parts)) from None
