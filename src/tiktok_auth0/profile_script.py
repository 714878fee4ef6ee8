"""Render profile_script.js for a stack: the fields its scopes unlock and its user id field.

The committed script is itself a working script with the defaults; rendering only rewrites the
three constants marked `// rendered: <name>`, so what runs in Auth0 is what the tests run in Node.
"""

from __future__ import annotations

import hashlib
import json
import re

from ._package_data import data_path
from .tiktok import USER_INFO_URL, user_info_fields

__all__ = ["SCRIPT_PATH", "render_profile_script", "sha256_hex"]

SCRIPT_PATH = data_path("profile_script.js")
_RENDERED = re.compile(r'^(\s*const \w+ = )"[^"\n]*"(; // rendered: (\w+))$', re.MULTILINE)


def render_profile_script(
    scopes: tuple[str, ...], user_id_field: str, *, user_info_url: str = USER_INFO_URL
) -> str:
    values = {
        "user_info_url": user_info_url,
        "fields": ",".join(user_info_fields(scopes)),
        "user_id_field": user_id_field,
    }
    source = SCRIPT_PATH.read_text(encoding="utf-8")
    seen: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(3)
        seen.append(name)
        return f"{match.group(1)}{json.dumps(values[name])}{match.group(2)}"

    rendered = _RENDERED.sub(substitute, source)
    if sorted(seen) != sorted(values):
        raise RuntimeError(
            f"{SCRIPT_PATH.name} must mark each of {sorted(values)} once with "
            f"'// rendered: <name>'; found {sorted(seen)}"
        )
    return rendered


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
