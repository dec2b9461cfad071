"""Prove that a parsed roadmap holds every content line of its source file.

`model_strings` flattens a Roadmap into every text a reader could see, in the shape the
markdown writes it ("Phase 1: Title (duration)", "4.5 Title", "Months 1-3: text", ...);
`unaccounted_lines` strips the markdown markers from each content line of the file and
checks it off against that multiset. A line the parser dropped, or a model text the file
does not have, shows up in the result.
"""

from __future__ import annotations

import re
from collections import Counter

from roadmap.model import Roadmap

# Headings that only switch the parser into a part of the file; the model represents them
# by the part itself, so each is accounted for when that part is not empty.
STRUCTURAL_HEADINGS = {
    "Essential Free Resources Summary": lambda roadmap: bool(roadmap.resources_summary),
    "Recommended Learning Path": lambda roadmap: bool(roadmap.learning_path),
    "Study Tips": lambda roadmap: bool(roadmap.study_tips),
}

_HEADING_MARKS = re.compile(r"^#{1,6}\s+")
_LIST_MARKS = re.compile(r"^(?:[-*+]|\d+[.)])\s+")


def content_text(line: str) -> str | None:
    """Return a line's text without markdown markers, or None for blank and rule lines."""
    text = line.strip()
    if not text or re.fullmatch(r"[-*_]{3,}", text):
        return None
    text = _HEADING_MARKS.sub("", text)
    text = _LIST_MARKS.sub("", text)
    text = text.replace("**", "").strip()
    return text.removesuffix(":").strip() or None


def model_strings(roadmap: Roadmap) -> Counter[str]:
    """Return every text the model holds, shaped like its markdown line, with multiplicity."""
    found: Counter[str] = Counter()
    found[roadmap.title] += 1
    for phase in roadmap.phases:
        heading = f"Phase {phase.number}: {phase.title}"
        found[f"{heading} ({phase.duration})" if phase.duration else heading] += 1
        for section in phase.sections:
            found[f"{section.id} {section.title}"] += 1
            for group in section.groups:
                if group.name is not None:
                    found[group.name] += 1
                found.update(group.items)
            if section.resources:
                found["Resources"] += 1
                found.update(section.resources)
    for category in roadmap.resources_summary:
        found[category.name] += 1
        for item in category.items:
            if item.note is None:
                found[item.name] += 1
            elif item.note.startswith("by "):
                found[f"{item.name} {item.note}"] += 1
            else:
                found[f"{item.name} ({item.note})"] += 1
    for step in roadmap.learning_path:
        found[f"{step.months}: {step.text}"] += 1
    found.update(roadmap.study_tips)
    if roadmap.time_estimate is not None:
        found[f"Time Estimate: {roadmap.time_estimate}"] += 1
    for heading, present in STRUCTURAL_HEADINGS.items():
        if present(roadmap):
            found[heading] += 1
    return found


def unaccounted_lines(text: str, roadmap: Roadmap) -> tuple[list[tuple[int, str]], list[str]]:
    """Return (file lines missing from the model, model texts missing from the file)."""
    available = model_strings(roadmap)
    missing: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        content = content_text(line)
        if content is None:
            continue
        if available[content] > 0:
            available[content] -= 1
        else:
            missing.append((number, content))
    extra = sorted(available.elements())
    return missing, extra
