"""Every third-party package StudyBot's own code imports is declared in pyproject.toml.

A package that arrives only as another one's dependency (yarl comes with aiohttp) can vanish
or change major version under us with that package's next release.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "cogs", "roadmap", "migrations")


def imported_modules() -> dict[str, str]:
    """Top-level modules imported by the shipped code, with one file that imports each."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    """Normalised distribution names in [project] dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9_.\-]+", requirement)
        assert match is not None, requirement
        names.add(normalise(match.group(0)))
    return names


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_declared() -> None:
    ours = set(SOURCES)
    distributions = packages_distributions()
    wanted = declared()
    missing = []
    for module, where in imported_modules().items():
        if module in ours or module in sys.stdlib_module_names or module == "__future__":
            continue
        dists = {normalise(d) for d in distributions.get(module, [])}
        assert dists, f"{module} (imported in {where}) is not installed"
        if not dists & wanted:
            missing.append(f"{module} (imported in {where}) from {sorted(dists)}")
    assert missing == [], "declare in pyproject.toml: " + "; ".join(missing)
