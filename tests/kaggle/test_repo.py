"""The Kaggle repository on both engines with the migrations applied, and its pure helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.database import Database
from cogs.kaggle.announcer import current_cycle
from cogs.kaggle.client import Competition
from cogs.kaggle.repo import (
    ANNOUNCE,
    REMIND_DAY,
    REMIND_WEEK,
    KaggleRepo,
    SubscribeOutcome,
    reminder_kinds_due,
    weekly_kind,
)
from tests.engines import Target, query

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GUILD = 111
CHANNEL = 222
ADMIN = 333


@pytest.fixture
async def repo(database_target: Target) -> AsyncIterator[KaggleRepo]:
    db = Database(database_target)
    await db.connect()
    await db.migrate()
    yield KaggleRepo(db)
    await db.close()


def competition(slug: str, deadline: datetime | None, category: str = "Featured") -> Competition:
    return Competition.model_validate(
        {
            "ref": f"https://www.kaggle.com/competitions/{slug}",
            "title": slug.title(),
            "category": category,
            "deadline": deadline.isoformat() if deadline else None,
        }
    )


def test_reminder_windows() -> None:
    assert reminder_kinds_due(None, NOW) == []
    assert reminder_kinds_due(NOW, NOW) == []
    assert reminder_kinds_due(NOW - timedelta(seconds=1), NOW) == []
    assert reminder_kinds_due(NOW + timedelta(days=7, seconds=1), NOW) == []
    assert reminder_kinds_due(NOW + timedelta(days=7), NOW) == [REMIND_WEEK]
    assert reminder_kinds_due(NOW + timedelta(days=1), NOW) == [REMIND_WEEK, REMIND_DAY]
    assert reminder_kinds_due(NOW + timedelta(minutes=5), NOW) == [REMIND_WEEK, REMIND_DAY]


def test_weekly_kind_and_rotation_cycle() -> None:
    assert weekly_kind(2026, 1) == "weekly:2026-W01"
    assert weekly_kind(2026, 48) == "weekly:2026-W48"
    assert current_cycle([], 3) == set()
    assert current_cycle(["a"], 3) == {"a"}
    assert current_cycle(["a", "b", "c"], 3) == {"c"}  # a new pass, but not last week's again
    assert current_cycle(["a", "b", "c", "b"], 3) == {"b"}


async def test_subscribe_update_resume_and_pause_once(repo: KaggleRepo) -> None:
    created = await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)
    assert created.outcome is SubscribeOutcome.CREATED
    assert not created.subscription.summarised
    sub_id = created.subscription.id
    assert await repo.claim_summary(sub_id, [("x", ANNOUNCE)], NOW)
    assert not await repo.claim_summary(sub_id, [("y", ANNOUNCE)], NOW)

    same = await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)
    assert same.outcome is SubscribeOutcome.UNCHANGED and same.subscription.summarised

    assert await repo.pause(sub_id, "the channel was deleted", NOW)
    assert not await repo.pause(sub_id, "again", NOW)
    assert await repo.active_subscriptions() == []

    resumed = await repo.subscribe(GUILD, CHANNEL, "featured", ADMIN + 1, NOW)
    assert resumed.outcome is SubscribeOutcome.UPDATED
    assert resumed.resumed and resumed.previous_category == "all"
    assert not resumed.subscription.paused and not resumed.subscription.summarised
    assert resumed.subscription.subscribed_by == ADMIN + 1
    assert [s.id for s in await repo.active_subscriptions()] == [sub_id]

    with pytest.raises(ValueError):
        await repo.subscribe(GUILD, CHANNEL + 1, "masters", ADMIN, NOW)


async def test_claims_are_once_and_vanish_with_the_subscription(repo: KaggleRepo) -> None:
    sub = (await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    assert await repo.claim(sub.id, "ref-1", ANNOUNCE, NOW, also=[REMIND_WEEK])
    assert not await repo.claim(sub.id, "ref-1", ANNOUNCE, NOW)
    assert not await repo.claim(sub.id, "ref-1", REMIND_WEEK, NOW)
    assert await repo.claim(sub.id, "ref-1", REMIND_DAY, NOW)

    week = weekly_kind(2026, 48)
    assert await repo.claim(sub.id, "titanic", week, NOW)
    assert not await repo.claim(sub.id, "digit-recognizer", week, NOW), "one challenge a week"
    assert await repo.weekly_claimed(sub.id, week)
    assert await repo.offered_challenges(sub.id) == ["titanic"]
    assert await repo.guild_challenge(GUILD, week) == "titanic"

    removed = await repo.unsubscribe(GUILD, CHANNEL)
    assert removed is not None and removed.id == sub.id
    assert await repo.claims(sub.id) == []
    assert not await repo.claim(sub.id, "ref-2", ANNOUNCE, NOW), "no claim without subscription"
    assert await repo.unsubscribe(GUILD, CHANNEL) is None


async def test_store_lists_only_the_latest_answer(repo: KaggleRepo) -> None:
    soon = NOW + timedelta(days=3)
    first = [competition("alpha", soon), competition("beta", None, "Getting Started")]
    assert await repo.store_competitions(first, {first[0].ref: ["3.3", "7.2"]}, NOW) == 2
    active = await repo.active_competitions(NOW)
    assert [c.title for c in active] == ["Alpha", "Beta"]  # deadline first, none last
    assert active[0].sections == ("3.3", "7.2")
    assert [c.title for c in await repo.active_competitions(NOW, "getting-started")] == ["Beta"]

    second = [competition("beta", None, "Getting Started"), competition("gamma", soon)]
    assert await repo.store_competitions(second, {}, NOW) == 1
    assert [c.title for c in await repo.active_competitions(NOW)] == ["Gamma", "Beta"]
    assert await repo.active_competitions(soon, "featured") == []


async def test_due_reminders_once_and_only_the_latest_window(repo: KaggleRepo) -> None:
    sub = (await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    deadline = NOW + timedelta(days=10)
    comp = competition("alpha", deadline)
    await repo.store_competitions([comp], {}, NOW)
    assert await repo.due_reminders(sub.id, NOW) == []
    await repo.claim(sub.id, comp.ref, ANNOUNCE, NOW)
    assert await repo.due_reminders(sub.id, NOW) == []

    in_week = deadline - timedelta(days=6)
    due = await repo.due_reminders(sub.id, in_week)
    assert [(d.kind, d.also_claim) for d in due] == [(REMIND_WEEK, ())]
    await repo.claim(sub.id, comp.ref, REMIND_WEEK, in_week)
    assert await repo.due_reminders(sub.id, in_week) == []

    last_day = deadline - timedelta(hours=5)
    due = await repo.due_reminders(sub.id, last_day)
    assert [(d.kind, d.also_claim) for d in due] == [(REMIND_DAY, ())]
    await repo.claim(sub.id, comp.ref, REMIND_DAY, last_day)
    assert await repo.due_reminders(sub.id, last_day) == []
    assert await repo.due_reminders(sub.id, deadline + timedelta(hours=1)) == []


async def test_missed_week_window_is_claimed_silently(repo: KaggleRepo) -> None:
    sub = (await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    deadline = NOW + timedelta(days=10)
    comp = competition("alpha", deadline)
    await repo.store_competitions([comp], {}, NOW)
    await repo.claim(sub.id, comp.ref, ANNOUNCE, NOW)
    late = deadline - timedelta(hours=3)
    (due,) = await repo.due_reminders(sub.id, late)
    assert (due.kind, due.also_claim) == (REMIND_DAY, (REMIND_WEEK,))
    assert await repo.claim(sub.id, comp.ref, due.kind, late, due.also_claim)
    assert await repo.due_reminders(sub.id, late) == []
    assert sorted(kind for _, kind in await repo.claims(sub.id)) == [
        ANNOUNCE,
        REMIND_DAY,
        REMIND_WEEK,
    ]


async def test_status_tracks_failures_and_refused_credentials(repo: KaggleRepo) -> None:
    status = await repo.status()
    assert status.last_success is None and not status.failing
    await repo.record_auth_error(NOW, "HTTP 401")
    later = NOW + timedelta(hours=1)
    await repo.record_auth_error(later, "HTTP 401")
    status = await repo.status()
    assert status.failing and status.auth_error == "HTTP 401"
    assert status.auth_error_since == NOW
    await repo.record_success(later)
    status = await repo.status()
    assert status.last_success == later and not status.failing and status.auth_error is None
    await repo.record_failure(later, "timed out")
    assert (await repo.status()).failing


async def test_member_data_export_and_delete(repo: KaggleRepo) -> None:
    await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)
    await repo.subscribe(GUILD + 1, CHANNEL + 1, "all", ADMIN, NOW)
    assert [s.channel_id for s in await repo.subscriptions_by(GUILD, ADMIN)] == [CHANNEL]
    exported = await repo.export_member(GUILD, ADMIN)
    assert [s["channel_id"] for s in exported["kaggle_subscriptions_set_up"]] == [str(CHANNEL)]
    assert await repo.delete_member(GUILD, ADMIN) == 1
    assert await repo.subscriptions_by(GUILD, ADMIN) == []
    assert [s.channel_id for s in await repo.subscriptions_by(GUILD + 1, ADMIN)] == [CHANNEL + 1]
    assert len(await repo.active_subscriptions()) == 2


async def test_a_paused_subscription_takes_no_claims_until_resumed(repo: KaggleRepo) -> None:
    sub = (await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    assert await repo.pause(sub.id, "the channel was deleted", NOW)
    assert not await repo.claim(sub.id, "ref-1", ANNOUNCE, NOW)
    assert not await repo.claim_summary(sub.id, [("ref-1", ANNOUNCE)], NOW)
    assert await repo.claims(sub.id) == []
    await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)
    assert await repo.claim(sub.id, "ref-1", ANNOUNCE, NOW)


async def test_every_stored_time_is_iso_utc_text_with_microseconds(
    repo: KaggleRepo, database_target: Target
) -> None:
    moment = datetime(2026, 11, 24, 13, 30, 5, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    text = "2026-11-24T12:30:05.123456+00:00"
    deadline = datetime(2027, 1, 31, 23, 59, tzinfo=UTC)
    comp = competition("alpha", deadline)
    await repo.store_competitions([comp], {}, moment)
    sub = (await repo.subscribe(GUILD, CHANNEL, "all", ADMIN, moment)).subscription
    assert await repo.claim_summary(sub.id, [(comp.ref, ANNOUNCE)], moment)
    assert await repo.pause(sub.id, "the channel was deleted", moment)
    await repo.record_auth_error(moment, "HTTP 401")

    assert query(
        database_target, "SELECT deadline, first_seen, last_seen FROM kaggle_competitions"
    ) == [("2027-01-31T23:59:00.000000+00:00", text, text)]
    assert query(
        database_target,
        "SELECT created_at, updated_at, summarised_at, paused_at FROM kaggle_subscriptions",
    ) == [(text, text, text, text)]
    assert query(database_target, "SELECT claimed_at FROM kaggle_deliveries") == [(text,)]
    assert query(
        database_target, "SELECT last_success, last_failure, auth_error_since FROM kaggle_status"
    ) == [(text, text, text)]
    assert (await repo.status()).auth_error_since == moment
    [stored] = await repo.guild_subscriptions(GUILD)
    assert stored.created_at == moment and stored.paused_at == moment
