"""A busy study server, and every command and button of StudyBot run in it at real latency.

Shared by the latency suite (tests/latency/) and its benchmark (benchmarks/bench_latency.py):

* `build_stage` fills a server with what a real one holds — two dozen members with progress
  (three leaderboard pages), a paper queue of two pages and a posted paper of the week, paper
  schedules and Kaggle subscriptions, a live Kaggle list of two pages — through the bot's own
  commands, before any latency is switched on;
* `COMMANDS` says, for every slash command StudyBot registers (`/admin` subcommands included),
  who runs it, with which options, and what the real answer says;
* `run_everything` runs them all at once across members, presses every button their answers
  carry (◀ ▶ ✅ and the page turns of /topic, the pages of every paginated answer, both
  buttons of /privacy delete), asks every autocomplete, and returns one `Ack` per interaction.

Each interaction is checked as a member would see it: acknowledged by Discord within its
3-second window (counted from the dispatch of INTERACTION_CREATE, latency both ways included;
the simulator refuses a later callback as Discord does), and what finally shows is the real
answer, not an expiry and not the unexpected-error reply.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.client import StudyBot
from bot.clock import FakeClock
from bot.ui import OWNER_ONLY
from roadmap.parser import default_roadmap_path
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.kaggle import FakeKaggle
from tests.simulator import (
    DiscordSimulator,
    InteractionResult,
    SimChannel,
    SimGuild,
    SimMessage,
    SimUser,
)

#: Discord's window for the first answer to an interaction.
WINDOW = 3.0
#: Production's network delay each way, and the jittered range around it.
LATENCY = (0.15, 0.15)
JITTER = (0.10, 0.20)
#: How long arXiv takes to answer /paper suggest in the run: longer than the whole window.
SLOW_ARXIV = 3.5
#: How long a test waits for a deferred answer to be completed.
SETTLE = 15.0
#: Tuesday 2026-11-24 18:00 in Berlin: the paper of the week falls due.
PAPER_DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
MEMBERS = 24
#: The section that is too long for one embed (so /topic shows its page buttons).
LONG_SECTION = "4.5"
#: The reply that means the bot's handler failed.
UNEXPECTED = "Something went wrong on StudyBot's side"

SUB_COMMAND, SUB_GROUP = 1, 2


def long_section_roadmap(path: Path) -> Path:
    """The shipped roadmap with 4.5's resources grown past one embed; written to `path`."""
    text = default_roadmap_path().read_text("utf-8")
    marker = "  - Attention Is All You Need paper\n"
    assert marker in text, "the shipped roadmap changed: pick another line to extend"
    extra = "".join(
        f"  - Further reading {n:03d}: a chapter on attention, transformers and their training\n"
        for n in range(120)
    )
    path.write_text(text.replace(marker, marker + extra, 1), "utf-8")
    return path


def kaggle_records() -> list[dict[str, Any]]:
    """Seven active competitions (two /kaggle list pages); only one is a Research one."""
    records = []
    for n in range(7):
        category = "Research" if n == 0 else "Featured"
        slug = f"latency-challenge-{n}"
        records.append(
            {
                "ref": f"https://www.kaggle.com/competitions/{slug}",
                "title": f"Latency Challenge {n}",
                "url": f"https://www.kaggle.com/competitions/{slug}",
                "category": category,
                "reward": "$10,000",
                "deadline": "2027-03-31T23:59:00Z",
                "enabledDate": "2026-11-20T00:00:00Z",
                "teamCount": 10 + n,
            }
        )
    return records


@dataclass
class Stage:
    """The running server: the bot, its members and channels, and the fakes behind it."""

    sim: DiscordSimulator
    bot: StudyBot
    clock: FakeClock
    arxiv: FakeArxiv
    kaggle: FakeKaggle
    guild: SimGuild
    admin: SimUser
    members: list[SimUser]
    channels: dict[str, SimChannel]
    #: An arXiv paper nobody suggested yet (for the run's /paper suggest).
    fresh_paper: str = ""
    #: A queued paper, for /paper vote.
    queued_paper: str = ""
    #: The title of the posted paper of the week.
    current_title: str = ""
    #: Member roles in the run, by what they do (so concurrent commands never collide).
    cast: dict[str, SimUser] = field(default_factory=dict)

    def member(self, role: str) -> SimUser:
        """The member cast for a role, a different one for each role."""
        if role not in self.cast:
            self.cast[role] = self.members[len(self.cast) % len(self.members)]
        return self.cast[role]


