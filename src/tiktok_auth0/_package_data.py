"""Where the files the components read at run time live: the proxy's source, the profile script.

Installed from a wheel, they are package data: the build maps the repository's `proxy/` and
`profile_script.js` into the package (`force-include` in pyproject.toml), so each exists once in
the repository. In an editable install of the repository they are read from the checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path"]

_CHECKOUT = Path(__file__).resolve().parents[2]


def data_path(name: str) -> Path:
    """The installed copy of `name` ("proxy" or "profile_script.js"), else the checkout's.

    Raises FileNotFoundError naming both places when neither holds it (a broken install).
    """
    packaged = Path(str(files(__package__).joinpath(name)))
    if packaged.exists():
        return packaged
    checkout = _CHECKOUT / name
    if checkout.exists() and (_CHECKOUT / "pyproject.toml").is_file():
        return checkout
    raise FileNotFoundError(
        f"{name} is missing from the tiktok_auth0 package ({packaged}) and no source checkout "
        f"holds it; reinstall the package (pip install --force-reinstall tiktok-auth0)"
    )
