"""Exactly-once delivery of scheduled posts: claim → send with the claim's nonce → record.

A feature claims an occurrence and, in the same transaction, puts a row in the outbox
(`Outbox.enqueue`). Only the outbox sends. Each attempt sends the row's nonce with
``enforce_nonce``, so Discord answers a repeat within its window (a few minutes) with the
message it already created instead of making a second one. An attempt that Discord answered
with a 5xx, that timed out, or that a crash interrupted leaves the row unconfirmed; the next
run settles it:

* while the nonce is still fresh (`NONCE_WINDOW` after the first attempt), it is resent with
  the same nonce;
* after that, the bot's own messages in the channel around the attempts are searched for the
  post; found, it is recorded, otherwise it is sent again.

A message that was created gets its discussion thread next; a thread create that is retried
after the thread was in fact made is answered by Discord with 160004, and a thread started on
a message shares the message's id, so the thread is never lost either. A post that cannot be
sent within its grace (`give_up_at`) fails for good and its feature is told, once.

Several processes may share one database (PostgreSQL). A process sends a row only while it
holds the row's lease: one UPDATE takes a batch of due rows whose lease is free (`FOR UPDATE
SKIP LOCKED` on PostgreSQL, so two processes do not even wait for each other), a heartbeat
renews the leases while their posts are in flight, and they are given back when the run ends.
A lease left by a process that died runs out after `LEASE`; one left by a dead process on this
machine (a SIGKILL, a crash) is taken back at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiohttp
import discord

from bot.clock import db_time, parse_db_time, parse_db_time_or_none
from bot.database import Row, Tx

if TYPE_CHECKING:
    from bot.client import StudyBot

log = logging.getLogger(__name__)

#: How long after the first attempt a resend may rely on Discord's nonce check. Discord
#: documents "the past few minutes"; this stays well inside two.
NONCE_WINDOW = timedelta(seconds=90)
#: Attempts within one run before the row waits for the next run.
SEND_ATTEMPTS = 3
RETRY_DELAYS = (0.5, 2.0)
#: Waits before the next run retries a row that failed every attempt of a run.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))
#: A single request that takes longer than this is treated as timed out (and settled later).
REQUEST_TIMEOUT = 20.0
#: Posts in flight at once: enough to keep the rate budget busy at real latency.
DEFAULT_CONCURRENCY = 16
#: The messages read per channel when looking for an unconfirmed post.
HISTORY_LIMIT = 200
#: A thread started from a message when the thread already exists.
THREAD_ALREADY_CREATED = 160004
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: open until the next post
#: How long a process holds the rows it took without renewing them: longer than any pause
#: of a healthy process, short enough that a process that died hands its posts on soon.
LEASE = timedelta(seconds=60)
#: How often the leases of posts in flight are renewed.
LEASE_RENEW_SECONDS = 15.0
#: Rows taken per lease statement (more are taken as workers finish them).
LEASE_BATCH = 64

Failure = Literal["gone", "forbidden", "expired", "invalid"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to send: text, embeds (as dicts) and the roles it may ping.

    `thread_name`, when a render sets it, names the discussion thread of a post enqueued with
    one (the name given at enqueue time was the feature's guess before its claim decided).
    It lives in the row's own column, not in the stored message.
    """

    content: str | None
    embeds: list[dict[str, Any]]
    role_ids: tuple[int, ...] = ()
    thread_name: str | None = None

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {"content": self.content, "embeds": self.embeds, "role_ids": list(self.role_ids)},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Rendered:
        """Read the stored form back."""
        data = json.loads(text)
        return cls(data.get("content"), list(data.get("embeds") or []), tuple(data["role_ids"]))

    @classmethod
    def of(
        cls,
        content: str | None,
        embeds: Sequence[discord.Embed],
        role_ids: Sequence[int] = (),
        *,
        thread_name: str | None = None,
    ) -> Rendered:
        """Render discord.py embeds into a storable message."""
        embed_dicts = [dict(embed.to_dict()) for embed in embeds]
        return cls(content, embed_dicts, tuple(role_ids), thread_name)


