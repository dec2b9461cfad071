"""Kaggle data shipped with the roadmap: keyword → section rules and curated beginner challenges.

Both files live in this package (`kaggle_sections.toml`, `kaggle_curated.toml`), are read with
`tomllib` through `importlib.resources` and validated with pydantic; nothing here knows Discord.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

SECTIONS_FILE = "kaggle_sections.toml"
CURATED_FILE = "kaggle_curated.toml"
KAGGLE_SECTION = "7.2"  # the roadmap's "Kaggle Competitions" section
COMPETITION_URL = "https://www.kaggle.com/competitions/{slug}"

SectionId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[1-9]\d*\.[1-9]\d*$")
]

_NON_WORD = re.compile(r"[\W_]+")


def section_key(section_id: str) -> tuple[int, ...]:
    """Sort key putting section ids in roadmap order ("3.10" after "3.9")."""
    return tuple(int(part) for part in section_id.split("."))


def roadmap_order(section_ids: Iterable[str]) -> list[str]:
    """Section ids deduplicated and sorted in roadmap order."""
    return sorted(set(section_ids), key=section_key)


def _words(text: str) -> str:
    """Lower-cased words separated by single spaces, punctuation dropped."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _read_toml(name: str) -> dict[str, Any]:
    """A TOML file of this package, parsed."""
    return tomllib.loads(files("roadmap").joinpath(name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------- section mapping


class SectionRule(BaseModel):
    """Keywords (whole words) that tie a competition to roadmap sections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    keywords: list[str] = Field(min_length=1)
    sections: list[SectionId] = Field(min_length=1)

    @field_validator("keywords")
    @classmethod
    def _normalise_keywords(cls, keywords: list[str]) -> list[str]:
        """Store keywords in the matching form: lower case, words separated by one space."""
        normalised = [_words(keyword) for keyword in keywords]
        if not all(normalised):
            raise ValueError("a keyword has no letters or digits")
        return list(dict.fromkeys(normalised))

    def matches(self, texts: Iterable[str]) -> bool:
        """Whether a keyword occurs as whole words in one of the (normalised, padded) texts."""
        return any(f" {keyword} " in text for text in texts for keyword in self.keywords)


class SectionMapping(BaseModel):
    """The contents of `kaggle_sections.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    always: list[SectionId] = [KAGGLE_SECTION]
    rules: list[SectionRule] = Field(alias="rule", min_length=1)


@cache
def load_section_mapping() -> SectionMapping:
    """The shipped keyword → section rules (read once)."""
    return SectionMapping.model_validate(_read_toml(SECTIONS_FILE))


def sections_for(title: str, tags: list[str], description: str | None = None) -> list[str]:
    """Roadmap sections a competition exercises, in roadmap order, 7.2 always included."""
    mapping = load_section_mapping()
    texts = [f" {_words(text)} " for text in (title, *tags, description or "") if text]
    found = list(mapping.always)
    for rule in mapping.rules:
        if rule.matches(texts):
            found.extend(rule.sections)
    return roadmap_order(found)


# ----------------------------------------------------------------------- curated challenges


class CuratedCompetition(BaseModel):
    """A beginner competition that stays open, offered as a weekly challenge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
    url: str
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    sections: list[SectionId] = Field(min_length=1)
    category: Literal["getting-started", "playground"]

    @field_validator("sections")
    @classmethod
    def _sections(cls, sections: list[str]) -> list[str]:
        """Roadmap order, and 7.2 (Kaggle Competitions) must be among them."""
        if KAGGLE_SECTION not in sections:
            raise ValueError(f"the sections must include {KAGGLE_SECTION} (Kaggle Competitions)")
        return roadmap_order(sections)

    @model_validator(mode="after")
    def _canonical_url(self) -> CuratedCompetition:
        """The URL must be the competition's canonical page."""
        expected = COMPETITION_URL.format(slug=self.slug)
        if self.url != expected:
            raise ValueError(f"url must be {expected}")
        return self


class CuratedList(BaseModel):
    """The contents of `kaggle_curated.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    competitions: list[CuratedCompetition] = Field(alias="competition", min_length=1)

    @field_validator("competitions")
    @classmethod
    def _unique_slugs(cls, competitions: list[CuratedCompetition]) -> list[CuratedCompetition]:
        """Each competition appears once."""
        slugs = [competition.slug for competition in competitions]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"duplicate slugs: {', '.join(duplicates)}")
        return competitions


@cache
def _curated() -> tuple[CuratedCompetition, ...]:
    """The curated list, read and validated once."""
    return tuple(CuratedList.model_validate(_read_toml(CURATED_FILE)).competitions)


def load_curated() -> list[CuratedCompetition]:
    """The curated beginner competitions, in rotation order."""
    return list(_curated())


def challenge_for_week(iso_year: int, iso_week: int, already: set[str]) -> CuratedCompetition:
    """The curated challenge for an ISO week, skipping slugs in `already` until all were offered.

    The week picks a starting point in the shipped order (weeks since 0001-01-01, modulo the
    list length); the challenge is the first competition from there on, wrapping around, whose
    slug is not in `already`. Offered every week, a server therefore walks the list in order
    and sees every competition once before any repeats, and every server gets the same
    challenge in a given week when their histories agree. Once every curated slug is in
    `already`, the plain week-based pick is returned, which continues the same cycle (callers
    may clear their history then). Raises ValueError for a week that does not exist.
    """
    curated = _curated()
    monday = date.fromisocalendar(iso_year, iso_week, 1)
    start = ((monday.toordinal() - 1) // 7) % len(curated)
    ordered = curated[start:] + curated[:start]
    for competition in ordered:
        if competition.slug not in already:
            return competition
    return ordered[0]
