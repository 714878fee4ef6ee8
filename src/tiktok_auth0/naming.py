"""Physical names: what the components' resources are called in GCP.

Each name is built from the component's name, a word for the resource and the stack (and, for a
bucket, whose name is global across Cloud Storage, the project), so two components in one stack,
or one stack per environment in one project, never collide. A name over GCP's limit is cut and
ends in six hex digits of a hash of the whole name, so two long names that share their beginning
still differ.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "BUCKET_NAME_MAX",
    "FUNCTION_NAME_MAX",
    "SECRET_ID_MAX",
    "SERVICE_ACCOUNT_ID_MAX",
    "physical_name",
    "slug",
]

# Cloud Functions (2nd gen) and their Cloud Run services: at most 63 characters; service account
# ids: 6 to 30; Secret Manager secret ids: at most 255; Cloud Storage buckets: 3 to 63, unique
# across all of Cloud Storage, never containing "google" (cloud.google.com/functions/docs/
# reference/rest/v2/projects.locations.functions, cloud.google.com/iam/docs/service-accounts-create,
# cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create,
# cloud.google.com/storage/docs/buckets#naming).
FUNCTION_NAME_MAX = 63
SERVICE_ACCOUNT_ID_MAX = 30
SECRET_ID_MAX = 255
BUCKET_NAME_MAX = 63
_HASH_LENGTH = 6


def slug(text: str) -> str:
    """Lowercase letters, digits and dashes (`Prod_EU` -> `prod-eu`); 0.1.0's rule, unchanged."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "stack"


def physical_name(*parts: str, max_length: int, hashed: bool = True) -> str:
    """The parts slugged and joined by dashes, at most `max_length` characters.

    `physical_name("tiktok", "token-proxy", "dev", max_length=63)` is `tiktok-token-proxy-dev`.
    A longer name keeps its first `max_length - 7` characters and ends in `-<6 hex digits>`;
    with `hashed=False` it is only cut, as 0.1.0 cut its names (kept for the stacks it deployed).
    """
    full = "-".join(slug(part) for part in parts)
    if len(full) <= max_length:
        return full
    if not hashed:
        return full[:max_length].rstrip("-")
    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    return f"{full[: max_length - _HASH_LENGTH - 1].rstrip('-')}-{digest}"
