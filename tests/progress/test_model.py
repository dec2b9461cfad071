"""Model-based test of the counters (hypothesis), on both engines.

A plain Python model holds who finished what and when, and who is hidden; hypothesis drives
the real repository and the model through the same random /done, /undo, hide, show, delete and
passing time, and after every step the database's boards, standings and finished counts must
be the model's, and the counters must equal a recount from the completions.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from bot.database import Database
from cogs.progress.repo import ProgressRepo
from cogs.progress.stats import period_keys
from roadmap.parser import load_roadmap
from tests.engines import PostgresServer

ALL_SECTIONS = [section.id for section in load_roadmap(None).sections]
SECTIONS = ALL_SECTIONS[:6]  # few sections, so members tie, collide and come back often
COUNTED = SECTIONS[:5]  # one section the roadmap no longer has: kept, never counted
START = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # Saturday night: weeks and months turn soon
GUILDS = (111, 222)
USERS = (1, 2, 3, 4)

members = st.tuples(st.sampled_from(GUILDS), st.sampled_from(USERS))
sections = st.sampled_from(SECTIONS)


@dataclass
class Member:
    hidden: bool = False
    done: dict[str, datetime] = field(default_factory=dict)


class Targets:
    """A fresh database per example on the engine under test."""

    def __init__(self, engine: str, folder: Path, server: PostgresServer | None) -> None:
        self.engine, self.folder, self.server = engine, folder, server
        self.made: list[str] = []

    def new(self) -> Path | str:
        if self.engine == "sqlite":
            return self.folder / f"{uuid.uuid4().hex}.db"
        assert self.server is not None
        url = self.server.new_schema()
        self.made.append(url)
        return url

    def drop_all(self) -> None:
        if self.server is not None:
            for url in self.made:
                self.server.drop_schema(url)


def machine(targets: Targets) -> type[RuleBasedStateMachine]:
    class Counters(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.loop = asyncio.new_event_loop()
            self.db = Database(targets.new())
            self.run(self.db.connect())
            self.run(self.db.migrate())
            self.repo = ProgressRepo(self.db, COUNTED, totals_ttl=60)
            self.run(self.repo.ensure_counters())
            self.model: dict[tuple[int, int], Member] = {}
            self.now = START

        def run(self, coroutine: Any) -> Any:
            return self.loop.run_until_complete(coroutine)

        def teardown(self) -> None:
            self.run(self.db.close())
            self.loop.close()

        @initialize()
        def nothing_yet(self) -> None:
            assert self.run(self.repo.counter_problems()) == []

        @rule(member=members, section=sections)
        def done(self, member: tuple[int, int], section: str) -> None:
            change = self.run(self.repo.mark_done(*member, "m", section, self.now))
            state = self.model.setdefault(member, Member())
            assert change.changed == (section not in state.done)
            state.done.setdefault(section, self.now)
            assert change.done_at == state.done[section]
            self.check_standing(member, change.standing)

        @rule(member=members, section=sections)
        def undo(self, member: tuple[int, int], section: str) -> None:
            change = self.run(self.repo.undo(*member, "m", section, self.now))
            state = self.model.setdefault(member, Member())
            assert change.changed == (section in state.done)
            state.done.pop(section, None)
            self.check_standing(member, change.standing)

        @rule(member=members, hidden=st.booleans())
        def hide_or_show(self, member: tuple[int, int], hidden: bool) -> None:
            changed = self.run(self.repo.set_hidden(*member, "m", hidden, self.now))
            state = self.model.get(member)
            was = state is not None and state.hidden
            assert changed == (was != hidden)
            if state is None and hidden:
                state = self.model[member] = Member()
            if state is not None:
                state.hidden = hidden

        @rule(member=members)
        def delete(self, member: tuple[int, int]) -> None:
            removed = self.run(self.repo.delete_member(*member))
            state = self.model.pop(member, None)
            assert removed == (0 if state is None else 1 + len(state.done))

        @rule(hours=st.integers(1, 24 * 40))
        def time_passes(self, hours: int) -> None:
            self.now += timedelta(hours=hours)

        def points(self, guild_id: int, key: str) -> dict[int, int]:
            table = {}
            for (guild, user), state in self.model.items():
                if guild != guild_id or state.hidden:
                    continue
                score = sum(
                    1
                    for section, moment in state.done.items()
                    if section in COUNTED and key in period_keys(moment)
                )
                if score:
                    table[user] = score
            return table

        def check_standing(self, member: tuple[int, int], standing: Any) -> None:
            state = self.model[member]
            done = sum(1 for section in state.done if section in COUNTED)
            assert (standing.done, standing.hidden) == (done, state.hidden)
            if state.hidden:
                return
            table = self.points(member[0], "all")
            assert standing.board_size == len(table)
            expected = 1 + sum(1 for p in table.values() if p > done) if done else None
            assert standing.rank == expected

        @invariant()
        def boards_and_counts_match_the_model(self) -> None:
            for guild_id in GUILDS:
                for key in period_keys(self.now):
                    table = self.points(guild_id, key)
                    board = self.run(self.repo.board(guild_id, key, 0, USERS[0], per_page=3))
                    assert board.size == len(table)
                    expected = sorted(table.items(), key=lambda item: (-item[1], item[0]))[:3]
                    assert [(e.user_id, e.points) for e in board.entries] == expected
                    for entry in board.entries:
                        assert entry.rank == 1 + sum(1 for p in table.values() if p > entry.points)
                for section in SECTIONS:
                    finished = sum(
                        1
                        for (guild, _), state in self.model.items()
                        if guild == guild_id and not state.hidden and section in state.done
                    )
                    count = self.run(self.repo.finished_count(guild_id, section))
                    assert count == (finished if section in COUNTED else 0)

        @invariant()
        def counters_equal_a_recount(self) -> None:
            assert self.run(self.repo.counter_problems()) == []

    return Counters


def test_counters_follow_the_model(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("postgres_server") if engine == "postgresql" else None
    targets = Targets(engine, tmp_path, server)
    try:
        run_state_machine_as_test(
            machine(targets),
            settings=settings(
                max_examples=20,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        targets.drop_all()
