"""TikTok's OAuth v2 facts the program is built on, each with its source in TikTok's documentation.

The endpoints: Login Kit for Web, https://developers.tiktok.com/doc/login-kit-web (authorize);
Manage User Access Tokens, https://developers.tiktok.com/doc/oauth-user-access-token-management
(token; its trailing slash is part of the URL); Get User Info (below).

This module is the one scope table of the project: the program validates config against it,
renders the profile script from it, and the TikTok emulator (devtools) grants from it.
"""

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

# The scopes a Login Kit app may ask for at login, each with the user-info fields it unlocks, in
# TikTok's documented order; asking user info for any other field fails the whole call (HTTP 401
# scope_not_authorized). The video scopes unlock no user-info field.
# Sources: Get User Info, https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info (fields
# and their "Authorized Scope"); Scopes Reference, https://developers.tiktok.com/doc/tiktok-api-scopes;
# the user-info scope migration of 2024-02-29,
# https://developers.tiktok.com/bulletin/user-info-scope-migration (profile and stats fields).
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
    "video.list": (),
    "video.upload": (),
    "video.publish": (),
}
LOGIN_SCOPES = tuple(SCOPE_FIELDS)
USER_ID_FIELDS = ("union_id", "open_id")


def user_info_fields(scopes: tuple[str, ...]) -> tuple[str, ...]:
    """Every user-info field the scopes unlock, in TikTok's documented order.

    Scopes the table does not know unlock nothing (they are ignored, never an error).
    """
    return tuple(f for scope in SCOPE_FIELDS if scope in scopes for f in SCOPE_FIELDS[scope])
