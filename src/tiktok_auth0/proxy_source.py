"""The token proxy's source as Cloud Functions receives it, named by a hash of its files.

The archive's object name carries the hash: a change to any proxy file renames the object and so
redeploys the function; an unrelated change (or a stray __pycache__) changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi

from ._package_data import data_path

__all__ = ["PROXY_DIR", "ProxySource", "proxy_source"]

PROXY_DIR = data_path("proxy")
_SKIPPED_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class ProxySource:
    files: dict[str, Path]
    sha256: str

    @property
    def object_name(self) -> str:
        return f"token-proxy-{self.sha256[:32]}.zip"

    def archive(self) -> pulumi.AssetArchive:
        return pulumi.AssetArchive(
            {name: pulumi.FileAsset(str(p)) for name, p in self.files.items()}
        )


def proxy_source(root: Path | None = None) -> ProxySource:
    root = root or PROXY_DIR
    files = {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not _SKIPPED_DIRS.intersection(path.relative_to(root).parts)
        and path.suffix not in _SKIPPED_SUFFIXES
        and not path.name.startswith(".")
    }
    if "main.py" not in files or "requirements.txt" not in files:
        raise FileNotFoundError(f"{root} must hold main.py and requirements.txt")
    digest = hashlib.sha256()
    for name, path in files.items():
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return ProxySource(files, digest.hexdigest())
