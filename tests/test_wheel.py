"""The wheel carries the proxy source and the profile script as package data, byte for byte the
repository's files, each of which exists once in the repository."""

from __future__ import annotations

import zipfile

from devtools.mock_runtime import REPO
from tiktok_auth0.proxy_source import proxy_source

PACKAGE_DATA = "tiktok_auth0/"


def test_the_wheels_proxy_and_profile_script_are_the_repositorys_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        proxy = {
            name.removeprefix(f"{PACKAGE_DATA}proxy/"): archive.read(name)
            for name in names
            if name.startswith(f"{PACKAGE_DATA}proxy/")
        }
        script = archive.read(f"{PACKAGE_DATA}profile_script.js")
    deployed = proxy_source(REPO / "proxy").files
    assert set(proxy) == set(deployed)  # nothing missing, no cache or stray file
    for name, path in deployed.items():
        assert proxy[name] == path.read_bytes(), name
    assert script == (REPO / "profile_script.js").read_bytes()


def test_each_file_exists_once_in_the_repository():
    package = REPO / "src" / "tiktok_auth0"
    assert not (package / "proxy").exists()
    assert not (package / "profile_script.js").exists()


def test_the_wheel_holds_the_package_and_nothing_of_the_repositorys_tooling(wheel):
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert tops == {"tiktok_auth0", wheel.name.split("-py3")[0] + ".dist-info"}
