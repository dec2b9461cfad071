"""The Discord token, Kaggle credentials and database password never appear in logs, replies,
exports, messages or the DB."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import SecretStr

from bot.__main__ import main as cli_main
from bot.clock import FakeClock
from bot.settings import Settings
from tests.cli.helpers import BAD_DATABASES, COMMANDS, bad_database, run_command
from tests.cli.helpers import SECRET as DB_SECRET
from tests.conftest import START, BotHarness
from tests.engines import ENABLE_HINT, PostgresServer, connect_postgres
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.kaggle import FakeKaggle
from tests.simulator import DiscordSimulator, use_simulator

DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.Gx1y2z.discord-secret-token-value"
KAGGLE_TOKEN = "kaggle-secret-token-1f2e3d"
KAGGLE_KEY = "kaggle-secret-key-9a8b7c"


class Everything(logging.Handler):
    """Every record, at every level, rendered the way a log file would hold it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def secrets_in(text: str) -> list[str]:
    """Which secrets (or a telling piece of one) appear in the text."""
    pieces = [DISCORD_TOKEN, DISCORD_TOKEN.split(".")[-1], KAGGLE_TOKEN, KAGGLE_KEY]
    return [p for p in pieces if p in text]


@pytest.mark.parametrize("auth", ["bearer", "basic", "refused"])
async def test_secrets_never_leak(tmp_path: Path, auth: str) -> None:
    root = logging.getLogger()
    handler, level = Everything(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sim = DiscordSimulator(token=DISCORD_TOKEN)
    kaggle = FakeKaggle(token=KAGGLE_TOKEN, username="ada", key=KAGGLE_KEY)
    arxiv = FakeArxiv()
    await sim.start()
    await kaggle.start()
    await arxiv.start()
    harness: BotHarness | None = None
    try:
        with use_simulator(sim):
            guild = sim.add_guild("Study Group")
            channel = sim.add_channel(guild, "kaggle")
            alice = sim.add_member(guild, "alice")
            admin = sim.add_member(guild, "boss", admin=True)
            creds: dict[str, object] = {}
            if auth == "bearer":
                creds = {"kaggle_api_token": SecretStr(KAGGLE_TOKEN)}
            elif auth == "basic":
                creds = {"kaggle_username": "ada", "kaggle_key": SecretStr(KAGGLE_KEY)}
            else:  # credentials Kaggle refuses: the wrong key for the user
                creds = {"kaggle_username": "ada", "kaggle_key": SecretStr(KAGGLE_TOKEN + "x")}
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                discord_token=SecretStr(DISCORD_TOKEN),
                database=tmp_path / "studybot.db",
                discord_api_base=sim.api_base,
                discord_gateway_url=sim.gateway_url,
                arxiv_api_base=arxiv.base_url,
                arxiv_min_interval_seconds=0,
                kaggle_api_base=await_base(kaggle),
                **creds,  # type: ignore[arg-type]
            )
            harness = BotHarness(sim, settings, FakeClock(START))
            bot = await harness.start()
            await sim.invoke(guild, admin, "admin kaggle subscribe", {"channel": channel})
            # the class is looked up by name: reloading the extension re-imports its module
            cog = bot.get_cog("Kaggle")
            assert cog is not None
            await cog.poll()  # type: ignore[attr-defined]
            replies = [
                await sim.invoke(guild, admin, "kaggle list", {}),
                await sim.invoke(guild, alice, "kaggle list", {}),
                await sim.invoke(guild, alice, "done", {"section": "4.5"}),
                await sim.invoke(guild, alice, "paper suggest", {"paper": "1706.03762"}),
                await sim.invoke(guild, alice, "privacy export", {}),
                await sim.invoke(guild, alice, "help", {}),
            ]
            export = replies[4].attachments[0][1].decode()
            assert json.loads(export)  # a real export was produced
            if auth == "refused":
                assert any("refused" in r.text.lower() or "credential" in r.text.lower()
                           for r in replies[:1]), replies[0].text  # fmt: skip
            await harness.stop()
            harness = None
    finally:
        if harness is not None:
            await harness.stop()
        await sim.stop()
        await kaggle.stop()
        await arxiv.stop()
        root.removeHandler(handler)
        root.setLevel(level)

    assert len(handler.lines) > 50, "logging was not captured"
    assert secrets_in("\n".join(handler.lines)) == []
    for message in sim.all_messages:
        dumped = json.dumps(
            {"c": message.content, "e": message.embeds, "k": message.components}, default=str
        )
        assert secrets_in(dumped) == []
        for _, data in message.attachments:
            assert secrets_in(data.decode("utf-8", "replace")) == []
    assert secrets_in(export) == []
    for path in tmp_path.glob("studybot.db*"):
        assert secrets_in(path.read_bytes().decode("latin-1")) == []
    assert kaggle.requests, "Kaggle was never asked"


