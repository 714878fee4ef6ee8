"""TikTok's OAuth v2 facts the program is built on (see shared/reference/tiktok-and-auth0.md)."""

from __future__ import annotations

__all__ = [
    "AUTHORIZE_URL",
    "LOGIN_SCOPES",
    "SCOPE_FIELDS",
    "TOKEN_URL",
    "USER_ID_FIELDS",
    "USER_INFO_URL",
    "user_info_fields",
]

AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
TOKEN_URL = "https://open.tiktokapis.com/v2/oauth/token/"  # noqa: S105 - a URL
USER_INFO_URL = "https://open.tiktokapis.com/v2/user/info/"

# The user-info fields each scope unlocks; asking for any other field fails the whole call.
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "user.info.basic": (
        "open_id",
        "union_id",
        "avatar_url",
        "avatar_url_100",
        "avatar_large_url",
        "display_name",
    ),
    "user.info.profile": ("bio_description", "profile_deep_link", "is_verified", "username"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
# Scopes a Login Kit app may ask for at login; the video scopes unlock no user-info fields.
LOGIN_SCOPES = (*SCOPE_FIELDS, "video.list", "video.upload", "video.publish")
USER_ID_FIELDS = ("union_id", "open_id")


def user_info_fields(scopes: tuple[str, ...]) -> tuple[str, ...]:
    """Every user-info field the scopes unlock, in TikTok's documented order."""
    return tuple(f for scope in SCOPE_FIELDS if scope in scopes for f in SCOPE_FIELDS[scope])
