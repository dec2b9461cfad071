"""Pure rendering of roadmap parts as Discord embeds, split over pages so nothing is cut off.

Every renderer returns a list of embeds, one per page. Long content is never clipped: a list
that does not fit one field continues in the next field, a field list that does not fit one
embed continues on the next page, and a single line longer than a field is wrapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import discord

from bot.text import clip, plain
from roadmap.lookup import SearchHit
from roadmap.model import Phase, ResourceCategory, Roadmap, Section

# Discord's limits for one embed.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000
FOOTER_LIMIT = 2048

# Room kept free on every page for what is added when it is sent: the footer ("Page 12 of
# 40 · …") and the "N members finished this" line of /topic.
PAGE_RESERVE = 200
# Descriptions of list pages stay well below the limit so that a page reads comfortably.
LIST_PAGE_CHARS = 3500

COLOUR = discord.Colour(0x2B7BB9)
BULLET = "•"
CONTINUED = " (continued)"
NO_GROUP_NAME = "Topics"


@dataclass(frozen=True, slots=True)
class Block:
    """A titled list that becomes one or more embed fields."""

    name: str
    lines: list[str]


def escape(text: str) -> str:
    """Roadmap text made literal: markdown characters shown as typed, mentions defused."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def wrap(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, at spaces where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
            # Never split an escape ("\*") from the character it escapes.
            while cut > 1 and rest[cut - 1] == "\\":
                cut -= 1
        pieces.append(rest[:cut].rstrip() or rest[:cut])
        rest = rest[cut:].lstrip(" ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _field_values(lines: Sequence[str]) -> list[str]:
    """Join lines into field values of at most FIELD_VALUE_LIMIT characters each."""
    values: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in wrap(line, FIELD_VALUE_LIMIT):
            extra = len(piece) + (1 if current else 0)
            if current and size + extra > FIELD_VALUE_LIMIT:
                values.append("\n".join(current))
                current, size = [], 0
                extra = len(piece)
            current.append(piece)
            size += extra
    if current:
        values.append("\n".join(current))
    return [value for value in values if value.strip()] or ["—"]


def _fields(block: Block) -> list[tuple[str, str]]:
    """The (name, value) fields of a block; a name too long for a field heads its list."""
    name = block.name.strip() or NO_GROUP_NAME
    lines = block.lines
    limit = FIELD_NAME_LIMIT - len(CONTINUED)
    if len(name) > limit:
        lines = [f"**{piece}**" for piece in wrap(name, FIELD_VALUE_LIMIT - 4)] + list(lines)
        name = clip(name, limit)
    values = _field_values(lines)
    return [(name if index == 0 else name + CONTINUED, value) for index, value in enumerate(values)]


def _heading(title: str, description: str) -> tuple[str, str]:
    """An embed title within its limit; a title too long to show whole opens the description."""
    if len(title) <= TITLE_LIMIT:
        return title, description
    return clip(title, TITLE_LIMIT), f"**{title}**\n{description}".strip()


def _new_page(title: str, description: str, colour: discord.Colour) -> discord.Embed:
    return discord.Embed(title=title, description=description or None, colour=colour)


def pack_fields(
    title: str,
    description: str,
    blocks: Iterable[Block],
    *,
    colour: discord.Colour = COLOUR,
    reserve: int = PAGE_RESERVE,
) -> list[discord.Embed]:
    """Pages of fields: every block's lines, split over fields and pages within the limits."""
    title, description = _heading(title, description)
    if len(description) > DESCRIPTION_LIMIT - reserve:
        # Only a custom roadmap with an absurdly long title gets here: the heading goes whole
        # on pages of its own, the fields follow.
        heading = pack_lines(title, description.split("\n"), colour=colour, reserve=reserve)
        return heading + pack_fields(title, "", blocks, colour=colour, reserve=reserve)
    budget = EMBED_TOTAL_LIMIT - reserve
    pages = [_new_page(title, description, colour)]
    used = len(title) + len(description)
    for block in blocks:
        for name, value in _fields(block):
            page = pages[-1]
            if len(page.fields) >= FIELD_COUNT_LIMIT or used + len(name) + len(value) > budget:
                page = _new_page(title, description, colour)
                pages.append(page)
                used = len(title) + len(description)
            page.add_field(name=name, value=value, inline=False)
            used += len(name) + len(value)
    return pages


def pack_lines(
    title: str,
    lines: Iterable[str],
    *,
    colour: discord.Colour = COLOUR,
    reserve: int = PAGE_RESERVE,
    page_chars: int = LIST_PAGE_CHARS,
) -> list[discord.Embed]:
    """Pages whose descriptions hold the lines in order, none split unless longer than a page."""
    title, heading = _heading(title, "")
    limit = min(page_chars, DESCRIPTION_LIMIT - reserve, EMBED_TOTAL_LIMIT - reserve - len(title))
    chunks: list[list[str]] = [[]]
    size = 0
    all_lines = ([heading] if heading else []) + list(lines)
    for line in all_lines:
        for piece in wrap(line, limit):
            extra = len(piece) + (1 if chunks[-1] else 0)
            if chunks[-1] and size + extra > limit:
                chunks.append([])
                size, extra = 0, len(piece)
            chunks[-1].append(piece)
            size += extra
    return [_new_page(title, "\n".join(chunk), colour) for chunk in chunks]


def number_pages(pages: list[discord.Embed], extra: str = "") -> list[discord.Embed]:
    """Put "Page i of n" (and an optional note) in the footer of each page; returns the pages."""
    total = len(pages)
    for index, page in enumerate(pages, start=1):
        parts = [f"Page {index} of {total}"] if total > 1 else []
        if extra:
            parts.append(extra)
        if parts:
            page.set_footer(text=clip(" · ".join(parts), FOOTER_LIMIT))
    return pages


# --- the roadmap's parts ----------------------------------------------------------------------


def phase_heading(phase: Phase) -> str:
    """ "Phase 4: Deep Learning", the way every reply names a phase."""
    return f"Phase {phase.number}: {phase.title}"


def phase_line(phase: Phase | None) -> str:
    """The phase of a section with its duration, as shown under a /topic title."""
    if phase is None:
        return ""
    duration = f" · {escape(phase.duration)}" if phase.duration else ""
    return f"**{escape(phase_heading(phase))}**{duration}"


def section_blocks(section: Section) -> list[Block]:
    """A section's topic groups and its resources as titled lists."""
    blocks = [
        Block(
            escape(group.name or NO_GROUP_NAME),
            [f"{BULLET} {escape(item)}" for item in group.items],
        )
        for group in section.groups
        if group.items
    ]
    if section.resources:
        blocks.append(
            Block("Resources", [f"{BULLET} {escape(item)}" for item in section.resources])
        )
    return blocks


def section_pages(roadmap: Roadmap, section: Section) -> list[discord.Embed]:
    """The /topic pages of a section: id and title, phase and duration, topics, resources.

    Pages leave PAGE_RESERVE characters free for `topic_extras`.
    """
    title = escape(f"{section.id} {section.title}")
    description = phase_line(roadmap.phase(section.phase))
    blocks = section_blocks(section)
    if not blocks:
        description = (description + "\n\n*This section lists no topics or resources.*").strip()
    return pack_fields(title, description, blocks)


def finished_line(count: int) -> str:
    """ "N members finished this", in words a member would use."""
    if count <= 0:
        return "✅ Nobody here has finished this yet"
    if count == 1:
        return "✅ 1 member finished this"
    return f"✅ {count} members finished this"


def topic_extras(
    page: discord.Embed, *, index: int, total: int, position: str, finished: int | None
) -> discord.Embed:
    """A copy of a cached /topic page with its page number, position and finished count."""
    embed = page.copy()
    if finished is not None:
        line = finished_line(finished)
        embed.description = f"{embed.description}\n{line}" if embed.description else line
    parts = [f"Page {index + 1} of {total}"] if total > 1 else []
    parts.append(position)
    embed.set_footer(text=" · ".join(parts))
    return embed


def roadmap_pages(roadmap: Roadmap) -> list[discord.Embed]:
    """/roadmap: every phase with its duration and section titles, and the time estimate."""
    description = f"{roadmap.section_count} sections in {len(roadmap.phases)} phases."
    if roadmap.time_estimate:
        description += f"\n**Time estimate:** {escape(roadmap.time_estimate)}"
    description += "\nType `/topic 4.5` (or a word such as `transformer`) to open a section."
    blocks = []
    for phase in roadmap.phases:
        name = escape(phase_heading(phase) + (f" · {phase.duration}" if phase.duration else ""))
        lines = [f"`{s.id}` {escape(s.title)}" for s in phase.sections]
        blocks.append(Block(name, lines))
    return number_pages(pack_fields(escape(roadmap.title), description, blocks))


def phase_pages(phase: Phase, phase_count: int) -> list[discord.Embed]:
    """/phase: a phase's title, duration and its sections with their titles."""
    duration = f"**Duration:** {escape(phase.duration)}" if phase.duration else ""
    sections = len(phase.sections)
    noun = "section" if sections == 1 else "sections"
    description = f"{duration}\n{sections} {noun}.".strip()
    lines = [
        f"`{s.id}` **{escape(s.title)}** — {len(s.topics())} topics, {len(s.resources)} resources"
        for s in phase.sections
    ]
    blocks = [Block("Sections", lines)]
    pages = pack_fields(escape(phase_heading(phase)), description, blocks)
    return number_pages(pages, f"Phase {phase.number} of {phase_count} · open one with /topic")


def path_pages(roadmap: Roadmap) -> list[discord.Embed]:
    """/path: the recommended learning path, step by step, and the time estimate."""
    lines = [f"**{escape(step.months)}:** {escape(step.text)}" for step in roadmap.learning_path]
    if roadmap.time_estimate:
        lines += ["", f"**Time estimate:** {escape(roadmap.time_estimate)}"]
    return number_pages(pack_lines("Recommended learning path", lines))


def category_block(category: ResourceCategory) -> Block:
    """One category of the resources summary as a titled list."""
    lines = []
    for item in category.items:
        text = item.text or item.name
        if item.name and text.startswith(item.name):
            # The name in bold as the roadmap writes it, the rest ("by …", "(d2l.ai)") plain.
            rest = text[len(item.name) :]
            lines.append(f"{BULLET} **{escape(item.name)}**{escape(rest)}")
        else:
            lines.append(f"{BULLET} {escape(text)}")
    return Block(escape(category.name), lines)


def resources_pages(categories: Sequence[ResourceCategory]) -> list[discord.Embed]:
    """/resources: the Essential Free Resources Summary, or one category of it."""
    title = "Essential free resources"
    if len(categories) == 1:
        title += f": {categories[0].name}"
    blocks = [category_block(category) for category in categories]
    hint = "Each section's own resources are on `/topic`."
    return number_pages(pack_fields(escape(title), hint, blocks))


def tips_pages(tips: Sequence[str]) -> list[discord.Embed]:
    """/tips: the study tips, numbered."""
    lines = [f"{number}. {escape(tip)}" for number, tip in enumerate(tips, start=1)]
    return number_pages(pack_lines("Study tips", lines))


def search_line(hit: SearchHit, section_titles: dict[str, str]) -> str:
    """One search hit: where it is (section id and title) and the matching text."""
    if hit.section_id is None:
        where = "`—` resources summary"
    else:
        where = f"`{hit.section_id}` {escape(section_titles.get(hit.section_id, ''))}".rstrip()
    if hit.kind == "section":
        return f"**{where}** — section title"
    return f"**{where}** — {hit.kind}: {escape(hit.text)}"


def search_pages(
    query: str, hits: Sequence[SearchHit], section_titles: dict[str, str]
) -> list[discord.Embed]:
    """/search: ranked hits, each with the section it belongs to."""
    shown = plain(query, 80)
    noun = "match" if len(hits) == 1 else "matches"
    lines = [f"{len(hits)} {noun}, best first. Open one with `/topic <id>`.", ""]
    lines += [
        f"{rank}. {search_line(hit, section_titles)}" for rank, hit in enumerate(hits, start=1)
    ]
    return number_pages(pack_lines(f"Search: {shown}", lines))


def not_found_message(query: str, suggestions: Sequence[Section], example: str) -> str:
    """The ephemeral reply for a section nobody can find: closest matches and what to type."""
    shown = plain(query, 60)
    lines = [f"No roadmap section matches “{shown}”."]
    if suggestions:
        lines.append("Closest sections:")
        lines += [f"• `{s.id}` {escape(clip(s.title, 80))}" for s in suggestions[:5]]
        lines.append(f"Type one of these ids, e.g. `/topic {suggestions[0].id}`.")
    else:
        lines.append(
            f"Type a section id such as `/topic {example}`, a title, or a word like "
            "`transformer`; `/roadmap` lists every section."
        )
    return "\n".join(lines)