def await_base(server: FakeKaggle) -> str:
    """The fake Kaggle's base URL (it is started already)."""
    return server.base_url


# -- the database password ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BAD_DATABASES)
async def test_the_database_password_never_shows_when_the_database_cannot_be_used(
    tmp_path: Path, name: str, postgres_server: PostgresServer | None
) -> None:
    # DEBUG: `run` logs everything it does to stderr, from StudyBot and every library
    async with bad_database(name, postgres_server) as bad:
        results = await asyncio.gather(
            *(
                run_command(command, bad.url, tmp_path, {"STUDYBOT_LOG_LEVEL": "DEBUG"})
                for command in COMMANDS
            )
        )
    for result in results:
        assert result.returncode != 0
        assert DB_SECRET not in result.stdout + result.stderr, result.args
        assert "Traceback" not in result.stderr, result.args


@pytest.fixture
def password_role(postgres_server: PostgresServer | None) -> Iterator[str]:
    """A database owned by a role of its own with a password: its URL, password included.

    The local server trusts connections from 127.0.0.1, so the password is not checked there;
    what matters here is that it is in the URL StudyBot is given, everywhere it goes.
    """
    if postgres_server is None:
        pytest.skip(ENABLE_HINT)
    role = f"studybot_pw_{uuid.uuid4().hex[:8]}"
    with connect_postgres(postgres_server.admin_url) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{DB_SECRET}'")
        conn.execute(f"CREATE DATABASE {role} OWNER {role}")
    parts = urlsplit(postgres_server.admin_url)
    netloc = f"{role}:{DB_SECRET}@{parts.hostname}:{parts.port or 5432}"
    yield urlunsplit(parts._replace(netloc=netloc, path=f"/{role}"))
    with connect_postgres(postgres_server.admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{role}" WITH (FORCE)')
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_the_database_password_never_shows_in_output_or_logs(
    tmp_path: Path,
    password_role: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handler, level = Everything(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "studybot.db"
    try:
        monkeypatch.setenv("STUDYBOT_DATABASE", password_role)
        assert cli_main(["migrate"]) == 0
        assert cli_main(["migrate"]) == 0
        backup = 0 if shutil.which("pg_dump") else 1
        assert cli_main(["backup", str(tmp_path / "studybot.dump")]) == backup
        assert cli_main(["move-to", password_role]) == 2  # STUDYBOT_DATABASE is not SQLite
        monkeypatch.setenv("STUDYBOT_DATABASE", str(source))
        assert cli_main(["migrate"]) == 0
        cli_main(["move-to", password_role])  # refused or done: neither may show the password
        wrong = password_role.rsplit("/", 1)[0] + "/no_such_database"
        assert cli_main(["move-to", wrong]) == 1
        monkeypatch.setenv("STUDYBOT_DATABASE", wrong)
        assert cli_main(["migrate"]) == 1
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    printed = capsys.readouterr()
    assert "migrated postgresql://" in printed.out and ":***@" in printed.out
    assert "does not exist" in printed.err
    assert len(handler.lines) > 5, "logging was not captured"
    everything = "\n".join([printed.out, printed.err, *handler.lines])
    assert DB_SECRET not in everything
    assert DB_SECRET not in (tmp_path / "studybot.db").read_bytes().decode("latin-1")
