"""Typed, immutable model of a parsed roadmap (no Discord knowledge here)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator


class _Frozen(BaseModel):
    """Base for the roadmap models: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TopicGroup(_Frozen):
    """A list of topics inside a section, named ("Core Topics", "NumPy") or not (None).

    Plain bullets that sit under no label, like 7.2's "Participate in competitions", form a
    group whose name is None.
    """

    name: str | None
    items: list[str]
    line: int


class Section(_Frozen):
    """One numbered section of the roadmap, e.g. "4.5 Transformers and Attention"."""

    id: str
    title: str
    phase: int
    groups: list[TopicGroup]
    resources: list[str]
    line: int

    @property
    def label(self) -> str:
        """Return the id and title together, e.g. "4.5 Transformers and Attention"."""
        return f"{self.id} {self.title}"

    def topics(self) -> list[str]:
        """Return every item of every group of this section, in file order."""
        return [item for group in self.groups for item in group.items]


class Phase(_Frozen):
    """A phase of the roadmap with its duration (None when the heading gives none)."""

    number: int
    title: str
    duration: str | None
    sections: list[Section]
    line: int


class ResourceItem(_Frozen):
    """One entry of the resources summary, e.g. name "Fast.ai", note "audit for free".

    `text` is the entry as written without the bold markers
    ("Andrew Ng's Machine Learning (Coursera)"); it defaults to name plus "(note)".
    """

    name: str
    note: str | None = None
    text: str = ""

    @model_validator(mode="after")
    def _default_text(self) -> ResourceItem:
        if not self.text:
            text = self.name if self.note is None else f"{self.name} ({self.note})"
            object.__setattr__(self, "text", text)
        return self


class ResourceCategory(_Frozen):
    """A category of the resources summary, e.g. "Video Courses"."""

    name: str
    items: list[ResourceItem]


class PathStep(_Frozen):
    """One step of the recommended learning path, e.g. "Months 1-3" and what to study."""

    months: str
    text: str


class Roadmap(_Frozen):
    """A whole roadmap: phases with their sections plus the summary parts at the end."""

    title: str
    phases: list[Phase]
    resources_summary: list[ResourceCategory] = []
    learning_path: list[PathStep] = []
    study_tips: list[str] = []
    time_estimate: str | None = None

    @property
    def sections(self) -> list[Section]:
        """Return all sections of all phases in roadmap order."""
        return [section for phase in self.phases for section in phase.sections]

    @property
    def section_count(self) -> int:
        """Return how many sections the roadmap has."""
        return sum(len(phase.sections) for phase in self.phases)

    def section(self, section_id: str) -> Section | None:
        """Return the section with exactly this id ("4.5"), or None."""
        wanted = section_id.strip()
        for section in self.sections:
            if section.id == wanted:
                return section
        return None

    def phase(self, number: int) -> Phase | None:
        """Return the phase with this number, or None."""
        for phase in self.phases:
            if phase.number == number:
                return phase
        return None

    def neighbours(self, section_id: str) -> tuple[str | None, str | None]:
        """Return the ids of the sections before and after this one (None at either end)."""
        ids = [section.id for section in self.sections]
        try:
            position = ids.index(section_id.strip())
        except ValueError:
            return (None, None)
        previous = ids[position - 1] if position > 0 else None
        following = ids[position + 1] if position + 1 < len(ids) else None
        return (previous, following)
