"""Plain-text rendering of roadmap parts for the terminal (`studybot topic 4.5`)."""

from __future__ import annotations

from roadmap.model import Roadmap, Section


def section_text(roadmap: Roadmap, section: Section) -> str:
    """A section as terminal text: heading, phase and duration, topics by group, resources."""
    phase = roadmap.phase(section.phase)
    lines = [f"{section.id} {section.title}"]
    if phase is not None:
        duration = f" ({phase.duration})" if phase.duration else ""
        lines.append(f"Phase {phase.number}: {phase.title}{duration}")
    for group in section.groups:
        lines.append("")
        if group.name:
            lines.append(f"{group.name}:")
        lines.extend(f"  - {item}" for item in group.items)
    if section.resources:
        lines.append("")
        lines.append("Resources:")
        lines.extend(f"  - {item}" for item in section.resources)
    prev_id, next_id = roadmap.neighbours(section.id)
    nav = [f"previous: {prev_id}" if prev_id else "", f"next: {next_id}" if next_id else ""]
    if any(nav):
        lines.append("")
        lines.append("   ".join(part for part in nav if part))
    return "\n".join(lines)
