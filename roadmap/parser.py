"""Parse a roadmap markdown file into the model, reporting every problem with its line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from roadmap.model import (
    PathStep,
    Phase,
    ResourceCategory,
    ResourceItem,
    Roadmap,
    Section,
    TopicGroup,
)

DEFAULT_ROADMAP_NAME = "ml-mastery-roadmap.md"
# A real roadmap is a few dozen KB; anything far bigger is a wrong file, not a roadmap.
MAX_ROADMAP_BYTES = 2_000_000

# The patterns are applied to stripped lines and have no two adjacent quantifiers that can
# match the same characters, so a hostile 100,000-character line is still parsed in linear time.
_HEADING = re.compile(r"^(#{1,6})(?:[ \t]+(.*))?$")
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,3}[.)])(?:[ \t]+(?P<text>.*))?$")
_PHASE = re.compile(r"^phase[ \t]+(\d{1,3})\b[ \t]*[:.\-–—]?(.*)$", re.IGNORECASE)
_SECTION = re.compile(r"^(\d{1,3})\.(\d{1,3})\.?(?:[ \t]+(.*))?$")
_DURATION_WORDS = re.compile(
    r"\d|ongoing|month|week|year|day|hour|self[- ]paced|flexible|continuous", re.IGNORECASE
)
_PLAIN_KEY_VALUE = re.compile(r"^(?P<key>[^:]{1,40}):[ \t]+(?P<value>.+)$")


class RoadmapIssue(BaseModel):
    """One problem found in a roadmap file; line 0 means the file as a whole."""

    model_config = ConfigDict(frozen=True)

    line: int
    message: str

    def __str__(self) -> str:
        """Return "line N: message" (just the message for whole-file issues)."""
        return f"line {self.line}: {self.message}" if self.line > 0 else self.message


class RoadmapError(ValueError):
    """Raised when a roadmap cannot be loaded; carries every issue that was found."""

    def __init__(self, issues: list[RoadmapIssue]) -> None:
        self.issues = sorted(issues, key=lambda issue: issue.line)
        super().__init__("\n".join(str(issue) for issue in self.issues))


# --- mutable builders used while walking the file --------------------------------------------


@dataclass
class _GroupBuilder:
    name: str | None
    line: int
    items: list[str] = field(default_factory=list)
    # A bold label ("- **Core Topics:**") promises items; a plain "- Build projects:" may
    # turn out to be a simple item when nothing is nested under it.
    labelled: bool = False
    raw: str = ""
    item_lines: list[int] = field(default_factory=list)

    def add(self, text: str, line: int) -> None:
        self.items.append(text)
        self.item_lines.append(line)


@dataclass
class _SectionBuilder:
    id: str
    title: str
    phase: int
    line: int
    groups: list[_GroupBuilder] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    resources_line: int | None = None
    in_resources: bool = False
    has_resources_label: bool = False


@dataclass
class _PhaseBuilder:
    number: int
    title: str
    duration: str | None
    line: int
    sections: list[_SectionBuilder] = field(default_factory=list)


@dataclass
class _CategoryBuilder:
    name: str
    line: int
    items: list[ResourceItem] = field(default_factory=list)


_EXPECTED_H2 = (
    "expected '## Phase N: Title (duration)', '## Essential Free Resources Summary', "
    "'## Recommended Learning Path', '## Study Tips' or '## Time Estimate'"
)


def _clean_heading(text: str) -> str:
    """Strip decoration that does not change a heading's meaning: bold markers, a colon."""
    text = text.strip()
    for marker in ("**", "__"):
        if len(text) > 4 and text.startswith(marker) and text.endswith(marker):
            text = text[2:-2].strip()
    return text.rstrip(":").strip()


def _match_bullet(raw: str) -> re.Match[str] | None:
    """Match a list item ("- x", "* x", "1. x") with its indentation; None otherwise."""
    return _BULLET.match(raw.rstrip())


def _is_rule(raw: str) -> bool:
    """Return True for a horizontal rule such as "---" or "* * *"."""
    compact = raw.replace(" ", "").replace("\t", "")
    return len(compact) >= 3 and len(set(compact)) == 1 and compact[0] in "-*_"