async def build_stage(
    sim: DiscordSimulator,
    bot: StudyBot,
    clock: FakeClock,
    arxiv: FakeArxiv,
    kaggle: FakeKaggle,
    guild: SimGuild,
    admin: SimUser,
) -> Stage:
    """Fill the server through StudyBot's own commands (no latency yet); the stage."""
    assert sim.latency is None, "the state is built before the latency is switched on"
    sim.interaction_deadline = WINDOW
    channels = {
        name: sim.add_channel(guild, name)
        for name in (
            "paper-of-the-week",
            "paper-old",
            "paper-new",
            "kaggle-research",
            "kaggle-old",
            "kaggle-new",
        )
    }
    members = [
        sim.add_member(guild, f"member{n:02d}", global_name=f"Member {n:02d}")
        for n in range(MEMBERS)
    ]
    await sim.flush()
    stage = Stage(sim, bot, clock, arxiv, kaggle, guild, admin, members, channels)

    async def ok(res: Awaitable[InteractionResult], *wanted: str) -> InteractionResult:
        done = await res
        await done.wait_settled(SETTLE)
        for text in wanted:
            assert text in done.text, (text, done.text[:300])
        return done

    sections = [section.id for section in bot.roadmap.sections]
    # Progress: member n finished the first n % 9 + 1 sections (24 on the board: 3 pages).
    await asyncio.gather(
        *(
            ok(sim.invoke(guild, member, "done", {"section": section}), "Marked")
            for n, member in enumerate(members)
            for section in sections[: n % 9 + 1]
        )
    )
    # The paper queue: 13 suggestions, a few votes; the top one becomes the paper of the week.
    papers = list(arxiv.papers)
    assert len(papers) >= 15, "the fake arXiv needs more papers"
    for n, paper in enumerate(papers[:13]):
        await ok(sim.invoke(guild, members[n], "paper suggest", {"paper": paper}), "queue")
    for member in members[:3]:
        await ok(sim.invoke(guild, member, "paper vote", {"paper": papers[0]}), "Voted")
    stage.fresh_paper = papers[14]
    stage.queued_paper = papers[5]
    schedule = {"weekday": 1, "time": "18:00", "timezone": "Europe/Berlin"}

    async def paper_schedule(name: str) -> None:
        options = {"channel": channels[name], **schedule}
        await ok(
            sim.invoke(guild, admin, "admin paper schedule", options), "paper of the week goes to"
        )

    await paper_schedule("paper-of-the-week")
    clock.set(PAPER_DUE)
    club: Any = bot.get_cog("PaperClub")
    await club.run_due()
    posted = [m for m in sim.messages_in(channels["paper-of-the-week"]) if m.embeds]
    assert posted, "the paper of the week was not posted"
    stage.current_title = arxiv.papers[papers[0]].title  # the most votes
    await paper_schedule("paper-old")  # first due next week
    # Kaggle: the start-up poll has cached the list; two channels get Research competitions.
    feature: Any = bot.get_cog("Kaggle")
    await feature.settled()
    for name in ("kaggle-research", "kaggle-old"):
        await ok(
            sim.invoke(
                guild,
                admin,
                "admin kaggle subscribe",
                {"channel": channels[name], "category": "research"},
            ),
        )
    await feature.settled()
    # A member who left the leaderboards (for /privacy show).
    await ok(sim.invoke(guild, stage.member("hidden"), "privacy hide", {}), "hidden")
    await sim.flush()
    return stage


# -- the commands ---------------------------------------------------------------------------

