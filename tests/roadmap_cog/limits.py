"""Discord's embed limits, checked on what the bot sent (as dicts) or built (as embeds)."""

from __future__ import annotations

from typing import Any

import discord


def embed_problems(embed: dict[str, Any] | discord.Embed) -> list[str]:
    """Every way an embed breaks Discord's limits (empty when it is fine)."""
    data = embed.to_dict() if isinstance(embed, discord.Embed) else embed
    problems = []
    title = data.get("title") or ""
    description = data.get("description") or ""
    fields = data.get("fields") or []
    footer = (data.get("footer") or {}).get("text") or ""
    author = (data.get("author") or {}).get("name") or ""
    if len(title) > 256:
        problems.append(f"title {len(title)} > 256")
    if len(description) > 4096:
        problems.append(f"description {len(description)} > 4096")
    if len(fields) > 25:
        problems.append(f"{len(fields)} fields > 25")
    total = len(title) + len(description) + len(footer) + len(author)
    for field in fields:
        name, value = field.get("name") or "", field.get("value") or ""
        if not name.strip() or not value.strip():
            problems.append("empty field name or value")
        if len(name) > 256:
            problems.append(f"field name {len(name)} > 256")
        if len(value) > 1024:
            problems.append(f"field value {len(value)} > 1024")
        total += len(name) + len(value)
    if len(footer) > 2048:
        problems.append(f"footer {len(footer)} > 2048")
    if total > 6000:
        problems.append(f"total {total} > 6000")
    return problems


def assert_within_limits(embeds: list[dict[str, Any]] | list[discord.Embed]) -> None:
    """Fail with the problems of every embed that breaks a limit."""
    found = {index: embed_problems(embed) for index, embed in enumerate(embeds)}
    assert not any(found.values()), {k: v for k, v in found.items() if v}