def _split_bold(text: str) -> tuple[str, str] | None:
    """Split "**inner** rest" into (inner, rest); None when text does not open with bold."""
    marker = text[:2]
    if marker not in ("**", "__"):
        return None
    end = text.find(marker, 2)
    inner = text[2:end].strip() if end > 2 else ""
    if not inner or inner[0] in "*_":
        return None
    return inner, text[end + 2 :]


def _bold_label(text: str) -> str | None:
    """Return "Core Topics" for "**Core Topics:**", "**Core Topics**:" or "**Core Topics**"."""
    bold = _split_bold(text.strip())
    if bold is None or bold[1].strip() not in ("", ":"):
        return None
    return bold[0].removesuffix(":").strip() or None


def _split_duration(rest: str) -> tuple[str, str | None]:
    """Split "Title (2-3 months)" into title and duration; other parentheses stay in the title."""
    if rest.endswith(")") and "(" in rest:
        opening = rest.rfind("(")
        inner = rest[opening + 1 : -1]
        if ")" not in inner and _DURATION_WORDS.search(inner):
            return rest[:opening].strip(), inner.strip() or None
    return rest, None


def _indent_width(indent: str) -> int:
    return len(indent.expandtabs(4))


def _indent_of(raw: str) -> int:
    return _indent_width(raw[: len(raw) - len(raw.lstrip())])


