"""Data model of the simulated Discord world (users, guilds, channels, messages, results)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

# --- permission bits (subset of Discord's) -------------------------------------------------------
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = (
    DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | MANAGE_ROLES | MANAGE_CHANNELS
)

# message flags
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# channel types
TEXT, DM, VOICE, CATEGORY, ANNOUNCEMENT = 0, 1, 2, 4, 5
PUBLIC_THREAD, PRIVATE_THREAD, STAGE, FORUM = 11, 12, 13, 15
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)

DISCORD_EPOCH_MS = 1420070400000


class SimValidationError(Exception):
    """A test tried something real Discord would never send (bad command, option, component)."""


class _Snowflakes:
    """Monotonic snowflake generator based on the current time."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._last = 0

    def next(self) -> int:
        """Return a fresh, strictly increasing snowflake."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (next(self._counter) & 0xFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


snowflakes = _Snowflakes()


def iso_now() -> str:
    """Current UTC time as an ISO-8601 string, as Discord formats timestamps."""
    return datetime.now(UTC).isoformat()


@dataclass(eq=False)
class SimUser:
    """A Discord user (human or bot)."""

    id: int
    name: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    def to_payload(self) -> dict[str, Any]:
        """Discord user object."""
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }

    @property
    def mention(self) -> str:
        """The `<@id>` mention string."""
        return f"<@{self.id}>"


@dataclass(eq=False)
class SimRole:
    """A guild role."""

    id: int
    name: str
    guild_id: int
    permissions: int = 0
    position: int = 1
    managed: bool = False
    color: int = 0
    mentionable: bool = False
    #: For a bot's managed role: the bot's user id (Discord's `tags.bot_id`).
    bot_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        """Discord role object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.managed:
            data["tags"] = {"bot_id": str(self.bot_id)} if self.bot_id else {}
        return data

    @property
    def mention(self) -> str:
        """The `<@&id>` mention string."""
        return f"<@&{self.id}>"


@dataclass(eq=False)
class SimMember:
    """Membership of a user in a guild."""

    user: SimUser
    guild_id: int
    nick: str | None = None
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    def to_payload(self, *, permissions: int | None = None, with_user: bool = True) -> dict:
        """Discord guild member object (optionally with a `permissions` string)."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.to_payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(eq=False)
class SimChannel:
    """A guild channel, thread or DM channel."""

    id: int
    name: str
    type: int
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    owner_id: int | None = None
    recipient: SimUser | None = None
    overwrites: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    deleted: bool = False
    created_at: str = field(default_factory=iso_now)

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread channel."""
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        """The `<#id>` mention string."""
        return f"<#{self.id}>"

    def to_payload(self, *, message_count: int = 0, last_message_id: int | None = None) -> dict:
        """Discord channel object."""
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "flags": 0}
        if self.type == DM:
            data["recipients"] = [self.recipient.to_payload()] if self.recipient else []
            data["last_message_id"] = str(last_message_id) if last_message_id else None
            return data
        data.update(
            {
                "guild_id": str(self.guild_id),
                "name": self.name,
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "nsfw": False,
                "rate_limit_per_user": 0,
            }
        )
        if self.is_thread:
            data.update(
                {
                    "owner_id": str(self.owner_id) if self.owner_id else None,
                    "last_message_id": str(last_message_id) if last_message_id else None,
                    "message_count": message_count,
                    "member_count": 1,
                    "total_message_sent": message_count,
                    "thread_metadata": {
                        "archived": self.archived,
                        "auto_archive_duration": self.auto_archive_duration,
                        "archive_timestamp": self.created_at,
                        "locked": self.locked,
                        "create_timestamp": self.created_at,
                        "invitable": True,
                    },
                    "applied_tags": [],
                }
            )
            return data
        data["position"] = self.position
        data["permission_overwrites"] = [
            {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}
            for target, (kind, allow, deny) in self.overwrites.items()
        ]
        if self.type in (TEXT, ANNOUNCEMENT, FORUM):
            data["topic"] = self.topic
            data["last_message_id"] = str(last_message_id) if last_message_id else None
            data["default_auto_archive_duration"] = 1440
            data["default_thread_rate_limit_per_user"] = 0
        if self.type in (VOICE, STAGE):
            data.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
            data["last_message_id"] = str(last_message_id) if last_message_id else None
        if self.type == FORUM:
            data.update(
                {
                    "available_tags": [],
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                }
            )
        return data


