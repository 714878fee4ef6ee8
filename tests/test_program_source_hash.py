"""A proxy code change renames the source archive (and so redeploys); nothing else does."""

from __future__ import annotations

import importlib
import shutil

import pytest

from tests.program import BUCKET_OBJECT, FUNCTION, run
from tiktok_auth0.proxy_source import PROXY_DIR, proxy_source


@pytest.fixture
def proxy_copy(tmp_path, monkeypatch):
    copy = tmp_path / "proxy"
    shutil.copytree(PROXY_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    # The module, not the function `tiktok_auth0` re-exports under the same name.
    monkeypatch.setattr(importlib.import_module("tiktok_auth0.proxy_source"), "PROXY_DIR", copy)
    return copy


def archive_name() -> str:
    program = run()
    name = program.one(BUCKET_OBJECT).inputs["name"]
    assert program.one(FUNCTION).inputs["buildConfig"]["source"]["storageSource"]["object"] == name
    return name


def test_same_source_same_name():
    assert archive_name() == archive_name()


def test_editing_a_proxy_file_changes_the_archive_name(proxy_copy):
    before = archive_name()
    main = proxy_copy / "main.py"
    main.write_text(main.read_text() + "\n# a change\n")
    assert archive_name() != before


def test_editing_a_module_of_the_package_changes_the_archive_name(proxy_copy):
    before = archive_name()
    (proxy_copy / "tokenproxy" / "_oauth.py").write_text("# changed\n", encoding="utf-8")
    assert archive_name() != before


def test_caches_and_hidden_files_change_nothing(proxy_copy):
    before = archive_name()
    (proxy_copy / "__pycache__").mkdir()
    (proxy_copy / "__pycache__" / "main.cpython-313.pyc").write_bytes(b"\x00bytecode")
    (proxy_copy / "tokenproxy" / "stale.pyc").write_bytes(b"\x00")
    (proxy_copy / ".DS_Store").write_bytes(b"finder")
    assert archive_name() == before
    assert not any("pycache" in f or f.endswith(".pyc") for f in proxy_source().files)


def test_an_edit_outside_the_proxy_changes_nothing(proxy_copy):
    before = archive_name()
    (proxy_copy.parent / "README.md").write_text("unrelated\n")
    assert archive_name() == before