class _Parser:
    """Line-by-line state machine; collects issues instead of stopping at the first."""

    def __init__(self) -> None:
        self.issues: list[RoadmapIssue] = []
        self.title: str | None = None
        self.title_line = 0
        self.phases: list[_PhaseBuilder] = []
        self.categories: list[_CategoryBuilder] = []
        self.path: list[PathStep] = []
        self.tips: list[str] = []
        self.time_estimate: str | None = None
        self.time_estimate_line = 0
        # "start", "phase", "summary", "path", "tips", "time" or "unknown"
        self.mode = "start"
        self.phase: _PhaseBuilder | None = None
        self.section: _SectionBuilder | None = None
        self.category: _CategoryBuilder | None = None
        self.section_lines: dict[str, int] = {}
        self.phase_lines: dict[int, int] = {}
        self.first_content_line = 0
        # True under a heading that was reported as misplaced or unknown: its body belongs
        # nowhere, and one issue for the heading is clearer than one per line below it.
        self.swallow = False

    def issue(self, line: int, message: str) -> None:
        self.issues.append(RoadmapIssue(line=line, message=message))

    # -- dispatch ---------------------------------------------------------------------------

    def feed(self, number: int, raw: str) -> None:
        if not raw.strip() or _is_rule(raw) or _is_comment(raw):
            return
        if not self.first_content_line:
            self.first_content_line = number
        heading = _HEADING.match(raw.strip()) if raw.lstrip().startswith("#") else None
        if heading and _indent_of(raw) < 4:
            self.swallow = False
            self.on_heading(number, len(heading.group(1)), _clean_heading(heading.group(2) or ""))
            return
        if self.try_time_estimate(number, raw) or self.swallow:
            return
        if self.mode == "phase":
            self.on_phase_line(number, raw)
        elif self.mode == "summary":
            self.on_summary_line(number, raw)
        elif self.mode == "path":
            self.on_path_line(number, raw)
        elif self.mode == "tips":
            self.on_tips_line(number, raw)
        elif self.mode == "time":
            self.on_time_line(number, raw)
        elif _match_bullet(raw):
            self.issue(
                number,
                "expected a phase heading like '## Phase 1: Title (duration)' before this bullet",
            )
        else:
            self.issue(
                number,
                "expected a phase heading like '## Phase 1: Title (duration)' before this text",
            )

    # -- headings ---------------------------------------------------------------------------

    def on_heading(self, number: int, level: int, text: str) -> None:
        if level == 1:
            self.close_section()
            if self.title is not None:
                self.issue(
                    number,
                    f"a second title line; the title was already set on line {self.title_line}",
                )
            elif not text:
                self.issue(number, "the title line is empty; expected '# Roadmap title'")
            else:
                if self.phases or self.mode != "start":
                    self.issue(number, "the title ('# Title') must come before the phases")
                self.title = text
                self.title_line = number
            return
        if level == 2:
            self.on_h2(number, text)
            return
        if level == 3:
            self.on_h3(number, text)
            return
        self.close_section()
        self.swallow = True
        self.issue(
            number,
            f"unexpected heading level {level} ('{'#' * level}'); expected "
            "'## Phase N: Title' or '### N.M Section title'",
        )

    def on_h2(self, number: int, text: str) -> None:
        self.close_section()
        self.phase = None
        self.category = None
        phase_match = _PHASE.match(text)
        if phase_match:
            self.start_phase(number, int(phase_match.group(1)), phase_match.group(2))
            return
        lowered = text.casefold()
        if "resource" in lowered:
            self.mode = "summary"
            if self.categories:
                self.issue(number, "a second resources summary heading; expected only one")
        elif "learning path" in lowered or lowered == "path":
            self.mode = "path"
            if self.path:
                self.issue(number, "a second learning path heading; expected only one")
        elif "tip" in lowered:
            self.mode = "tips"
            if self.tips:
                self.issue(number, "a second study tips heading; expected only one")
        elif "time estimate" in lowered:
            self.mode = "time"
        else:
            self.mode = "unknown"
            self.swallow = True
            shown = text if len(text) <= 60 else text[:57] + "..."
            self.issue(number, f"unknown heading '## {shown}'; {_EXPECTED_H2}")

    def start_phase(self, number: int, phase_number: int, rest: str) -> None:
        rest = rest.strip().rstrip(":").strip()
        rest, duration = _split_duration(rest)
        rest = rest.rstrip(":").strip()
        self.mode = "phase"
        if not rest:
            self.issue(
                number,
                f"phase {phase_number} has no title; expected "
                f"'## Phase {phase_number}: Title (duration)'",
            )
        if phase_number in self.phase_lines:
            self.issue(
                number,
                f"phase {phase_number} appears twice (first on line "
                f"{self.phase_lines[phase_number]})",
            )
        else:
            self.phase_lines[phase_number] = number
        self.phase = _PhaseBuilder(phase_number, rest, duration, number)
        self.phases.append(self.phase)

    def on_h3(self, number: int, text: str) -> None:
        self.close_section()
        if self.mode == "summary":
            if not text:
                self.issue(number, "empty category heading; expected '### Category name:'")
                self.category = None
                return
            self.category = _CategoryBuilder(text, number)
            self.categories.append(self.category)
            return
        if self.mode == "unknown":
            self.swallow = True  # under an unknown heading that was already reported
            return
        if self.mode != "phase" or self.phase is None:
            if self.mode == "start":
                self.issue(
                    number,
                    "expected a phase heading like '## Phase 1: Title (duration)' "
                    "before this section",
                )
                self.swallow = True
            else:
                self.issue(
                    number, f"unexpected '### {text}' heading in the {_MODE_NAMES[self.mode]}"
                )
                self.swallow = True
            return
        match = _SECTION.match(text)
        if not match or not (match.group(3) or "").strip():
            example = f"{self.phase.number}.{len(self.phase.sections) + 1}"
            self.issue(number, f"expected a section heading like '### {example} Title'")
            self.swallow = True
            return
        major, minor = int(match.group(1)), int(match.group(2))
        section_id = f"{major}.{minor}"
        title = _clean_heading(match.group(3) or "")
        if major != self.phase.number:
            self.issue(
                number,
                f"section id {section_id} does not belong to phase "
                f"{self.phase.number}; expected '### {self.phase.number}.N Title'",
            )
        if section_id in self.section_lines:
            self.issue(
                number,
                f"section {section_id} appears twice (first on line "
                f"{self.section_lines[section_id]})",
            )
        else:
            self.section_lines[section_id] = number
        self.section = _SectionBuilder(section_id, title, self.phase.number, number)
        self.phase.sections.append(self.section)

    # -- section bodies ---------------------------------------------------------------------

    def on_phase_line(self, number: int, raw: str) -> None:
        bullet = _match_bullet(raw)
        section = self.section
        if section is None:
            what = "bullet" if bullet else "text"
            assert self.phase is not None
            self.issue(
                number,
                f"expected a section heading like '### {self.phase.number}."
                f"{len(self.phase.sections) + 1} Title' before this {what}",
            )
            return
        if not bullet and _bold_label(raw) and _indent_of(raw) < 2:
            # "**Core Topics:**" without the dash still clearly opens a group.
            self.on_top_item(number, section, raw.strip())
            return
        if not bullet:
            self.issue(
                number,
                "expected a bullet ('- item') in section "
                f"{section.id}; plain text has no place in a section",
            )
            return
        text = (bullet.group("text") or "").strip()
        if not text:
            self.issue(number, "empty bullet; expected '- some text'")
            return
        if _indent_width(bullet.group("indent")) >= 2:
            self.on_nested_item(number, section, text)
        else:
            self.on_top_item(number, section, text)

    def on_top_item(self, number: int, section: _SectionBuilder, text: str) -> None:
        self.settle_pending_group(section)
        name = _bold_label(text)
        if name is not None:
            if name.casefold() in ("resources", "resource"):
                if section.has_resources_label:
                    self.issue(number, f"section {section.id} has a second 'Resources' list")
                section.in_resources = True
                section.has_resources_label = True
                section.resources_line = number
                return
            section.in_resources = False
            section.groups.append(_GroupBuilder(name, number, labelled=True, raw=text))
            return
        section.in_resources = False
        if text.endswith(":") and len(text) > 1:
            name = text[:-1].strip()
            section.groups.append(_GroupBuilder(name, number, labelled=False, raw=text))
            return
        last = section.groups[-1] if section.groups else None
        if last is None or last.name is not None:
            last = _GroupBuilder(None, number)
            section.groups.append(last)
        last.add(text, number)

    def on_nested_item(self, number: int, section: _SectionBuilder, text: str) -> None:
        if section.in_resources:
            section.resources.append(text)
            return
        last = section.groups[-1] if section.groups else None
        if last is None:
            self.issue(
                number,
                "expected a group line like '- **Core Topics:**' before this indented bullet",
            )
            return
        if last.name is None:
            # "- Some item" followed by indented bullets: the item was really a group label.
            name, line = last.items.pop(), last.item_lines.pop()
            if not last.items:
                section.groups.pop()
            last = _GroupBuilder(_bold_label(name) or name, line, raw=name)
            section.groups.append(last)
        last.add(text, number)

    def settle_pending_group(self, section: _SectionBuilder) -> None:
        """An unlabelled "- Text:" with nothing under it was a plain item after all."""
        if not section.groups:
            return
        last = section.groups[-1]
        if last.name is not None and not last.labelled and not last.items:
            section.groups.pop()
            previous = section.groups[-1] if section.groups else None
            if previous is None or previous.name is not None:
                previous = _GroupBuilder(None, last.line)
                section.groups.append(previous)
            previous.add(last.raw, last.line)

    def close_section(self) -> None:
        section = self.section
        self.section = None
        if section is None:
            return
        self.settle_pending_group(section)
        for group in section.groups:
            if not group.items:
                self.issue(
                    group.line,
                    f"'{group.name}' in section {section.id} has no items; "
                    "expected indented bullets like '  - topic' under it",
                )
        if section.has_resources_label and not section.resources:
            self.issue(
                section.resources_line or section.line,
                f"'Resources' in section "
                f"{section.id} has no items; expected indented bullets like "
                "'  - resource' under it",
            )
        if not section.groups and not section.has_resources_label:
            self.issue(section.line, f"section {section.id} has no topics or resources")

    # -- the parts after the phases ---------------------------------------------------------

    def on_summary_line(self, number: int, raw: str) -> None:
        bullet = _match_bullet(raw)
        if not bullet or not (bullet.group("text") or "").strip():
            self.issue(
                number,
                "expected a numbered resource like '1. **Name** (note)' under a category heading",
            )
            return
        if self.category is None:
            self.issue(
                number, "expected a category heading like '### Video Courses:' before this item"
            )
            return
        self.category.items.append(_resource_item((bullet.group("text") or "").strip()))

    def on_path_line(self, number: int, raw: str) -> None:
        step = _key_value(raw)
        if step is None:
            self.issue(number, "expected a learning path step like '**Months 1-3:** what to study'")
            return
        self.path.append(PathStep(months=step[0], text=step[1]))

    def on_tips_line(self, number: int, raw: str) -> None:
        bullet = _match_bullet(raw)
        text = (bullet.group("text") or "").strip() if bullet else ""
        if not bullet or not text or _indent_width(bullet.group("indent")) >= 2:
            self.issue(number, "expected a study tip like '1. Learn by doing'")
            return
        self.tips.append(text)

    def on_time_line(self, number: int, raw: str) -> None:
        text = raw.strip()
        bullet = _match_bullet(raw)
        if bullet:
            text = (bullet.group("text") or "").strip()
        self.set_time_estimate(number, text)

    def try_time_estimate(self, number: int, raw: str) -> bool:
        pair = _key_value(raw, bold_only=True)
        if pair is None or pair[0].casefold() != "time estimate":
            return False
        self.close_section()
        self.set_time_estimate(number, pair[1])
        return True

    def set_time_estimate(self, number: int, text: str) -> None:
        if self.time_estimate is not None:
            self.issue(
                number, f"a second time estimate; the first is on line {self.time_estimate_line}"
            )
            return
        if not text:
            self.issue(number, "the time estimate is empty")
            return
        self.time_estimate = text
        self.time_estimate_line = number

    # -- result -----------------------------------------------------------------------------

    def finish(self) -> Roadmap:
        self.close_section()
        if self.title is None and self.first_content_line:
            self.issue(
                self.first_content_line,
                "expected the roadmap title like "
                "'# Machine Learning Mastery Roadmap' as the first line",
            )
        if not self.first_content_line:
            self.issue(0, "the roadmap is empty")
        elif not self.phases:
            self.issue(0, "no phases found; expected headings like '## Phase 1: Title (duration)'")
        for phase in self.phases:
            if not phase.sections:
                self.issue(
                    phase.line,
                    f"phase {phase.number} has no sections; expected "
                    f"'### {phase.number}.1 Title' headings under it",
                )
        for category in self.categories:
            if not category.items:
                self.issue(category.line, f"resource category '{category.name}' has no items")
        if self.issues:
            raise RoadmapError(self.issues)
        return Roadmap(
            title=self.title or "",
            phases=[_build_phase(phase) for phase in self.phases],
            resources_summary=[
                ResourceCategory(name=category.name, items=category.items)
                for category in self.categories
            ],
            learning_path=self.path,
            study_tips=self.tips,
            time_estimate=self.time_estimate,
        )


