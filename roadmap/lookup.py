"""Find roadmap sections by id, title or a fuzzy word, for commands, autocomplete and search.

Everything that depends only on the roadmap is computed once in `SectionIndex.__init__`;
a query then costs a few dictionary look-ups, one pass over a few hundred short strings and,
for words the roadmap does not contain, one rapidfuzz pass over its vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from roadmap.model import Roadmap, Section

# Longer queries are not a section name anyone typed; don't spend time on them.
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
AUTOCOMPLETE_LIMIT = 25
CHOICE_NAME_LIMIT = 100
# A misspelt word counts as a roadmap word when its Damerau-Levenshtein similarity (0-1) is
# at least this: one typo in a 5-letter word, two in a 10-letter one. Shorter words must be
# exact, and a prefix ("transf") is not a typo: autocomplete handles prefixes.
FUZZY_WORD_CUTOFF = 0.8
FUZZY_MIN_WORD_LENGTH = 5

_ID_QUERY = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.?\s*$")
_ID_PREFIX = re.compile(r"^\d{1,3}\.?$|^\d{1,3}\.\d{1,3}$")
_NON_WORD = re.compile(r"[\W_]+")
_PARENS = re.compile(r"\(([^()]*)\)")
STOPWORDS = frozenset(
    {"a", "an", "and", "the", "of", "for", "to", "in", "with", "on", "by", "is", "or", "vs"}
)

# How much a query word found in each kind of text says about the section.
WEIGHT_TITLE = 60.0
WEIGHT_GROUP = 50.0  # a sub-group name such as "NumPy" or "PyTorch"
WEIGHT_ABBREVIATION = 40.0  # a word in parentheses, e.g. "(SVM)" or "(GANs)"
WEIGHT_TOPIC = 30.0
WEIGHT_TITLE_INITIALS = 25.0  # "Reinforcement Learning" -> "rl"
WEIGHT_TOPIC_INITIALS = 10.0
GENERIC_GROUP_NAMES = frozenset({"core topics", "topics"})

SearchKind = Literal["section", "topic", "resource"]
_KIND_FACTOR: dict[str, float] = {"section": 1.0, "topic": 0.98, "resource": 0.96}
_KIND_ORDER: dict[str, int] = {"section": 0, "topic": 1, "resource": 2}


def normalize(text: str) -> str:
    """Return text casefolded with punctuation turned into single spaces."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def stem(word: str) -> str:
    """Return a crude singular of a casefolded word ("transformers" -> "transformer")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Return the stemmed words of text, stopwords included."""
    return [stem(word) for word in normalize(text).split()]


def _initials(text: str) -> str | None:
    """Return the initials of a short multi-word name ("Support Vector Machines" -> "svm")."""
    head = text.split("(", 1)[0]
    significant = [word for word in normalize(head).split() if word not in STOPWORDS]
    if 2 <= len(significant) <= 5:
        return "".join(word[0] for word in significant)
    return None


class SectionNotFound(LookupError):
    """No section matches a query; `suggestions` holds the closest sections (up to 5)."""

    def __init__(self, query: str, suggestions: list[Section]) -> None:
        self.query = query
        self.suggestions = suggestions
        shown = query if len(query) <= 50 else query[:49] + "…"
        super().__init__(f"no roadmap section matches {shown!r}")


class SearchHit(BaseModel):
    """One search result.

    `section_id` is None for entries of the Essential Free Resources Summary, which belong
    to no section; `score` is 0-100, higher is better.
    """

    model_config = ConfigDict(frozen=True)

    section_id: str | None
    kind: SearchKind
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class _Field:
    """A piece of text that identifies a section, with how strongly it does."""

    section: int
    weight: float
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Entry:
    """A searchable text: a section title, a topic or a resource."""

    section_id: str | None
    kind: SearchKind
    text: str
    norm: str
    tokens: frozenset[str]
    extra: int  # significant words beyond a one-word match, to prefer short exact texts
    order: int


@dataclass(frozen=True, slots=True)
class _Text:
    """A normalized title, topic or group name of a section for substring matching."""

    section: int
    norm: str
    padded: str  # " " + norm, so " " + query matches at a word start
    is_title: bool