@dataclass(eq=False)
class SimGuild:
    """A guild with its channels, roles and members."""

    id: int
    name: str
    owner_id: int
    system_channel_id: int | None = None
    channels: list[SimChannel] = field(default_factory=list)
    roles: list[SimRole] = field(default_factory=list)
    members: dict[int, SimMember] = field(default_factory=dict)
    threads: list[SimChannel] = field(default_factory=list)
    locale: str = "en-US"
    features: list[str] = field(default_factory=list)
    removed: bool = False

    @property
    def everyone(self) -> SimRole:
        """The @everyone role (same id as the guild)."""
        return self.roles[0]

    @property
    def general(self) -> SimChannel:
        """The default "general" text channel (the system channel)."""
        for ch in self.channels:
            if ch.id == self.system_channel_id:
                return ch
        raise LookupError(f"guild {self.name!r} has no system channel")

    def channel(self, name: str) -> SimChannel:
        """Find a channel (or thread) of this guild by name."""
        for ch in [*self.channels, *self.threads]:
            if ch.name == name and not ch.deleted:
                return ch
        raise LookupError(f"no channel {name!r} in guild {self.name!r}")

    def role(self, name: str) -> SimRole:
        """Find a role of this guild by name."""
        for role in self.roles:
            if role.name == name:
                return role
        raise LookupError(f"no role {name!r} in guild {self.name!r}")

    def member(self, user: SimUser | int) -> SimMember:
        """The membership record of a user in this guild."""
        uid = user if isinstance(user, int) else user.id
        return self.members[uid]


@dataclass(eq=False)
class SimMessage:
    """A message as the simulator stored it (bot sent or simulated user posted)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    attachment_meta: list[dict[str, Any]] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    flags: int = 0
    message_reference: dict[str, Any] | None = None
    thread: SimChannel | None = None
    edits: int = 0
    deleted: bool = False
    webhook_id: int | None = None
    interaction_id: int | None = None
    interaction_user_id: int | None = None
    interaction_type: int | None = None
    type: int = 0
    tts: bool = False
    pinned: bool = False
    reactions: list[str] = field(default_factory=list)
    poll: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    nonce: str | int | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None

    @property
    def ephemeral(self) -> bool:
        """Whether the ephemeral flag (64) is set."""
        return bool(self.flags & EPHEMERAL)

    @property
    def text(self) -> str:
        """Content plus all embed texts, joined by newlines (for assertions)."""
        return "\n".join(p for p in [self.content, *embed_texts(self.embeds)] if p)

    def custom_ids(self) -> list[str]:
        """All component custom_ids on this message (buttons, selects), in order."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component dict with this custom_id, if any."""
        for comp in walk_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    def buttons(self) -> list[dict[str, Any]]:
        """All button components (type 2)."""
        return [c for c in walk_components(self.components) if c.get("type") == 2]


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten nested components (action rows, containers, sections, labels)."""
    out: list[dict[str, Any]] = []
    for comp in components or []:
        out.append(comp)
        out.extend(walk_components(comp.get("components") or []))
        if isinstance(comp.get("component"), dict):
            out.extend(walk_components([comp["component"]]))
        if isinstance(comp.get("accessory"), dict):
            out.extend(walk_components([comp["accessory"]]))
    return out


def _answered_emoji(emoji: Any) -> Any:
    if isinstance(emoji, dict) and emoji.get("id") is None:
        return {k: v for k, v in emoji.items() if k != "id"}  # a unicode emoji has no id
    return emoji


def numbered_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of `components` as Discord answers them: a numeric `id` on every component.

    Discord numbers components without an id sequentially (depth first, skipping ids the
    sender chose); a unicode emoji (`"id": null` as sent) comes back without an id.
    """
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    counter = itertools.count(1)

    def next_id() -> int:
        value = next(counter)
        while value in used:
            value = next(counter)
        return value

    def copy(comp: dict[str, Any]) -> dict[str, Any]:
        out = dict(comp)
        if "id" not in out:
            out["id"] = next_id()
        if "emoji" in out:
            out["emoji"] = _answered_emoji(out["emoji"])
        if isinstance(out.get("options"), list):
            out["options"] = [
                {**o, "emoji": _answered_emoji(o["emoji"])} if "emoji" in o else o
                for o in out["options"]
            ]
        for key in ("components",):
            if isinstance(out.get(key), list):
                out[key] = [copy(c) for c in out[key]]
        for key in ("component", "accessory"):
            if isinstance(out.get(key), dict):
                out[key] = copy(out[key])
        return out

    return [copy(c) for c in components or []]


