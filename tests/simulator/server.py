"""In-process Discord REST API + gateway that the real discord.py client can log into."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import re
import secrets
import time
import traceback
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import WSMsgType, web

from .models import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ANNOUNCEMENT,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    EMBED_LINKS,
    EPHEMERAL,
    FORUM,
    LOADING,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT,
    VIEW_CHANNEL,
    FaultMode,
    FaultRule,
    FaultWhen,
    HeldRequest,
    InteractionResult,
    RequestRecord,
    SimChannel,
    SimGuild,
    SimInteraction,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
    SimValidationError,
    iso_now,
    numbered_components,
    snowflakes,
    walk_components,
)
from .ratelimits import (
    DEFAULT_GLOBAL_RATE,
    GLOBAL_EXEMPT_PREFIXES,
    RateLimiter,
    RateLimitRecord,
)
from .spec import OpenApiSpec, Operation, SpecViolation
from .spec import where as _where
from .validation import (
    ATTACHMENT,
    CHANNEL,
    MENTIONABLE,
    ROLE,
    USER,
    FormError,
    check_value,
    find_command,
    resolve_path,
    validate_choices,
    validate_command_payloads,
    validate_message_payload,
    validate_modal,
)

log = logging.getLogger("tests.simulator")

API_PREFIX = "/api/v10"
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_DEFAULT_ERRORS: dict[int, tuple[str, int]] = {
    400: ("Invalid Form Body", 50035),
    401: ("401: Unauthorized", 0),
    403: ("Missing Permissions", 50013),
    404: ("404: Not Found", 0),
    405: ("405: Method Not Allowed", 0),
    500: ("500: Internal Server Error", 0),
    502: ("502: Bad Gateway", 0),
    503: ("503: Service Unavailable", 0),
    504: ("504: Gateway Timeout", 0),
}

Handler = Callable[..., Awaitable[Any]]
#: The spec operation a request was matched to (None: not validated).
OPERATION_KEY = web.RequestKey("sim_operation", object)


class ApiError(Exception):
    """Raised by route handlers to answer with a Discord-shaped JSON error."""

    def __init__(self, status: int, message: str, code: int = 0, errors: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=204, headers=headers)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def _error_body(message: str, code: int, errors: dict | None = None) -> dict[str, Any]:
    """Discord's error object; `errors` maps dotted field paths to messages (nested on output)."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        tree: dict[str, Any] = {}
        for key, msg in errors.items():
            node = tree
            for part in (p for p in str(key).split(".") if p):
                node = node.setdefault(part, {})
            node.setdefault("_errors", []).append({"code": "INVALID", "message": str(msg)})
        body["errors"] = tree
    return body


def _id(value: Any) -> int:
    return value if isinstance(value, int) else value.id


