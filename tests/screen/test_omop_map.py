"""knowledge/omop.yaml: the bundled map is valid; a broken copy fails naming the file and key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from lowalp.errors import KnowledgeError
from lowalp.knowledge import Knowledge
from lowalp.screen import inputs, omop_map
from lowalp.screen.omop_map import load_omop_map

ALP, U_L, G_DL = 3035995, 8645, 8713
BUNDLED = resources.files("lowalp.knowledge").joinpath("omop.yaml").read_text(encoding="utf-8")


def broken_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The bundled omop.yaml with each (old, new) edit made once, written to tmp_path."""
    text = BUNDLED
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "omop.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(kb: Knowledge, path: Path | str) -> tuple[str, ...]:
    with pytest.raises(KnowledgeError) as info:
        load_omop_map(kb, path)
    assert info.value.file == str(path)
    assert str(info.value).startswith(f"{path}: ")
    assert all(isinstance(m, str) for m in info.value.messages)
    return info.value.messages


def test_the_bundled_map_is_valid(kb: Knowledge) -> None:
    omop = load_omop_map(kb)
    assert omop.concepts[ALP].analyte == "alp"
    assert omop.units[U_L].unit == "U/L"
    assert omop.units[G_DL].unit == "g/dL"
    assert omop.gender[8507].sex == "M"
    assert omop.gender[8532].sex == "F"


def test_an_unchanged_copy_loads_from_a_path_or_text(kb: Knowledge, tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    assert load_omop_map(kb, path) == load_omop_map(kb) == load_omop_map(kb, str(path))


def test_the_old_import_still_works() -> None:
    assert inputs.load_omop_map is omop_map.load_omop_map
    assert inputs.OmopMap is omop_map.OmopMap


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("3035995: {analyte: alp,", "3035995: {analyte: x,"),
            "concepts.3035995.analyte: unknown analyte 'x'",
        ),
        (
            ('loinc: "6768-6"', 'loinc: "1742-6"'),
            "concepts.3035995.loinc: 1742-6 is not a LOINC code of alp",
        ),
        (
            ("8645: {unit: U/L,", "8645: {unit: U/furlong,"),
            "units.8645.unit: 'U/furlong' is no analyte's unit",
        ),
        (
            ("8507: {sex: M, source: [omop_cdm54]}", "8507: {sex: M, source: [nowhere]}"),
            "gender.8507.source: unknown source 'nowhere'",
        ),
    ],
)
def test_a_knowledge_mismatch_names_file_and_key(
    kb: Knowledge, tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    assert messages(kb, broken_copy(tmp_path, edit)) == (expected,)


def test_every_mismatch_is_listed(kb: Knowledge, tmp_path: Path) -> None:
    path = broken_copy(
        tmp_path,
        ("3035995: {analyte: alp,", "3035995: {analyte: x,"),
        ("8645: {unit: U/L,", "8645: {unit: U/furlong,"),
    )
    assert messages(kb, path) == (
        "concepts.3035995.analyte: unknown analyte 'x'",
        "units.8645.unit: 'U/furlong' is no analyte's unit",
    )
    with pytest.raises(KnowledgeError, match=r"omop\.yaml: concepts\.3035995\.analyte: .*; units"):
        load_omop_map(kb, str(path))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("8507: {sex: M,", "8507: {sex: X,"), "gender.8507.sex: Input should be 'F' or 'M'"),
        (
            ("8645: {unit: U/L,", "8645: {unit: U/L, note: x,"),
            "units.8645.note: Extra inputs are not permitted",
        ),
        (("\noperators:\n", "\nextra: 1\noperators:\n"), "extra: Extra inputs are not permitted"),
    ],
)
def test_a_schema_error_names_file_and_key(
    kb: Knowledge, tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    assert messages(kb, broken_copy(tmp_path, edit)) == (expected,)


def test_bad_yaml_names_the_file(kb: Knowledge, tmp_path: Path) -> None:
    (found,) = messages(kb, broken_copy(tmp_path, ("\nunits:\n", "\nunits: [\n")))
    assert found.startswith("not valid YAML")