Options = Callable[[Stage], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """How one command is run in the scenario, and what its real answer says."""

    #: "admin", or the member role it is cast to (a different member per role).
    who: str
    options: Options
    #: Text the real answer contains (in its content, embeds or buttons).
    expect: str | Callable[[Stage], str]
    #: Whether the answer is private; None: either.
    ephemeral: bool | None = None
    #: Whether the command acknowledges with a deferral ("thinking…") before its answer.
    defers: bool = False

    def expected(self, stage: Stage) -> str:
        """The text to look for."""
        return self.expect(stage) if callable(self.expect) else self.expect


def _none(stage: Stage) -> dict[str, Any]:
    return {}


def _channel(name: str, **extra: Any) -> Options:
    def options(stage: Stage) -> dict[str, Any]:
        return {"channel": stage.channels[name], **extra}

    return options


COMMANDS: dict[str, Case] = {
    "help": Case("reader", _none, "/topic", ephemeral=True),
    "topic": Case("reader", lambda s: {"section": "4.4"}, "4.4"),
    "phase": Case("reader", lambda s: {"number": 4}, "Phase 4"),
    "roadmap": Case("reader", _none, "Phase 1"),
    "path": Case("reader", _none, "Month"),
    "resources": Case("reader", _none, "Books"),
    "tips": Case("reader", _none, "tips"),
    "search": Case("reader", lambda s: {"query": "attention"}, "4.5", ephemeral=True),
    "done": Case("doer", lambda s: {"section": "7.1"}, "✅ Marked", ephemeral=True),
    "undo": Case("undoer", lambda s: {"section": "1.1"}, "↩️ Unmarked", ephemeral=True),
    "progress": Case("reader", _none, "Leaderboard", ephemeral=False),
    "rank": Case("ranker", _none, "Progress of", ephemeral=False, defers=True),
    "who": Case("reader", lambda s: {"section": "1.1"}, "finished", ephemeral=True),
    "privacy hide": Case("hider", _none, "You're now hidden", ephemeral=True),
    "privacy show": Case("hidden", _none, "Welcome back", ephemeral=True),
    "privacy export": Case("exporter", _none, "Here is everything", ephemeral=True),
    "privacy delete": Case("deleter", _none, "This deletes", ephemeral=True),
    "paper suggest": Case(
        "suggester",
        lambda s: {"paper": s.fresh_paper},
        "suggested a paper",
        ephemeral=False,
        defers=True,
    ),
    "paper queue": Case("reader", _none, "queue"),
    "paper vote": Case("voter", lambda s: {"paper": s.queued_paper}, "🗳️ Voted", ephemeral=True),
    "paper current": Case("reader", _none, lambda s: s.current_title),
    "paper read": Case("paper-reader", _none, "✅ Marked", ephemeral=True),
    "kaggle list": Case("reader", _none, "Latency Challenge"),
    "admin paper schedule": Case(
        "admin",
        _channel("paper-new", weekday=0, time="18:00", timezone="Europe/Berlin"),
        "📄 Scheduled",
        ephemeral=True,
    ),
    "admin paper unschedule": Case(
        "admin", _channel("paper-old"), "Stopped the paper of the week", ephemeral=True
    ),
    "admin kaggle subscribe": Case(
        "admin",
        _channel("kaggle-new", category="research"),
        lambda s: f"will be announced in {s.channels['kaggle-new'].mention}",
        ephemeral=True,
    ),
    "admin kaggle unsubscribe": Case(
        "admin", _channel("kaggle-old"), "are stopped", ephemeral=True
    ),
    "admin status": Case(
        "admin", _none, lambda s: s.channels["paper-of-the-week"].mention, ephemeral=True
    ),
}

#: Every option with an autocomplete, and what a member has typed into it so far.
AUTOCOMPLETES: dict[tuple[str, str], tuple[str, Options]] = {
    ("topic", "section"): ("reader", lambda s: {"section": "transf"}),
    ("done", "section"): ("doer", lambda s: {"section": "7"}),
    ("undo", "section"): ("undoer", lambda s: {"section": "1."}),
    ("who", "section"): ("reader", lambda s: {"section": "pandas"}),
    ("phase", "number"): ("reader", lambda s: {"number": "4"}),
    ("resources", "category"): ("reader", lambda s: {"category": "bo"}),
    ("paper vote", "paper"): ("voter", lambda s: {"paper": ""}),
    ("admin paper schedule", "timezone"): (
        "admin",
        lambda s: {"channel": s.channels["paper-new"], "timezone": "berl"},
    ),
}


def registered(commands: list[dict[str, Any]]) -> tuple[set[str], set[tuple[str, str]]]:
    """Every invocable command path StudyBot registered, and its autocompleted options."""
    leaves: set[str] = set()
    completes: set[tuple[str, str]] = set()

    def leaf(path: str, options: list[dict[str, Any]]) -> None:
        leaves.add(path)
        completes.update((path, o["name"]) for o in options if o.get("autocomplete"))

    for command in commands:
        if command.get("type", 1) != 1:
            continue
        options = command.get("options") or []
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_GROUP)]
        if not subs:
            leaf(command["name"], options)
        for sub in subs:
            if sub["type"] == SUB_COMMAND:
                leaf(f"{command['name']} {sub['name']}", sub.get("options") or [])
                continue
            for inner in sub.get("options") or []:
                leaf(f"{command['name']} {sub['name']} {inner['name']}", inner.get("options") or [])
    return leaves, completes


