"""The /rank card: a PNG drawn with Pillow (CPU work: call it through asyncio.to_thread)."""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from cogs.progress.stats import RankFacts

WIDTH = 800
MARGIN = 32
ROW = 40
MAX_CHARS = 200  # nothing longer fits a line of the card
BACKGROUND = (30, 31, 34)
PANEL = (43, 45, 49)
TEXT = (242, 243, 245)
MUTED = (181, 186, 193)
ACCENT = (87, 242, 135)
TRACK = (78, 80, 88)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=8)
def font(size: int) -> Font:
    """Pillow's bundled font at a size (no font files needed)."""
    return ImageFont.load_default(size=size)


def drawable(text: str) -> str:
    """Text on one line without control, format or private-use characters."""
    flat = " ".join(text.split())
    kept = (ch for ch in flat if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn"))
    return "".join(kept).strip()


def fit(text: str, face: Font, width: float) -> str:
    """Text clipped with an ellipsis to at most `width` pixels."""
    text = drawable(text)[:MAX_CHARS]
    if face.getlength(text) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle] + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _bar(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], done: int, total: int) -> None:
    left, top, right, bottom = box
    radius = (bottom - top) // 2
    draw.rounded_rectangle(box, radius=radius, fill=TRACK)
    if total > 0 and done > 0:
        filled = left + max(bottom - top, round((right - left) * min(done, total) / total))
        draw.rounded_rectangle((left, top, filled, bottom), radius=radius, fill=ACCENT)


def render_card(facts: RankFacts) -> bytes:
    """Draw the progress card of one member as PNG bytes."""
    height = 250 + ROW * len(facts.phases) + 90
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((12, 12, WIDTH - 12, height - 12), radius=18, fill=PANEL)

    big, title, body, small = font(56), font(34), font(20), font(18)
    pct = f"{facts.percent}%"
    pct_width = big.getlength(pct)
    draw.text((WIDTH - MARGIN, 28), pct, font=big, fill=ACCENT, anchor="ra")
    name_width = WIDTH - 2 * MARGIN - pct_width - 24
    draw.text((MARGIN, 34), fit(facts.name, title, name_width), font=title, fill=TEXT)

    if facts.hidden:
        rank = "hidden from the leaderboards"
    elif facts.rank is None:
        rank = "not on the board yet"
    else:
        rank = f"rank #{facts.rank} of {facts.board_size:,}"
    summary = f"{facts.done} of {facts.total} sections of the roadmap · {rank}"
    draw.text((MARGIN, 92), fit(summary, body, WIDTH - 2 * MARGIN), font=body, fill=MUTED)
    _bar(draw, (MARGIN, 130, WIDTH - MARGIN, 150), facts.done, facts.total)

    y = 180
    draw.text((MARGIN, y), "Phases", font=body, fill=TEXT)
    y += 36
    label_width = 330
    bar_left, bar_right = MARGIN + label_width + 16, WIDTH - MARGIN - 70
    for phase in facts.phases:
        label = fit(f"{phase.number}  {phase.title}", small, label_width)
        draw.text((MARGIN, y), label, font=small, fill=TEXT)
        _bar(draw, (bar_left, y + 3, bar_right, y + 19), phase.done, phase.total)
        draw.text(
            (WIDTH - MARGIN, y), f"{phase.done}/{phase.total}", font=small, fill=MUTED, anchor="ra"
        )
        y += ROW

    y += 10
    weeks = "week" if facts.streak == 1 else "weeks"
    papers = "–" if facts.papers_read is None else str(facts.papers_read)
    draw.text(
        (MARGIN, y),
        f"Weekly streak: {facts.streak} {weeks}      Papers read: {papers}",
        font=body,
        fill=TEXT,
    )
    y += 34
    if facts.next_section is None:
        upcoming = "Next: the whole roadmap is done!"
    else:
        upcoming = f"Next: {facts.next_section[0]} {facts.next_section[1]}"
    draw.text((MARGIN, y), fit(upcoming, body, WIDTH - 2 * MARGIN), font=body, fill=MUTED)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
