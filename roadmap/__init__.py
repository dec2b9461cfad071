"""The roadmap: markdown parser, typed model and section look-up (no Discord imports)."""

from roadmap.lookup import SearchHit, SectionIndex, SectionNotFound
from roadmap.model import (
    PathStep,
    Phase,
    ResourceCategory,
    ResourceItem,
    Roadmap,
    Section,
    TopicGroup,
)
from roadmap.parser import (
    RoadmapError,
    RoadmapIssue,
    check_roadmap_file,
    default_roadmap_path,
    load_roadmap,
    parse_roadmap,
)

__all__ = [
    "PathStep",
    "Phase",
    "ResourceCategory",
    "ResourceItem",
    "Roadmap",
    "RoadmapError",
    "RoadmapIssue",
    "SearchHit",
    "Section",
    "SectionIndex",
    "SectionNotFound",
    "TopicGroup",
    "check_roadmap_file",
    "default_roadmap_path",
    "load_roadmap",
    "parse_roadmap",
]