_MODE_NAMES = {
    "summary": "resources summary",
    "path": "learning path",
    "tips": "study tips",
    "time": "time estimate",
}


def _is_comment(raw: str) -> bool:
    stripped = raw.strip()
    return stripped.startswith("<!--") and stripped.endswith("-->")


def _key_value(raw: str, *, bold_only: bool = False) -> tuple[str, str] | None:
    """Split "**Key:** value" (optionally bulleted; also "Key: value") into its two parts."""
    text = raw.strip()
    bullet = _match_bullet(text)
    if bullet and not text.startswith("**") and not text.startswith("__"):
        text = (bullet.group("text") or "").strip()
    pair: tuple[str, str] | None = None
    bold = _split_bold(text)
    if bold is not None:
        inner, rest = bold[0], bold[1].strip()
        if inner.endswith(":"):
            pair = inner[:-1], rest
        elif rest.startswith(":"):
            pair = inner, rest[1:]
    elif not bold_only:
        plain = _PLAIN_KEY_VALUE.match(text)
        if plain is not None:
            pair = plain.group("key"), plain.group("value")
    if pair is None:
        return None
    key, value = pair[0].strip(), pair[1].strip()
    if not key or not value:
        return None
    return key, value


def _resource_item(text: str) -> ResourceItem:
    """Turn "**Name** (note)" / "**Name** by someone" / "Plain name" into a ResourceItem."""
    bold = _split_bold(text)
    if bold is None:
        return ResourceItem(name=text, note=None, text=text)
    name, rest = bold[0], bold[1].strip()
    if not rest:
        return ResourceItem(name=name, note=None, text=name)
    plain = f"{name} {rest}"
    if rest.startswith("(") and rest.endswith(")") and rest.count("(") == 1:
        return ResourceItem(name=name, note=rest[1:-1].strip() or None, text=plain)
    return ResourceItem(name=name, note=rest, text=plain)


