"""The member data registry: one owner per table, every feature reached, in load order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from bot.personal import MemberDataRegistry, RegistryError

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Scores:
    """Member data in one table, and a listing members can leave."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"scores": ("user_id",)}
    personal_summary: ClassVar[str] = "your scores"

    def __init__(self) -> None:
        self.rows = {(1, 10): 3, (1, 11): 1, (2, 10): 5}
        self.hidden: set[tuple[int, int]] = set()

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {"score": self.rows.get((guild_id, user_id))}

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        return 1 if self.rows.pop((guild_id, user_id), None) is not None else 0

    async def set_hidden(
        self, guild_id: int, user_id: int, name: str, hidden: bool, now: datetime
    ) -> bool:
        key = (guild_id, user_id)
        if (key in self.hidden) == hidden:
            return False
        if hidden:
            self.hidden.add(key)
        else:
            self.hidden.discard(key)
        return True


class Badges(Scores):
    """Member data in two tables, one of them naming a member twice."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "badges": ("user_id", "granted_by"),
        "badge_log": ("user_id",),
    }
    personal_summary: ClassVar[str] = "your badges"


class ScoresAgain(Scores):
    """A feature that claims a table another one owns."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"scores": ("user_id",)}


async def test_every_feature_is_reached_in_the_order_it_registered() -> None:
    registry = MemberDataRegistry()
    scores, badges = Scores(), Badges()
    registry.register("Scores", scores, listing=scores)
    registry.register("Badges", badges)
    assert registry.features() == ("Scores", "Badges")
    assert registry.summaries() == ("your scores", "your badges")
    assert registry.personal_columns() == {
        "scores": ("user_id",),
        "badges": ("user_id", "granted_by"),
        "badge_log": ("user_id",),
    }
    assert registry.owner("badge_log") == "Badges" and registry.owner("meta") is None
    assert await registry.export(1, 10) == {"Scores": {"score": 3}, "Badges": {"score": 3}}
    assert await registry.delete(1, 10) == 2
    assert await registry.export(1, 10) == {"Scores": {"score": None}, "Badges": {"score": None}}
    assert await registry.delete(1, 10) == 0
    assert scores.rows == {(1, 11): 1, (2, 10): 5}


async def test_a_table_has_one_owner_and_a_feature_registers_once() -> None:
    registry = MemberDataRegistry()
    registry.register("Scores", Scores())
    with pytest.raises(RegistryError, match="Again declares scores, which Scores already covers"):
        registry.register("Again", ScoresAgain())
    with pytest.raises(RegistryError, match="Scores has registered its member data already"):
        registry.register("Scores", Badges())
    assert registry.features() == ("Scores",)
    registry.unregister("Scores")
    registry.unregister("Scores")  # an unload after a failed load
    registry.register("Again", ScoresAgain())
    assert registry.features() == ("Again",)


async def test_hiding_reaches_the_listings_and_says_whether_anything_changed() -> None:
    registry = MemberDataRegistry()
    registry.register("Badges", Badges())
    assert not registry.has_listing
    assert await registry.set_hidden(1, 10, "Alice", True, NOW) is False
    scores = Scores()
    registry.register("Scores", scores, listing=scores)
    assert registry.has_listing
    assert await registry.set_hidden(1, 10, "Alice", True, NOW) is True
    assert await registry.set_hidden(1, 10, "Alice", True, NOW) is False
    assert scores.hidden == {(1, 10)}
    assert await registry.set_hidden(1, 10, "Alice", False, NOW) is True
    assert scores.hidden == set()


class FlakyBadges(Badges):
    """A feature whose first delete fails."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is locked")
        return await super().delete_member(guild_id, user_id)


async def test_a_delete_cut_short_by_an_error_is_finished_by_the_next() -> None:
    registry = MemberDataRegistry()
    scores, badges = Scores(), FlakyBadges()
    registry.register("Scores", scores)
    registry.register("Badges", badges)
    with pytest.raises(RuntimeError):
        await registry.delete(1, 10)
    assert (1, 10) not in scores.rows and (1, 10) in badges.rows
    assert await registry.delete(1, 10) == 1
    assert await registry.export(1, 10) == {"Scores": {"score": None}, "Badges": {"score": None}}
