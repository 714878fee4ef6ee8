"""The public surfaces (`tiktok_auth0`, `tokenproxy`) export exactly what their __all__ says."""

from __future__ import annotations

import pytest

import tiktok_auth0
import tokenproxy


@pytest.mark.parametrize("module", [tiktok_auth0, tokenproxy])
def test_all_matches_public_names(module):
    public = {name for name in dir(module) if not name.startswith("_")}
    submodules = {name for name in public if type(getattr(module, name)).__name__ == "module"}
    assert set(module.__all__) == public - submodules