# -- acknowledgements -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    """One interaction of the run and how fast Discord saw it acknowledged."""

    #: What was done: "/topic", "/progress ▶", "/topic (autocomplete section)" ...
    name: str
    #: "command", "component" or "autocomplete".
    kind: str
    #: Seconds from the dispatch of INTERACTION_CREATE to the accepted callback.
    acked_after: float
    #: The callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices).
    response_type: int
    #: For a button: which one (◀, ▶, ◁, ▷ or its label), pressed on which command's answer.
    button: str = ""
    command: str = ""


async def outcome(res: InteractionResult, timeout: float = SETTLE) -> None:
    """Wait until the answer is complete, or Discord refused it (then at once)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not res.settled and loop.time() < deadline:
        if res.callback_arrived_after is not None and res.acked_after is None:
            return  # refused as too late: nothing the bot sends now reaches the member
        await asyncio.sleep(0.02)


def _ack(name: str, kind: str, res: InteractionResult) -> Ack:
    """Check that Discord accepted the first answer in time; the acknowledgement."""
    arrived = res.callback_arrived_after
    assert arrived is not None, f"{name}: the bot never answered"
    assert res.acked_after is not None, (
        f"{name}: the answer reached Discord after {arrived:.2f} s, too late: the member saw "
        "'The application did not respond'"
    )
    assert res.acked_after <= WINDOW, f"{name}: acknowledged after {res.acked_after:.2f} s"
    assert res.response_type is not None
    return Ack(name, kind, res.acked_after, res.response_type)


def check_answer(name: str, res: InteractionResult, wanted: str) -> None:
    """Fail unless the member sees the real answer (not an expiry, not an error)."""
    assert res.settled, f"{name}: deferred, then never completed: {res!r}"
    assert UNEXPECTED not in res.text, f"{name}: the handler failed: {res.text[:300]}"
    assert wanted in res.text, f"{name}: {wanted!r} not in the answer {res.text[:300]!r}"


async def invoke_checked(
    sim: DiscordSimulator,
    guild: SimGuild,
    user: SimUser,
    path: str,
    options: dict[str, Any],
    wanted: str,
) -> tuple[Ack, InteractionResult]:
    """Run a slash command; its acknowledgement, once the member sees `wanted` in the answer."""
    name = f"/{path}"
    res = await sim.invoke(guild, user, path, options, wait=False)
    await outcome(res)
    ack = _ack(name, "command", res)
    check_answer(name, res, wanted)
    return ack, res


async def run_command(stage: Stage, path: str, case: Case) -> tuple[Ack, InteractionResult]:
    """Run one command as its cast member; its acknowledgement and its checked answer."""
    user = stage.admin if case.who == "admin" else stage.member(case.who)
    name = f"/{path}"
    ack, res = await invoke_checked(
        stage.sim, stage.guild, user, path, case.options(stage), case.expected(stage)
    )
    if case.ephemeral is not None:
        assert res.ephemeral is case.ephemeral, f"{name}: ephemeral={res.ephemeral}"
    if case.defers:
        assert res.deferred, f"{name} answers before its slow work: it must defer"
    return ack, res


def reaction(sim: DiscordSimulator) -> float:
    """How long after an answer a member can press its buttons, at the least."""
    return (sim.latency[1] if sim.latency else 0.0) + 0.05


#: The button that leads back from where a forward button led.
BACK = {"▶": "◀", "▷": "◁"}


def button_key(button: dict[str, Any]) -> str:
    """What a button is, whatever section or page it points at: ◀, ▶, ◁, ▷ or its label."""
    label = str(button.get("label") or button.get("custom_id"))
    for arrow in ("◀", "▶", "◁", "▷"):
        if arrow in label:
            return arrow
    return label


def enabled_buttons(message: SimMessage | None) -> dict[str, dict[str, Any]]:
    """The message's pressable buttons by key (the first of each key)."""
    found: dict[str, dict[str, Any]] = {}
    if message is None:
        return found
    for button in message.buttons():
        if not button.get("disabled") and "custom_id" in button:
            found.setdefault(button_key(button), button)
    return found


