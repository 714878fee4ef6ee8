"""Render profile_script.js for a stack: its scopes with the fields each unlocks, its user id field.

The committed script is itself a working script with the defaults; rendering only rewrites the
three constants marked `// rendered: <name>`, so what runs in Auth0 is what the tests run in Node.
The script keeps the fields per scope because a TikTok user may grant only some of the scopes: at
login it asks for the fields of the scopes both configured and granted (`context.scope`).
"""

from __future__ import annotations

import hashlib
import json
import re

from ._package_data import data_path
from .tiktok import SCOPE_FIELDS, USER_INFO_URL

__all__ = ["SCRIPT_PATH", "render_profile_script", "rendered_values", "sha256_hex"]

SCRIPT_PATH = data_path("profile_script.js")
# A rendered constant is a JSON string or a one-line JSON object, followed by its marker.
_RENDERED = re.compile(
    r'^(\s*const \w+ = )(?:"[^"\n]*"|\{[^\n]*\})(; // rendered: (\w+))$', re.MULTILINE
)
_MARKERS = ("scope_fields", "user_id_field", "user_info_url")


def render_profile_script(
    scopes: tuple[str, ...], user_id_field: str, *, user_info_url: str = USER_INFO_URL
) -> str:
    """The script's source for a stack, ready for the connection's `fetchUserProfile`.

    `scopes`: the configured TikTok scopes (validated by config); those that unlock user-info
    fields are written into the script with their fields, in TikTok's documented order.
    `user_id_field`: "union_id" or "open_id", the field that becomes the Auth0 user_id.
    `user_info_url`: TikTok's user-info endpoint (the emulator's in tests and rehearsals).
    Raises RuntimeError if profile_script.js lost one of its `// rendered:` markers.
    """
    scope_fields = {
        scope: ",".join(fields)
        for scope, fields in SCOPE_FIELDS.items()
        if scope in scopes and fields
    }
    values: dict[str, object] = {
        "user_info_url": user_info_url,
        "scope_fields": scope_fields,
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


def rendered_values(source: str) -> dict[str, object]:
    """The constants a rendered script carries, by marker name: `user_info_url` (str),
    `scope_fields` ({scope: "field,field"}) and `user_id_field` (str); the inverse of
    render_profile_script, so a reviewer can be shown what a script asks TikTok for.

    Raises ValueError if the source does not mark each of them once.
    """
    values = {
        match.group(3): json.loads(source[match.end(1) : match.start(2)])
        for match in _RENDERED.finditer(source)
    }
    if sorted(values) != sorted(_MARKERS) or len(_RENDERED.findall(source)) != len(_MARKERS):
        raise ValueError(f"not a rendered profile script: it must mark each of {_MARKERS} once")
    return values


def sha256_hex(text: str) -> str:
    """The hex SHA-256 of the UTF-8 text (the `profileScriptSha256` output)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
