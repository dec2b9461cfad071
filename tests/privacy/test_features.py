"""What each of StudyBot's features exports and deletes through /privacy, with the real bot."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import FakeClock
from bot.settings import Settings
from tests.conftest import BotHarness, World
from tests.engines import query
from tests.papers.conftest import bot_posts, paper_club, schedule_posts
from tests.privacy.conftest import DUE, delete_confirmed, exported
from tests.simulator import DiscordSimulator

EMPTY_PAPERS = {"suggestions": [], "votes": [], "reads": [], "schedules_set_up": []}


def outbox_payloads(settings: Settings) -> list[str]:
    """The stored text of every paper post."""
    rows = query(settings.database, "SELECT payload FROM outbox WHERE kind = 'paper' ORDER BY id")
    return [str(payload) for (payload,) in rows]


async def test_paper_club_exports_and_deletes_suggestions_votes_reads_and_schedules(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock, settings: Settings
) -> None:
    bot = await harness.start()
    club = paper_club(bot)
    sim.add_member(world.other_guild, "alice", user=world.alice)
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1810.04805"})
    await sim.invoke(world.guild, world.alice, "paper vote", {"paper": "1810.04805"})
    await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "1706.03762"})
    clock.set(DUE)
    await club.run_due()  # Attention (1 vote, older) is posted, naming alice as its suggester
    [post] = bot_posts(sim, world.papers)
    mention = f"<@{world.alice.id}>"
    assert any(mention in f["value"] for f in post.embeds[0]["fields"])
    await sim.invoke(world.guild, world.alice, "paper read")

    data = exported(await sim.invoke(world.guild, world.alice, "privacy export", {}))
    papers = data["features"]["PaperClub"]
    assert [s["arxiv_id"] for s in papers["suggestions"]] == ["1706.03762", "1810.04805"]
    assert papers["suggestions"][0]["posted_at"] is not None
    assert papers["suggestions"][1]["posted_at"] is None
    assert [v["arxiv_id"] for v in papers["votes"]] == ["1810.04805"]
    assert [r["title"] for r in papers["reads"]] == ["Attention Is All You Need"]
    assert papers["schedules_set_up"] == []
    elsewhere = exported(await sim.invoke(world.other_guild, world.alice, "privacy export", {}))
    assert elsewhere["features"]["PaperClub"] == EMPTY_PAPERS
    admin = exported(await sim.invoke(world.guild, world.admin, "privacy export", {}))
    [schedule] = admin["features"]["PaperClub"]["schedules_set_up"]
    assert schedule == {
        "channel_id": str(world.papers.id),
        "weekday": "Tuesday",
        "time": "18:00",
        "timezone": "Europe/Berlin",
        "since": "2026-11-24T12:00:00+00:00",
        "paused": False,
    }

    deleted = await delete_confirmed(sim, world.guild, world.alice)
    assert deleted.message is not None
    # a vote, a read, two suggestions unlinked and the mention in the stored post
    assert deleted.message.content.startswith("Deleted 5 records.")
    data = exported(await sim.invoke(world.guild, world.alice, "privacy export", {}))
    assert data["features"]["PaperClub"] == EMPTY_PAPERS
    card = await sim.invoke(world.guild, world.alice, "rank", {})
    assert "**Papers read:** 0" in card.embeds[0]["description"]
    # The server keeps its queue (and bob's vote); only alice's link to it is gone.
    queue = await sim.invoke(world.guild, world.bob, "paper queue")
    assert "BERT" in queue.text and "suggested by a former member" in queue.text
    bob = exported(await sim.invoke(world.guild, world.bob, "privacy export", {}))
    assert [v["arxiv_id"] for v in bob["features"]["PaperClub"]["votes"]] == ["1706.03762"]
    [stored] = outbox_payloads(settings)
    assert mention not in stored and "Suggested by a member" in stored

    deleted = await delete_confirmed(sim, world.guild, world.admin)
    assert deleted.message is not None and deleted.message.content.startswith("Deleted 1 record.")
    admin = exported(await sim.invoke(world.guild, world.admin, "privacy export", {}))
    assert admin["features"]["PaperClub"] == EMPTY_PAPERS
    # The schedule outlives its admin's data: next week's paper still goes out.
    clock.set(DUE + timedelta(weeks=1))
    await club.run_due()
    assert [p.embeds[0]["title"] for p in bot_posts(sim, world.papers)] == [
        "Attention Is All You Need",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    ]


async def test_kaggle_exports_and_forgets_who_set_a_subscription_up(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    await harness.start()
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral and world.kaggle.mention in res.content
    admin = exported(await sim.invoke(world.guild, world.admin, "privacy export", {}))
    assert admin["features"]["Kaggle"] == {
        "kaggle_subscriptions_set_up": [
            {
                "channel_id": str(world.kaggle.id),
                "category": "all",
                "since": "2026-11-24T12:00:00+00:00",
                "paused": False,
            }
        ]
    }
    alice = exported(await sim.invoke(world.guild, world.alice, "privacy export", {}))
    assert alice["features"]["Kaggle"] == {"kaggle_subscriptions_set_up": []}

    deleted = await delete_confirmed(sim, world.guild, world.admin)
    assert deleted.message is not None and deleted.message.content.startswith("Deleted 1 record.")
    admin = exported(await sim.invoke(world.guild, world.admin, "privacy export", {}))
    assert admin["features"]["Kaggle"] == {"kaggle_subscriptions_set_up": []}
    rows = query(
        settings.database, "SELECT channel_id, category, subscribed_by FROM kaggle_subscriptions"
    )
    assert rows == [(world.kaggle.id, "all", None)]


async def test_scrubbing_an_unconfirmed_post_keeps_it_exactly_once(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock, settings: Settings
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    # Every attempt of this run is created and then answered 503: the post is unconfirmed.
    sim.fail("POST", f"^/channels/{world.papers.id}/messages$", 503, times=3, when="after")
    clock.set(DUE)
    assert (await paper_club(bot).run_due()).posted == 0
    assert len(bot_posts(sim, world.papers)) == 1
    [row] = await bot.outbox.posts("paper")
    assert row.status == "pending"

    await delete_confirmed(sim, world.guild, world.alice)
    [stored] = outbox_payloads(settings)
    assert f"<@{world.alice.id}>" not in stored

    # Past Discord's nonce window the post is looked for in the channel, and found.
    sim.nonce_window = 0.5
    bot.outbox.nonce_window = timedelta(seconds=0.5)
    await asyncio.sleep(1.1)
    clock.advance(timedelta(minutes=2))
    await bot.agenda.run_now()
    assert bot.outbox.found == 1
    assert len(bot_posts(sim, world.papers)) == 1
    [row] = await bot.outbox.posts("paper")
    assert row.status == "done"
