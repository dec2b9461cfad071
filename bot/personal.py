"""Members' personal data: the protocol every feature's storage implements, and its registry.

A feature that stores anything about a member implements `MemberData` in its repository and
registers it with the bot's `MemberDataRegistry` when it loads. /privacy export and
/privacy delete reach exactly the registered features, and a test walks every table of the
migrated schema and fails on a table that names a member but that no feature declares, so a
new feature cannot leave its members' data out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

log = logging.getLogger(__name__)


class MemberData(Protocol):
    """A feature's storage of member data: what it covers, an export and a delete."""

    #: Every table of the feature that names a member, with the columns holding the member's
    #: Discord user id (each table has one owner: two features never declare the same table).
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]]
    #: What the feature holds about a member, as /privacy delete's warning lists it
    #: ("your finished sections and your leaderboard entries").
    personal_summary: ClassVar[str]

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """Everything the feature holds about a member in a guild, ready for JSON."""
        ...

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Delete (or unlink) all of it; returns how many rows were deleted or changed."""
        ...


class MemberListing(Protocol):
    """A feature that shows members to each other (leaderboards, /who) and lets one leave."""

    async def set_hidden(
        self, guild_id: int, user_id: int, name: str, hidden: bool, now: datetime
    ) -> bool:
        """Leave (hidden) or rejoin the listing; False when it already was so."""
        ...


class RegistryError(ValueError):
    """A feature registered twice, or a table claimed by two features."""


@dataclass(frozen=True, slots=True)
class Holder:
    """One registered feature."""

    feature: str
    data: MemberData
    listing: MemberListing | None


class MemberDataRegistry:
    """The features that hold member data, in the order they registered (their load order)."""

    def __init__(self) -> None:
        self._holders: dict[str, Holder] = {}

    def register(
        self, feature: str, data: MemberData, *, listing: MemberListing | None = None
    ) -> None:
        """Add a feature's member data (and its listing, if members can leave one)."""
        if feature in self._holders:
            raise RegistryError(f"{feature} has registered its member data already")
        for table in data.personal_columns:
            owner = self.owner(table)
            if owner is not None:
                raise RegistryError(f"{feature} declares {table}, which {owner} already covers")
        self._holders[feature] = Holder(feature, data, listing)

    def unregister(self, feature: str) -> None:
        """Remove a feature (when it unloads); nothing happens if it is not registered."""
        self._holders.pop(feature, None)

    def features(self) -> tuple[str, ...]:
        """The registered features' names."""
        return tuple(self._holders)

    def summaries(self) -> tuple[str, ...]:
        """What each registered feature holds about a member, in plain words."""
        return tuple(holder.data.personal_summary for holder in self._holders.values())

    def owner(self, table: str) -> str | None:
        """The feature that declares a table, if any."""
        for holder in self._holders.values():
            if table in holder.data.personal_columns:
                return holder.feature
        return None

    def personal_columns(self) -> dict[str, tuple[str, ...]]:
        """Every declared table with its member columns, across the registered features."""
        return {
            table: tuple(columns)
            for holder in self._holders.values()
            for table, columns in holder.data.personal_columns.items()
        }

    @property
    def has_listing(self) -> bool:
        """Whether any registered feature lists members (so hiding means something)."""
        return any(holder.listing is not None for holder in self._holders.values())

    async def export(self, guild_id: int, user_id: int) -> dict[str, dict[str, Any]]:
        """Each feature's export of a member in a guild, by feature name."""
        holders = list(self._holders.values())
        return {h.feature: await h.data.export_member(guild_id, user_id) for h in holders}

    async def delete(self, guild_id: int, user_id: int) -> int:
        """Delete a member's data in a guild from every feature; the rows deleted or changed.

        Features are deleted one after another, each in its own transaction; deleting again
        is harmless, so a delete cut short by an error is finished by the next one.
        """
        removed = 0
        for holder in list(self._holders.values()):
            count = await holder.data.delete_member(guild_id, user_id)
            log.info("deleted %d rows of member data in %s", count, holder.feature)
            removed += count
        return removed

    async def set_hidden(
        self, guild_id: int, user_id: int, name: str, hidden: bool, now: datetime
    ) -> bool:
        """Leave or rejoin every listing; False when nothing changed."""
        changed = False
        for holder in list(self._holders.values()):
            if holder.listing is not None:
                if await holder.listing.set_hidden(guild_id, user_id, name, hidden, now):
                    changed = True
        return changed
