"""The repository's two locks, as data: the proxy's (proxy/requirements.txt, what Cloud Functions
installs) and the dev environment's (requirements/dev.txt, what `make` installs here and what the
plugin's requirements constrain). Both are written by `make lock` (uv pip compile)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devtools.mock_runtime import REPO

PROXY_LOCK = REPO / "proxy" / "requirements.txt"
PROXY_INPUT = REPO / "requirements" / "proxy.in"
DEV_LOCK = REPO / "requirements" / "dev.txt"


def entries(path: Path) -> list[tuple[Requirement, list[str]]]:
    """Each requirement of a pip requirements file with its hashes (continuations joined)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for raw in text.splitlines():
        entry = raw.split("#", 1)[0].strip()
        if entry:
            hashes = re.findall(r"--hash=(sha256:[0-9a-f]{64})", entry)
            found.append((Requirement(entry.split(" --hash", 1)[0].strip()), hashes))
    return found


def applies(requirement: Requirement, extras: frozenset[str] = frozenset()) -> bool:
    """Whether the requirement holds on this interpreter and platform, with `extras` asked for."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in {"", *extras})


def pinned_version(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not pinned with =="
    return spec.version


def locked_here(path: Path) -> dict[str, str]:
    """Name -> version of every locked package that applies to this interpreter and platform."""
    return {
        canonicalize_name(req.name): pinned_version(req) for req, _ in entries(path) if applies(req)
    }


def dependency_closure(roots: list[Requirement]) -> set[str]:
    """The installed distributions the roots need here, following each one's metadata and the
    extras asked for on the way (`google-auth[requests]` brings requests)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    pending = [(canonicalize_name(r.name), frozenset(r.extras)) for r in roots if applies(r)]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        names.add(name)
        for raw in importlib.metadata.requires(name) or []:
            requirement = Requirement(raw)
            if applies(requirement, extras):
                pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return names