def _build_phase(phase: _PhaseBuilder) -> Phase:
    return Phase(
        number=phase.number,
        title=phase.title,
        duration=phase.duration,
        line=phase.line,
        sections=[
            Section(
                id=section.id,
                title=section.title,
                phase=section.phase,
                line=section.line,
                groups=[
                    TopicGroup(name=group.name, items=group.items, line=group.line)
                    for group in section.groups
                ],
                resources=section.resources,
            )
            for section in phase.sections
        ],
    )


def _split_lines(text: str) -> list[str]:
    # str.splitlines() also splits on form feeds and U+2028, which would make our line
    # numbers disagree with the editor's; only \r\n, \r and \n end a line here.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_roadmap(text: str) -> Roadmap:
    """Parse roadmap markdown into a Roadmap; raise RoadmapError listing every issue."""
    text = text.removeprefix("\ufeff")
    parser = _Parser()
    for number, raw in enumerate(_split_lines(text), start=1):
        parser.feed(number, raw)
    return parser.finish()


def default_roadmap_path() -> Path:
    """Return the path of the roadmap shipped inside the package."""
    resource = resources.files("roadmap") / DEFAULT_ROADMAP_NAME
    if isinstance(resource, Path):
        return resource
    return Path(__file__).with_name(DEFAULT_ROADMAP_NAME)