def embed_texts(embeds: list[dict[str, Any]]) -> list[str]:
    """Titles, descriptions, field names/values, footers and authors of embeds."""
    parts: list[str] = []
    for e in embeds or []:
        author = e.get("author") or {}
        parts.append(author.get("name") or "")
        parts.append(e.get("title") or "")
        parts.append(e.get("description") or "")
        for f in e.get("fields") or []:
            parts.append(f.get("name") or "")
            parts.append(f.get("value") or "")
        parts.append((e.get("footer") or {}).get("text") or "")
    return [p for p in parts if p]


def component_texts(components: list[dict[str, Any]]) -> list[str]:
    """Text carried by components (v2 text displays, button labels)."""
    out: list[str] = []
    for c in walk_components(components):
        if c.get("type") == 10 and c.get("content"):
            out.append(c["content"])
    return out


class RequestRecord(NamedTuple):
    """One REST request the simulator answered."""

    method: str
    path: str
    status: int


FaultWhen = Literal["before", "after"]
FaultMode = Literal["status", "timeout", "drop"]


@dataclass
class FaultRule:
    """An injected failure for matching REST requests.

    `when="before"` answers instead of running the route's handler; `when="after"` runs the
    handler first (the message is created, gateway events are sent) and then fails. `mode`:
    "status" answers `status`, "timeout" holds the answer back for `hold_for` seconds (or until
    the simulator stops) and then closes the connection, "drop" closes it at once.
    """

    method: str
    pattern: Any
    status: int
    times: int
    retry_after: float | None
    global_: bool
    body: Any
    when: FaultWhen = "before"
    mode: FaultMode = "status"
    hold_for: float = 60.0
    hits: int = 0
    #: How many of the matched requests ran the route's handler (only `when="after"` does).
    handled: int = 0


@dataclass(eq=False)
class HeldRequest:
    """A hold on matching REST requests (see `DiscordSimulator.hold`).

    `arrived` is set when a matching request reached the hold's point (before or after the
    route's handler); the request waits there until `release()`. A request whose client has
    gone (closed the connection, e.g. a killed bot) is never answered and, when held before
    the handler, never handled.
    """

    method: str
    pattern: Any
    when: FaultWhen
    times: int
    hits: int = 0
    #: Whether the route's handler ran for a held request (what Discord did with it).
    handler_ran: bool = False
    #: Whether the client had closed its connection by the time a held request was released.
    client_gone: bool = False
    #: The paths (after /api/v10) of the requests this hold caught.
    paths: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        """Let the held request(s) continue (and requests matching later pass unheld)."""
        self.released.set()

    async def wait_arrived(self, timeout: float = 10.0) -> None:
        """Wait until a matching request reached the hold."""
        try:
            await asyncio.wait_for(self.arrived.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no {self.method} request matching {self.pattern.pattern!r} reached the hold "
                f"({self.when} the handler) within {timeout}s"
            ) from None


