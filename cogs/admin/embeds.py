"""Pure rendering of /admin status from the features' status sections."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.text import clip, plain
from cogs.admin.group import StatusSection

COLOUR = 0x5865F2
#: Room left under Discord's 4096-character embed description.
PAGE_LIMIT = 3900
LINE_LIMIT = 1000
FOOTER = "Only you see this. Times show in your own time zone."


def status_lines(parts: Sequence[tuple[StatusSection, str]]) -> list[str]:
    """/admin status as lines: each set-up feature with its lines, then what is not set up.

    `parts` pairs each feature's section with its start hint.
    """
    configured = [(section, hint) for section, hint in parts if section.lines]
    idle = [(section, hint) for section, hint in parts if not section.lines]
    if not configured:
        lines = ["Nothing is set up in this server yet. To start:"]
        lines += [f"• **{section.title}**: {hint}" for section, hint in idle if hint]
        if len(lines) == 1:
            lines = ["Nothing is set up in this server yet."]
        return lines
    lines = []
    for section, _ in configured:
        if lines:
            lines.append("")
        lines.append(f"**{section.title}**")
        lines += [f"• {clip(line, LINE_LIMIT)}" for line in section.lines]
        lines += [clip(note, LINE_LIMIT) for note in section.notes]
    unused = [(section, hint) for section, hint in idle if hint]
    if unused:
        lines += ["", "**Not set up yet**"]
        lines += [f"• {section.title}: {hint}" for section, hint in unused]
    return lines


def status_embeds(guild_name: str, lines: Sequence[str]) -> list[discord.Embed]:
    """The /admin status pages (more than one only when a server has very much set up)."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and size + len(line) + 1 > PAGE_LIMIT:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    title = f"StudyBot in {plain(guild_name, 200)}"
    embeds = []
    for number, page in enumerate(pages, start=1):
        embed = discord.Embed(
            title=title if number == 1 else f"{title} (continued)",
            description="\n".join(page).strip() or "Nothing is set up in this server yet.",
            colour=COLOUR,
        )
        footer = FOOTER if len(pages) == 1 else f"Page {number} of {len(pages)} · {FOOTER}"
        embed.set_footer(text=footer)
        embeds.append(embed)
    return embeds
