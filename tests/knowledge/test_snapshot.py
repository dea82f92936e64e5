"""The knowledge snapshot: used when current, rebuilt when any knowledge file changes, never in
the way when the cache folder cannot be written or the snapshot is damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lowalp import assess
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.knowledge.loader import package_root
from lowalp.knowledge.snapshot import PREFIX, SUFFIX, cache_dir, key, load_or_build

CASE = {
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 19, "unit": "U/L", "day": 0},
        {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200},
        {"analyte": "zinc", "value": 50, "unit": "µg/dL", "day": 0},
    ],
}


class Builds:
    """A build function for ``root`` that counts its calls."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls = 0

    def __call__(self) -> Knowledge:
        self.calls += 1
        return load_knowledge(self.root)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the bundled knowledge folder, free to edit."""
    target = tmp_path / "knowledge"
    shutil.copytree(str(package_root()), target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("LOWALP_CACHE_DIR", str(where))
    return where


def snapshots(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{PREFIX}*{SUFFIX}"))


def test_a_snapshot_is_written_then_used_and_assesses_alike(folder: Path, cache: Path) -> None:
    build = Builds(folder)
    first = load_or_build(folder, build)
    assert build.calls == 1
    assert len(snapshots(cache)) == 1
    second = load_or_build(folder, build)
    assert build.calls == 1  # read from the snapshot, not built again
    assert second is not first
    assert second == first
    assert (
        assess(CASE, knowledge=second).model_dump_json()
        == assess(CASE, knowledge=first).model_dump_json()
    )


def test_a_changed_knowledge_file_is_never_served_stale(folder: Path, cache: Path) -> None:
    build = Builds(folder)
    before = key(folder)
    assert load_or_build(folder, build).version == "2026.12.0"
    settings = folder / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            'version: "2026.12.0"', 'version: "2026.12.0-edited"'
        ),
        encoding="utf-8",
    )
    assert key(folder) != before
    assert load_or_build(folder, build).version == "2026.12.0-edited"
    assert build.calls == 2
    assert len(snapshots(cache)) == 1  # the snapshot of the old contents is gone


def test_an_added_file_changes_the_key(folder: Path) -> None:
    before = key(folder)
    (folder / "sources" / "extra.yaml").write_text("sources: []\n", encoding="utf-8")
    assert key(folder) != before


def test_an_unwritable_cache_folder_only_means_no_snapshot(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("LOWALP_CACHE_DIR", str(blocker / "cache"))
    build = Builds(folder)
    assert load_or_build(folder, build).version == "2026.12.0"
    assert load_or_build(folder, build).version == "2026.12.0"
    assert build.calls == 2


def test_a_damaged_snapshot_is_replaced(folder: Path, cache: Path) -> None:
    build = Builds(folder)
    load_or_build(folder, build)
    (target,) = snapshots(cache)
    target.write_bytes(b"not a pickle")
    assert load_or_build(folder, build).version == "2026.12.0"
    assert build.calls == 2
    assert load_or_build(folder, build).version == "2026.12.0"
    assert build.calls == 2  # the rewritten snapshot is good


def test_an_empty_cache_setting_turns_snapshots_off(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOWALP_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() is None
    build = Builds(folder)
    load_or_build(folder, build)
    load_or_build(folder, build)
    assert build.calls == 2
    assert not (tmp_path / "xdg").exists()


def test_the_cache_folder_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOWALP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "lowalp"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/used")
    assert cache_dir() == Path.home() / ".cache" / "lowalp"
    monkeypatch.setenv("LOWALP_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"
