"""Settings: defaults, environment names, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from tests.conftest import BotHarness, World
from tests.fakes.arxiv import FakeArxiv
from tests.simulator import DiscordSimulator


def test_defaults_match_the_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "STUDYBOT_DATABASE", "KAGGLE_API_TOKEN", "STUDYBOT_DEV_GUILD"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.discord_token is None
    assert settings.database == Path("data/studybot.db")
    assert settings.roadmap is None
    assert settings.dev_guild is None
    assert settings.log_level == "INFO"
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.kaggle_api_base == "https://api.kaggle.com"
    assert settings.kaggle_poll_minutes == 60
    assert settings.arxiv_api_base == "https://export.arxiv.org/api/query"
    assert not settings.kaggle_configured


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=from-dotenv\nSTUDYBOT_KAGGLE_POLL_MINUTES=15\nKAGGLE_USERNAME=ada\n",
        "utf-8",
    )
    monkeypatch.setenv("STUDYBOT_DATABASE", str(tmp_path / "x.db"))
    monkeypatch.setenv("STUDYBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("KAGGLE_KEY", "secret-key")
    monkeypatch.setenv("STUDYBOT_DEV_GUILD", "1234")
    settings = Settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "from-dotenv"
    assert settings.database == tmp_path / "x.db"
    assert settings.log_level == "DEBUG"
    assert settings.kaggle_poll_minutes == 15
    assert settings.dev_guild == 1234
    assert settings.kaggle_configured
    assert "secret-key" not in repr(settings) and "from-dotenv" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("STUDYBOT_KAGGLE_POLL_MINUTES", "0", "STUDYBOT_KAGGLE_POLL_MINUTES"),
        ("STUDYBOT_KAGGLE_POLL_MINUTES", "often", "STUDYBOT_KAGGLE_POLL_MINUTES"),
        ("STUDYBOT_LOG_LEVEL", "LOUD", "STUDYBOT_LOG_LEVEL"),
        ("STUDYBOT_DEV_GUILD", "my-server", "STUDYBOT_DEV_GUILD"),
        ("DISCORD_API_BASE", "discord.com/api", "DISCORD_API_BASE"),
    ],
)
def test_invalid_setting_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_arxiv_pacing_and_timeout_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("ARXIV_MIN_INTERVAL_SECONDS", "ARXIV_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.arxiv_min_interval_seconds == 3.0  # what arXiv asks of its clients
    assert settings.arxiv_timeout_seconds == 10.0
    monkeypatch.setenv("ARXIV_MIN_INTERVAL_SECONDS", "4.5")
    monkeypatch.setenv("ARXIV_TIMEOUT_SECONDS", "20")
    settings = Settings()
    assert settings.arxiv_min_interval_seconds == 4.5
    assert settings.arxiv_timeout_seconds == 20.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARXIV_MIN_INTERVAL_SECONDS", "-1"),
        ("ARXIV_MIN_INTERVAL_SECONDS", "61"),
        ("ARXIV_MIN_INTERVAL_SECONDS", "soon"),
        ("ARXIV_TIMEOUT_SECONDS", "0"),
        ("ARXIV_TIMEOUT_SECONDS", "121"),
        ("ARXIV_TIMEOUT_SECONDS", "forever"),
    ],
)
def test_arxiv_settings_out_of_range_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(f"invalid setting {name}: ")
    assert "\n" not in str(info.value)


async def test_the_paper_club_paces_and_times_out_arxiv_as_set(
    harness: BotHarness, world: World, sim: DiscordSimulator, fake_arxiv: FakeArxiv
) -> None:
    harness.cogs = ("cogs.papers",)
    harness.settings = harness.settings.model_copy(
        update={"arxiv_min_interval_seconds": 0.6, "arxiv_timeout_seconds": 0.4}
    )
    await harness.start()
    for paper in ("1706.03762", "1512.03385"):
        res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": paper})
        assert "in the queue" in res.text
    first, second = fake_arxiv.requests[:2]
    assert second.at - first.at >= 0.6

    fake_arxiv.slow(2.0)
    res = await sim.invoke(
        world.guild, world.alice, "paper suggest", {"paper": "1409.0473"}, timeout=10
    )
    [reply] = await res.wait_followups(1)
    assert reply.ephemeral
    assert reply.content == "arXiv did not answer, try again later"


DB_SECRET = "pw-Hn3-settings-secret"


def test_database_is_a_path_or_a_postgresql_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYBOT_DATABASE", "backups/studybot.db")
    assert load_settings().database == Path("backups/studybot.db")
    url = f"postgresql://studybot:{DB_SECRET}@db.internal:5432/studybot?sslmode=require"
    monkeypatch.setenv("STUDYBOT_DATABASE", url)
    settings = load_settings()
    assert settings.database == url  # kept whole: the seam connects with it
    # printing the settings never shows the password
    for text in (repr(settings), str(settings)):
        assert DB_SECRET not in text
        assert "postgresql://studybot:***@db.internal:5432/studybot" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"postgresql://studybot:{DB_SECRET}@db:54x2/studybot", "cannot be read"),
        (f"postgresql://studybot:{DB_SECRET}@/studybot", "needs a host"),
        (f"postgresql://studybot:{DB_SECRET}@db:5432", "needs a database name"),
        (f"mysql://studybot:{DB_SECRET}@db/studybot", "mysql:// is not supported"),
        ("   ", "must be an SQLite file path or a postgresql:// URL"),
    ],
)
def test_an_unusable_database_setting_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYBOT_DATABASE", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("invalid setting STUDYBOT_DATABASE: ")
    assert expected in message
    assert "\n" not in message and DB_SECRET not in message