@dataclass(eq=False)
class SimInteraction:
    """Server-side state of one dispatched interaction."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    guild_id: int | None
    channel_id: int
    user: SimUser
    name: str
    dispatched_at: float
    source_message: SimMessage | None = None
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    responded_at: float | None = None
    #: Seconds from dispatch to the first callback request's arrival (even one refused as late).
    callback_arrived_after: float | None = None
    original: SimMessage | None = None
    original_edited: bool = False
    followups: list[SimMessage] = field(default_factory=list)
    first_followup_fills_original: bool = False
    #: For a modal submit: the interaction that opened the modal.
    trigger: SimInteraction | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        """Wake everybody waiting on this interaction."""
        self.changed.set()
        self.changed = asyncio.Event()

    @property
    def acked_after(self) -> float | None:
        """Seconds from the INTERACTION_CREATE dispatch to the accepted callback (None: none)."""
        if self.responded_at is None:
            return None
        return self.responded_at - self.dispatched_at

    @property
    def settled(self) -> bool:
        """Initial response received and, for deferrals, completed by an edit or followup."""
        if self.response_type is None:
            return False
        if self.response_type in (5, 6):
            return self.original_edited or bool(self.followups)
        return True


class InteractionResult:
    """Everything the bot did in answer to one simulated interaction."""

    def __init__(self, interaction: SimInteraction) -> None:
        self._i = interaction

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self._i.name!r} type={self.response_type} "
            f"ephemeral={self.ephemeral} text={self.text[:80]!r}>"
        )

    @property
    def interaction_id(self) -> int:
        """Snowflake of the interaction."""
        return self._i.id

    @property
    def token(self) -> str:
        """Interaction token (valid for webhook followups)."""
        return self._i.token

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data the bot received."""
        return self._i.payload

    @property
    def response_type(self) -> int | None:
        """Interaction callback type (4 message, 5 deferred, 6 deferred update, 7 update, ...)."""
        return self._i.response_type

    @property
    def response_data(self) -> dict[str, Any]:
        """The raw `data` of the initial callback."""
        return self._i.response_data or {}

    @property
    def deferred(self) -> bool:
        """Whether the initial response was a deferral (type 5 or 6)."""
        return self._i.response_type in (5, 6)

    @property
    def message(self) -> SimMessage | None:
        """The original response message (for type 6/7 on components: the updated message)."""
        return self._i.original

    @property
    def followups(self) -> list[SimMessage]:
        """Follow-up messages, in order (after a type-5 deferral the first one is `.message`)."""
        return self._i.followups

    @property
    def primary(self) -> SimMessage | None:
        """The message that carries the visible answer: original if filled, else 1st followup."""
        orig = self._i.original
        if orig is not None and not (orig.flags & LOADING):
            if orig.content or orig.embeds or orig.components or orig.attachments:
                return orig
        if self._i.followups:
            return self._i.followups[0]
        return orig

    @property
    def ephemeral(self) -> bool:
        """Whether the answer is ephemeral (flag 64 on the response / followup)."""
        msg = self.primary
        if msg is not None:
            return msg.ephemeral
        return bool(self.response_data.get("flags", 0) & EPHEMERAL)

    @property
    def content(self) -> str:
        """Content of the primary answer message."""
        msg = self.primary
        return msg.content if msg else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Embeds (dicts as sent) of the primary answer message."""
        msg = self.primary
        return msg.embeds if msg else []

    @property
    def components(self) -> list[dict[str, Any]]:
        """Components of the primary answer message."""
        msg = self.primary
        return msg.components if msg else []

    @property
    def attachments(self) -> list[tuple[str, bytes]]:
        """Attachments (filename, bytes) of the primary answer message."""
        msg = self.primary
        return msg.attachments if msg else []

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        """allowed_mentions of the primary answer message."""
        msg = self.primary
        return msg.allowed_mentions if msg else None

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices (type 8 responses)."""
        return list(self.response_data.get("choices", []))

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (type 9 responses)."""
        return self.response_data if self._i.response_type == 9 else None

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the initial response (the same as `acked_after`)."""
        return self._i.acked_after

    @property
    def acked_after(self) -> float | None:
        """Seconds from the simulator's INTERACTION_CREATE dispatch to the accepted callback.

        Measured as Discord does: the clock starts when the event leaves the simulator and
        stops when the callback arrives, so latency both ways counts against the deadline.
        """
        return self._i.acked_after

    @property
    def callback_arrived_after(self) -> float | None:
        """Seconds from dispatch to the first callback's arrival, even one refused as too late."""
        return self._i.callback_arrived_after

    @property
    def all_messages(self) -> list[SimMessage]:
        """Original response plus followups (deduplicated)."""
        out: list[SimMessage] = []
        for m in [self._i.original, *self._i.followups]:
            if m is not None and m not in out:
                out.append(m)
        return out

    @property
    def text(self) -> str:
        """Content + embed/component texts of the original response and all followups."""
        parts: list[str] = []
        for m in self.all_messages:
            parts.extend([m.content, *embed_texts(m.embeds), *component_texts(m.components)])
        if self._i.response_type == 9 and self._i.response_data:
            parts.append(self._i.response_data.get("title", ""))
        return "\n".join(p for p in parts if p)

    @property
    def settled(self) -> bool:
        """Initial response arrived (and, for deferrals, an edit or followup too)."""
        return self._i.settled

    async def wait_settled(self, timeout: float = 5.0) -> InteractionResult:
        """Wait until settled (useful after `invoke(..., wait=False)`); return self."""
        await self.wait_until(lambda: self._i.settled, timeout, "the response")
        return self

    async def wait_followups(self, n: int, timeout: float = 5.0) -> list[SimMessage]:
        """Wait until at least `n` followups exist; return them."""
        await self.wait_until(lambda: len(self._i.followups) >= n, timeout, f"{n} followup(s)")
        return self._i.followups

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        what: str = "condition",
    ) -> None:
        """Wait until `predicate()` holds, re-checking whenever the bot touches this interaction."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(
                    f"interaction {self._i.name!r}: timed out after {timeout}s waiting for {what}; "
                    f"so far: {self!r}"
                )
            event = self._i.changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue
