"""Each broken knowledge file gives the error message it should (tests/knowledge_invalid/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lowalp.errors import KnowledgeError
from lowalp.knowledge import load_knowledge
from lowalp.knowledge.loader import package_root

CASES = sorted((Path(__file__).parents[1] / "knowledge_invalid").glob("*.yaml"))


@pytest.mark.parametrize("spec_path", CASES, ids=[p.stem for p in CASES])
def test_broken_file_is_reported(spec_path: Path, tmp_path: Path):
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    root = tmp_path / "knowledge"
    shutil.copytree(str(package_root()), root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = root / spec["target"]
    if spec.get("mode") == "append":
        target.write_text(target.read_text(encoding="utf-8") + spec["content"], encoding="utf-8")
    elif spec.get("mode") == "edit":  # one passage of the bundled file replaced
        text = target.read_text(encoding="utf-8")
        assert text.count(spec["old"]) == 1, spec["old"]
        target.write_text(text.replace(spec["old"], spec["content"]), encoding="utf-8")
    else:
        target.write_text(spec["content"], encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(root)
    assert spec["error"] in str(exc.value)


def test_there_is_a_case_per_failure_mode():
    assert len(CASES) >= 10


def test_the_bundled_knowledge_loads_from_a_copy(tmp_path: Path):
    root = tmp_path / "knowledge"
    shutil.copytree(str(package_root()), root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    assert load_knowledge(root).causes
