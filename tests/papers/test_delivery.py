"""The weekly post end to end: content, thread, ping, exactly once across restarts, faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.scheduler import MAX_SLEEP
from cogs.papers.schedule import next_occurrence, parse_timezone
from tests.conftest import BotHarness, ErrorLog, World
from tests.fakes.arxiv import FakeArxiv
from tests.papers.conftest import bot_posts, paper_club, schedule_posts
from tests.simulator import DiscordSimulator

# The clock starts on Tuesday 2026-11-24 12:00 UTC; Tuesday 18:00 in Berlin (UTC+1) is 17:00 UTC.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)
ALEXNET_URL = (
    "https://papers.nips.cc/paper_files/paper/2012/hash/"
    "c399862d3b9d6b76c8436e924a68c45b-Abstract.html"
)


async def test_post_has_embed_thread_and_pings_only_the_role(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    readers = sim.add_role(world.guild, "readers", mentionable=True)
    await schedule_posts(sim, world.guild, world.admin, world.papers, role=readers)
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    assert "#1 in the queue" in res.text
    await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "1706.03762"})

    cog = paper_club(bot)
    clock.set(DUE - timedelta(minutes=1))
    assert (await cog.run_due()).posted == 0
    assert bot_posts(sim, world.papers) == []

    clock.set(DUE)
    report = await cog.run_due()
    assert report.posted == 1
    [post] = bot_posts(sim, world.papers)
    assert post.content == readers.mention
    assert post.allowed_mentions == {"parse": [], "roles": [readers.id]}
    [embed] = post.embeds
    assert embed["title"] == "Attention Is All You Need"
    assert embed["url"] == "https://arxiv.org/abs/1706.03762"
    assert embed["description"].startswith("The Transformer is a sequence transduction model")
    assert len(embed["description"]) <= 600
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Authors"].startswith("Ashish Vaswani, Noam Shazeer")
    assert fields["Roadmap section"] == "7.3 Research Papers"
    assert "1 vote" in fields["From the queue"]
    assert post.thread is not None
    assert post.thread.name == "Attention Is All You Need"
    assert "Posted late" not in post.content

    # The paper left the queue, and it is this week's paper.
    res = await sim.invoke(world.guild, world.alice, "paper queue")
    assert "The queue is empty" in res.text
    res = await sim.invoke(world.guild, world.alice, "paper current")
    assert "Attention Is All You Need" in res.text
    assert post.thread.mention in res.text

    # A second run for the same occurrence (a doubled wake) sends nothing.
    assert (await cog.run_due()).posted == 0
    await bot.agenda.run_now()
    assert len(bot_posts(sim, world.papers)) == 1


async def test_without_role_nobody_is_pinged(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    clock.set(DUE)
    await paper_club(bot).run_due()
    [post] = bot_posts(sim, world.papers)
    assert post.content == ""
    assert post.allowed_mentions == {"parse": []}


async def test_the_thread_is_named_after_the_paper_the_claim_picked(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    # The thread's name is guessed before the claim; a claim that picked another paper (a
    # vote or another channel's claim came between) still names the thread after its own.
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    cog = paper_club(bot)
    clock.set(DUE)
    [due] = await cog.repo.due_schedules(DUE)
    claim = await cog.repo.claim(
        due,
        DUE,
        late=False,
        now=DUE,
        next_due=DUE + WEEK,
        give_up_at=DUE + timedelta(hours=6),
        reading_list=cog.reading_list,
        thread_name="A paper that was the top one a moment ago",
    )
    assert claim is not None
    assert await bot.outbox.run(DUE) == 1
    [post] = bot_posts(sim, world.papers)
    assert post.embeds[0]["title"] == "Attention Is All You Need"
    assert post.thread is not None and post.thread.name == "Attention Is All You Need"
    [row] = await bot.outbox.posts("paper")
    assert row.thread_name == "Attention Is All You Need"


async def test_queue_top_voted_first_then_oldest_then_reading_list(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    fake_arxiv: FakeArxiv,
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    for arxiv_id in ("1810.04805", "1412.6980", "1502.03167"):
        await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": arxiv_id})
        clock.advance(timedelta(seconds=1))
    await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "1502.03167"})

    titles = []
    for week in range(5):
        clock.set(DUE + week * WEEK)
        assert (await cog.run_due()).posted == 1
        titles.append(bot_posts(sim, world.papers)[-1].embeds[0]["title"])
    assert titles == [
        "Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
        "Covariate Shift",  # most votes
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Adam: A Method for Stochastic Optimization",  # oldest first on ties
        "ImageNet Classification with Deep Convolutional Neural Networks",  # reading list
        "Deep Residual Learning for Image Recognition",
    ]
    alexnet = bot_posts(sim, world.papers)[3].embeds[0]
    assert alexnet["url"] == ALEXNET_URL
    fields = {f["name"]: f["value"] for f in alexnet["fields"]}
    assert fields["Roadmap section"] == "7.3 Research Papers"
    assert "Alex Krizhevsky" in fields["Authors"]
    resnet = bot_posts(sim, world.papers)[4].embeds[0]
    assert resnet["url"] == "https://arxiv.org/abs/1512.03385"
    assert resnet["description"].startswith("Residual learning lets very deep networks train")

    # The reading list's arXiv metadata is fetched in one batch and cached for good: another
    # server's ResNet post asks arXiv nothing.
    requests = len(fake_arxiv.requests)
    other_channel = sim.add_channel(world.other_guild, "papers")
    await schedule_posts(sim, world.other_guild, world.other_admin, other_channel)
    for week in range(5, 7):
        clock.set(DUE + week * WEEK)
        await cog.run_due()
    titles = [m.embeds[0]["title"] for m in bot_posts(sim, other_channel)]
    assert titles == [
        "ImageNet Classification with Deep Convolutional Neural Networks",
        "Deep Residual Learning for Image Recognition",
    ]
    assert len(fake_arxiv.requests) == requests


async def test_arxiv_down_still_posts_with_the_reading_lists_data(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    fake_arxiv: FakeArxiv,
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    fake_arxiv.fail(503, times=100)
    for week in range(2):
        clock.set(DUE + week * WEEK)
        assert (await cog.run_due()).posted == 1
    resnet = bot_posts(sim, world.papers)[1].embeds[0]
    assert resnet["title"] == "Deep Residual Learning for Image Recognition"
    assert resnet["url"] == "https://arxiv.org/abs/1512.03385"
    assert "No abstract at hand" in resnet["description"]
    fields = {f["name"]: f["value"] for f in resnet["fields"]}
    assert fields["Authors"] == "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun"
    assert len(fake_arxiv.requests) == 1  # asked once, then backed off


async def test_restart_just_after_a_post_sends_nothing_more(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    clock.set(DUE)
    await paper_club(bot).run_due()
    assert len(bot_posts(sim, world.papers)) == 1

    clock.advance(timedelta(seconds=30))
    bot = await harness.restart()
    await bot.settled()
    assert await bot.agenda.earliest() == DUE + WEEK
    assert len(bot_posts(sim, world.papers)) == 1


async def test_restart_across_the_due_time_posts_once_late(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await harness.stop()

    clock.set(DUE + timedelta(hours=2))
    bot = await harness.start()
    await bot.settled()
    [post] = bot_posts(sim, world.papers)
    assert "Posted late" in post.content
    assert f"<t:{int(DUE.timestamp())}:f>" in post.content
    assert post.thread is not None

    # Neither another run nor another restart sends it again.
    assert (await paper_club(bot).run_due()).posted == 0
    clock.advance(timedelta(minutes=5))
    bot = await harness.restart()
    await bot.settled()
    assert len(bot_posts(sim, world.papers)) == 1


async def test_down_more_than_six_hours_skips_and_next_week_fires(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await harness.stop()

    clock.set(DUE + timedelta(hours=6, minutes=1))
    bot = await harness.start()
    cog = paper_club(bot)
    await bot.settled()
    assert bot_posts(sim, world.papers) == []
    assert await cog.repo.claims(1) == [(DUE, True, "skipped")]

    clock.set(DUE + WEEK)
    assert (await cog.run_due()).posted == 1
    [post] = bot_posts(sim, world.papers)
    assert "Posted late" not in post.content
    # The skipped week's paper was not used up: it is the first reading-list paper.
    assert post.embeds[0]["url"] == ALEXNET_URL


async def test_new_schedule_never_fires_for_an_earlier_time(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    clock.set(DUE + timedelta(minutes=30))
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    report = await paper_club(bot).run_due()
    assert report.posted == 0 and not report.outcomes
    assert bot_posts(sim, world.papers) == []


async def test_deleted_channel_pauses_tells_admins_once_other_guilds_go_on(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    other_channel = sim.add_channel(world.other_guild, "papers")
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await schedule_posts(sim, world.other_guild, world.other_admin, other_channel)
    sim.remove_channel(world.papers)

    clock.set(DUE)
    report = await cog.run_due()
    assert report.posted == 1
    assert (await cog.repo.schedule(1)).paused  # type: ignore[union-attr]
    assert len(bot_posts(sim, other_channel)) == 1
    notices = bot_posts(sim, world.general)
    assert len(notices) == 1
    assert "paused" in notices[0].content and "no longer exists" in notices[0].content
    assert "/admin paper schedule" in notices[0].content

    clock.set(DUE + WEEK)
    report = await cog.run_due()
    assert report.posted == 1
    assert len(bot_posts(sim, other_channel)) == 2
    assert len(bot_posts(sim, world.general)) == 1  # told once
    assert bot_posts(sim, world.papers) == []


async def test_lost_permission_pauses_and_rescheduling_resumes(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    sim.set_bot_permissions(world.papers, allow_send=False)

    clock.set(DUE)
    assert (await cog.run_due()).posted == 0
    [notice] = bot_posts(sim, world.general)
    assert "can no longer post" in notice.content
    assert (await cog.repo.schedule(1)).paused  # type: ignore[union-attr]
    clock.set(DUE + WEEK)
    assert not (await cog.run_due()).outcomes
    assert len(bot_posts(sim, world.general)) == 1

    # Rescheduling while the permission is still missing is refused; after a fix it resumes.
    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin paper schedule",
        {"channel": world.papers, "weekday": 1, "time": "18:00", "timezone": "Europe/Berlin"},
    )
    assert res.ephemeral and "Send Messages" in res.content
    sim.set_bot_permissions(world.papers, allow_send=True)
    res = await schedule_posts(sim, world.guild, world.admin, world.papers)
    assert "Updated" in res.content
    clock.set(DUE + 2 * WEEK)
    assert (await cog.run_due()).posted == 1
    # The paper that could not be posted was not used up.
    assert bot_posts(sim, world.papers)[0].embeds[0]["url"] == ALEXNET_URL


async def test_admins_get_a_dm_when_the_system_channel_refuses_too(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    sim.set_bot_permissions(world.papers, allow_send=False)
    sim.set_bot_permissions(world.general, allow_send=False)
    clock.set(DUE)
    assert (await paper_club(bot).run_due()).posted == 0
    [dm] = sim.dms_to(world.admin)
    assert "paused" in dm.content


async def test_rate_limit_and_server_error_are_retried_without_a_duplicate(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    route = rf"^/channels/{world.papers.id}/messages$"

    sim.fail("POST", route, 429, times=1, retry_after=0.05)
    clock.set(DUE)
    assert (await cog.run_due()).posted == 1
    assert len(bot_posts(sim, world.papers)) == 1

    sim.fail("POST", route, 503, times=1)
    clock.set(DUE + WEEK)
    assert (await cog.run_due()).posted == 1
    assert len(bot_posts(sim, world.papers)) == 2
    path = f"/channels/{world.papers.id}/messages"
    statuses = [r.status for r in sim.requests if r.method == "POST" and r.path == path]
    assert statuses == [429, 200, 503, 200]
    # Every attempt of a post carries the claim's nonce with enforce_nonce, so that Discord
    # answers a repeated send with the message it already made.
    bodies = [b for m, p, b in sim.request_bodies if m == "POST" and p.endswith(path)]
    assert [(b["nonce"], b["enforce_nonce"]) for b in bodies] == [
        ("studybot-1", True),
        ("studybot-2", True),
    ]


async def test_failed_thread_creation_still_leaves_the_post(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    error_log: ErrorLog,
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    sim.fail("POST", r"^/channels/\d+/messages/\d+/threads$", 403, times=1)
    clock.set(DUE)
    assert (await paper_club(bot).run_due()).posted == 1
    [post] = bot_posts(sim, world.papers)
    assert post.thread is None
    res = await sim.invoke(world.guild, world.alice, "paper current")
    assert "ImageNet Classification" in res.text
    assert error_log.records == []


async def test_the_agenda_wakes_at_the_earliest_due_time_from_the_table(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    berlin = parse_timezone("Europe/Berlin")
    await schedule_posts(sim, world.guild, world.admin, world.papers, time="02:30", weekday=6)
    sunday = next_occurrence(clock(), 6, datetime.strptime("02:30", "%H:%M").time(), berlin)
    assert sunday == datetime(2026, 11, 29, 1, 30, tzinfo=UTC)
    assert await bot.agenda.earliest() == sunday
    assert bot.agenda.armed_for == clock() + MAX_SLEEP  # it wakes at least every few minutes
    # One job for every schedule, none per schedule.
    assert [job.id for job in bot.scheduler.get_jobs() if job.id != "db:checkpoint"] == ["agenda"]

    bot = await harness.restart()
    await bot.settled()
    assert await bot.agenda.earliest() == sunday

    other = sim.add_channel(world.guild, "evening")
    await schedule_posts(sim, world.guild, world.admin, other, time="19:15", weekday=2)
    assert await bot.agenda.earliest() == datetime(2026, 11, 25, 18, 15, tzinfo=UTC)

    res = await sim.invoke(world.guild, world.admin, "admin paper unschedule", {"channel": other})
    assert res.ephemeral and "Stopped" in res.content
    assert await bot.agenda.earliest() == sunday
    clock.set(sunday - timedelta(minutes=1))
    assert await bot.agenda.rearm() == sunday


async def test_the_agenda_job_itself_delivers_once(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    clock.set(DUE + timedelta(seconds=2))
    await bot.agenda.run_now()
    await bot.agenda.run_now()
    assert len(bot_posts(sim, world.papers)) == 1
    assert await bot.agenda.earliest() == DUE + WEEK


async def test_a_week_with_nothing_left_says_so_without_a_ping(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    cog.delivery.reading_list = cog.delivery.reading_list[:1]  # a server that read all but one
    readers = sim.add_role(world.guild, "readers", mentionable=True)
    await schedule_posts(sim, world.guild, world.admin, world.papers, role=readers)
    for week in range(2):
        clock.set(DUE + week * WEEK)
        await cog.run_due()
    first, second = bot_posts(sim, world.papers)
    assert first.content == readers.mention and first.thread is not None
    assert second.embeds[0]["title"] == "No paper this week"
    assert "/paper suggest" in second.embeds[0]["description"]
    assert second.content == "" and second.allowed_mentions == {"parse": []}
    assert second.thread is None
    res = await sim.invoke(world.guild, world.alice, "paper current")
    assert "ImageNet Classification" in res.text  # still the last paper posted