class SectionIndex:
    """Look-up structures for one roadmap, built once and shared by every command."""

    def __init__(self, roadmap: Roadmap) -> None:
        """Precompute every table the queries need."""
        self.roadmap = roadmap
        self.sections: list[Section] = roadmap.sections
        self._position = {section.id: index for index, section in enumerate(self.sections)}
        self._exact_title: dict[str, int] = {}
        self._exact_term: dict[str, int] = {}
        self._fields: list[_Field] = []
        self._texts: list[_Text] = []
        self._entries: list[_Entry] = []
        self._choice_names: list[str] = []
        for index, section in enumerate(self.sections):
            self._add_section(index, section)
        self._add_summary()
        self._by_token: dict[str, list[int]] = {}
        for number, indexed in enumerate(self._fields):
            for token in indexed.tokens:
                self._by_token.setdefault(token, []).append(number)
        self._section_words = _Vocabulary(self._by_token)
        self._search_words = _Vocabulary(token for entry in self._entries for token in entry.tokens)
        self._first_choices = [
            (self._choice_names[index], section.id)
            for index, section in enumerate(self.sections[:AUTOCOMPLETE_LIMIT])
        ]

    # -- building ---------------------------------------------------------------------------

    def _add_section(self, index: int, section: Section) -> None:
        label = f"{section.id} {section.title}"
        self._choice_names.append(_clip(label, CHOICE_NAME_LIMIT))
        for text in (section.title, label):
            self._exact_title.setdefault(normalize(text), index)
        self._add_field(index, WEIGHT_TITLE, section.title)
        self._add_initials(index, WEIGHT_TITLE_INITIALS, section.title)
        self._add_abbreviations(index, WEIGHT_TITLE, section.title)
        self._add_text(index, section.title, is_title=True)
        self._add_entry(section.id, "section", section.title, index)
        for group in section.groups:
            if group.name and normalize(group.name) not in GENERIC_GROUP_NAMES:
                self._exact_term.setdefault(normalize(group.name), index)
                self._add_field(index, WEIGHT_GROUP, group.name)
                self._add_abbreviations(index, WEIGHT_GROUP, group.name)
                self._add_text(index, group.name, is_title=False)
                self._add_entry(section.id, "topic", group.name, index)
            for item in group.items:
                self._exact_term.setdefault(normalize(item), index)
                self._add_field(index, WEIGHT_TOPIC, item)
                self._add_abbreviations(index, WEIGHT_ABBREVIATION, item)
                self._add_initials(index, WEIGHT_TOPIC_INITIALS, item)
                self._add_text(index, item, is_title=False)
                self._add_entry(section.id, "topic", item, index)
        for resource in section.resources:
            self._add_entry(section.id, "resource", resource, index)

    def _add_summary(self) -> None:
        order = len(self.sections)
        for category in self.roadmap.resources_summary:
            for item in category.items:
                self._add_entry(None, "resource", item.text, order)

    def _add_field(self, index: int, weight: float, text: str) -> None:
        tokens = frozenset(words(text))
        if tokens:
            self._fields.append(_Field(index, weight, tokens))

    def _add_abbreviations(self, index: int, weight: float, text: str) -> None:
        for inner in _PARENS.findall(text):
            for part in inner.split(","):
                self._add_field(index, weight, part)

    def _add_initials(self, index: int, weight: float, text: str) -> None:
        initials = _initials(text)
        if initials:
            self._fields.append(_Field(index, weight, frozenset({initials})))

    def _add_text(self, index: int, text: str, *, is_title: bool) -> None:
        norm = normalize(text)
        if norm:
            self._texts.append(_Text(index, norm, " " + norm, is_title))

    def _add_entry(self, section_id: str | None, kind: SearchKind, text: str, order: int) -> None:
        tokens = words(text)
        significant = [token for token in tokens if token not in STOPWORDS]
        self._entries.append(
            _Entry(
                section_id=section_id,
                kind=kind,
                text=text,
                norm=normalize(text),
                tokens=frozenset(tokens),
                extra=max(0, len(set(significant)) - 1),
                order=order,
            )
        )

    # -- query helpers ----------------------------------------------------------------------

    def _query_words(self, query: str) -> list[str] | None:
        """Return the significant stemmed words of a query, or None when it has none usable."""
        tokens = [token for token in words(query) if token not in STOPWORDS]
        unique = list(dict.fromkeys(tokens))
        if not unique or len(unique) > MAX_QUERY_WORDS:
            return None
        return unique

    def _field_scores(self, resolved: list[dict[str, float]]) -> dict[int, float]:
        """Score each section by its best field containing every resolved query word."""
        best_by_field: dict[int, float] | None = None
        for options in resolved:
            quality_by_field: dict[int, float] = {}
            for token, quality in options.items():
                for number in self._by_token.get(token, ()):
                    if quality > quality_by_field.get(number, 0.0):
                        quality_by_field[number] = quality
            if best_by_field is None:
                best_by_field = quality_by_field
            else:
                best_by_field = {
                    number: min(best_by_field[number], quality)
                    for number, quality in quality_by_field.items()
                    if number in best_by_field
                }
            if not best_by_field:
                return {}
        scores: dict[int, float] = {}
        for number, quality in (best_by_field or {}).items():
            indexed = self._fields[number]
            score = indexed.weight * quality
            if score > scores.get(indexed.section, 0.0):
                scores[indexed.section] = score
        return scores

    def _best(self, scores: dict[int, float]) -> Section | None:
        if not scores:
            return None
        index = min(scores, key=lambda number: (-scores[number], number))
        return self.sections[index]

    # -- public queries ---------------------------------------------------------------------

    def find(self, query: str) -> Section | None:
        """Return the section a query means (id, title, topic or fuzzy word), or None."""
        if not query or len(query) > MAX_QUERY_CHARS:
            return None
        id_match = _ID_QUERY.match(query)
        if id_match:
            position = self._position.get(f"{int(id_match.group(1))}.{int(id_match.group(2))}")
            return self.sections[position] if position is not None else None
        norm = normalize(query)
        if not norm:
            return None
        if norm in self._exact_title:
            return self.sections[self._exact_title[norm]]
        if norm in self._exact_term:
            return self.sections[self._exact_term[norm]]
        query_words = self._query_words(query)
        if query_words is None:
            return None
        for fuzzy in (False, True):
            resolved = self._section_words.resolve(query_words, fuzzy=fuzzy)
            if resolved is not None:
                found = self._best(self._field_scores(resolved))
                if found is not None:
                    return found
        return None

    def resolve(self, query: str) -> Section:
        """Return the section a query means or raise SectionNotFound with suggestions."""
        found = self.find(query)
        if found is None:
            raise SectionNotFound(query, self.closest(query))
        return found

    def _rank(self, query: str) -> list[int]:
        """Return section positions that loosely match a query, best first."""
        query = query[:CHOICE_NAME_LIMIT]
        scores: dict[int, float] = {}

        def offer(index: int, score: float) -> None:
            if score > scores.get(index, 0.0):
                scores[index] = score

        stripped = query.strip().rstrip(".")
        if _ID_PREFIX.match(query.strip()):
            self._rank_ids(stripped, offer)
        norm = normalize(query)
        if norm:
            padded = " " + norm
            for text in self._texts:
                if text.norm.startswith(norm):
                    offer(text.section, 800.0 if text.is_title else 520.0)
                elif padded in text.padded:
                    offer(text.section, 700.0 if text.is_title else 500.0)
                elif len(norm) >= 3 and norm in text.norm:
                    offer(text.section, 600.0 if text.is_title else 400.0)
        query_words = self._query_words(query)
        if query_words is not None:
            resolved = self._section_words.resolve(query_words, fuzzy=True, prefix_last=True)
            if resolved is not None:
                for index, score in self._field_scores(resolved).items():
                    offer(index, 100.0 + score)
        return sorted(scores, key=lambda number: (-scores[number], number))

    def _rank_ids(self, wanted: str, offer: Callable[[int, float], None]) -> None:
        if "." in wanted:
            major_text, minor_text = wanted.split(".", 1)
            major, minor = int(major_text), int(minor_text)
            for index, section in enumerate(self.sections):
                if section.id == f"{major}.{minor}":
                    offer(index, 1000.0)
                elif section.phase == major:
                    section_minor = int(section.id.split(".", 1)[1])
                    offer(index, 850.0 - min(abs(section_minor - minor), 99))
            return
        for index, section in enumerate(self.sections):
            if section.id.split(".", 1)[0] == str(int(wanted)):
                offer(index, 900.0)

    def closest(self, query: str, limit: int = 5) -> list[Section]:
        """Return up to `limit` sections that come closest to a query, best first."""
        if limit <= 0 or len(query) > MAX_QUERY_CHARS:
            return []
        return [self.sections[index] for index in self._rank(query)[:limit]]

    def autocomplete(self, query: str) -> list[tuple[str, str]]:
        """Return up to 25 (name, section id) choices, best first; all in order when empty."""
        if not query.strip():
            return list(self._first_choices)
        return [
            (self._choice_names[index], self.sections[index].id)
            for index in self._rank(query)[:AUTOCOMPLETE_LIMIT]
        ]

    def search(self, query: str, limit: int = 25) -> list[SearchHit]:
        """Return section titles, topics and resources matching a query, best first."""
        if limit <= 0 or len(query) > MAX_QUERY_CHARS:
            return []
        norm = normalize(query)
        query_words = self._query_words(query)
        if not norm or query_words is None:
            return []
        resolved = self._search_words.resolve(query_words, fuzzy=True) or []
        padded = " " + norm
        scored: list[tuple[float, _Entry]] = []
        for entry in self._entries:
            quality = _entry_quality(entry, norm, padded, resolved)
            if quality > 0:
                scored.append((round(quality * _KIND_FACTOR[entry.kind], 2), entry))
        scored.sort(key=lambda pair: (-pair[0], _KIND_ORDER[pair[1].kind], pair[1].order))
        return [
            SearchHit(section_id=entry.section_id, kind=entry.kind, text=entry.text, score=score)
            for score, entry in scored[:limit]
        ]