class DiscordSimulator:
    """A fake Discord (REST + gateway) on 127.0.0.1 for end-to-end tests of a discord.py bot."""

    def __init__(
        self,
        token: str = "sim-token",
        *,
        bot_name: str = "StudyBot",
        interaction_deadline: float = 3.0,
        heartbeat_interval_ms: int = 41250,
        nonce_window: float = 120.0,
        rate_limits: bool = True,
        global_rate: int | None = DEFAULT_GLOBAL_RATE,
        route_limits: dict[str, tuple[int, float]] | None = None,
        latency: tuple[float, float] | None = None,
        spec_validation: bool = True,
    ) -> None:
        self.token = token
        self.application_id = snowflakes.next()
        self.bot_user = SimUser(id=snowflakes.next(), name=bot_name, bot=True)
        self.app_owner = SimUser(id=snowflakes.next(), name="app-owner")
        self.interaction_deadline = interaction_deadline
        #: Seconds in which an `enforce_nonce` create with a seen nonce returns the first message.
        self.nonce_window = nonce_window
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._latency: tuple[float, float] | None = None
        self.latency = latency
        self._rng = random.Random()
        self.allowed_privileged_intents = (1 << 1) | (1 << 8) | (1 << 15)

        self.guilds: dict[int, SimGuild] = {}
        self.users: dict[int, SimUser] = {self.bot_user.id: self.bot_user}
        self.channels: dict[int, SimChannel] = {}
        self.roles: dict[int, SimRole] = {}
        self.messages: dict[int, SimMessage] = {}
        self.all_messages: list[SimMessage] = []
        self.threads: list[SimChannel] = []
        self.dm_channels: dict[int, SimChannel] = {}
        self._channel_messages: dict[int, list[SimMessage]] = {}
        # (channel id, author id, nonce) -> (first message, monotonic time it was created)
        self._nonces: dict[tuple[int, int, str | int], tuple[SimMessage, float]] = {}
        self._blobs: dict[int, bytes] = {}

        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        self.command_syncs = 0

        self.requests: list[RequestRecord] = []
        self.request_bodies: list[tuple[str, str, Any]] = []
        self.unknown_routes: list[str] = []
        self.server_errors: list[str] = []
        self._faults: list[FaultRule] = []
        self._limiter = RateLimiter(
            enabled=rate_limits, global_rate=global_rate, route_limits=route_limits
        )
        #: The 429s the simulator's own rate limits produced (injected faults are not listed).
        self.rate_limited: list[RateLimitRecord] = []
        #: Whether bodies are checked against Discord's OpenAPI spec (tests/simulator/openapi/).
        self.spec_validation = spec_validation
        #: Request bodies and answers that broke the spec; the harness fails a test on any.
        self.spec_violations: list[SpecViolation] = []
        self._holds: list[HeldRequest] = []
        self._stopping = asyncio.Event()

        self.interactions: dict[str, SimInteraction] = {}
        self._interactions_by_id: dict[int, SimInteraction] = {}
        self.gateway_connects = 0
        self.identifies = 0
        self.resumes = 0
        self.gateway_events: list[tuple[str, dict[str, Any]]] = []
        self.presence: dict[str, Any] | None = None
        self.identify_payload: dict[str, Any] | None = None
        self.intents = 0
        self.ready_event = asyncio.Event()
        self.commands_synced = asyncio.Event()
        self._reconnected = asyncio.Event()

        self._ws: web.WebSocketResponse | None = None
        self._ws_transport: Any = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._session_id: str | None = None
        self._seq = 0
        self._event_log: list[dict[str, Any]] = []
        self._send_lock = asyncio.Lock()
        # frames waiting for their latency: (due loop time, websocket, text), in order
        self._outbox: deque[tuple[float, web.WebSocketResponse, str]] = deque()
        self._outbox_due = 0.0
        self._writer: asyncio.Task[None] | None = None
        # frames queued and frames sent (or dropped) so far; `_sent_one` is set at each
        self._queued = 0
        self._sent = 0
        self._sent_one = asyncio.Event()
        self._pending: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool, str]] = []
        self._register_routes()

    # ------------------------------------------------------------------ latency
    @property
    def latency(self) -> tuple[float, float] | None:
        """Network delay each way, (low, high) seconds drawn uniformly; None for none.

        Applied to every REST request before it is handled, to its answer, and to every
        gateway event sent to the bot (in order).
        """
        return self._latency

    @latency.setter
    def latency(self, value: tuple[float, float] | None) -> None:
        if value is not None:
            low, high = value
            if not 0 <= low <= high:
                raise ValueError(f"latency must be (low, high) with 0 <= low <= high, not {value}")
            value = (float(low), float(high))
        self._latency = value

    def _delay(self) -> float:
        if self._latency is None:
            return 0.0
        low, high = self._latency
        return self._rng.uniform(low, high)

    async def _lag(self) -> None:
        delay = self._delay()
        if delay > 0:
            await asyncio.sleep(delay)

    # ------------------------------------------------------------------ rate limits
    @property
    def rate_limits(self) -> bool:
        """Whether Discord's rate limits are enforced (on by default)."""
        return self._limiter.enabled

    @rate_limits.setter
    def rate_limits(self, value: bool) -> None:
        self._limiter.enabled = value

    @property
    def global_rate(self) -> int | None:
        """The bot's global limit in requests per second (None: no global limit)."""
        return self._limiter.global_rate

    @global_rate.setter
    def global_rate(self, value: int | None) -> None:
        self._limiter.global_rate = value

    @property
    def route_limits(self) -> dict[str, tuple[int, float]]:
        """Per-route limits, "METHOD /template" -> (requests, per seconds); "*" for the rest.

        The dict is live: assign an entry to change a route's limit from the next window on.
        """
        return self._limiter.route_limits

    # ------------------------------------------------------------------ lifecycle
    @property
    def http_base(self) -> str:
        """Root URL of the simulator (http://127.0.0.1:PORT)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return self.http_base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for DiscordWebSocket.DEFAULT_GATEWAY."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """The resume_gateway_url announced in READY."""
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

    @property
    def connected(self) -> bool:
        """Whether a bot is connected to the gateway with a live session."""
        return self._ws is not None and not self._ws.closed and self._session_id is not None

    async def start(self) -> None:
        """Start the HTTP/websocket server on a random free port."""
        self._stopping.clear()
        if self.spec_validation:
            OpenApiSpec.load()  # read and indexed once per process
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Close gateway connections and stop the server (held requests end unanswered)."""
        self._stopping.set()
        for held in self._holds:
            held.released.set()
        for task in list(self._pending):
            task.cancel()
        if self._writer is not None:
            self._writer.cancel()
        self._outbox.clear()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"simulator stopping"), 1)
        self._ws = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _schedule(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        """Wait until gateway events queued by helpers (and for latency) have been sent.

        Only the frames queued so far are waited for, not those that interactions running
        meanwhile queue: under latency, concurrent invocations go out together.
        """
        while True:
            if self._pending:
                await asyncio.gather(*list(self._pending), return_exceptions=True)
                continue
            queued = self._queued
            while self._sent < queued and self._writer is not None and not self._writer.done():
                self._sent_one.clear()
                await self._sent_one.wait()
            if not self._pending:
                return

    # ------------------------------------------------------------------ world building
    def add_user(self, name: str, *, global_name: str | None = None, bot: bool = False) -> SimUser:
        """Create a user that is not (yet) a member of any guild."""
        user = SimUser(id=snowflakes.next(), name=name, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: SimUser | None = None,
        locale: str = "en-US",
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        features: list[str] | None = None,
    ) -> SimGuild:
        """Create a guild with @everyone, a "general" system channel, an owner and the bot."""
        gid = snowflakes.next()
        owner = owner or self.add_user(f"owner-{len(self.guilds) + 1}")
        guild = SimGuild(id=gid, name=name, owner_id=owner.id, locale=locale)
        guild.features = list(features or [])
        everyone = SimRole(id=gid, name="@everyone", guild_id=gid, permissions=everyone_permissions)
        everyone.position = 0
        guild.roles.append(everyone)
        self.roles[gid] = everyone
        self.guilds[gid] = guild
        general = self._new_channel(guild, "general", TEXT)
        guild.system_channel_id = general.id
        bot_role = self._new_role(guild, self.bot_user.name, bot_permissions, managed=True)
        bot_role.bot_id = self.bot_user.id
        self._add_membership(guild, owner)
        self._add_membership(guild, self.bot_user, roles=[bot_role.id])
        if self.connected:
            self._schedule(self._send_guild_create(guild))
        return guild

    def _new_channel(
        self, guild: SimGuild, name: str, type: int, parent: SimChannel | None = None
    ) -> SimChannel:
        ch = SimChannel(
            id=snowflakes.next(),
            name=name,
            type=type,
            guild_id=guild.id,
            position=len(guild.channels),
            parent_id=parent.id if parent else None,
        )
        guild.channels.append(ch)
        self.channels[ch.id] = ch
        self._channel_messages[ch.id] = []
        return ch

    def _new_role(
        self,
        guild: SimGuild,
        name: str,
        permissions: int,
        *,
        managed: bool = False,
        position: int | None = None,
    ) -> SimRole:
        # like Discord, new roles go to the bottom (position 1) unless a position is given
        pos = 1 if position is None else max(1, position)
        for other in guild.roles:
            if other.position >= pos and other.id != guild.id:
                other.position += 1
        role = SimRole(
            id=snowflakes.next(),
            name=name,
            guild_id=guild.id,
            permissions=permissions,
            position=pos,
            managed=managed,
        )
        guild.roles.append(role)
        self.roles[role.id] = role
        return role

    def _add_membership(
        self,
        guild: SimGuild,
        user: SimUser,
        *,
        nick: str | None = None,
        roles: list[int] | None = None,
    ) -> SimMember:
        member = SimMember(user=user, guild_id=guild.id, nick=nick, roles=list(roles or []))
        guild.members[user.id] = member
        self.users[user.id] = user
        return member

    def add_channel(
        self,
        guild: SimGuild,
        name: str,
        type: int = TEXT,
        *,
        parent: SimChannel | None = None,
        topic: str | None = None,
    ) -> SimChannel:
        """Create a channel (0 text, 2 voice, 4 category, 5 announcement, 13 stage, 15 forum)."""
        ch = self._new_channel(guild, name, type, parent)
        ch.topic = topic
        if self.connected:
            self._schedule(self.dispatch("CHANNEL_CREATE", self.channel_payload(ch)))
        return ch

    def remove_channel(self, channel: SimChannel) -> None:
        """Delete a channel silently (no gateway event): later REST calls on it get 404 10003."""
        channel.deleted = True

    def add_role(
        self,
        guild: SimGuild,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        position: int | None = None,
        mentionable: bool = False,
    ) -> SimRole:
        """Create a role (at the bottom, below the bot's role, unless `position` is given)."""
        role = self._new_role(guild, name, permissions, position=position)
        role.color = color
        role.mentionable = mentionable
        if self.connected:
            payload = {"guild_id": str(guild.id), "role": role.to_payload()}
            self._schedule(self.dispatch("GUILD_ROLE_CREATE", payload))
        return role

    def _perm_role(self, guild: SimGuild, permissions: int) -> SimRole:
        name = f"perms-{permissions:x}"
        for role in guild.roles:
            if role.name == name:
                return role
        return self.add_role(guild, name, permissions)

    def add_member(
        self,
        guild: SimGuild,
        name: str,
        permissions: int = 0,
        admin: bool = False,
        global_name: str | None = None,
        nick: str | None = None,
        user: SimUser | None = None,
        roles: list[SimRole] | None = None,
    ) -> SimUser:
        """Add a member; `permissions`/`admin` (MANAGE_GUILD) are granted through a role."""
        if user is None:
            user = self.add_user(name, global_name=global_name)
        role_ids = [r.id for r in roles or []]
        extra = permissions | (MANAGE_GUILD if admin else 0)
        if extra:
            role_ids.append(self._perm_role(guild, extra).id)
        member = self._add_membership(guild, user, nick=nick, roles=role_ids)
        if self.connected and self.intents & INTENT_GUILD_MEMBERS:
            payload = {"guild_id": str(guild.id), **member.to_payload()}
            self._schedule(self.dispatch("GUILD_MEMBER_ADD", payload))
        return user

    def remove_member(self, guild: SimGuild, user: SimUser) -> None:
        """Remove a member from a guild (GUILD_MEMBER_REMOVE if the bot has the intent)."""
        guild.members.pop(user.id, None)
        if self.connected and self.intents & INTENT_GUILD_MEMBERS:
            payload = {"guild_id": str(guild.id), "user": user.to_payload()}
            self._schedule(self.dispatch("GUILD_MEMBER_REMOVE", payload))

    def give_role(self, guild: SimGuild, user: SimUser, role: SimRole) -> None:
        """Give a member a role (no gateway event)."""
        member = guild.member(user)
        if role.id not in member.roles:
            member.roles.append(role.id)

    def set_bot_permissions(
        self,
        channel: SimChannel,
        allow_send: bool | None = None,
        *,
        allow: int = 0,
        deny: int = 0,
    ) -> None:
        """Set a member overwrite for the bot on a channel (allow_send=False → 403 on posts)."""
        if allow_send is False:
            deny |= SEND_MESSAGES | SEND_MESSAGES_IN_THREADS
        elif allow_send is True:
            allow |= SEND_MESSAGES | SEND_MESSAGES_IN_THREADS
        self.set_channel_overwrite(channel, self.bot_user, allow=allow, deny=deny)

    def set_channel_overwrite(
        self, channel: SimChannel, target: SimUser | SimRole, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a permission overwrite for a member or role on a channel."""
        kind = 0 if isinstance(target, SimRole) else 1
        channel.overwrites[target.id] = (kind, allow, deny & ~allow)
        if self.connected and not channel.deleted:
            self._schedule(self.dispatch("CHANNEL_UPDATE", self.channel_payload(channel)))

    async def remove_guild(self, guild: SimGuild) -> None:
        """Remove the bot from a guild (GUILD_DELETE)."""
        guild.removed = True
        await self.flush()
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    # ------------------------------------------------------------------ permissions
    def permissions_for(
        self, guild: SimGuild, user: SimUser | int, channel: SimChannel | None = None
    ) -> int:
        """Compute a member's permissions (guild-level, or in a channel with overwrites)."""
        uid = _id(user)
        if uid == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(uid)
        if member is None:
            return 0
        perms = guild.everyone.permissions
        for rid in member.roles:
            role = self.roles.get(rid)
            if role is not None:
                perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return perms
        if channel.is_thread and channel.parent_id in self.channels:
            channel = self.channels[channel.parent_id]
        ow = channel.overwrites
        if guild.id in ow:
            perms = (perms & ~ow[guild.id][2]) | ow[guild.id][1]
        allow = deny = 0
        for rid in member.roles:
            if rid in ow:
                allow |= ow[rid][1]
                deny |= ow[rid][2]
        perms = (perms & ~deny) | allow
        if uid in ow:
            perms = (perms & ~ow[uid][2]) | ow[uid][1]
        if not perms & VIEW_CHANNEL:
            return 0
        return perms

    # ------------------------------------------------------------------ payloads
    def user_payload(self, user: SimUser) -> dict[str, Any]:
        """Discord user object."""
        return user.to_payload()

    def channel_payload(self, channel: SimChannel) -> dict[str, Any]:
        """Discord channel object for a SimChannel."""
        msgs = self._channel_messages.get(channel.id, [])
        last = msgs[-1].id if msgs else None
        return channel.to_payload(message_count=len(msgs), last_message_id=last)

    def guild_payload(self, guild: SimGuild, *, gateway: bool = False) -> dict[str, Any]:
        """Discord guild object (REST shape, or GUILD_CREATE shape with gateway=True)."""
        data: dict[str, Any] = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "home_header": None,
            "application_id": None,
            "region": "deprecated",
            "widget_channel_id": None,
            "max_presences": None,
            "max_stage_video_channel_users": 50,
            "nsfw": False,
            "incidents_data": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": str(guild.system_channel_id) if guild.system_channel_id else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": guild.locale,
            "features": list(guild.features),
            "roles": [r.to_payload() for r in guild.roles],
            "emojis": [],
            "stickers": [],
            "max_members": 500000,
            "max_video_channel_users": 25,
            "widget_enabled": False,
            "approximate_member_count": len(guild.members),
        }
        if gateway:
            if self.intents & INTENT_GUILD_MEMBERS:
                members = list(guild.members.values())
            else:
                members = [guild.members[self.bot_user.id]]
            data.update(
                {
                    "joined_at": guild.members[self.bot_user.id].joined_at,
                    "large": False,
                    "unavailable": False,
                    "member_count": len(guild.members),
                    "voice_states": [],
                    "members": [m.to_payload() for m in members],
                    "channels": [self.channel_payload(c) for c in guild.channels if not c.deleted],
                    "threads": [
                        self.channel_payload(t)
                        for t in guild.threads
                        if not t.deleted and not t.archived
                    ],
                    "presences": [],
                    "stage_instances": [],
                    "guild_scheduled_events": [],
                    "soundboard_sounds": [],
                }
            )
        return data

    def message_payload(self, msg: SimMessage, *, with_nonce: bool = False) -> dict[str, Any]:
        """Discord message object; `with_nonce` for the create answer and MESSAGE_CREATE only."""
        author = self.users.get(msg.author_id) or SimUser(id=msg.author_id, name="unknown")
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "author": author.to_payload(),
            "content": msg.content,
            "timestamp": msg.timestamp,
            "edited_timestamp": msg.edited_timestamp,
            "tts": msg.tts,
            "mention_everyone": False,
            "mentions": self._mentions(msg),
            "mention_roles": [],
            "attachments": list(msg.attachment_meta),
            "embeds": [{"type": "rich", **e} for e in msg.embeds],
            "components": numbered_components(msg.components),
            "pinned": msg.pinned,
            "type": msg.type,
            "flags": msg.flags,
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
            data["application_id"] = str(self.application_id)
        inter = self._interactions_by_id.get(msg.interaction_id or 0)
        if inter is not None:
            data["interaction_metadata"] = self._interaction_metadata(inter)
        if msg.message_reference is not None:
            data["message_reference"] = msg.message_reference
        if msg.thread is not None:
            data["thread"] = self.channel_payload(msg.thread)
        if msg.poll is not None:
            data["poll"] = msg.poll
        if with_nonce and msg.nonce is not None:
            data["nonce"] = msg.nonce
        return data

    def _interaction_metadata(self, inter: SimInteraction) -> dict[str, Any]:
        """Discord's message interaction metadata (command, component or modal submit)."""
        data: dict[str, Any] = {
            "id": str(inter.id),
            "type": inter.type,
            "user": inter.user.to_payload(),
            "authorizing_integration_owners": dict(
                inter.payload.get("authorizing_integration_owners") or {}
            ),
        }
        if inter.type == 3 and inter.source_message is not None:
            data["interacted_message_id"] = str(inter.source_message.id)
        elif inter.type == 5:
            trigger = inter.trigger
            if trigger is not None and trigger.type in (2, 3):
                data["triggering_interaction_metadata"] = self._interaction_metadata(trigger)
            else:
                data["triggering_interaction_metadata"] = {
                    "id": str(inter.id),
                    "type": 2,
                    "user": inter.user.to_payload(),
                    "authorizing_integration_owners": data["authorizing_integration_owners"],
                }
        return data

    def _mentions(self, msg: SimMessage) -> list[dict[str, Any]]:
        out = []
        for raw in re.findall(r"<@!?(\d+)>", msg.content or ""):
            user = self.users.get(int(raw))
            if user is not None:
                out.append(user.to_payload())
        return out

    # ------------------------------------------------------------------ message store
    def messages_in(
        self, channel: SimChannel | int, *, include_deleted: bool = False
    ) -> list[SimMessage]:
        """Messages in a channel/thread/DM, oldest first (ephemeral responses excluded)."""
        msgs = self._channel_messages.get(_id(channel), [])
        return [m for m in msgs if include_deleted or not m.deleted]

    def dms_to(self, user: SimUser) -> list[SimMessage]:
        """Messages the bot sent to a user's DM channel."""
        ch = self.dm_channels.get(user.id)
        return self.messages_in(ch) if ch else []

    def get_message(self, message_id: int) -> SimMessage:
        """A stored message by id."""
        return self.messages[message_id]

    def _store_message(self, msg: SimMessage) -> SimMessage:
        self.messages[msg.id] = msg
        self.all_messages.append(msg)
        if not msg.ephemeral:
            self._channel_messages.setdefault(msg.channel_id, []).append(msg)
        return msg

    def _store_files(
        self, channel_id: int, payload: dict[str, Any], files: dict[int, tuple[str, bytes, str]]
    ) -> tuple[list[tuple[str, bytes]], list[dict[str, Any]]]:
        """Turn multipart files (+ payload `attachments` metadata) into attachment records."""
        metas: dict[int, dict[str, Any]] = {}
        for item in payload.get("attachments") or []:
            with contextlib.suppress(TypeError, ValueError):
                metas[int(item.get("id"))] = item
        out: list[tuple[str, bytes]] = []
        meta_out: list[dict[str, Any]] = []
        for index, (filename, blob, ctype) in sorted(files.items()):
            meta = metas.get(index, {})
            name = meta.get("filename") or filename
            aid = snowflakes.next()
            self._blobs[aid] = blob
            url = f"{self.http_base}/cdn/attachments/{channel_id}/{aid}/{name}"
            entry = {
                "id": str(aid),
                "filename": name,
                "size": len(blob),
                "url": url,
                "proxy_url": url,
                "content_type": ctype,
            }
            if meta.get("description"):
                entry["description"] = meta["description"]
            out.append((name, blob))
            meta_out.append(entry)
        return out, meta_out

    def _new_message(
        self,
        channel: SimChannel,
        author: SimUser,
        payload: dict[str, Any],
        files: dict[int, tuple[str, bytes, str]],
        *,
        flags: int | None = None,
        interaction: SimInteraction | None = None,
        msg_type: int = 0,
        message_id: int | None = None,
    ) -> SimMessage:
        attachments, metas = self._store_files(channel.id, payload, files)
        msg = SimMessage(
            id=message_id or snowflakes.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=author.id,
            content=payload.get("content") or "",
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            attachments=attachments,
            attachment_meta=metas,
            allowed_mentions=payload.get("allowed_mentions"),
            flags=int(payload.get("flags") or 0) if flags is None else flags,
            message_reference=payload.get("message_reference"),
            tts=bool(payload.get("tts", False)),
            poll=payload.get("poll"),
            type=msg_type,
        )
        if interaction is not None:
            msg.webhook_id = self.application_id
            msg.interaction_id = interaction.id
            msg.interaction_user_id = interaction.user.id
            msg.interaction_type = interaction.type
        if msg.message_reference is not None and msg_type == 0:
            msg.type = 19
        return self._store_message(msg)

    def _apply_edit(
        self,
        msg: SimMessage,
        payload: dict[str, Any],
        files: dict[int, tuple[str, bytes, str]],
        *,
        count: bool = True,
    ) -> None:
        msg.history.append(
            {"content": msg.content, "embeds": msg.embeds, "components": msg.components}
        )
        if "content" in payload:
            msg.content = payload["content"] or ""
        if "embeds" in payload:
            msg.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            msg.components = list(payload["components"] or [])
        if "allowed_mentions" in payload:
            msg.allowed_mentions = payload["allowed_mentions"]
        if "flags" in payload and payload["flags"] is not None:
            keep = msg.flags & EPHEMERAL
            msg.flags = (int(payload["flags"]) & ~EPHEMERAL & ~LOADING) | keep
        if "attachments" in payload or files:
            keep_ids = set()
            for item in payload.get("attachments") or []:
                with contextlib.suppress(TypeError, ValueError):
                    keep_ids.add(int(item.get("id")))
            kept_pairs = []
            kept_meta = []
            for pair, meta in zip(msg.attachments, msg.attachment_meta, strict=False):
                if "attachments" not in payload or int(meta["id"]) in keep_ids:
                    kept_pairs.append(pair)
                    kept_meta.append(meta)
            new_pairs, new_meta = self._store_files(msg.channel_id, payload, files)
            msg.attachments = kept_pairs + new_pairs
            msg.attachment_meta = kept_meta + new_meta
        msg.flags &= ~LOADING
        if count:
            msg.edits += 1
            msg.edited_timestamp = iso_now()

    # ------------------------------------------------------------------ fault injection
    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        global_: bool = False,
        body: Any = None,
        *,
        when: FaultWhen = "before",
        mode: FaultMode = "status",
        hold_for: float = 60.0,
    ) -> FaultRule:
        """Fail the next `times` requests matching method + regex (path after /api/v10).

        when="before" answers instead of running the handler; when="after" runs it (the
        message is created, events are sent) and then fails. mode="status" answers `status`
        (required then), "timeout" sends no answer for `hold_for` seconds (or until stop) and
        then closes the connection, "drop" closes the connection without an answer.
        """
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {when!r}")
        if mode not in ("status", "timeout", "drop"):
            raise ValueError(f"mode must be 'status', 'timeout' or 'drop', not {mode!r}")
        if mode == "status" and status is None:
            raise ValueError("mode='status' needs a status")
        rule = FaultRule(
            method=method.upper(),
            pattern=re.compile(path_pattern),
            status=status or 0,
            times=times,
            retry_after=retry_after,
            global_=global_,
            body=body,
            when=when,
            mode=mode,
            hold_for=hold_for,
        )
        self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove all fault rules."""
        self._faults.clear()

    def hold(
        self, method: str, path_pattern: str, *, when: FaultWhen = "before", times: int = 1
    ) -> HeldRequest:
        """Hold the next `times` matching requests before (or after) their handler until released.

        The handle's `arrived` event is set when a request reached the hold; `release()` lets
        it continue. A request whose client has gone by then is never answered (and, held
        before the handler, never handled). `stop()` ends every hold without handling.
        """
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {when!r}")
        held = HeldRequest(
            method=method.upper(), pattern=re.compile(path_pattern), when=when, times=times
        )
        self._holds.append(held)
        return held

    def _match_hold(self, method: str, path: str, when: str) -> HeldRequest | None:
        for held in self._holds:
            if held.when != when or held.hits >= held.times:
                continue
            if held.method not in ("*", "ANY", method) or not held.pattern.search(path):
                continue
            held.hits += 1
            held.paths.append(path)
            return held
        return None

    async def _wait_hold(self, held: HeldRequest, request: web.Request) -> bool:
        """Wait for the hold's release; whether the request may go on (client still there)."""
        held.arrived.set()
        await held.released.wait()
        if self._stopping.is_set():
            return False
        if request.transport is None or request.transport.is_closing():
            held.client_gone = True
            return False
        return True

    async def _hang(self, request: web.Request, seconds: float) -> web.StreamResponse:
        """Send no answer for `seconds` (or until stop), then close the connection."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._drop(request)

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the client's connection without an answer."""
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=204)

    def _match_fault(self, method: str, path: str) -> FaultRule | None:
        for rule in self._faults:
            if rule.hits >= rule.times:
                continue
            if rule.method not in ("*", "ANY", method):
                continue
            if rule.pattern.search(path):
                rule.hits += 1
                return rule
        return None

    def _fault_response(self, rule: FaultRule) -> web.Response:
        headers: dict[str, str] = {}
        if rule.status == 429:
            retry = 1.0 if rule.retry_after is None else rule.retry_after
            body = rule.body or {
                "message": "You are being rate limited.",
                "retry_after": retry,
                "global": rule.global_,
                "code": 0,
            }
            headers = {
                "Retry-After": str(max(1, math.ceil(retry))),
                "X-RateLimit-Scope": "global" if rule.global_ else "user",
                "Via": "1.1 google",
            }
            if rule.global_:
                headers["X-RateLimit-Global"] = "true"
        else:
            message, code = _DEFAULT_ERRORS.get(rule.status, (f"{rule.status}: Error", 0))
            body = rule.body if rule.body is not None else _error_body(message, code)
        if isinstance(body, str):
            return web.Response(status=rule.status, text=body, headers=headers)
        return _json_response(rule.status, body, headers)

    # ------------------------------------------------------------------ HTTP plumbing
    def _route(self, method: str, pattern: str, handler: Handler, auth: bool = True) -> None:
        regex = re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?")
        self._routes.append((method, regex, handler, auth, pattern))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.rstrip("/") in ("/gateway", "/gateway-resume"):
            return await self._gateway(request)
        if path.startswith("/cdn/attachments/"):
            return self._serve_blob(request)
        if not path.startswith(API_PREFIX):
            return self._log_unknown(request, path)
        sub = path[len(API_PREFIX) :] or "/"
        await self._lag()
        response = await self._api(request, sub)
        await self._lag()
        return response

    async def _api(self, request: web.Request, sub: str) -> web.StreamResponse:
        method = request.method
        rule = self._match_fault(method, sub)
        if rule is not None and rule.when == "before":
            self.requests.append(RequestRecord(method, sub, rule.status))
            if rule.mode == "drop":
                return self._drop(request)
            if rule.mode == "timeout":
                return await self._hang(request, rule.hold_for)
            return self._fault_response(rule)
        found = self._find_route(method, sub)
        if found is None:
            return self._log_unknown(request, sub)
        handler, auth, params, template = found
        op = OpenApiSpec.load().operation(method, sub) if self.spec_validation else None
        request[OPERATION_KEY] = op
        if auth and request.headers.get("Authorization") != f"Bot {self.token}":
            self.requests.append(RequestRecord(method, sub, 401))
            return _json_response(401, _error_body("401: Unauthorized", 0))
        exempt = not auth or template.startswith(GLOBAL_EXEMPT_PREFIXES)
        decision = self._limiter.check(method, template, params, global_applies=not exempt)
        if decision.refused:
            assert decision.scope is not None
            self.rate_limited.append(
                RateLimitRecord(
                    method,
                    sub,
                    f"{method} {template}",
                    decision.scope,
                    decision.retry_after,
                    time.monotonic(),
                )
            )
            self.requests.append(RequestRecord(method, sub, 429))
            headers = {**decision.headers, "Via": "1.1 google"}
            body = decision.body()
            self._check_answer(op, method, sub, 429, body)
            return _json_response(429, body, headers)
        held = self._match_hold(method, sub, "before")
        if held is not None and not await self._wait_hold(held, request):
            self.requests.append(RequestRecord(method, sub, 0))
            return self._drop(request)
        status, body = await self._run_handler(request, handler, params, sub)
        if held is not None:
            held.handler_ran = True
        held = self._match_hold(method, sub, "after")
        if held is not None:
            held.handler_ran = True
            if not await self._wait_hold(held, request):
                self.requests.append(RequestRecord(method, sub, 0))
                return self._drop(request)
        if rule is not None:
            rule.handled += 1
            self.requests.append(RequestRecord(method, sub, rule.status))
            if rule.mode == "drop":
                return self._drop(request)
            if rule.mode == "timeout":
                return await self._hang(request, rule.hold_for)
            return self._fault_response(rule)
        self.requests.append(RequestRecord(method, sub, status))
        self._check_answer(op, method, sub, status, body)
        return _json_response(status, body, decision.headers)

    def _check_answer(
        self, op: Operation | None, method: str, sub: str, status: int, body: Any
    ) -> None:
        """Record an answer that breaks the spec (a simulator bug); the answer is still sent."""
        if op is None or body is None or status == 204:
            return
        error = OpenApiSpec.load().check_response(op, status, body)
        if error is not None:
            violation = SpecViolation(
                "response", method, sub, op.operation_id, status, _where(error), error.message
            )
            self.spec_violations.append(violation)
            log.error("simulator answer breaks Discord's spec: %s", violation)

    def _check_request(self, request: web.Request, payload: Any) -> None:
        """Refuse (400 50035) and record a request body that breaks the operation's schema."""
        op = request.get(OPERATION_KEY)
        if not isinstance(op, Operation):
            return
        error = OpenApiSpec.load().check_request(op, payload)
        if error is None:
            return
        sub = request.path[len(API_PREFIX) :]
        where = _where(error)
        violation = SpecViolation(
            "request", request.method, sub, op.operation_id, None, where, error.message
        )
        self.spec_violations.append(violation)
        log.warning("request breaks Discord's spec: %s", violation)
        raise FormError("Invalid Form Body", 50035, {where: error.message})

    def _find_route(
        self, method: str, sub: str
    ) -> tuple[Handler, bool, dict[str, str], str] | None:
        for route_method, regex, handler, auth, template in self._routes:
            if route_method != method:
                continue
            m = regex.fullmatch(sub)
            if m is not None:
                return handler, auth, m.groupdict(), template
        return None

    async def _run_handler(
        self, request: web.Request, handler: Handler, params: dict[str, str], sub: str
    ) -> tuple[int, Any]:
        try:
            result = await handler(request, **params)
            status, body = result if isinstance(result, tuple) else (200, result)
        except ApiError as exc:
            status, body = exc.status, _error_body(exc.message, exc.code, exc.errors)
        except FormError as exc:
            status, body = 400, _error_body(exc.message, exc.code, exc.errors)
        except Exception as exc:  # a simulator bug: report loudly, answer 400 (no retries)
            self.server_errors.append(f"{request.method} {sub}: {traceback.format_exc()}")
            log.exception("simulator error on %s %s", request.method, sub)
            status, body = 400, _error_body(f"simulator error: {exc!r}", 0)
        return status, body

    def _log_unknown(self, request: web.Request, path: str) -> web.Response:
        self.unknown_routes.append(f"{request.method} {path}")
        self.requests.append(RequestRecord(request.method, path, 404))
        log.warning("simulator: unknown route %s %s", request.method, path)
        return _json_response(404, _error_body("404: Not Found", 0))

    def _serve_blob(self, request: web.Request) -> web.Response:
        parts = request.path.split("/")
        try:
            blob = self._blobs[int(parts[4])]
        except (IndexError, ValueError, KeyError):
            return web.Response(status=404)
        return web.Response(body=blob, headers={"Content-Type": "application/octet-stream"})

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], dict]:
        """Parse a JSON or multipart (payload_json + files[n]) body."""
        files: dict[int, tuple[str, bytes, str]] = {}
        payload: dict[str, Any] = {}
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            index = 0
            async for part in reader:
                if part is None:
                    break
                name = getattr(part, "name", None) or ""
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    payload = json.loads(bytes(data).decode())
                    self._check_request(request, payload)
                else:
                    m = re.fullmatch(r"files\[(\d+)\]", name)
                    idx = int(m.group(1)) if m else index
                    filename = getattr(part, "filename", None) or f"file{idx}"
                    pctype = part.headers.get("Content-Type", "application/octet-stream")
                    files[idx] = (filename, bytes(data), pctype)
                    index += 1
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    payload = json.loads(raw)
                except ValueError as exc:
                    raise ApiError(400, "400: Bad Request (invalid JSON)", 50109) from exc
                self._check_request(request, payload)
        self.request_bodies.append((request.method, request.path, payload))
        return payload, files

    # ------------------------------------------------------------------ routes
    def _register_routes(self) -> None:
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/{user_id}", self._get_user)
        r("POST", "/users/@me/channels", self._create_dm)
        r("GET", "/oauth2/applications/@me", self._get_app)
        r("GET", "/applications/@me", self._get_app)
        r("GET", "/gateway", self._get_gateway, auth=False)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        for prefix in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            r("PUT", prefix + "/commands", self._put_commands)
            r("GET", prefix + "/commands", self._get_commands)
            r("POST", prefix + "/commands", self._post_command)
            r("DELETE", prefix + "/commands/{command_id}", self._delete_command)
        r("GET", "/applications/{app_id}/guilds/{guild_id}/commands/permissions", self._empty_list)
        r("POST", "/channels/{channel_id}/messages", self._post_message)
        r("GET", "/channels/{channel_id}/messages", self._get_messages)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_msg)
        r("POST", "/channels/{channel_id}/threads", self._create_thread)
        r("GET", "/channels/{channel_id}", self._get_channel)
        r("PATCH", "/channels/{channel_id}", self._edit_channel)
        r("DELETE", "/channels/{channel_id}", self._delete_channel)
        r("POST", "/channels/{channel_id}/typing", self._no_content_channel)
        r("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._no_content_channel)
        r("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self._no_content_channel)
        r("PUT", "/channels/{channel_id}/pins/{message_id}", self._pin)
        r("DELETE", "/channels/{channel_id}/pins/{message_id}", self._pin)
        r("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self._pin)
        r("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self._pin)
        reactions = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}"
        r("PUT", reactions, self._reaction)
        r("DELETE", reactions, self._reaction)
        r("GET", "/guilds/{guild_id}", self._get_guild)
        r("GET", "/guilds/{guild_id}/channels", self._get_guild_channels)
        r("POST", "/guilds/{guild_id}/channels", self._create_guild_channel)
        r("GET", "/guilds/{guild_id}/roles", self._get_roles)
        r("POST", "/guilds/{guild_id}/roles", self._create_role)
        r("GET", "/guilds/{guild_id}/members", self._list_members)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member)
        r("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._member_role)
        r("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._member_role)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, auth=False)
        hook = "/webhooks/{app_id}/{token}"
        r("POST", hook, self._followup, auth=False)
        for method, handler in (
            ("GET", self._get_hook_msg),
            ("PATCH", self._edit_hook_msg),
            ("DELETE", self._delete_hook_msg),
        ):
            r(method, hook + "/messages/{message_id}", handler, auth=False)

    async def _empty_list(self, request: web.Request, **_: str) -> list[Any]:
        return []

    async def _get_me(self, request: web.Request) -> dict[str, Any]:
        # discord.py's static_login: a (new) bot is logging in, so wait_for_bot starts over
        self.ready_event.clear()
        self.commands_synced.clear()
        data = self.bot_user.to_payload()
        data.update(
            {"verified": True, "mfa_enabled": False, "flags": 0, "email": None, "locale": "en-US"}
        )
        return data

    async def _get_user(self, request: web.Request, user_id: str) -> dict[str, Any]:
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None:
            raise ApiError(404, "Unknown User", 10013)
        return user.to_payload()

    async def _get_app(self, request: web.Request) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.name,
            "icon": None,
            "description": "simulated application",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user.to_payload(),
            "owner": self.app_owner.to_payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": (1 << 19) | (1 << 23),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "integration_types_config": {"0": {}},
            "type": None,
            "flags_new": str((1 << 19) | (1 << 23)),
            "role_connections_verification_url": None,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": [],
        }

    async def _get_gateway(self, request: web.Request) -> dict[str, Any]:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: web.Request) -> dict[str, Any]:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    # -- commands
    def _check_app(self, app_id: str) -> None:
        if app_id != str(self.application_id):
            raise ApiError(403, "Missing Access", 50001)

    def _command_list(self, guild_id: str | None) -> list[dict[str, Any]]:
        if guild_id is None:
            return self.global_commands
        guild = self.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        if guild is None or guild.removed:
            raise ApiError(403, "Missing Access", 50001)
        return self.guild_commands[guild.id]

    def _finish_command(
        self, cmd: dict[str, Any], guild_id: str | None, old: list[dict[str, Any]]
    ) -> dict[str, Any]:
        kind = cmd.get("type", 1)
        prev = next((c for c in old if c["name"] == cmd["name"] and c["type"] == kind), None)
        out = dict(cmd)
        out.update(
            {
                "id": prev["id"] if prev else str(snowflakes.next()),
                "application_id": str(self.application_id),
                "version": str(snowflakes.next()),
                "type": kind,
                "description": cmd.get("description", ""),
                "default_member_permissions": (
                    None
                    if cmd.get("default_member_permissions") is None
                    else str(cmd["default_member_permissions"])
                ),
                "dm_permission": cmd.get("dm_permission", True),
                "nsfw": cmd.get("nsfw", False),
            }
        )
        out.setdefault("options", [])
        if guild_id is not None:
            out["guild_id"] = guild_id
        else:
            out.setdefault("contexts", None)
        if out.get("integration_types") is None:
            out["integration_types"] = [0]  # Discord fills in its default (guild install)
        return out

    async def _put_commands(
        self, request: web.Request, app_id: str, guild_id: str | None = None
    ) -> list[dict[str, Any]]:
        self._check_app(app_id)
        payload, _ = await self._read(request)
        if not isinstance(payload, list):
            raise ApiError(400, "Invalid Form Body", 50035)
        validate_command_payloads(payload)
        old = self._command_list(guild_id)
        new = [self._finish_command(c, guild_id, old) for c in payload]
        if guild_id is None:
            self.global_commands = new
        else:
            self.guild_commands[int(guild_id)] = new
        self.command_syncs += 1
        self.commands_synced.set()
        return new

    async def _get_commands(
        self, request: web.Request, app_id: str, guild_id: str | None = None
    ) -> list[dict[str, Any]]:
        self._check_app(app_id)
        return self._command_list(guild_id)

    async def _post_command(
        self, request: web.Request, app_id: str, guild_id: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        self._check_app(app_id)
        payload, _ = await self._read(request)
        validate_command_payloads([payload])
        cmds = self._command_list(guild_id)
        new = self._finish_command(payload, guild_id, cmds)
        cmds[:] = [c for c in cmds if c["id"] != new["id"]] + [new]
        return 201, new

    async def _delete_command(
        self, request: web.Request, app_id: str, command_id: str, guild_id: str | None = None
    ) -> tuple[int, None]:
        self._check_app(app_id)
        cmds = self._command_list(guild_id)
        if not any(c["id"] == command_id for c in cmds):
            raise ApiError(404, "Unknown application command", 10063)
        cmds[:] = [c for c in cmds if c["id"] != command_id]
        return 204, None

    # -- lookups
    def _guild(self, guild_id: str | int) -> SimGuild:
        guild = self.guilds.get(int(guild_id)) if str(guild_id).isdigit() else None
        if guild is None or guild.removed:
            raise ApiError(404, "Unknown Guild", 10004)
        return guild

    def _channel(self, channel_id: str | int) -> SimChannel:
        ch = self.channels.get(int(channel_id)) if str(channel_id).isdigit() else None
        if ch is None or ch.deleted:
            raise ApiError(404, "Unknown Channel", 10003)
        if ch.guild_id is not None and self.guilds[ch.guild_id].removed:
            raise ApiError(403, "Missing Access", 50001)
        return ch

    def _message(self, channel: SimChannel, message_id: str) -> SimMessage:
        msg = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
            raise ApiError(404, "Unknown Message", 10008)
        return msg

    def _bot_perms(self, channel: SimChannel) -> int:
        if channel.guild_id is None:
            return ALL_PERMISSIONS & ~ADMINISTRATOR
        return self.permissions_for(self.guilds[channel.guild_id], self.bot_user, channel)

    def _require(self, channel: SimChannel, perm: int) -> None:
        perms = self._bot_perms(channel)
        if not perms & VIEW_CHANNEL:
            raise ApiError(403, "Missing Access", 50001)
        if perms & perm != perm:
            raise ApiError(403, "Missing Permissions", 50013)

    # -- DMs
    async def _create_dm(self, request: web.Request) -> dict[str, Any]:
        payload, _ = await self._read(request)
        user = self.users.get(int(payload.get("recipient_id", 0)))
        if user is None:
            raise ApiError(400, "Invalid Recipient(s)", 50033)
        ch = self.dm_channels.get(user.id)
        if ch is None:
            ch = SimChannel(id=snowflakes.next(), name="", type=DM, guild_id=None, recipient=user)
            self.dm_channels[user.id] = ch
            self.channels[ch.id] = ch
            self._channel_messages[ch.id] = []
        return self.channel_payload(ch)

    # -- channel messages
    async def _post_message(self, request: web.Request, channel_id: str) -> dict[str, Any]:
        ch = self._channel(channel_id)
        payload, files = await self._read(request)
        if ch.type == DM:
            if ch.recipient is not None and not ch.recipient.dms_open:
                raise ApiError(403, "Cannot send messages to this user", 50007)
        else:
            if ch.type in (FORUM, 4):
                raise ApiError(400, "Cannot send messages in a non-text channel", 50008)
            needed = SEND_MESSAGES_IN_THREADS if ch.is_thread else SEND_MESSAGES
            self._require(ch, needed | (ATTACH_FILES if files else 0))
            if ch.is_thread and ch.locked:
                raise ApiError(400, "Thread is locked", 160005)
            if payload.get("embeds") and not self._bot_perms(ch) & EMBED_LINKS:
                payload["embeds"] = []
        validate_message_payload(payload, n_files=len(files))
        ref = payload.get("message_reference")
        if ref and ref.get("message_id"):
            target = self.messages.get(int(ref["message_id"]))
            if (target is None or target.deleted) and ref.get("fail_if_not_exists", True):
                raise ApiError(
                    400, "Invalid Form Body", 50035, {"message_reference": "Unknown message"}
                )
        nonce = self._check_nonce(payload)
        if nonce is not None and payload.get("enforce_nonce"):
            first = self._nonce_match(ch, self.bot_user, nonce)
            if first is not None:
                return self.message_payload(first, with_nonce=True)
        if ch.is_thread and ch.archived:
            ch.archived = False
        msg = self._new_message(ch, self.bot_user, payload, files)
        if nonce is not None:
            msg.nonce = nonce
            self._nonces[(ch.id, self.bot_user.id, nonce)] = (msg, time.monotonic())
        self._echo_create(msg)
        return self.message_payload(msg, with_nonce=True)

    @staticmethod
    def _check_nonce(payload: dict[str, Any]) -> str | int | None:
        """The create payload's nonce (a string of up to 25 characters or an integer), if any."""
        nonce = payload.get("nonce")
        if nonce is None:
            return None
        if isinstance(nonce, bool) or not isinstance(nonce, (str, int)):
            raise FormError("Invalid Form Body", 50035, {"nonce": "Must be a string or integer."})
        if isinstance(nonce, str) and len(nonce) > 25:
            raise FormError("Invalid Form Body", 50035, {"nonce": "Must be 25 or fewer in length."})
        return nonce

    def _nonce_match(self, ch: SimChannel, author: SimUser, nonce: str | int) -> SimMessage | None:
        """The author's message with this nonce in `ch` created within `nonce_window`, if any.

        Like Discord (discord.py documents it for `send`), a nonce whose message was deleted in
        the meantime answers 404 Unknown Message instead of creating a second message.
        """
        key = (ch.id, author.id, nonce)
        seen = self._nonces.get(key)
        if seen is None:
            return None
        first, created = seen
        if time.monotonic() - created >= self.nonce_window:
            del self._nonces[key]
            return None
        if first.deleted:
            raise ApiError(404, "Unknown Message", 10008)
        return first

    def _echo_create(self, msg: SimMessage) -> None:
        if msg.ephemeral or not self.connected:
            return
        wanted = INTENT_DIRECT_MESSAGES if msg.guild_id is None else INTENT_GUILD_MESSAGES
        if self.intents & wanted:
            data = self.message_payload(msg, with_nonce=True)
            self._schedule(self.dispatch("MESSAGE_CREATE", data))

    async def _get_messages(self, request: web.Request, channel_id: str) -> list[dict[str, Any]]:
        ch = self._channel(channel_id)
        if ch.type != DM:
            self._require(ch, VIEW_CHANNEL)
        q = request.query
        limit = int(q.get("limit", 50))
        msgs = self.messages_in(ch)
        if "before" in q:
            msgs = [m for m in msgs if m.id < int(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if m.id > int(q["after"])]
            msgs = msgs[:limit]
        if "around" in q:
            pivot = int(q["around"])
            older = [m for m in msgs if m.id <= pivot][-(limit // 2 + 1) :]
            newer = [m for m in msgs if m.id > pivot][: limit // 2]
            msgs = older + newer
        msgs = msgs[-limit:]
        return [self.message_payload(m) for m in reversed(msgs)]

    async def _get_message(
        self, request: web.Request, channel_id: str, message_id: str
    ) -> dict[str, Any]:
        ch = self._channel(channel_id)
        return self.message_payload(self._message(ch, message_id))

    async def _edit_message(
        self, request: web.Request, channel_id: str, message_id: str
    ) -> dict[str, Any]:
        ch = self._channel(channel_id)
        msg = self._message(ch, message_id)
        payload, files = await self._read(request)
        if msg.author_id != self.bot_user.id:
            raise ApiError(403, "Cannot edit a message authored by another user", 50005)
        merged = self._merged_for_validation(msg, payload)
        validate_message_payload(merged, n_files=len(files) + len(msg.attachments))
        self._apply_edit(msg, payload, files)
        if self.connected and self.intents & INTENT_GUILD_MESSAGES:
            self._schedule(self.dispatch("MESSAGE_UPDATE", self.message_payload(msg)))
        return self.message_payload(msg)

    def _merged_for_validation(self, msg: SimMessage, payload: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {
            "content": msg.content,
            "embeds": msg.embeds,
            "components": msg.components,
            "flags": msg.flags,
        }
        merged.update({k: v for k, v in payload.items() if k in merged})
        return merged

    async def _delete_message(
        self, request: web.Request, channel_id: str, message_id: str
    ) -> tuple[int, None]:
        ch = self._channel(channel_id)
        msg = self._message(ch, message_id)
        if msg.author_id != self.bot_user.id:
            self._require(ch, MANAGE_MESSAGES)
        msg.deleted = True
        self._echo_delete(msg)
        return 204, None

    def _echo_delete(self, msg: SimMessage) -> None:
        if self.connected and not msg.ephemeral and self.intents & INTENT_GUILD_MESSAGES:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id:
                data["guild_id"] = str(msg.guild_id)
            self._schedule(self.dispatch("MESSAGE_DELETE", data))

    async def _pin(self, request: web.Request, channel_id: str, message_id: str) -> tuple:
        ch = self._channel(channel_id)
        msg = self._message(ch, message_id)
        self._require(ch, MANAGE_MESSAGES)
        msg.pinned = request.method == "PUT"
        return 204, None

    async def _reaction(
        self, request: web.Request, channel_id: str, message_id: str, emoji: str, who: str
    ) -> tuple[int, None]:
        ch = self._channel(channel_id)
        msg = self._message(ch, message_id)
        if ch.type != DM:
            self._require(ch, 1 << 6)
        from urllib.parse import unquote

        name = unquote(emoji)
        if request.method == "PUT" and name not in msg.reactions:
            msg.reactions.append(name)
        elif request.method == "DELETE" and name in msg.reactions:
            msg.reactions.remove(name)
        return 204, None

    async def _no_content_channel(self, request: web.Request, channel_id: str, **_: str) -> tuple:
        self._channel(channel_id)
        return 204, None

    # -- threads / channels
    def _new_thread(
        self, parent: SimChannel, name: str, kind: int, payload: dict[str, Any], tid: int | None
    ) -> SimChannel:
        if not name or len(name) > 100:
            raise ApiError(400, "Invalid Form Body", 50035, {"name": "Must be 1-100 long."})
        assert parent.guild_id is not None
        thread = SimChannel(
            id=tid or snowflakes.next(),
            name=name,
            type=kind,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            auto_archive_duration=int(payload.get("auto_archive_duration") or 1440),
        )
        self.channels[thread.id] = thread
        self._channel_messages[thread.id] = []
        self.threads.append(thread)
        self.guilds[parent.guild_id].threads.append(thread)
        return thread

    def _echo_thread(self, thread: SimChannel) -> None:
        if self.connected:
            data = {**self.channel_payload(thread), "newly_created": True}
            self._schedule(self.dispatch("THREAD_CREATE", data))

    async def _thread_from_msg(
        self, request: web.Request, channel_id: str, message_id: str
    ) -> tuple[int, dict[str, Any]]:
        ch = self._channel(channel_id)
        msg = self._message(ch, message_id)
        payload, _ = await self._read(request)
        if ch.type not in (TEXT, ANNOUNCEMENT):
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        self._require(ch, CREATE_PUBLIC_THREADS)
        if msg.thread is not None:
            raise ApiError(400, "A thread has already been created for this message", 160004)
        thread = self._new_thread(ch, payload.get("name", ""), PUBLIC_THREAD, payload, msg.id)
        msg.thread = thread
        self._echo_thread(thread)
        return 201, self.channel_payload(thread)

    async def _create_thread(
        self, request: web.Request, channel_id: str
    ) -> tuple[int, dict[str, Any]]:
        ch = self._channel(channel_id)
        payload, files = await self._read(request)
        if ch.type == FORUM:
            self._require(ch, SEND_MESSAGES)
            starter = payload.get("message") or {}
            validate_message_payload(starter, n_files=len(files))
            thread = self._new_thread(ch, payload.get("name", ""), PUBLIC_THREAD, payload, None)
            msg = self._new_message(thread, self.bot_user, starter, files, message_id=thread.id)
            self._echo_thread(thread)
            return 201, {**self.channel_payload(thread), "message": self.message_payload(msg)}
        if ch.type not in (TEXT, ANNOUNCEMENT):
            raise ApiError(400, "Cannot execute action on this channel type", 50024)
        kind = int(payload.get("type") or PRIVATE_THREAD)
        self._require(
            ch, CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else CREATE_PUBLIC_THREADS
        )
        thread = self._new_thread(ch, payload.get("name", ""), kind, payload, None)
        self._echo_thread(thread)
        return 201, self.channel_payload(thread)

    async def _get_channel(self, request: web.Request, channel_id: str) -> dict[str, Any]:
        return self.channel_payload(self._channel(channel_id))

    async def _edit_channel(self, request: web.Request, channel_id: str) -> dict[str, Any]:
        ch = self._channel(channel_id)
        payload, _ = await self._read(request)
        if ch.is_thread:
            if ch.owner_id != self.bot_user.id:
                self._require(ch, 1 << 34)
        else:
            self._require(ch, 1 << 4)
        for key in ("name", "topic", "archived", "locked", "auto_archive_duration"):
            if key in payload:
                setattr(ch, key, payload[key])
        if self.connected:
            event = "THREAD_UPDATE" if ch.is_thread else "CHANNEL_UPDATE"
            self._schedule(self.dispatch(event, self.channel_payload(ch)))
        return self.channel_payload(ch)

    async def _delete_channel(self, request: web.Request, channel_id: str) -> dict[str, Any]:
        ch = self._channel(channel_id)
        self._require(ch, (1 << 34) if ch.is_thread else (1 << 4))
        ch.deleted = True
        if self.connected:
            event = "THREAD_DELETE" if ch.is_thread else "CHANNEL_DELETE"
            self._schedule(self.dispatch(event, self.channel_payload(ch)))
        return self.channel_payload(ch)

    async def _create_guild_channel(
        self, request: web.Request, guild_id: str
    ) -> tuple[int, dict[str, Any]]:
        guild = self._guild(guild_id)
        payload, _ = await self._read(request)
        if not self.permissions_for(guild, self.bot_user) & (1 << 4):
            raise ApiError(403, "Missing Permissions", 50013)
        parent = self.channels.get(int(payload["parent_id"])) if payload.get("parent_id") else None
        ch = self.add_channel(guild, payload.get("name", "channel"), int(payload.get("type", 0)))
        ch.parent_id = parent.id if parent else None
        ch.topic = payload.get("topic")
        return 201, self.channel_payload(ch)

    # -- guilds / members / roles
    async def _get_guild(self, request: web.Request, guild_id: str) -> dict[str, Any]:
        return self.guild_payload(self._guild(guild_id))

    async def _get_guild_channels(self, request: web.Request, guild_id: str) -> list:
        guild = self._guild(guild_id)
        return [self.channel_payload(c) for c in guild.channels if not c.deleted]

    async def _get_roles(self, request: web.Request, guild_id: str) -> list[dict[str, Any]]:
        return [r.to_payload() for r in self._guild(guild_id).roles]

    async def _create_role(self, request: web.Request, guild_id: str) -> dict[str, Any]:
        guild = self._guild(guild_id)
        payload, _ = await self._read(request)
        if not self.permissions_for(guild, self.bot_user) & MANAGE_ROLES:
            raise ApiError(403, "Missing Permissions", 50013)
        role = self.add_role(
            guild,
            payload.get("name", "new role"),
            int(payload.get("permissions") or 0),
            color=int(payload.get("color") or 0),
        )
        return role.to_payload()

    async def _list_members(self, request: web.Request, guild_id: str) -> list[dict[str, Any]]:
        guild = self._guild(guild_id)
        limit = int(request.query.get("limit", 1))
        after = int(request.query.get("after", 0))
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )
        return [m.to_payload() for m in members[:limit]]

    async def _get_member(self, request: web.Request, guild_id: str, user_id: str) -> dict:
        guild = self._guild(guild_id)
        member = guild.members.get(int(user_id)) if user_id.isdigit() else None
        if member is None:
            raise ApiError(404, "Unknown Member", 10007)
        return member.to_payload()

    async def _member_role(
        self, request: web.Request, guild_id: str, user_id: str, role_id: str
    ) -> tuple[int, None]:
        guild = self._guild(guild_id)
        member = guild.members.get(int(user_id))
        if member is None:
            raise ApiError(404, "Unknown Member", 10007)
        role = self.roles.get(int(role_id))
        if role is None or role.guild_id != guild.id:
            raise ApiError(404, "Unknown Role", 10011)
        bot_perms = self.permissions_for(guild, self.bot_user)
        bot_top = max(
            (self.roles[r].position for r in guild.members[self.bot_user.id].roles), default=0
        )
        if not bot_perms & MANAGE_ROLES or role.position >= bot_top or role.managed:
            raise ApiError(403, "Missing Permissions", 50013)
        if request.method == "PUT" and role.id not in member.roles:
            member.roles.append(role.id)
        elif request.method == "DELETE" and role.id in member.roles:
            member.roles.remove(role.id)
        if self.connected and self.intents & INTENT_GUILD_MEMBERS:
            payload = {"guild_id": str(guild.id), **member.to_payload()}
            self._schedule(self.dispatch("GUILD_MEMBER_UPDATE", payload))
        return 204, None

    # -- interactions: callback + webhooks
    def _interaction(self, token: str) -> SimInteraction:
        inter = self.interactions.get(token)
        if inter is None:
            raise ApiError(404, "Unknown Webhook", 10015)
        return inter

    async def _callback(
        self, request: web.Request, interaction_id: str, token: str
    ) -> dict[str, Any]:
        arrived = time.monotonic()
        inter = self.interactions.get(token)
        if inter is None or str(inter.id) != interaction_id:
            raise ApiError(404, "Unknown interaction", 10062)
        if inter.callback_arrived_after is None:
            inter.callback_arrived_after = arrived - inter.dispatched_at
        payload, files = await self._read(request)
        if inter.response_type is not None:
            raise ApiError(400, "Interaction has already been acknowledged.", 40060)
        if arrived - inter.dispatched_at > self.interaction_deadline:
            raise ApiError(404, "Unknown interaction", 10062)
        rtype = int(payload.get("type", 0))
        data = payload.get("data") or {}
        msg: SimMessage | None = None
        channel = self.channels[inter.channel_id]
        if rtype == 4:
            validate_message_payload(data, n_files=len(files))
        elif rtype in (6, 7) and inter.source_message is None:
            raise ApiError(400, "Interaction callback type not valid for this interaction", 40005)
        elif rtype == 7:
            src = inter.source_message
            assert src is not None
            merged = self._merged_for_validation(src, data)
            validate_message_payload(merged, n_files=len(files) + len(src.attachments))
        elif rtype == 8:
            if inter.type != 4:
                raise ApiError(400, "Autocomplete only for autocomplete interactions", 40005)
            validate_choices(data.get("choices"))
        elif rtype == 9:
            if inter.type == 5:
                raise ApiError(400, "Cannot respond to a modal submit with a modal", 40005)
            validate_modal(data)
        elif rtype not in (5, 6):
            raise ApiError(400, f"Unsupported interaction callback type {rtype}", 50035)

        if rtype == 4:
            msg = self._new_message(
                channel, self.bot_user, data, files, interaction=inter, msg_type=self._rtype(inter)
            )
            inter.original = msg
            self._echo_create(msg)
        elif rtype == 5:
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
            msg = self._new_message(
                channel,
                self.bot_user,
                {},
                {},
                flags=flags,
                interaction=inter,
                msg_type=self._rtype(inter),
            )
            inter.original = msg
            inter.first_followup_fills_original = True
        elif rtype == 6:
            inter.original = msg = inter.source_message
        elif rtype == 7:
            src = inter.source_message
            assert src is not None
            self._apply_edit(src, data, files)
            inter.original = msg = src
        inter.response_type = rtype
        inter.response_data = data
        inter.responded_at = arrived
        inter.notify()
        body: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(msg and msg.ephemeral),
            },
        }
        if msg is not None:
            body["interaction"]["response_message_id"] = str(msg.id)
        if msg is not None and rtype in (4, 7):
            # Discord: the resource's message is only there for types 4 and 7
            body["resource"] = {"type": rtype, "message": self.message_payload(msg)}
        return body

    @staticmethod
    def _rtype(inter: SimInteraction) -> int:
        return 20 if inter.type == 2 else 0

    async def _followup(self, request: web.Request, app_id: str, token: str) -> Any:
        if app_id != str(self.application_id):
            raise ApiError(404, "Unknown Webhook", 10015)
        inter = self._interaction(token)
        payload, files = await self._read(request)
        if inter.response_type is None:
            raise ApiError(404, "Unknown Webhook", 10015)
        validate_message_payload(payload, n_files=len(files))
        channel = self.channels[inter.channel_id]
        if (
            inter.first_followup_fills_original
            and inter.original is not None
            and not inter.original.deleted
        ):
            # Discord: the first followup after a type-5 deferral replaces the "thinking" message
            # (once that placeholder is deleted, a followup is a new message with its own flags).
            inter.first_followup_fills_original = False
            msg = inter.original
            self._apply_edit(msg, payload, files, count=False)
            msg.flags &= ~LOADING
            self._echo_create(msg)
        else:
            inter.first_followup_fills_original = False
            flags = int(payload.get("flags") or 0)
            msg = self._new_message(
                channel, self.bot_user, payload, files, flags=flags, interaction=inter
            )
            self._echo_create(msg)
        inter.followups.append(msg)
        inter.notify()
        if request.query.get("wait", "false").lower() in ("true", "1"):
            return self.message_payload(msg)
        return 204, None

    def _hook_message(self, inter: SimInteraction, message_id: str) -> SimMessage:
        if message_id == "@original":
            if inter.original is None or inter.original.deleted:
                raise ApiError(404, "Unknown Message", 10008)
            return inter.original
        for msg in inter.followups:
            if str(msg.id) == message_id and not msg.deleted:
                return msg
        raise ApiError(404, "Unknown Message", 10008)

    async def _get_hook_msg(
        self, request: web.Request, app_id: str, token: str, message_id: str
    ) -> dict[str, Any]:
        inter = self._interaction(token)
        return self.message_payload(self._hook_message(inter, message_id))

    async def _edit_hook_msg(
        self, request: web.Request, app_id: str, token: str, message_id: str
    ) -> dict[str, Any]:
        inter = self._interaction(token)
        msg = self._hook_message(inter, message_id)
        payload, files = await self._read(request)
        merged = self._merged_for_validation(msg, payload)
        loading = bool(msg.flags & LOADING)
        validate_message_payload(merged, n_files=len(files) + len(msg.attachments))
        self._apply_edit(msg, payload, files)
        if message_id == "@original":
            inter.original_edited = True
            inter.first_followup_fills_original = False
        if loading:
            self._echo_create(msg)
        inter.notify()
        return self.message_payload(msg)

    async def _delete_hook_msg(
        self, request: web.Request, app_id: str, token: str, message_id: str
    ) -> tuple[int, None]:
        inter = self._interaction(token)
        msg = self._hook_message(inter, message_id)
        msg.deleted = True
        if message_id == "@original":
            inter.original_edited = True
        self._echo_delete(msg)
        inter.notify()
        return 204, None

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.gateway_connects += 1
        self._sockets.add(ws)
        transport = request.transport
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        )
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                msg = json.loads(frame.data)
                await self._on_gateway_op(ws, transport, msg)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._sockets.discard(ws)
            if self._ws is ws:
                self._ws = None
        return ws

    async def _on_gateway_op(self, ws: web.WebSocketResponse, transport: Any, msg: dict) -> None:
        op = msg.get("op")
        data: Any = msg.get("d") or {}
        if op == 1:
            await ws.send_str(json.dumps({"op": 11}))
        elif op == 2:
            if data.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            intents = int(data.get("intents", 0))
            privileged = intents & ((1 << 1) | (1 << 8) | (1 << 15))
            if privileged & ~self.allowed_privileged_intents:
                await ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            self.identify_payload = data
            self.intents = intents
            self.identifies += 1
            await self._start_session(ws, transport)
        elif op == 6:
            if data.get("token") != self.token or data.get("session_id") != self._session_id:
                await ws.send_str(json.dumps({"op": 9, "d": False}))
                return
            self._ws, self._ws_transport = ws, transport
            self.resumes += 1
            async with self._send_lock:
                since = int(data.get("seq") or 0)
                for frame in self._event_log:
                    if frame["s"] > since:
                        await ws.send_str(json.dumps(frame))
                self._seq += 1
                frame = {"op": 0, "t": "RESUMED", "s": self._seq, "d": {}}
                self._event_log.append(frame)
                await ws.send_str(json.dumps(frame))
            self._reconnected.set()
        elif op == 3:
            self.presence = data
        elif op == 8:
            await self._member_chunk(data)

    async def _start_session(self, ws: web.WebSocketResponse, transport: Any) -> None:
        async with self._send_lock:
            self._session_id = uuid.uuid4().hex
            self._seq = 0
            self._event_log = []
            self._ws, self._ws_transport = ws, transport
        live = [g for g in self.guilds.values() if not g.removed]
        ready = {
            "v": 10,
            "user": {**self.bot_user.to_payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in live],
            "session_id": self._session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "user_settings": {},
            "application": {"id": str(self.application_id), "flags": (1 << 19) | (1 << 23)},
            "_trace": ["sim"],
        }
        await self.dispatch("READY", ready)
        for guild in live:
            await self._send_guild_create(guild)
        self.ready_event.set()
        self._reconnected.set()

    async def _send_guild_create(self, guild: SimGuild) -> None:
        await self.dispatch("GUILD_CREATE", self.guild_payload(guild, gateway=True))

    async def _member_chunk(self, data: dict[str, Any]) -> None:
        guild = self.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            ids = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.user.id in ids]
        elif data.get("query"):
            members = [m for m in members if m.user.name.startswith(data["query"])]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.to_payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH event (queued for replay on RESUME if disconnected)."""
        async with self._send_lock:
            self._seq += 1
            frame = {"op": 0, "t": event, "s": self._seq, "d": data}
            self._event_log.append(frame)
            self.gateway_events.append((event, data))
            ws = self._ws
            if ws is None or ws.closed:
                return
            if self._latency is not None:
                self._enqueue(ws, json.dumps(frame))
                return
            try:
                await ws.send_str(json.dumps(frame))
            except (ConnectionResetError, RuntimeError):
                log.debug("gateway send failed; event kept for replay")

    def _enqueue(self, ws: web.WebSocketResponse, text: str) -> None:
        """Send a frame after its latency, never before the frames queued ahead of it."""
        loop = asyncio.get_running_loop()
        due = max(loop.time() + self._delay(), self._outbox_due)
        self._outbox_due = due
        self._outbox.append((due, ws, text))
        self._queued += 1
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_outbox())

    async def _write_outbox(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._outbox:
                due, ws, text = self._outbox[0]
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._outbox.popleft()
                # a frame for a closed connection stays in the event log for a RESUME
                if not ws.closed and ws is self._ws:
                    try:
                        await ws.send_str(text)
                    except (ConnectionResetError, RuntimeError):
                        log.debug("gateway send failed; event kept for replay")
                self._sent += 1
                self._sent_one.set()
        finally:
            self._sent_one.set()

    async def drop_gateway(
        self,
        resume: bool = True,
        *,
        abrupt: bool = False,
        wait: bool = True,
        timeout: float = 10,
    ) -> None:
        """Close the bot's websocket (4000) so it reconnects; resume=False invalidates it."""
        await self.flush()
        ws = self._ws
        if ws is None:
            raise RuntimeError("no gateway connection to drop")
        self._reconnected = asyncio.Event()
        if not resume:
            self._session_id = None
        self._ws = None
        if abrupt and self._ws_transport is not None:
            self._ws_transport.abort()
        else:
            await ws.close(code=4000, message=b"simulated drop")
        if wait:
            try:
                await asyncio.wait_for(self._reconnected.wait(), timeout)
            except TimeoutError:
                raise TimeoutError(f"bot did not reconnect within {timeout}s") from None

    async def wait_reconnected(self, timeout: float = 10) -> None:
        """Wait until the bot resumed or re-identified after a drop."""
        await asyncio.wait_for(self._reconnected.wait(), timeout)

    async def wait_for_bot(
        self,
        timeout: float = 10,
        *,
        wait_for_sync: bool | None = None,
        sync_grace: float = 1.0,
    ) -> None:
        """Wait until READY+guilds were sent and the bot synced commands (or a grace period)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await asyncio.wait_for(self.ready_event.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"bot did not IDENTIFY within {timeout}s (connects={self.gateway_connects}, "
                f"requests={self.requests[-5:]}, server_errors={self.server_errors[-1:]})"
            ) from None
        if wait_for_sync is False or self.commands_synced.is_set():
            await self.flush()
            return
        remaining = deadline - loop.time()
        wait = remaining if wait_for_sync else min(sync_grace, remaining)
        try:
            await asyncio.wait_for(self.commands_synced.wait(), max(wait, 0))
        except TimeoutError:
            if wait_for_sync:
                raise TimeoutError(f"bot did not sync its commands within {timeout}s") from None
        await self.flush()

    # ------------------------------------------------------------------ simulated users
    async def post_message(
        self,
        guild: SimGuild | None,
        user: SimUser,
        channel: SimChannel | None = None,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
    ) -> SimMessage:
        """A user posts a message (MESSAGE_CREATE; content hidden without the content intent)."""
        await self.flush()
        if channel is None:
            if guild is None:
                raise SimValidationError("post_message needs a guild or a channel")
            channel = guild.general
        msg = SimMessage(
            id=snowflakes.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=user.id,
            content=content,
            embeds=list(embeds or []),
        )
        self._store_message(msg)
        wanted = INTENT_DIRECT_MESSAGES if channel.guild_id is None else INTENT_GUILD_MESSAGES
        if self.intents & wanted:
            data = self.message_payload(msg)
            mentioned = str(self.bot_user.id) in content
            if not self.intents & INTENT_MESSAGE_CONTENT and not mentioned and channel.type != DM:
                data.update({"content": "", "embeds": [], "attachments": [], "components": []})
            if guild is not None and user.id in guild.members:
                data["member"] = guild.members[user.id].to_payload(with_user=False)
            await self.dispatch("MESSAGE_CREATE", data)
        return msg

    # ------------------------------------------------------------------ interactions
    def _commands_for(self, guild: SimGuild | None) -> list[dict[str, Any]]:
        cmds = list(self.guild_commands.get(guild.id, [])) if guild else []
        return cmds + list(self.global_commands)

    def _resolve_entity(self, value: Any) -> SimUser | SimChannel | SimRole | None:
        if isinstance(value, (SimUser, SimChannel, SimRole)):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return self.users.get(value) or self.channels.get(value) or self.roles.get(value)

    def _add_resolved(
        self,
        guild: SimGuild | None,
        channel: SimChannel,
        entity: SimUser | SimChannel | SimRole,
        resolved: dict[str, dict[str, Any]],
    ) -> None:
        key = str(entity.id)
        if isinstance(entity, SimUser):
            resolved.setdefault("users", {})[key] = entity.to_payload()
            if guild is not None and entity.id in guild.members:
                perms = self.permissions_for(guild, entity, channel)
                member = guild.members[entity.id].to_payload(permissions=perms, with_user=False)
                resolved.setdefault("members", {})[key] = member
        elif isinstance(entity, SimRole):
            resolved.setdefault("roles", {})[key] = entity.to_payload()
        else:
            data: dict[str, Any] = {"id": key, "name": entity.name, "type": entity.type}
            if guild is not None:
                data["permissions"] = str(self.permissions_for(guild, self.bot_user, entity))
            if entity.guild_id is not None:
                data["guild_id"] = str(entity.guild_id)
            if entity.parent_id is not None:
                data["parent_id"] = str(entity.parent_id)
            if entity.is_thread:
                data["thread_metadata"] = self.channel_payload(entity)["thread_metadata"]
            resolved.setdefault("channels", {})[key] = data

    def _option_value(
        self,
        guild: SimGuild | None,
        channel: SimChannel,
        spec: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        label: str,
        *,
        loose: bool = False,
    ) -> Any:
        kind = spec["type"]
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            entity = self._resolve_entity(value)
            allowed: tuple[type, ...] = {
                USER: (SimUser,),
                CHANNEL: (SimChannel,),
                ROLE: (SimRole,),
                MENTIONABLE: (SimUser, SimRole),
            }[kind]
            if entity is None or not isinstance(entity, allowed):
                names = "/".join(t.__name__ for t in allowed)
                raise SimValidationError(f"{label}: expected a {names} (or its id), got {value!r}")
            if kind == CHANNEL and isinstance(entity, SimChannel):
                types = spec.get("channel_types")
                if types and entity.type not in types and not loose:
                    raise SimValidationError(
                        f"{label}: channel type {entity.type} not in channel_types {types}"
                    )
            self._add_resolved(guild, channel, entity, resolved)
            return str(entity.id)
        if kind == ATTACHMENT:
            return self._attachment_option(value, resolved, label)
        if not loose:
            check_value(spec, value, label)
        return value

    def _attachment_option(self, value: Any, resolved: dict, label: str) -> str:
        if isinstance(value, dict):
            filename = value["filename"]
            blob = value["data"]
            ctype = value.get("content_type", "application/octet-stream")
        elif isinstance(value, tuple) and len(value) in (2, 3):
            filename, blob = value[0], value[1]
            ctype = value[2] if len(value) == 3 else "application/octet-stream"
        else:
            raise SimValidationError(f"{label}: attachments are (filename, bytes[, content_type])")
        if not isinstance(blob, bytes):
            raise SimValidationError(f"{label}: attachment data must be bytes")
        aid = snowflakes.next()
        self._blobs[aid] = blob
        url = f"{self.http_base}/cdn/attachments/0/{aid}/{filename}"
        resolved.setdefault("attachments", {})[str(aid)] = {
            "id": str(aid),
            "filename": filename,
            "size": len(blob),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
        }
        return str(aid)

    def _build_options(
        self,
        guild: SimGuild | None,
        channel: SimChannel,
        cmd: dict[str, Any],
        path: str,
        values: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        *,
        focused: str | None = None,
        unchecked: bool = False,
    ) -> list[dict[str, Any]]:
        chain, specs = resolve_path(cmd, path)
        label_base = "/" + " ".join([cmd["name"], *chain])
        by_name = {s["name"]: s for s in specs}
        for name in values:
            if name not in by_name:
                raise SimValidationError(
                    f"{label_base}: unknown option {name!r}; options: {list(by_name)}"
                )
        if focused is None:
            for spec in specs:
                if spec.get("required") and values.get(spec["name"]) is None:
                    raise SimValidationError(
                        f"{label_base}: missing required option {spec['name']!r}"
                    )
        else:
            if focused not in by_name:
                raise SimValidationError(f"{label_base}: unknown focused option {focused!r}")
            if not by_name[focused].get("autocomplete"):
                raise SimValidationError(f"{label_base}: option {focused!r} has no autocomplete")
        leaf: list[dict[str, Any]] = []
        for name, value in values.items():
            if value is None:
                continue
            spec = by_name[name]
            label = f"{label_base} {name}"
            is_focused = name == focused
            opt: dict[str, Any] = {
                "name": name,
                "type": spec["type"],
                "value": self._option_value(
                    guild,
                    channel,
                    spec,
                    value,
                    resolved,
                    label,
                    loose=focused is not None or unchecked,
                ),
            }
            if is_focused:
                opt["focused"] = True
            leaf.append(opt)
        options = leaf
        for depth in range(len(chain) - 1, -1, -1):
            kind = 1 if depth == len(chain) - 1 else 2
            options = [{"name": chain[depth], "type": kind, "options": options}]
        return options

    def _base_interaction(
        self,
        kind: int,
        guild: SimGuild | None,
        user: SimUser,
        channel: SimChannel,
        locale: str,
    ) -> tuple[SimInteraction, dict[str, Any]]:
        iid = snowflakes.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
        }
        if guild is not None:
            perms = self.permissions_for(guild, user, channel)
            channel_obj = {**self.channel_payload(channel), "permissions": str(perms)}
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {
                        "id": str(guild.id),
                        "locale": guild.locale,
                        "features": guild.features,
                    },
                    "guild_locale": guild.locale,
                    "member": guild.members[user.id].to_payload(permissions=perms),
                    "app_permissions": str(self._bot_perms(channel)),
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "context": 0,
                    "channel": channel_obj,
                }
            )
        else:
            payload.update(
                {
                    "user": user.to_payload(),
                    "app_permissions": str(self._bot_perms(channel)),
                    "authorizing_integration_owners": {"0": "0"},
                    "context": 1,
                    "channel": self.channel_payload(channel),
                }
            )
        inter = SimInteraction(
            id=iid,
            token=token,
            type=kind,
            payload=payload,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            user=user,
            name="",
            dispatched_at=time.monotonic(),
        )
        return inter, payload

    def _pick_channel(
        self, guild: SimGuild | None, user: SimUser, channel: SimChannel | None
    ) -> SimChannel:
        if guild is None:
            if channel is not None:
                return channel
            ch = self.dm_channels.get(user.id)
            if ch is None:
                ch = SimChannel(
                    id=snowflakes.next(), name="", type=DM, guild_id=None, recipient=user
                )
                self.dm_channels[user.id] = ch
                self.channels[ch.id] = ch
                self._channel_messages[ch.id] = []
            return ch
        if guild.removed:
            raise SimValidationError(f"the bot is no longer in guild {guild.name!r}")
        if user.id not in guild.members:
            raise SimValidationError(f"{user.name!r} is not a member of guild {guild.name!r}")
        ch = channel or guild.general
        if ch.guild_id != guild.id:
            raise SimValidationError(f"channel {ch.name!r} is not in guild {guild.name!r}")
        if ch.deleted:
            raise SimValidationError(f"channel {ch.name!r} was deleted")
        if not self.permissions_for(guild, user, ch) & VIEW_CHANNEL:
            raise SimValidationError(f"{user.name!r} cannot see channel {ch.name!r}")
        return ch

    def _check_command_access(
        self,
        guild: SimGuild | None,
        user: SimUser,
        channel: SimChannel,
        cmd: dict[str, Any],
    ) -> None:
        if guild is None:
            contexts = cmd.get("contexts")
            if cmd.get("guild_id") or cmd.get("dm_permission") is False:
                raise SimValidationError(f"/{cmd['name']} is not available in DMs")
            if contexts is not None and 1 not in contexts:
                raise SimValidationError(f"/{cmd['name']} is not available in bot DMs")
            return
        contexts = cmd.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise SimValidationError(f"/{cmd['name']} is not available in guilds")
        required = cmd.get("default_member_permissions")
        if required is not None:
            need = int(required) or ADMINISTRATOR  # "0" = administrators only
            have = self.permissions_for(guild, user, channel)
            if have & need != need:
                raise SimValidationError(
                    f"/{cmd['name']} requires default_member_permissions {need} "
                    f"which {user.name!r} lacks (Discord hides the command)"
                )

    async def _run(
        self,
        inter: SimInteraction,
        payload: dict[str, Any],
        wait: bool,
        timeout: float,
    ) -> InteractionResult:
        self.interactions[inter.token] = inter
        self._interactions_by_id[inter.id] = inter
        inter.dispatched_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        result = InteractionResult(inter)
        if wait:
            await self._wait_settled(inter, timeout)
        return result

    async def _wait_settled(self, inter: SimInteraction, timeout: float) -> None:
        result = InteractionResult(inter)
        try:
            await result.wait_until(lambda: inter.settled, timeout, "the response")
        except TimeoutError:
            if inter.response_type is None:
                why = "the bot never answered (no interaction callback)"
            else:
                why = f"the bot deferred (type {inter.response_type}) but never followed up/edited"
            hint = "" if self.connected else " [gateway not connected]"
            raise TimeoutError(
                f"{inter.name!r}: {why} within {timeout}s{hint}. Check the bot log for an "
                f"exception in the handler. server_errors={self.server_errors[-1:]}"
            ) from None

    async def invoke(
        self,
        guild: SimGuild | None,
        user: SimUser,
        command: str,
        options: dict[str, Any] | None = None,
        channel: SimChannel | None = None,
        *,
        locale: str = "en-US",
        timeout: float = 5.0,
        wait: bool = True,
        enforce_permissions: bool = True,
        unchecked: bool = False,
    ) -> InteractionResult:
        """Run a slash command as `user` (validated against the registered commands).

        `unchecked=True` sends option values Discord's client would refuse (out-of-range
        numbers, strings outside choices, channels of other types), as a hand-made API call can.
        """
        await self.flush()
        ch = self._pick_channel(guild, user, channel)
        cmd = find_command(self._commands_for(guild), command)
        if enforce_permissions:
            self._check_command_access(guild, user, ch, cmd)
        resolved: dict[str, dict[str, Any]] = {}
        opts = self._build_options(
            guild, ch, cmd, command, dict(options or {}), resolved, unchecked=unchecked
        )
        inter, payload = self._base_interaction(2, guild, user, ch, locale)
        inter.name = "/" + " ".join(command.split())
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload["data"] = data
        return await self._run(inter, payload, wait, timeout)

    async def invoke_context_menu(
        self,
        guild: SimGuild,
        user: SimUser,
        name: str,
        target: SimUser | SimMessage,
        channel: SimChannel | None = None,
        *,
        timeout: float = 5.0,
        wait: bool = True,
    ) -> InteractionResult:
        """Run a user (type 2) or message (type 3) context-menu command on `target`."""
        await self.flush()
        ch = self._pick_channel(guild, user, channel)
        kind = 2 if isinstance(target, SimUser) else 3
        cmd = find_command(self._commands_for(guild), name, cmd_type=kind)
        self._check_command_access(guild, user, ch, cmd)
        resolved: dict[str, dict[str, Any]] = {}
        if isinstance(target, SimUser):
            self._add_resolved(guild, ch, target, resolved)
        else:
            resolved["messages"] = {str(target.id): self.message_payload(target)}
        inter, payload = self._base_interaction(2, guild, user, ch, "en-US")
        inter.name = name
        payload["data"] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": kind,
            "target_id": str(target.id),
            "resolved": resolved,
        }
        if cmd.get("guild_id"):
            payload["data"]["guild_id"] = cmd["guild_id"]
        return await self._run(inter, payload, wait, timeout)

    async def autocomplete(
        self,
        guild: SimGuild | None,
        user: SimUser,
        command: str,
        options: dict[str, Any],
        focused: str,
        channel: SimChannel | None = None,
        *,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Ask the bot for autocomplete choices of option `focused`; returns [{name, value}]."""
        await self.flush()
        ch = self._pick_channel(guild, user, channel)
        cmd = find_command(self._commands_for(guild), command)
        resolved: dict[str, dict[str, Any]] = {}
        opts = self._build_options(
            guild, ch, cmd, command, dict(options), resolved, focused=focused
        )
        inter, payload = self._base_interaction(4, guild, user, ch, "en-US")
        inter.name = f"/{' '.join(command.split())} (autocomplete {focused})"
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload["data"] = data
        result = await self._run(inter, payload, True, timeout)
        return result.choices

    async def click(
        self,
        guild: SimGuild | None,
        user: SimUser,
        message: SimMessage,
        custom_id: str,
        values: list[Any] | None = None,
        *,
        timeout: float = 5.0,
        wait: bool = True,
    ) -> InteractionResult:
        """Click a button (or choose select `values`) on a message the bot sent."""
        await self.flush()
        if message.deleted:
            raise SimValidationError(f"message {message.id} was deleted")
        channel = self.channels[message.channel_id]
        ch = self._pick_channel(guild, user, channel)
        if message.ephemeral and message.interaction_user_id not in (None, user.id):
            raise SimValidationError("only the invoking user can see this ephemeral message")
        comp = message.find_component(custom_id)
        if comp is None:
            raise SimValidationError(
                f"message {message.id} has no component {custom_id!r}; has {message.custom_ids()}"
            )
        if comp.get("disabled"):
            raise SimValidationError(f"component {custom_id!r} is disabled")
        ctype = comp["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        numbered = walk_components(numbered_components(message.components))
        data["id"] = next(c["id"] for c in numbered if c.get("custom_id") == custom_id)
        if ctype == 2:
            if values is not None:
                raise SimValidationError("buttons take no values")
        else:
            data["values"], resolved = self._select_values(guild, ch, comp, values)
            if resolved:
                data["resolved"] = resolved
        inter, payload = self._base_interaction(3, guild, user, ch, "en-US")
        inter.name = f"component {custom_id!r}"
        inter.source_message = message
        payload["message"] = self.message_payload(message)
        payload["data"] = data
        return await self._run(inter, payload, wait, timeout)

    def _select_values(
        self,
        guild: SimGuild | None,
        channel: SimChannel,
        comp: dict[str, Any],
        values: list[Any] | None,
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        cid = comp.get("custom_id")
        if values is None:
            raise SimValidationError(f"select {cid!r} needs values=[...]")
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise SimValidationError(f"select {cid!r}: {len(values)} values, allowed {lo}..{hi}")
        resolved: dict[str, dict[str, Any]] = {}
        if comp["type"] == 3:
            allowed = [o["value"] for o in comp.get("options", [])]
            for v in values:
                if v not in allowed:
                    raise SimValidationError(f"select {cid!r}: {v!r} not among {allowed}")
            return [str(v) for v in values], resolved
        out = []
        for v in values:
            entity = self._resolve_entity(v)
            if entity is None:
                raise SimValidationError(f"select {cid!r}: unknown entity {v!r}")
            self._add_resolved(guild, channel, entity, resolved)
            out.append(str(entity.id))
        return out, resolved

    async def submit_modal(
        self,
        guild: SimGuild | None,
        user: SimUser,
        opened_by: InteractionResult,
        values: dict[str, Any],
        *,
        timeout: float = 5.0,
        wait: bool = True,
    ) -> InteractionResult:
        """Submit the modal the bot opened in `opened_by` with {custom_id: value}."""
        await self.flush()
        modal = opened_by.modal
        if modal is None:
            raise SimValidationError("that interaction did not open a modal")
        source = opened_by._i
        ch = self._pick_channel(guild, user, self.channels[source.channel_id])
        inputs = {
            c["custom_id"]: c
            for c in walk_components(modal.get("components", []))
            if c.get("type") in (3, 4, 5, 6, 7, 8) and "custom_id" in c
        }
        for key in values:
            if key not in inputs:
                raise SimValidationError(f"modal has no input {key!r}; inputs: {list(inputs)}")
        for key, comp in inputs.items():
            val = values.get(key)
            if comp["type"] == 4:
                if comp.get("required", True) and not val:
                    raise SimValidationError(f"modal input {key!r} is required")
                if val is not None:
                    if not isinstance(val, str):
                        raise SimValidationError(f"modal input {key!r} takes a string")
                    if len(val) < comp.get("min_length", 0):
                        raise SimValidationError(f"modal input {key!r} shorter than min_length")
                    if len(val) > comp.get("max_length", 4000):
                        raise SimValidationError(f"modal input {key!r} longer than max_length")
        resolved: dict[str, dict[str, Any]] = {}

        def submitted(comp: dict[str, Any]) -> dict[str, Any]:
            cid = comp["custom_id"]
            out: dict[str, Any] = {"type": comp["type"], "custom_id": cid}
            if "id" in comp:
                out["id"] = comp["id"]
            if comp["type"] == 4:
                out["value"] = values.get(cid) or ""
            else:
                vals = values.get(cid) or []
                out["values"], res = self._select_values(guild, ch, comp, list(vals))
                for k, v in res.items():
                    resolved.setdefault(k, {}).update(v)
            return out

        rows: list[dict[str, Any]] = []
        for top in modal.get("components", []):
            if top.get("type") == 1:
                kids = [submitted(c) for c in top.get("components", []) if c.get("custom_id")]
                rows.append({"type": 1, "components": kids})
            elif top.get("type") == 18 and isinstance(top.get("component"), dict):
                inner = top["component"]
                if inner.get("custom_id"):
                    rows.append({"type": 18, "id": top.get("id", 0), "component": submitted(inner)})
        inter, payload = self._base_interaction(5, guild, user, ch, "en-US")
        inter.name = f"modal {modal.get('custom_id')!r}"
        inter.source_message = source.source_message
        inter.trigger = source
        if source.source_message is not None:
            payload["message"] = self.message_payload(source.source_message)
        data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": rows}
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        return await self._run(inter, payload, wait, timeout)
