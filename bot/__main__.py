"""StudyBot's command line: `studybot run|migrate|backup|move-to|topic|check-roadmap`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TypeVar

import aiohttp
import discord

from bot.database import Database, DatabaseError, backup, is_postgres_url, redact
from bot.settings import Settings, SettingsError, database_target, load_settings
from bot.transfer import BarProgress, dump_postgres, move_to, one_line
from roadmap.lookup import SectionIndex
from roadmap.model import Roadmap
from roadmap.parser import RoadmapError, check_roadmap_file, load_roadmap
from roadmap.text import section_text

log = logging.getLogger("bot")
T = TypeVar("T")

TOKEN_HINT = (
    "DISCORD_TOKEN is not set: put your bot token in the environment or in a .env file "
    "(DISCORD_TOKEN=...), see the README"
)


def configure_logging(level: str) -> None:
    """Log to stderr at the configured level, with noisy libraries quietened."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    if level != "DEBUG":
        for name in ("discord.http", "discord.gateway", "discord.client", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)


def fail(message: str, code: int = 1) -> int:
    """Print one line to stderr and return the exit code."""
    print(f"studybot: {message}", file=sys.stderr)
    return code


def _load_roadmap(settings: Settings) -> Roadmap:
    return load_roadmap(settings.roadmap)


async def _serve(settings: Settings, roadmap: Roadmap) -> int:
    from bot.client import StudyBot

    assert settings.discord_token is not None
    # Local problems (a read-only file, a full disk, a newer schema) stop start-up before
    # Discord is contacted; setup_hook's own migrate then finds nothing to do.
    await _migrate(settings.database)
    bot = StudyBot(settings, roadmap=roadmap)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("shutting down")
            await bot.close()
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner
            return 0
        stopper.cancel()
        runner.result()
    return 0


def cmd_run(settings: Settings) -> int:
    """Connect to Discord and serve every guild until stopped."""
    if settings.discord_token is None:
        return fail(TOKEN_HINT, 2)
    configure_logging(settings.log_level)
    try:
        roadmap = _load_roadmap(settings)
        return asyncio.run(_serve(settings, roadmap))
    except RoadmapError as exc:
        return fail(_invalid_roadmap(settings, exc))
    except discord.LoginFailure:
        return fail(
            "Discord rejected the token in DISCORD_TOKEN: copy it again from the "
            "Developer Portal (Bot → Reset Token)"
        )
    except DatabaseError as exc:
        return fail(str(exc))
    except (aiohttp.ClientError, OSError) as exc:
        return fail(f"cannot reach Discord at {settings.discord_api_base}: {exc}")
    except discord.HTTPException as exc:
        return fail(f"Discord answered {exc.status}: {exc.text or 'no details'}")


def _label(target: Path | str) -> str:
    """The database as shown in messages: a path, or a URL without its password."""
    return redact(target) if isinstance(target, str) else str(target)


async def _guard(job: Awaitable[T], target: Path | str) -> T:
    """Await a database job; an unexpected driver error is one line, not a traceback."""
    import asyncpg

    try:
        return await job
    except DatabaseError:
        raise
    except (
        OSError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
    ) as exc:
        password = target if isinstance(target, str) else ""
        raise DatabaseError(f"the database {_label(target)}: {one_line(exc, password)}") from None


async def _migrate(target: Path | str) -> list[int]:
    async with Database(target) as db:
        return await _guard(db.migrate(), target)


def cmd_migrate(settings: Settings) -> int:
    """Create or upgrade the database schema."""
    try:
        applied = asyncio.run(_migrate(settings.database))
    except DatabaseError as exc:
        return fail(str(exc))
    if applied:
        print(f"migrated {_label(settings.database)} to version {applied[-1]}")
    else:
        print(f"{_label(settings.database)} is up to date")
    return 0


def cmd_backup(settings: Settings, destination: str) -> int:
    """Copy the live database to PATH: SQLite's online backup, or pg_dump on PostgreSQL."""
    try:
        if isinstance(settings.database, str):
            size = dump_postgres(settings.database, destination)
            print(
                f"backed up {_label(settings.database)} to {destination} with pg_dump "
                f"(custom format, {size} bytes; restore with pg_restore)"
            )
            return 0
        pages = backup(settings.database, destination)
    except DatabaseError as exc:
        return fail(str(exc))
    print(f"backed up {settings.database} to {destination} ({pages} pages)")
    return 0


MOVE_USAGE = "move-to needs a postgresql://user:password@host:port/dbname URL"


def cmd_move_to(settings: Settings, url: str) -> int:
    """Copy every row of the SQLite database into an empty PostgreSQL database."""
    try:
        target = database_target(url)
    except ValueError as exc:
        return fail(f"{MOVE_USAGE}: {exc}", 2)
    if not is_postgres_url(target):
        return fail(MOVE_USAGE, 2)
    assert isinstance(target, str)
    if not isinstance(settings.database, Path):
        return fail(
            "move-to copies from an SQLite database, but STUDYBOT_DATABASE is a PostgreSQL URL: "
            "set it to the SQLite file to move",
            2,
        )
    try:
        job = move_to(settings.database, target, progress=BarProgress())
        result = asyncio.run(_guard(job, target))
    except DatabaseError as exc:
        return fail(str(exc))
    noun = "table" if len(result.tables) == 1 else "tables"
    print(
        f"moved {result.rows} rows in {len(result.tables)} {noun} from {result.source} to "
        f"{result.target} (schema version {result.version}); every row count matches"
    )
    print(
        "set STUDYBOT_DATABASE to that URL to run StudyBot on PostgreSQL; the SQLite file is "
        "left as it was"
    )
    return 0


def _invalid_roadmap(settings: Settings, error: RoadmapError) -> str:
    """The start-up message for an invalid roadmap: which file, then each problem."""
    where = f"the roadmap {settings.roadmap}" if settings.roadmap else "the shipped roadmap"
    problems = "\n".join(f"  {issue}" for issue in error.issues)
    return f"{where} is invalid (check it with `studybot check-roadmap FILE`):\n{problems}"


def _print(text: str) -> None:
    """Print to stdout; a reader that went away (`| head`) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def cmd_topic(settings: Settings, query: str) -> int:
    """Print one roadmap section, found by id, title or a word."""
    try:
        roadmap = _load_roadmap(settings)
    except RoadmapError as exc:
        return fail(_invalid_roadmap(settings, exc))
    index = SectionIndex(roadmap)
    section = index.find(query)
    if section is None:
        shown = query if len(query) <= 60 else query[:59] + "…"
        closest = index.closest(query, 5)
        if closest:
            hint = "closest: " + "; ".join(f"{s.id} {s.title}" for s in closest)
        else:
            first = roadmap.sections[0].id if roadmap.sections else "1.1"
            hint = f"try a section id such as `studybot topic {first}`, a title or a topic word"
        return fail(f"no section matches {shown!r}; {hint}")
    _print(section_text(roadmap, section))
    return 0


def cmd_check_roadmap(path: str) -> int:
    """Validate a roadmap file and print each problem with its line number."""
    issues = check_roadmap_file(path)
    if issues:
        for issue in issues:
            where = f"{path}:{issue.line}" if issue.line > 0 else path
            print(f"{where}: {issue.message}")
        noun = "problem" if len(issues) == 1 else "problems"
        print(f"{path}: {len(issues)} {noun}; the bot will not start with this roadmap")
        return 1
    roadmap = load_roadmap(path)
    print(f"{path}: ok: {len(roadmap.phases)} phases, {len(roadmap.sections)} sections")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for the `studybot` command."""
    parser = argparse.ArgumentParser(
        prog="studybot", description="StudyBot: a Discord bot for ML study groups."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="connect to Discord and serve (needs DISCORD_TOKEN)")
    sub.add_parser("migrate", help="create or upgrade the database")
    p_backup = sub.add_parser(
        "backup", help="online backup of the database to PATH (pg_dump on PostgreSQL)"
    )
    p_backup.add_argument("path")
    p_move = sub.add_parser(
        "move-to", help="copy the SQLite database into an empty PostgreSQL database at URL"
    )
    p_move.add_argument("url", metavar="URL")
    p_topic = sub.add_parser("topic", help="print a roadmap section, e.g. `topic 4.5`")
    p_topic.add_argument("query", nargs="+")
    p_check = sub.add_parser("check-roadmap", help="validate a roadmap markdown file")
    p_check.add_argument("file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `studybot` console script and `python -m bot`."""
    args = build_parser().parse_args(argv)
    if args.command == "check-roadmap":
        return cmd_check_roadmap(args.file)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail(str(exc), 2)
    if args.command == "run":
        return cmd_run(settings)
    if args.command == "migrate":
        return cmd_migrate(settings)
    if args.command == "backup":
        return cmd_backup(settings, args.path)
    if args.command == "move-to":
        return cmd_move_to(settings, args.url)
    return cmd_topic(settings, " ".join(args.query))


if __name__ == "__main__":
    sys.exit(main())
