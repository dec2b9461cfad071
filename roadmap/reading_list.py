"""The paper club's shipped reading list (pure data, no Discord).

``reading_list.toml`` beside this module lists the roadmap's 7.3 papers first, then classics
tied to other roadmap sections. The paper of the week falls back to it, in file order, when a
server's queue is empty.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["READING_LIST_FILE", "ReadingListError", "ReadingPaper", "load_reading_list"]

READING_LIST_FILE = "reading_list.toml"

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_SECTION_RE = re.compile(r"[1-9][0-9]?\.[1-9][0-9]?")
# Canonical arXiv ids without a version: new style (YYMM.NNNNN) or old style (archive/YYMMNNN).
_ARXIV_ID_RE = re.compile(r"[0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5}|[a-z-]+(?:\.[A-Z]{2})?/[0-9]{7}")


class ReadingListError(ValueError):
    """The reading list file is missing, not TOML, or has an invalid entry."""


class ReadingPaper(BaseModel):
    """One paper of the shipped reading list."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    key: str
    title: str = Field(min_length=1, max_length=256)
    authors: list[str] = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    section: str
    arxiv_id: str | None = None
    url: str

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        if not _KEY_RE.fullmatch(value):
            raise ValueError("key must be lowercase letters, digits and '-', at most 40 long")
        return value

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("title is empty")
        return value

    @field_validator("authors")
    @classmethod
    def _check_authors(cls, value: list[str]) -> list[str]:
        names = [" ".join(name.split()) for name in value]
        if not all(names):
            raise ValueError("an author name is empty")
        return names

    @field_validator("section")
    @classmethod
    def _check_section(cls, value: str) -> str:
        if not _SECTION_RE.fullmatch(value):
            raise ValueError("section must be a roadmap section id like 4.3")
        return value

    @field_validator("arxiv_id")
    @classmethod
    def _check_arxiv_id(cls, value: str | None) -> str | None:
        if value is not None and not _ARXIV_ID_RE.fullmatch(value):
            raise ValueError(
                "arxiv_id must be a canonical arXiv id without version, e.g. 1706.03762"
            )
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not re.fullmatch(r"https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:/[^\s<>\"]*)?", value):
            raise ValueError("url must be an https:// link")
        return value


def _read_text(path: str | os.PathLike[str] | None) -> tuple[str, str]:
    if path is None:
        resource = files("roadmap") / READING_LIST_FILE
        return resource.read_text(encoding="utf-8"), f"roadmap/{READING_LIST_FILE}"
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8"), str(file)
    except (OSError, UnicodeDecodeError) as exc:
        raise ReadingListError(f"{file}: cannot read the reading list: {exc}") from exc


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def load_reading_list(path: str | os.PathLike[str] | None = None) -> list[ReadingPaper]:
    """Load and validate the reading list (the shipped one when ``path`` is None), in order."""
    text, name = _read_text(path)
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReadingListError(f"{name}: not valid TOML: {exc}") from exc

    unknown = set(data) - {"paper"}
    if unknown:
        raise ReadingListError(f"{name}: unknown top-level keys: {', '.join(sorted(unknown))}")
    raw = data.get("paper")
    if not isinstance(raw, list) or not raw:
        raise ReadingListError(f"{name}: no [[paper]] entries")

    papers: list[ReadingPaper] = []
    keys: set[str] = set()
    arxiv_ids: set[str] = set()
    for index, entry in enumerate(raw, start=1):
        label = entry.get("key", "?") if isinstance(entry, dict) else "?"
        try:
            paper = ReadingPaper.model_validate(entry)
        except ValidationError as exc:
            raise ReadingListError(f"{name}: paper #{index} ({label}): {_describe(exc)}") from exc
        if paper.key in keys:
            raise ReadingListError(f"{name}: paper #{index}: duplicate key {paper.key!r}")
        if paper.arxiv_id is not None:
            if paper.arxiv_id in arxiv_ids:
                raise ReadingListError(
                    f"{name}: paper #{index} ({paper.key}): duplicate arxiv_id {paper.arxiv_id}"
                )
            arxiv_ids.add(paper.arxiv_id)
        keys.add(paper.key)
        papers.append(paper)
    return papers