@dataclass(frozen=True, slots=True)
class NewPost:
    """A post to put in the outbox together with the feature's claim."""

    kind: str
    ref: int | None
    guild_id: int
    channel_id: int
    due_at: datetime
    give_up_at: datetime
    payload: Rendered | None = None
    thread_name: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """One outbox row."""

    id: int
    kind: str
    ref: int | None
    guild_id: int
    channel_id: int
    nonce: str
    payload: Rendered | None
    thread_name: str | None
    status: str
    due_at: datetime
    give_up_at: datetime
    next_attempt_at: datetime
    first_attempt_at: datetime | None  # wall-clock time, as Discord's
    last_attempt_at: datetime | None
    attempts: int
    message_id: int | None
    thread_id: int | None

    @classmethod
    def from_row(cls, row: Row) -> Post:
        """Build a post from its row."""

        def when(key: str) -> datetime | None:
            return parse_db_time_or_none(row[key])

        return cls(
            id=row["id"],
            kind=row["kind"],
            ref=row["ref"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            nonce=row["nonce"],
            payload=Rendered.from_json(row["payload"]) if row["payload"] else None,
            thread_name=row["thread_name"],
            status=row["status"],
            due_at=parse_db_time(row["due_at"]),
            give_up_at=parse_db_time(row["give_up_at"]),
            next_attempt_at=parse_db_time(row["next_attempt_at"]),
            first_attempt_at=when("first_attempt_at"),
            last_attempt_at=when("last_attempt_at"),
            attempts=row["attempts"],
            message_id=row["message_id"],
            thread_id=row["thread_id"],
        )


class PostKind(Protocol):
    """What a feature tells the outbox about its posts."""

    async def render(self, post: Post) -> Rendered | None:
        """Build the message of a row enqueued without one; None: nothing to post."""

    async def delivered(self, post: Post, message_id: int, thread_id: int | None) -> None:
        """The post is in the channel (and its thread open, when it has one)."""

    async def failed(self, post: Post, reason: Failure, detail: str) -> None:
        """The post will not be sent: pause, give back, tell the admins (once)."""


class _Retry(Exception):
    """Every attempt of this run failed in a way that may pass (5xx, timeout, network)."""


class _Refused(Exception):
    """Discord refused the post for good."""

    def __init__(self, reason: Failure, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


_TRANSIENT = (discord.DiscordServerError, aiohttp.ClientError, OSError, TimeoutError)


def _refusal(exc: discord.HTTPException) -> _Refused:
    if isinstance(exc, discord.NotFound):
        return _Refused("gone", f"the channel no longer exists ({exc.code or 404})")
    if isinstance(exc, discord.Forbidden):
        return _Refused("forbidden", f"StudyBot may not post there ({exc.code or 403})")
    return _Refused("invalid", f"Discord refused the post: {exc.status} {exc.text[:200]}")


#: The lease holders of the Outboxes alive in this process (an Outbox that drained, or was
#: collected, is gone from it: its leases may be taken back at once).
_LIVE_HOLDERS: weakref.WeakValueDictionary[str, Outbox] = weakref.WeakValueDictionary()
_HOST = socket.gethostname()


def _holder_is_gone(holder: str) -> bool:
    """Whether a lease holder is a process (or an Outbox) on this machine that is no more.

    A holder is `host:pid:token`. Only this machine's processes can be checked: a holder
    elsewhere is taken to be alive, and its leases run out by themselves.
    """
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != _HOST:
        return False
    if pid == os.getpid():
        return holder not in _LIVE_HOLDERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


class Outbox:
    """Sends the outbox's rows with bounded concurrency through the bot's rate budget."""

    def __init__(self, bot: StudyBot, *, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.bot = bot
        self.db = bot.db
        self.kinds: dict[str, PostKind] = {}
        self.concurrency = max(1, concurrency)
        self._slots = asyncio.Semaphore(self.concurrency)
        self._lock = asyncio.Lock()
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._recovered = False
        #: Who holds a lease (`lease_holder`): this machine, this process, this Outbox.
        self.holder = f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"
        _LIVE_HOLDERS[self.holder] = self
        #: A single request that takes longer than this is treated as timed out.
        self.request_timeout = REQUEST_TIMEOUT
        #: How long after its first attempt a post may be resent relying on the nonce.
        self.nonce_window = NONCE_WINDOW
        #: How long a lease lasts without renewal, and how often it is renewed.
        self.lease = LEASE
        self.lease_renew_seconds = LEASE_RENEW_SECONDS
        self.sent = 0
        self.resent = 0
        self.found = 0
        # The one dialect difference here: PostgreSQL skips rows another process is taking.
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""

    def register(self, kind: str, handler: PostKind) -> None:
        """Say how a feature renders its posts and hears about their fate."""
        self.kinds[kind] = handler

    # -- enqueueing ---------------------------------------------------------------------------

    @staticmethod
    async def enqueue(tx: Tx, post: NewPost, now: datetime) -> int:
        """Add a post inside the caller's (claim) transaction; returns its id."""
        post_id = await tx.fetch_value(
            "INSERT INTO outbox (kind, ref, guild_id, channel_id, nonce, payload, thread_name, "
            "created_at, due_at, give_up_at, next_attempt_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                post.kind,
                post.ref,
                post.guild_id,
                post.channel_id,
                # Unique until the row has its id (the same transaction replaces it).
                f"new-{secrets.token_hex(8)}",
                post.payload.to_json() if post.payload is not None else None,
                post.thread_name,
                db_time(now),
                db_time(post.due_at),
                db_time(post.give_up_at),
                db_time(now),
            ),
        )
        assert post_id is not None
        # The nonce is the row's own id, unique for the bot (Discord allows 25 characters).
        await tx.execute(
            "UPDATE outbox SET nonce = ? WHERE id = ?", (f"studybot-{post_id}", post_id)
        )
        return int(post_id)

    # -- reading ------------------------------------------------------------------------------

    async def post(self, post_id: int) -> Post | None:
        """One row."""
        row = await self.db.fetch_one("SELECT * FROM outbox WHERE id = ?", (post_id,))
        return Post.from_row(row) if row is not None else None

    async def posts(self, kind: str | None = None) -> list[Post]:
        """Every row (of a kind), oldest first."""
        if kind is None:
            rows = await self.db.fetch_all("SELECT * FROM outbox ORDER BY id")
        else:
            rows = await self.db.fetch_all(
                "SELECT * FROM outbox WHERE kind = ? ORDER BY id", (kind,)
            )
        return [Post.from_row(row) for row in rows]

    async def next_due(self) -> datetime | None:
        """When the earliest unconfirmed post should be tried next (after its lease, if any)."""
        if not self._recovered:
            # At start-up, posts a crashed run left leased are due now, not when it runs out.
            await self.free_dead_leases()
            self._recovered = True
        value = await self.db.fetch_value(
            "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at "
            "THEN lease_until ELSE next_attempt_at END) "
            "FROM outbox WHERE status IN ('pending', 'sent')"
        )
        return parse_db_time_or_none(value)

    async def unconfirmed(self) -> int:
        """How many posts are not yet confirmed."""
        value = await self.db.fetch_value(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sent')"
        )
        return int(value or 0)

    # -- leases -------------------------------------------------------------------------------

    async def free_dead_leases(self) -> int:
        """Give back the leases of processes on this machine that died; returns how many."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT lease_holder FROM outbox "
            "WHERE lease_holder IS NOT NULL AND status IN ('pending', 'sent')"
        )
        freed = 0
        for row in rows:
            holder = str(row[0])
            if holder != self.holder and _holder_is_gone(holder):
                count = await self.db.execute(
                    "UPDATE outbox SET lease_holder = NULL, lease_until = NULL "
                    "WHERE lease_holder = ?",
                    (holder,),
                )
                log.info("took back %d outbox posts from %s, which is gone", count, holder)
                freed += count
        return freed

    async def take(self, moment: datetime, limit: int = LEASE_BATCH) -> list[Post]:
        """Lease up to `limit` rows due at `moment` that nobody holds; oldest first.

        One statement decides: the UPDATE checks the conditions again on each row as it is
        when it gets there, so of two processes taking at once only one gets a row. (The rows
        are chosen in a CTE: PostgreSQL evaluates one with `FOR UPDATE` once, which keeps its
        LIMIT; an `IN (subquery)` may be rescanned.)
        """
        wall = datetime.now(UTC)
        now, until = db_time(wall), db_time(wall + self.lease)
        free = "(lease_until IS NULL OR lease_until <= ?)"
        rows = await self.db.fetch_all(
            "WITH due AS (SELECT id FROM outbox "
            f"WHERE status IN ('pending', 'sent') AND {free} AND next_attempt_at <= ? "
            f"ORDER BY next_attempt_at, id LIMIT ?{self._skip_locked}) "
            "UPDATE outbox SET lease_holder = ?, lease_until = ? "
            f"WHERE id IN (SELECT id FROM due) AND status IN ('pending', 'sent') AND {free} "
            "RETURNING *",
            (now, db_time(moment), limit, self.holder, until, now),
        )
        posts = [Post.from_row(row) for row in rows]
        posts.sort(key=lambda post: (post.next_attempt_at, post.id))
        return posts

    async def _renew_leases(self) -> None:
        """Keep this process's leases alive while their posts are in flight."""
        while True:
            await asyncio.sleep(self.lease_renew_seconds)
            try:
                await self.db.execute(
                    "UPDATE outbox SET lease_until = ? WHERE lease_holder = ?",
                    (db_time(datetime.now(UTC) + self.lease), self.holder),
                )
            except Exception:
                log.warning("could not renew the outbox leases", exc_info=True)

    async def release_leases(self) -> None:
        """Give back every row this outbox holds (its run is over)."""
        await self.db.execute(
            "UPDATE outbox SET lease_holder = NULL, lease_until = NULL WHERE lease_holder = ?",
            (self.holder,),
        )

    # -- running ------------------------------------------------------------------------------

    async def run(self, now: datetime | None = None) -> int:
        """Send (or settle) every post that is due; returns how many reached the channel."""
        if self._closing:
            return 0
        async with self._lock:
            moment = now if now is not None else self.bot.clock()
            await self.free_dead_leases()
            self._recovered = True
            pending: deque[Post] = deque()
            exhausted = False
            took = False
            taking = asyncio.Lock()
            delivered = 0

            async def next_post() -> Post | None:
                nonlocal exhausted, took
                async with taking:
                    if not pending and not exhausted:
                        batch = await self.take(moment, LEASE_BATCH)
                        exhausted = len(batch) < LEASE_BATCH
                        took = took or bool(batch)
                        pending.extend(batch)
                    return pending.popleft() if pending else None

            async def worker() -> None:
                nonlocal delivered
                while not self._closing:
                    post = await next_post()
                    if post is None:
                        return
                    if await self._deliver_guarded(post):
                        delivered += 1

            heartbeat = asyncio.create_task(self._renew_leases(), name="outbox-leases")
            workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
            self._in_flight.update(workers)
            try:
                await asyncio.gather(*workers)
            finally:
                self._in_flight.difference_update(workers)
                heartbeat.cancel()
                # Rows taken but not started (a SIGTERM), and rows that wait for a later
                # run, are free again for whoever runs next.
                try:
                    if took:
                        await self.release_leases()
                except Exception:
                    log.warning("could not give back the outbox leases", exc_info=True)
            return delivered

    async def drain(self, grace: float = 15.0) -> None:
        """Stop taking new posts and let those in flight finish (SIGTERM, close)."""
        self._closing = True
        tasks = [task for task in self._in_flight if not task.done()]
        if tasks:
            _, still = await asyncio.wait(tasks, timeout=grace)
            if still:
                log.warning(
                    "%d posts still in flight at shutdown; settled at the next start", len(still)
                )
        # From now on a new Outbox in this process may take back what this one left leased.
        _LIVE_HOLDERS.pop(self.holder, None)

    async def _deliver_guarded(self, post: Post) -> bool:
        try:
            return await self._deliver(post)
        except Exception:
            log.exception("delivery of outbox post %s (%s) crashed", post.id, post.kind)
            return False

    async def _deliver(self, post: Post) -> bool:
        handler = self.kinds.get(post.kind)
        if handler is None:
            log.warning("outbox post %s has an unknown kind %r", post.id, post.kind)
            return False
        now = self.bot.clock()
        try:
            if post.status == "pending":
                if now >= post.give_up_at:
                    raise _Refused("expired", "it could not be sent within its grace period")
                if post.payload is None:
                    rendered = await handler.render(post)
                    if rendered is None:
                        await self._set(post.id, status="done", error="nothing to post")
                        return False
                    changes: dict[str, Any] = {"payload": rendered.to_json()}
                    if rendered.thread_name is not None and post.thread_name is not None:
                        changes["thread_name"] = rendered.thread_name
                    await self._set(post.id, **changes)
                    post = await self._reload(post)
                message_id = await self._settle_or_send(post)
                post = await self._set_sent(post, message_id)
            thread_id = await self._open_thread(post)
        except _Retry as exc:
            await self._retry_later(post, str(exc))
            return False
        except _Refused as exc:
            await self._set(post.id, status="failed", error=exc.detail)
            log.info("outbox post %s (%s) failed: %s", post.id, post.kind, exc.detail)
            await handler.failed(post, exc.reason, exc.detail)
            return False
        assert post.message_id is not None
        if thread_id is not None:
            await self._set(post.id, thread_id=thread_id)
        # The feature records the post before the row is closed: a crash in between only
        # records it once more at the next run.
        await handler.delivered(post, post.message_id, thread_id)
        await self._set(post.id, status="done")
        return True

    async def _reload(self, post: Post) -> Post:
        fresh = await self.post(post.id)
        assert fresh is not None
        return fresh

    async def _set(self, post_id: int, **values: Any) -> None:
        # Only while this process holds the row: one whose lease ran out writes nothing.
        columns = ", ".join(f"{name} = ?" for name in values)
        await self.db.execute(
            f"UPDATE outbox SET {columns} WHERE id = ? AND lease_holder = ?",
            (*values.values(), post_id, self.holder),
        )

    async def _set_sent(self, post: Post, message_id: int) -> Post:
        await self._set(post.id, status="sent", message_id=message_id, error=None)
        return await self._reload(post)

    async def _retry_later(self, post: Post, detail: str) -> None:
        now = self.bot.clock()
        wait = BACKOFF[min(post.attempts // SEND_ATTEMPTS, len(BACKOFF) - 1)]
        await self._set(post.id, next_attempt_at=db_time(now + wait), error=detail[:500])
        log.warning(
            "outbox post %s (%s) not confirmed yet (%s); next try at %s",
            post.id,
            post.kind,
            detail,
            db_time(now + wait),
        )

    # -- the message --------------------------------------------------------------------------

    def _channel(self, post: Post) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(
            post.channel_id, guild_id=post.guild_id, type=discord.ChannelType.text
        )

    async def _settle_or_send(self, post: Post) -> int:
        # Attempt times are Discord's (wall-clock) time: its nonce window and its message ids
        # run on it, whatever clock the schedules use.
        now = datetime.now(UTC)
        fresh = post.first_attempt_at is None or now - post.first_attempt_at < self.nonce_window
        if not fresh:
            found = await self._find(post)
            if found is not None:
                self.found += 1
                log.info("outbox post %s was in the channel already (message %s)", post.id, found)
                return found
            # Not there: it was never created. A new first attempt starts a new nonce window.
            await self._set(post.id, first_attempt_at=None)
            post = await self._reload(post)
        elif post.attempts:
            self.resent += 1
        return await self._send(post)

    async def _send(self, post: Post) -> int:
        assert post.payload is not None
        payload = post.payload
        embeds = [discord.Embed.from_dict(data) for data in payload.embeds]
        mentions = (
            discord.AllowedMentions(
                everyone=False,
                users=False,
                roles=[discord.Object(role) for role in payload.role_ids],
                replied_user=False,
            )
            if payload.role_ids
            else discord.AllowedMentions.none()
        )
        channel = self._channel(post)
        last: BaseException | None = None
        for attempt in range(SEND_ATTEMPTS):
            now = datetime.now(UTC)
            await self.db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, "
                "first_attempt_at = COALESCE(first_attempt_at, ?) "
                "WHERE id = ? AND lease_holder = ?",
                (db_time(now), db_time(now), post.id, self.holder),
            )
            try:
                await self.bot.budget.acquire()
                async with asyncio.timeout(self.request_timeout):
                    message = await channel.send(
                        content=payload.content,
                        embeds=embeds,
                        allowed_mentions=mentions,
                        nonce=post.nonce,
                    )
            except _TRANSIENT as exc:
                last = exc
                if attempt < SEND_ATTEMPTS - 1:
                    await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
                continue
            except discord.HTTPException as exc:
                raise _refusal(exc) from exc
            self.sent += 1
            return message.id
        raise _Retry(f"sending failed {SEND_ATTEMPTS} times: {last!r}")

    async def _find(self, post: Post) -> int | None:
        """The bot's own message for this post, looked up around its attempts."""
        assert post.payload is not None and post.first_attempt_at is not None
        me = self.bot.user
        if me is None:
            raise _Retry("not logged in")
        start = post.first_attempt_at - timedelta(seconds=30)
        end = (post.last_attempt_at or post.first_attempt_at) + timedelta(minutes=2)
        want = _fingerprint(post.payload.content, post.payload.embeds)
        channel = self._channel(post)
        try:
            await self.bot.budget.acquire()
            async for message in channel.history(
                limit=HISTORY_LIMIT,
                after=discord.Object(discord.utils.time_snowflake(start)),
                before=discord.Object(discord.utils.time_snowflake(end, high=True)),
                oldest_first=True,
            ):
                if message.author.id != me.id or message.interaction_metadata is not None:
                    continue
                have = _fingerprint(
                    message.content or None, [dict(e.to_dict()) for e in message.embeds]
                )
                if have == want:
                    return message.id
        except _TRANSIENT as exc:
            raise _Retry(f"could not read the channel: {exc!r}") from exc
        except discord.HTTPException as exc:
            raise _refusal(exc) from exc
        return None

    # -- the thread ---------------------------------------------------------------------------

    async def _open_thread(self, post: Post) -> int | None:
        if post.thread_name is None or post.message_id is None:
            return post.thread_id
        if post.thread_id is not None:
            return post.thread_id
        message = self._channel(post).get_partial_message(post.message_id)
        last: BaseException | None = None
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.bot.budget.acquire()
                async with asyncio.timeout(self.request_timeout):
                    thread = await message.create_thread(
                        name=post.thread_name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
                    )
                return thread.id
            except _TRANSIENT as exc:
                last = exc
                if attempt < SEND_ATTEMPTS - 1:
                    await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            except discord.HTTPException as exc:
                if exc.code == THREAD_ALREADY_CREATED:
                    # An earlier attempt made it: a message's thread carries the message's id.
                    return post.message_id
                # The post stands without its thread; members can still discuss it.
                log.warning("could not open the thread of outbox post %s: %s", post.id, exc)
                return None
        if self.bot.clock() >= post.give_up_at:
            log.warning("gave up on the thread of outbox post %s: %r", post.id, last)
            return None
        raise _Retry(f"opening the thread failed {SEND_ATTEMPTS} times: {last!r}")


def _fingerprint(content: str | None, embeds: Sequence[dict[str, Any]]) -> tuple[Any, ...]:
    """What identifies a post among the bot's messages: its text and its embeds' headlines."""
    heads = tuple(
        (e.get("title"), e.get("url"), (e.get("footer") or {}).get("text")) for e in embeds
    )
    return (content or None, heads)