def _snapshot(message: SimMessage) -> str:
    return json.dumps([message.content, message.embeds], sort_keys=True, default=str)


def expect_press(key: str, before: str, message: SimMessage, res: InteractionResult) -> None:
    """What pressing a button by the member who ran the command must show."""
    name = f"{key} on {message.id}"
    check_answer(name, res, "")
    if key in ("◀", "▶", "◁", "▷"):
        assert _snapshot(message) != before, f"{name}: the page did not turn"
    elif key == "Mark done":
        assert res.ephemeral and re.search(r"[Mm]arked .* done", res.text), res.text[:200]
    elif key == "Delete my data":
        assert message.content.startswith("Deleted"), message.content[:200]
    elif key == "Cancel":
        assert message.content.startswith("Cancelled"), message.content[:200]
    else:
        raise AssertionError(f"no expectation for the button {key!r}: add one")


async def press(
    stage: Stage,
    user: SimUser,
    message: SimMessage,
    button: dict[str, Any],
    command: str,
    *,
    other: bool = False,
) -> tuple[Ack, InteractionResult]:
    """Press a button on the answer of `command`, as a member can; its acknowledgement.

    A member presses a button only once the message reached them, and it reaches them no
    sooner than Discord's answer to the bot's callback gets back to the bot (one latency):
    only then does discord.py know the message's view and route the press to it.
    """
    await asyncio.sleep(reaction(stage.sim))
    res = await stage.sim.click(stage.guild, user, message, button["custom_id"], wait=False)
    await outcome(res)
    key = button_key(button)
    name = f"/{command} {key}" + (" (someone else's)" if other else "")
    ack = replace(_ack(name, "component", res), button=key, command=command)
    return ack, res


async def press_every_button(stage: Stage, path: str, case: Case) -> list[Ack]:
    """Run a command and press each button of its answer on a fresh answer; every ack."""
    user = stage.admin if case.who == "admin" else stage.member(case.who)
    ack, first = await run_command(stage, path, case)
    keys = list(enabled_buttons(first.message))

    async def one(key: str) -> list[Ack]:
        command, res = await run_command(stage, path, case)
        acks = [command]
        message = res.message
        assert message is not None
        pressed: set[str] = set()
        todo = [key]
        while todo:
            current = todo.pop(0)
            buttons = enabled_buttons(message)
            if current not in buttons:
                continue
            before = _snapshot(message)
            ack, answer = await press(stage, user, message, buttons[current], path)
            expect_press(current, before, message, answer)
            acks.append(ack)
            pressed.add(current)
            # A turn forward uncovers the way back (◀ is greyed out on the first page).
            back = BACK.get(current)
            if back is not None and back not in pressed:
                todo.append(back)
        return acks

    found = await asyncio.gather(*(one(key) for key in keys))
    return [ack, *(each for acks in found for each in acks)]


async def stranger_presses(stage: Stage) -> list[Ack]:
    """Members pressing buttons of someone else's answer: a private answer of their own."""
    acks = []
    ack, board = await run_command(stage, "progress", COMMANDS["progress"])
    acks.append(ack)
    assert board.message is not None
    stranger = stage.member("stranger")
    forward = enabled_buttons(board.message)["▶"]
    ack, res = await press(stage, stranger, board.message, forward, "progress", other=True)
    check_answer(ack.name, res, OWNER_ONLY)
    assert res.ephemeral
    acks.append(ack)
    ack, topic = await run_command(stage, "topic", COMMANDS["topic"])
    acks.append(ack)
    assert topic.message is not None
    before = _snapshot(topic.message)
    forward = enabled_buttons(topic.message)["▶"]
    ack, res = await press(stage, stranger, topic.message, forward, "topic", other=True)
    check_answer(ack.name, res, "4.5")
    assert res.ephemeral and _snapshot(topic.message) == before, "someone else's /topic moved"
    acks.append(ack)
    return acks


