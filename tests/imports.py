"""What a source tree imports, read from its code (not by importing it): for the tests that hold a
lock or a wheel's requirements to exactly what the code needs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def imported_names(source: Path) -> Iterator[str]:
    """The dotted name of every absolute import in the file `source`: `import a.b` and `from
    a.b import c` both give "a.b"; relative imports (`from . import x`) are left out, as they
    name the tree's own modules. The standard library is not filtered out."""
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def top_level_imports(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, top-level module name) for every absolute import (`imported_names`) in every .py
    file under `root`: `import a.b` and `from a.b import c` both give "a"."""
    for source in root.rglob("*.py"):
        for name in imported_names(source):
            yield source, name.split(".")[0]
