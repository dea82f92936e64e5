"""Golden files: the brief text report, the HTML report and the FHIR Bundle of every example.

Each example under ``examples/`` has three files in ``tests/golden/``: ``<name>.txt`` (the
clinician's brief text report, as ``lowalp assess`` prints it), ``<name>.html`` (the
clinician's HTML report) and ``<name>.fhir.json`` (the FHIR R4 Bundle). The test renders each
again and compares; a difference fails with a diff.

When a change to the renderers or the knowledge changes a report on purpose, rewrite the files
and read the diff before committing it::

    pytest tests/render/test_golden.py --update-golden
    LOWALP_UPDATE_GOLDEN=1 pytest tests/render/test_golden.py     # the same

What would change from one run or one release to the next is masked: the knowledge version
(``{knowledge}``), the FHIR ``urn:uuid:`` entry addresses (numbered in order of appearance)
and the FHIR time stamps (a fixed time is passed).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from pathlib import Path

import pytest

from lowalp import assess
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.fhir import render_fhir
from lowalp.render.html import render_html
from lowalp.render.text import render_text

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
KINDS = ("txt", "html", "fhir.json")
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""The FHIR output's time of assessment (now, by default)."""
UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _update(config: pytest.Config) -> bool:
    return bool(config.getoption("--update-golden")) or os.environ.get(
        "LOWALP_UPDATE_GOLDEN", ""
    ) not in ("", "0")


def _mask(text: str, a: Assessment) -> str:
    text = text.replace(a.knowledge_version, "{knowledge}")
    seen: dict[str, str] = {}
    return UUID.sub(
        lambda m: seen.setdefault(m[0], f"urn:uuid:00000000-0000-4000-8000-{len(seen) + 1:012d}"),
        text,
    )


def rendered(a: Assessment, kind: str, kb: Knowledge) -> str:
    if kind == "txt":
        text = render_text(a, detail="brief")
    elif kind == "html":
        text = render_html(a)
    else:
        bundle = render_fhir(a, knowledge=kb, occurrence=WHEN)
        text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    return _mask(text, a)


@pytest.fixture(scope="module")
def assessed(kb: Knowledge) -> dict[str, Assessment]:
    return {
        p.stem: assess(json.loads(p.read_text(encoding="utf-8")), knowledge=kb) for p in EXAMPLES
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_output_matches_its_golden_file(
    assessed: dict[str, Assessment],
    kb: Knowledge,
    name: str,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    got = rendered(assessed[name], kind, kb)
    path = GOLDEN / f"{name}.{kind}"
    if _update(request.config):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), f"{path.name} is missing: run pytest {__file__} --update-golden"
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(
            list(
                difflib.unified_diff(
                    want.splitlines(keepends=True),
                    got.splitlines(keepends=True),
                    f"golden/{path.name}",
                    "rendered now",
                )
            )[:80]
        )
        pytest.fail(
            f"{path.name} differs from the rendered output (if the change is meant, rerun with "
            f"--update-golden and read the diff):\n{diff}",
            pytrace=False,
        )


def test_every_golden_file_belongs_to_an_example() -> None:
    expected = {f"{p.stem}.{kind}" for p in EXAMPLES for kind in KINDS}
    present = {p.name for p in GOLDEN.iterdir() if p.is_file() and p.name != "README.md"}
    assert present <= expected, sorted(present - expected)


@pytest.mark.parametrize("kind", KINDS)
def test_outputs_are_the_same_from_run_to_run(kb: Knowledge, kind: str) -> None:
    """Nothing in them depends on when, where or in which process they were made."""
    case = json.loads((ROOT / "examples" / "edta-contamination.json").read_text(encoding="utf-8"))
    first, second = (rendered(assess(case, knowledge=kb), kind, kb) for _ in range(2))
    assert first == second
    assert str(ROOT) not in first
    assert str(Path.home()) not in first
    assert "{knowledge}" in first


def test_the_golden_text_is_what_the_command_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assessed: dict[str, Assessment]
) -> None:
    from lowalp.cli import main

    example = ROOT / "examples" / "hpp-adult.json"
    assert main(["assess", str(example), "--color", "never"]) == 0
    printed = capsys.readouterr().out
    assert _mask(printed, assessed["hpp-adult"]) == (GOLDEN / "hpp-adult.txt").read_text(
        encoding="utf-8"
    )
