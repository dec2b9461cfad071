"""Two connections racing on the same Kaggle step, on both engines: each happens once.

Two `Database` objects on the same target stand for two processes of the bot (or two pooled
connections at READ COMMITTED on PostgreSQL). They race with `asyncio.gather` on the same
subscribe, the same announcement and weekly claims, the same summary and the same listing
update; the unique keys and row locks must let exactly one of them win each time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.database import Database
from bot.outbox import NewPost, Rendered
from cogs.kaggle.announcer import GRACE, KIND
from cogs.kaggle.client import Competition
from cogs.kaggle.repo import (
    ANNOUNCE,
    REMIND_WEEK,
    KaggleRepo,
    SubscribeOutcome,
    Subscription,
    weekly_kind,
)
from tests.engines import Target, query

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GUILD = 111
CHANNEL = 5000
ADMIN = 333
ROUNDS = 8


@pytest.fixture
async def repos(database_target: Target) -> AsyncIterator[tuple[KaggleRepo, KaggleRepo]]:
    """Two repositories on two separate `Database` objects over the same database."""
    first, second = Database(database_target), Database(database_target)
    await first.connect()
    await first.migrate()
    await second.connect()
    yield KaggleRepo(first), KaggleRepo(second)
    await second.close()
    await first.close()


def post(subscription: Subscription, title: str) -> NewPost:
    """The outbox row of one Kaggle post, as the announcer builds it."""
    return NewPost(
        kind=KIND,
        ref=subscription.id,
        guild_id=subscription.guild_id,
        channel_id=subscription.channel_id,
        due_at=NOW,
        give_up_at=NOW + GRACE,
        payload=Rendered(None, [{"title": title}]),
    )


def outbox_titles(target: Target) -> list[str]:
    """The titles queued in the outbox, in order."""
    rows = query(target, "SELECT payload FROM outbox WHERE kind = ? ORDER BY id", (KIND,))
    return [Rendered.from_json(row[0]).embeds[0]["title"] for row in rows]


def competition(slug: str) -> Competition:
    """A competition as Kaggle lists it."""
    return Competition.model_validate(
        {
            "ref": f"https://www.kaggle.com/competitions/{slug}",
            "title": slug.title(),
            "category": "Featured",
            "deadline": (NOW + timedelta(days=30)).isoformat(),
        }
    )


async def test_the_same_subscribe_twice_at_once_creates_one_subscription(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    for n in range(ROUNDS):
        channel = CHANNEL + n
        first, second = await asyncio.gather(
            a.subscribe(GUILD, channel, "all", ADMIN, NOW),
            b.subscribe(GUILD, channel, "all", ADMIN + 1, NOW),
        )
        assert sorted([first.outcome, second.outcome]) == sorted(
            [SubscribeOutcome.CREATED, SubscribeOutcome.UNCHANGED]
        )
        assert first.subscription.id == second.subscription.id
    rows = query(
        database_target, "SELECT channel_id, COUNT(*) FROM kaggle_subscriptions GROUP BY 1"
    )
    assert sorted(rows) == [(CHANNEL + n, 1) for n in range(ROUNDS)]


async def test_racing_subscribes_with_different_categories_report_what_they_changed(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    for n in range(ROUNDS):
        channel = CHANNEL + n
        results = await asyncio.gather(
            a.subscribe(GUILD, channel, "all", ADMIN, NOW),
            b.subscribe(GUILD, channel, "featured", ADMIN, NOW),
        )
        created = [r for r in results if r.outcome is SubscribeOutcome.CREATED]
        updated = [r for r in results if r.outcome is SubscribeOutcome.UPDATED]
        assert len(created) == 1 and len(updated) == 1
        # The update saw the row the other one created, and its category is the one kept.
        assert updated[0].previous_category == created[0].subscription.category
        [(category,)] = query(
            database_target,
            "SELECT category FROM kaggle_subscriptions WHERE channel_id = ?",
            (channel,),
        )
        assert category == updated[0].subscription.category


async def test_a_subscribe_racing_an_unsubscribe_ends_in_one_of_their_orders(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    for n in range(ROUNDS):
        channel = CHANNEL + n
        await a.subscribe(GUILD, channel, "all", ADMIN, NOW)
        removed, result = await asyncio.gather(
            a.unsubscribe(GUILD, channel), b.subscribe(GUILD, channel, "all", ADMIN, NOW)
        )
        rows = query(
            database_target, "SELECT id FROM kaggle_subscriptions WHERE channel_id = ?", (channel,)
        )
        if result.outcome is SubscribeOutcome.CREATED:  # the unsubscribe went first
            assert removed is not None and rows == [(result.subscription.id,)]
        else:  # the subscribe found it and left it as it was; then it was removed
            assert result.outcome is SubscribeOutcome.UNCHANGED
            assert removed is not None and removed.id == result.subscription.id and rows == []


async def test_the_same_announcement_claimed_twice_at_once_is_posted_once(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    sub = (await a.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    for n in range(ROUNDS):
        ref = f"https://www.kaggle.com/competitions/race-{n}"
        won = await asyncio.gather(
            a.claim(sub.id, ref, ANNOUNCE, NOW, (REMIND_WEEK,), post(sub, f"a{n}")),
            b.claim(sub.id, ref, ANNOUNCE, NOW, (REMIND_WEEK,), post(sub, f"b{n}")),
        )
        assert sorted(won) == [False, True]
    rows = query(
        database_target,
        "SELECT kind, COUNT(*) FROM kaggle_deliveries WHERE subscription_id = ? GROUP BY kind",
        (sub.id,),
    )
    assert sorted(rows) == [(ANNOUNCE, ROUNDS), (REMIND_WEEK, ROUNDS)]
    titles = outbox_titles(database_target)
    assert len(titles) == ROUNDS, "one post per claim, none from the claim that lost"
    assert [t[1:] for t in titles] == [str(n) for n in range(ROUNDS)]


async def test_two_weekly_challenges_claimed_at_once_make_one_post_that_week(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    sub = (await a.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    for week in range(1, ROUNDS + 1):
        kind = weekly_kind(2027, week)
        won = await asyncio.gather(
            a.claim(sub.id, "titanic", kind, NOW, (), post(sub, f"titanic {week}")),
            b.claim(sub.id, "house-prices", kind, NOW, (), post(sub, f"house-prices {week}")),
        )
        assert sorted(won) == [False, True]
        [(slug,)] = query(
            database_target,
            "SELECT competition_ref FROM kaggle_deliveries WHERE subscription_id = ? AND kind = ?",
            (sub.id, kind),
        )
        assert outbox_titles(database_target)[-1] == f"{slug} {week}"
    assert len(outbox_titles(database_target)) == ROUNDS


async def test_the_summary_claimed_twice_at_once_is_posted_once(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    for n in range(ROUNDS):
        sub = (await a.subscribe(GUILD, CHANNEL + n, "all", ADMIN, NOW)).subscription
        claims = [(f"ref-{n}-{i}", ANNOUNCE) for i in range(3)]
        won = await asyncio.gather(
            a.claim_summary(sub.id, claims, NOW, post(sub, f"summary a{n}")),
            b.claim_summary(sub.id, claims, NOW, post(sub, f"summary b{n}")),
        )
        assert sorted(won) == [False, True]
        assert sorted(await a.claims(sub.id)) == sorted(claims)
    assert len(outbox_titles(database_target)) == ROUNDS


async def test_pausing_twice_at_once_tells_the_admins_once(
    repos: tuple[KaggleRepo, KaggleRepo],
) -> None:
    a, b = repos
    for n in range(ROUNDS):
        sub = (await a.subscribe(GUILD, CHANNEL + n, "all", ADMIN, NOW)).subscription
        paused = await asyncio.gather(
            a.pause(sub.id, "the channel was deleted", NOW),
            b.pause(sub.id, "StudyBot lacks Send Messages there", NOW),
        )
        assert sorted(paused) == [False, True]


async def test_two_listing_updates_at_once_leave_one_whole_answer(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    for n in range(ROUNDS):
        first = [competition(f"r{n}-a"), competition(f"r{n}-b")]
        second = [competition(f"r{n}-b"), competition(f"r{n}-c")]
        new = await asyncio.gather(
            a.store_competitions(first, {}, NOW), b.store_competitions(second, {}, NOW)
        )
        assert sum(new) == 3, "each competition counted new exactly once"
        listed = {c.ref for c in await a.active_competitions(NOW)}
        assert listed in ({c.ref for c in first}, {c.ref for c in second}), "never a mix"
        [(known,)] = query(database_target, "SELECT COUNT(*) FROM kaggle_competitions")
        assert known == 3 * (n + 1)
    assert (await b.status()).last_success == NOW


async def test_a_claim_waiting_on_an_unsubscribe_gives_up_cleanly(
    repos: tuple[KaggleRepo, KaggleRepo], database_target: Target
) -> None:
    a, b = repos
    sub = (await a.subscribe(GUILD, CHANNEL, "all", ADMIN, NOW)).subscription
    other = (await a.subscribe(GUILD, CHANNEL + 1, "all", ADMIN, NOW)).subscription
    ref = "https://www.kaggle.com/competitions/gone"
    async with a.db.transaction() as tx:
        await tx.execute("DELETE FROM kaggle_subscriptions WHERE id = ?", (sub.id,))
        # The claim starts while the delete is not committed: on PostgreSQL it still sees the
        # subscription and waits on its row, on SQLite it waits for the writer's lock.
        claim = asyncio.create_task(b.claim(sub.id, ref, ANNOUNCE, NOW, (), post(sub, "gone")))
        await asyncio.sleep(0.3)
        assert not claim.done()
    assert await claim is False
    assert query(database_target, "SELECT COUNT(*) FROM kaggle_deliveries") == [(0,)]
    assert outbox_titles(database_target) == []
    # The losing connection is fine afterwards: its next claim goes through.
    assert await b.claim(other.id, ref, ANNOUNCE, NOW, (), post(other, "kept"))
    assert outbox_titles(database_target) == ["kept"]