async def ask_autocomplete(stage: Stage, path: str, option: str) -> list[Ack]:
    """Ask one autocomplete as a member types; its acknowledgement (choices are checked)."""
    who, options = AUTOCOMPLETES[(path, option)]
    user = stage.admin if who == "admin" else stage.member(who)
    sim = stage.sim
    before = set(sim.interactions)
    choices = await sim.autocomplete(stage.guild, user, path, options(stage), option)
    assert choices, f"/{path} {option}: no choices"
    name = f"/{path} (autocomplete {option})"
    [asked] = [i for t, i in sim.interactions.items() if t not in before and i.name == name]
    return [_ack(name, "autocomplete", InteractionResult(asked))]


#: Commands whose answers must carry these buttons in the scenario (else the state is wrong).
BUTTONS_EXPECTED: dict[str, set[str]] = {
    "topic": {"◀", "▶", "Mark done"},
    "progress": {"▶", "◀"},
    "paper queue": {"▶", "◀"},
    "kaggle list": {"▶", "◀"},
    "who": {"▶", "◀"},
    "privacy delete": {"Delete my data", "Cancel"},
}


async def long_section_pages(stage: Stage) -> list[Ack]:
    """/topic on the long section: its page buttons ▷ and ◁."""
    case = Case("reader", lambda s: {"section": LONG_SECTION}, LONG_SECTION)
    acks = await press_every_button(stage, "topic", case)
    assert {"▷", "◁"} <= {ack.button for ack in acks}, acks
    renamed = f"/topic {LONG_SECTION}"
    return [
        replace(ack, name=ack.name.replace("/topic", renamed), command=renamed[1:]) for ack in acks
    ]


async def run_everything(stage: Stage, *, besides: Iterable[str] = ()) -> list[Ack]:
    """Every command, button and autocomplete at once across members; their acknowledgements.

    `besides`: commands registered for the measurement itself (a benchmark's floor), left out.
    """
    leaves, completes = registered(stage.sim.global_commands)
    leaves -= set(besides)
    assert leaves == set(COMMANDS), (
        f"commands without a latency case: {sorted(leaves - set(COMMANDS))}; "
        f"cases for no command: {sorted(set(COMMANDS) - leaves)}"
    )
    assert completes == set(AUTOCOMPLETES), sorted(completes ^ set(AUTOCOMPLETES))
    # The slow arXiv: /paper suggest can only answer in time by deferring first.
    stage.arxiv.slow(SLOW_ARXIV)
    jobs: list[Awaitable[list[Ack]]] = [
        press_every_button(stage, path, case) for path, case in COMMANDS.items()
    ]
    jobs += [long_section_pages(stage), stranger_presses(stage)]
    jobs += [ask_autocomplete(stage, path, option) for path, option in AUTOCOMPLETES]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise AssertionError("\n".join(f"{type(f).__name__}: {f}" for f in failures))
    acks = [ack for result in results if not isinstance(result, BaseException) for ack in result]
    # Discord has every answer; let its replies to the bot's last requests get back to it.
    await asyncio.sleep(reaction(stage.sim))
    pressed: dict[str, set[str]] = {}
    for ack in acks:
        if ack.kind == "component":
            pressed.setdefault(ack.command, set()).add(ack.button)
    for command, keys in BUTTONS_EXPECTED.items():
        assert keys <= pressed.get(command, set()), (command, pressed.get(command))
    return acks


def late_interactions(sim: DiscordSimulator, since: Iterable[str]) -> list[str]:
    """Interactions dispatched after `since` that Discord never saw acknowledged in time."""
    seen = set(since)
    late = []
    for token, inter in sim.interactions.items():
        if token in seen:
            continue
        after = inter.acked_after
        if after is None or after > WINDOW:
            late.append(f"{inter.name}: {after}")
    return late


def refused_callbacks(sim: DiscordSimulator) -> list[str]:
    """Interaction callbacks Discord refused (too late, or answered twice)."""
    return [
        f"{r.method} {r.path} {r.status}"
        for r in sim.requests
        if "/callback" in r.path and r.status >= 400
    ]


def slowest(acks: Iterable[Ack]) -> dict[str, Ack]:
    """The slowest acknowledgement of each interaction name."""
    worst: dict[str, Ack] = {}
    for ack in acks:
        key = re.sub(r"\s+", " ", ack.name)
        if key not in worst or ack.acked_after > worst[key].acked_after:
            worst[key] = ack
    return worst