def _read_text(source: Traversable | Path) -> tuple[str | None, RoadmapIssue | None]:
    """Read a roadmap file as UTF-8; return the text or a whole-file issue."""
    name = str(source)
    try:
        if isinstance(source, Path) and source.is_dir():
            return None, RoadmapIssue(line=0, message=f"{name} is a directory, not a file")
        data = source.read_bytes()
    except FileNotFoundError:
        return None, RoadmapIssue(line=0, message=f"{name} does not exist")
    except PermissionError:
        return None, RoadmapIssue(line=0, message=f"{name} cannot be read (permission denied)")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return None, RoadmapIssue(line=0, message=f"{name} cannot be read ({reason})")
    if len(data) > MAX_ROADMAP_BYTES:
        return None, RoadmapIssue(
            line=0,
            message=f"{name} is {len(data):,} bytes; a roadmap file must be under "
            f"{MAX_ROADMAP_BYTES:,} bytes",
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad_line = data[: error.start].count(b"\n") + 1
        return None, RoadmapIssue(
            line=0,
            message=f"{name} is not valid UTF-8 text (byte 0x{data[error.start]:02x} on "
            f"line {bad_line}); save it as UTF-8",
        )


def check_roadmap_file(path: str | Path) -> list[RoadmapIssue]:
    """Validate a roadmap file and return its issues (empty when it is fine)."""
    text, problem = _read_text(Path(path))
    if problem is not None or text is None:
        return [problem] if problem is not None else []
    try:
        parse_roadmap(text)
    except RoadmapError as error:
        return error.issues
    return []


def load_roadmap(path: str | Path | None = None) -> Roadmap:
    """Load and parse a roadmap file (the shipped one when path is None)."""
    source: Traversable | Path
    if path is None:
        source = resources.files("roadmap") / DEFAULT_ROADMAP_NAME
    else:
        source = Path(path)
    text, problem = _read_text(source)
    if problem is not None or text is None:
        raise RoadmapError([problem] if problem is not None else [])
    return parse_roadmap(text)
