"""The command line: exit codes, JSON on stdout only, every command answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import make_case

from lowalp.cli import main


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    p = tmp_path / "case.json"
    p.write_text(
        json.dumps(make_case({"analyte": "alp", "value": 24, "unit": "U/L", "day": -120}, id="c1"))
    )
    return p


def test_assess_text(case_file, capsys):
    assert main(["assess", str(case_file)]) == 0
    out = capsys.readouterr().out
    assert "ALP 20 U/L — LOW" in out
    assert "Persistent: yes" in out
    assert "not a diagnosis" in out or "does not make a diagnosis" in out


def test_assess_text_is_brief_unless_asked_for_in_full(case_file, capsys):
    assert main(["assess", str(case_file)]) == 0
    brief = capsys.readouterr().out
    assert main(["assess", str(case_file), "--detail", "brief"]) == 0
    assert capsys.readouterr().out == brief
    assert main(["assess", str(case_file), "--detail", "full"]) == 0
    full = capsys.readouterr().out
    assert len(brief.splitlines()) <= 45
    assert "--detail full adds" in brief
    assert "Next steps (urgent first)" in brief
    assert "(weight" not in brief
    assert "Next tests (urgent first, then the most informative)" in full
    assert "(weight" in full
    assert len(full.splitlines()) > 2 * len(brief.splitlines())
    for out in (brief, full):
        assert "does not make a diagnosis" in " ".join(out.split())
        assert "ALP 20 U/L — LOW" in out


def test_detail_is_for_the_text_and_html_reports(case_file, tmp_path, capsys):
    plain = tmp_path / "plain.html"
    full = tmp_path / "full.html"
    assert main(["assess", str(case_file), "--format", "html", "-o", str(plain)]) == 0
    assert "--detail" not in capsys.readouterr().err
    args = ["assess", str(case_file), "--format", "html", "--detail", "full", "-o", str(full)]
    assert main(args) == 0
    assert "--detail" not in capsys.readouterr().err
    assert '<details id="all-evidence" class="all-evidence" open>' in full.read_text()
    assert '<details id="all-evidence" class="all-evidence">' in plain.read_text()
    assert main(["assess", str(case_file), "--format", "json", "--detail", "brief"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["causes"]  # the JSON is unchanged and alone on stdout
    assert "--detail applies to the text and HTML reports" in captured.err
    assert main(["assess", str(case_file), "--audience", "patient", "--detail", "full"]) == 0
    patient_full = capsys.readouterr().out
    assert main(["assess", str(case_file), "--audience", "patient"]) == 0
    assert capsys.readouterr().out == patient_full


def test_an_unknown_detail_is_a_usage_error(case_file, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["assess", str(case_file), "--detail", "long"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_assess_json_prints_only_json(case_file, capsys):
    assert main(["assess", str(case_file), "--format", "json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["alp"]["status"] == "low"
    assert doc["alp"]["persistent"] is True
    assert {
        "alp",
        "artifacts",
        "causes",
        "next_tests",
        "not_understood",
        "warnings",
        "knowledge_version",
    } <= set(doc)
    first = doc["causes"][0]
    assert {"id", "name", "probability", "evidence"} <= set(first)
    assert abs(sum(c["probability"] for c in doc["causes"]) - 1) < 1e-9


def test_assess_patient_audience(case_file, capsys):
    assert main(["assess", str(case_file), "--audience", "patient"]) == 0
    out = capsys.readouterr().out
    assert "Questions you could ask your doctor" in out
    assert "(weight" not in out


def test_assess_html_writes_a_file(case_file, tmp_path, capsys):
    target = tmp_path / "r.html"
    assert main(["assess", str(case_file), "--format", "html", "-o", str(target)]) == 0
    assert target.read_text().lstrip().lower().startswith("<!doctype html")


def test_rejected_input_exits_1_and_lists_problems(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text(
        json.dumps(
            make_case(
                {"analyte": "albumin", "value": "x", "unit": "g/dL"},
                {"analyte": "tsh", "value": "y", "unit": "mIU/L"},
            )
        )
    )
    assert main(["assess", str(p)]) == 1
    err = capsys.readouterr().err
    assert "labs[1].value" in err
    assert "labs[2].value" in err
    assert "Traceback" not in err


def test_malformed_json(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text('{"labs": [')
    assert main(["assess", str(p)]) == 1
    assert "not valid JSON" in capsys.readouterr().err


def test_missing_file(capsys):
    assert main(["assess", "/nonexistent/case.json"]) == 1
    assert "file not found" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["assess"])
    assert exc.value.code == 2
    assert main([]) == 2


def test_ranges(capsys):
    assert main(["ranges", "--age", "12", "--sex", "M"]) == 0
    out = capsys.readouterr().out
    assert "129–417" in out
    assert main(["ranges", "--age", "30", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["sex"] for r in rows} == {"F", "M"}


def test_knowledge_listing(capsys):
    assert main(["knowledge"]) == 0
    out = capsys.readouterr().out
    assert "hypophosphatasia" in out
    assert "wilson_disease" in out
    assert main(["knowledge", "--cause", "hypophosphatasia"]) == 0
    assert main(["knowledge", "--cause", "hypophosphatasa"]) == 2
    assert "did you mean hypophosphatasia" in capsys.readouterr().err


def test_evaluate_jsonl(tmp_path, capsys):
    lines = [
        json.dumps(
            make_case({"analyte": "tsh", "value": 30, "unit": "mIU/L", "day": 0}, id="t1")
            | {"diagnosis": "hypothyroidism"}
        ),
        "{not json",
    ]
    p = tmp_path / "cases.jsonl"
    p.write_text("\n".join(lines) + "\n")
    assert main(["evaluate", str(p), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n"] == 2
    assert {"top1", "top3", "per_cause", "cases"} <= set(doc)
    bad = [c for c in doc["cases"] if c.get("error")]
    assert len(bad) == 1
    assert bad[0]["ranked"] == []


def test_version(capsys):
    assert main(["--version"]) == 0
    assert "knowledge" in capsys.readouterr().out


def test_several_cases_give_json_lines_and_a_summary(tmp_path, capsys):
    lines = [
        json.dumps(make_case(id="a")),
        json.dumps(make_case({"analyte": "tsh", "value": 30, "unit": "mIU/L", "day": 0}, id="b")),
        json.dumps({"patient": {"age_years": 3}}),
    ]
    p = tmp_path / "cases.jsonl"
    p.write_text("\n".join(lines) + "\n")
    rejects = tmp_path / "rejects.csv"
    assert main(["assess", str(p), "--format", "json", "--rejects", str(rejects)]) == 0
    out, err = capsys.readouterr()
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["case_id"] for d in docs] == ["a", "b"]
    assert "3 cases read = 2 used + 1 rejected" in err
    assert "line 3" in rejects.read_text()


def test_input_format_did_you_mean(case_file, capsys):
    assert main(["assess", str(case_file), "--input-format", "case_jsn"]) == 1
    assert "did you mean 'case-json'" in capsys.readouterr().err


def test_standard_input(case_file, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(case_file.read_bytes())))
    assert main(["assess", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["alp"]["status"] == "low"


def test_several_cases_as_html_go_to_a_folder(tmp_path, capsys):
    p = tmp_path / "cases.jsonl"
    p.write_text(json.dumps(make_case(id="a")) + "\n" + json.dumps(make_case(id="b")) + "\n")
    out = tmp_path / "reports"
    assert main(["assess", str(p), "--format", "html", "-o", str(out)]) == 0
    assert sorted(f.name for f in out.iterdir()) == ["a.html", "b.html"]


def test_evaluate_takes_several_paths_together_and_prints_calibration(tmp_path, capsys):
    for name in ("a", "b"):
        case = make_case({"analyte": "tsh", "value": 30, "unit": "mIU/L", "day": 0}, id=name)
        (tmp_path / f"{name}.jsonl").write_text(
            json.dumps(case | {"diagnosis": "hypothyroidism"}) + "\n"
        )
    assert main(["evaluate", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 cases:")
    assert "Calibration" in out
    assert "90%-100%" in out