class _Vocabulary:
    """The distinct words of a set of texts, to resolve query words (exact, prefix, typo)."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.words = frozenset(tokens)
        self.sorted = sorted(self.words)

    def resolve_word(self, word: str, *, prefix: bool) -> dict[str, float]:
        """Return the words this query word may mean, each with a quality 0-1."""
        if word in self.words:
            return {word: 1.0}
        found: dict[str, float] = {}
        if prefix and len(word) >= 2:
            for candidate in self.sorted:
                if candidate.startswith(word):
                    found[candidate] = 0.9
        if not found and len(word) >= FUZZY_MIN_WORD_LENGTH:
            for candidate, similarity, _ in process.extract(
                word,
                self.sorted,
                scorer=DamerauLevenshtein.normalized_similarity,
                score_cutoff=FUZZY_WORD_CUTOFF,
                limit=3,
            ):
                found[candidate] = 0.8 * similarity
        return found

    def resolve(
        self, query_words: list[str], *, fuzzy: bool, prefix_last: bool = False
    ) -> list[dict[str, float]] | None:
        """Resolve every query word; None when one of them matches nothing."""
        resolved: list[dict[str, float]] = []
        for position, word in enumerate(query_words):
            prefix = prefix_last and position == len(query_words) - 1
            if fuzzy or prefix:
                options = self.resolve_word(word, prefix=prefix)
            else:
                options = {word: 1.0} if word in self.words else {}
            if not options:
                return None
            resolved.append(options)
        return resolved


def _entry_quality(
    entry: _Entry, norm: str, padded: str, resolved: list[dict[str, float]]
) -> float:
    """Return how well one searchable text matches a query, 0 (not at all) to 100."""
    if entry.norm == norm:
        return 100.0
    if resolved:
        worst = 1.0
        for options in resolved:
            quality = max((q for token, q in options.items() if token in entry.tokens), default=0)
            if quality == 0:
                worst = 0.0
                break
            worst = min(worst, quality)
        if worst > 0:
            return (90.0 - min(entry.extra, 10)) * worst
    if padded in " " + entry.norm:
        return 70.0 - min(entry.extra, 10)
    if len(norm) >= 3 and norm in entry.norm:
        return 60.0 - min(entry.extra, 10)
    return 0.0


def _clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
