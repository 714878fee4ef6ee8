"""Physical names: short ones as they are, long ones cut with a hash that keeps them distinct."""

from __future__ import annotations

import re

from tiktok_auth0.naming import physical_name, slug


def test_short_names_are_the_parts_joined():
    assert physical_name("tiktok", "token-proxy", "dev", max_length=63) == "tiktok-token-proxy-dev"
    assert physical_name("tiktok", "proxy", "Prod_EU", max_length=30) == "tiktok-proxy-prod-eu"


def test_long_names_are_cut_to_the_limit_and_end_in_a_hash():
    a = physical_name("login-for-the-european-market", "proxy", "production", max_length=30)
    b = physical_name("login-for-the-european-mark", "proxy", "production", max_length=30)
    assert len(a) <= 30 and len(b) <= 30
    assert a != b and a[:22] == b[:22] == "login-for-the-european"
    assert re.fullmatch(r"[a-z][a-z0-9-]*-[0-9a-f]{6}", a)


def test_unhashed_cut_is_0_1_0s_rule():
    stack = "production-europe-west-1"
    assert physical_name("tiktok", "proxy", stack, max_length=30, hashed=False) == (
        f"tiktok-proxy-{slug(stack)}"[:30].rstrip("-")
    )


def test_slug_keeps_0_1_0s_behaviour():
    assert slug("Prod_EU") == "prod-eu"
    assert slug("a--b") == "a--b"
    assert slug("***") == "stack"
