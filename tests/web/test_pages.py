"""The clinician's pages, in process: the form, the report, uploads, examples, escaping, PDF."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lowalp.render.pdf import find_chromium
from lowalp.web import WebSettings, create_app
from lowalp.web.pages import analyte_choices, list_examples

DATA = Path(__file__).parents[1] / "data"
PAYLOAD = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(WebSettings()))


def hpp_form(**extra: str) -> dict[str, str]:
    """An adult with a persistent low ALP and a raised PLP, as the form posts it."""
    form = {
        "age": "46",
        "sex": "F",
        "lab-0-analyte": "alp",
        "lab-0-value": "22",
        "lab-0-unit": "U/L",
        "lab-0-low": "35",
        "lab-0-high": "104",
        "lab-1-analyte": "alp",
        "lab-1-value": "24",
        "lab-1-unit": "U/L",
        "lab-1-days": "240",
        "lab-2-analyte": "plp",
        "lab-2-value": "310",
        "lab-2-unit": "nmol/L",
        "findings": "metatarsal stress fracture",
        "medications": "none",
    }
    form.update(extra)
    return form


def hidden_case(html: str) -> dict[str, Any]:
    m = re.search(r'name="case" value="([^"]*)"', html)
    assert m, "the report carries its case in a hidden field"
    data: dict[str, Any] = json.loads(unescape(m[1]))
    return data


# ----------------------------------------------------------------------------- the form


def test_form_lists_every_analyte_alp_first_with_its_units(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    kb = client.app.state.knowledge  # type: ignore[attr-defined]
    options = re.findall(r'<select id="lab-0-analyte".*?</select>', r.text, re.S)[0]
    ids = re.findall(r'<option value="([^"]+)"', options)
    assert ids[0] == "alp"
    assert sorted(ids) == sorted(kb.analytes)
    units = re.findall(r'<select id="lab-0-unit".*?</select>', r.text, re.S)[0]
    for a in kb.analytes.values():
        group = re.search(
            rf'<optgroup label="[^"]*" data-analyte="{a.id}">(.*?)</optgroup>', units, re.S
        )
        assert group, a.id
        shown = set(re.findall(r'<option value="([^"]+)"', group[1]))
        for unit in a.units:  # each accepted unit, or its µ spelling, is on the menu
            assert unit in shown or unit.replace("u", "µ", 1) in shown, (a.id, unit)
        assert a.canonical_unit in shown


def test_form_has_a_label_for_every_input(client: TestClient) -> None:
    html = client.get("/").text
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    assert ids
    assert [i for i in ids if i not in labelled] == []
    assert html.count("<fieldset") == html.count("<legend")


def test_choices_put_canonical_unit_first(client: TestClient) -> None:
    kb = client.app.state.knowledge  # type: ignore[attr-defined]
    for choice in analyte_choices(kb):
        assert choice.units[0].unit == choice.canonical
        assert choice.units[0].factor == 1


def test_add_row_rerenders_with_more_rows_and_keeps_values(client: TestClient) -> None:
    r = client.post("/assess", data={**hpp_form(), "lab-rows": "6", "action": "add-lab"})
    assert r.status_code == 200
    assert 'id="lab-8-value"' in r.text
    assert 'name="lab-rows" value="9"' in r.text
    assert 'id="lab-2-value" name="lab-2-value" value="310"' in r.text


# ----------------------------------------------------------------------------- the report


def test_form_case_gives_a_report_with_ranked_causes(client: TestClient) -> None:
    r = client.post("/assess", data=hpp_form())
    assert r.status_code == 200, r.text[:2000]
    text = r.text
    assert "Possible explanations" in text
    assert "Hypophosphatasia" in text
    assert "<svg" in text
    assert "ALP over time" in text
    assert 'href="/static/site.css"' in text
    case = hidden_case(text)
    assert case["patient"] == {"age_years": 46.0, "sex": "F"}
    assert {lab["analyte"] for lab in case["labs"]} == {"alp", "plp"}
    assert case["context"]["medications"] == []
    assert [lab.get("day") for lab in case["labs"]] == [0.0, -240.0, 0.0]


def test_report_has_patient_tab_pdf_and_edit_that_repost_the_case(client: TestClient) -> None:
    html = client.post("/assess", data=hpp_form()).text
    # the versions are links within the page (Back works), not form posts
    assert '<a href="#view-patient" class="tab tab-other">' in html
    assert 'formaction="/report" class="tab"' not in html
    assert 'id="view-patient"' in html
    assert 'id="view-clinician"' in html
    assert "Your alkaline phosphatase (ALP) result" in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for ref in re.findall(r'href="#([^"]+)"', html):
        assert ref in ids, ref
    assert 'value="patient" formaction="/report.pdf"' in html
    assert 'formaction="/report.pdf"' in html
    assert 'formaction="/edit"' in html
    case = json.dumps(hidden_case(html))
    patient = client.post("/report", data={"case": case, "audience": "patient"})
    assert patient.status_code == 200
    assert "Your alkaline phosphatase (ALP) result" in patient.text
    # posted for the patient, the patient version is the one shown first
    assert '<a href="#view-patient" class="tab tab-main">' in patient.text
    edit = client.post("/edit", data={"case": case})
    assert edit.status_code == 200
    assert 'name="lab-2-value" value="310"' in edit.text
    assert 'name="lab-1-days" value="240"' in edit.text


def test_report_repost_with_a_broken_case_is_a_4xx_in_the_error_shape(client: TestClient) -> None:
    r = client.post("/report", data={"case": "{not json"})
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["pointer"] == "case"


def test_an_implausible_value_is_questioned_then_left_out_on_confirmation(
    client: TestClient,
) -> None:
    form = hpp_form(**{"lab-2-value": "310", "lab-2-unit": "g/dL", "lab-2-analyte": "albumin"})
    r = client.post("/assess", data=form)
    assert r.status_code == 200
    assert "Are these values right?" in r.text
    assert "310 g/dL is outside what is possible for Albumin" in r.text
    assert 'name="confirm" value="yes"' in r.text
    assert "Possible explanations" not in r.text
    confirmed = client.post("/assess", data={**form, "confirm": "yes"})
    assert confirmed.status_code == 200
    assert "Possible explanations" in confirmed.text
    assert "Left out." in confirmed.text
    assert all(lab["analyte"] != "albumin" for lab in hidden_case(confirmed.text)["labs"])


def test_form_errors_are_listed_by_row(client: TestClient) -> None:
    form = {
        "age": "two hundred",
        "lab-0-analyte": "alp",
        "lab-0-value": "abc",
        "lab-1-value": "4",
        "lab-2-analyte": "calcium",
        "lab-2-value": "2.3",
        "lab-2-unit": "U/L",
    }
    r = client.post("/assess", data=form)
    assert r.status_code == 422
    text = unescape(r.text)
    assert "Age: “two hundred”" in text
    assert "Row 1 (Alkaline phosphatase (total)): “abc” is not a number" in text
    assert "Row 2: choose which test" in text
    assert "Row 3 (Calcium (total)): U/L is not a unit for Calcium (total)" in text
    assert 'aria-invalid="true"' in r.text


def test_no_alp_is_an_error_on_the_form(client: TestClient) -> None:
    r = client.post("/assess", data={"lab-0-analyte": "plp", "lab-0-value": "300"})
    assert r.status_code == 422
    assert "Enter at least one alkaline phosphatase (ALP) result." in r.text


def test_an_upside_down_range_is_named_by_its_row(client: TestClient) -> None:
    """The form finds it (the engine would now only set the range aside, with a warning)."""
    r = client.post(
        "/assess",
        data=hpp_form(**{"lab-2-low": "400", "lab-2-high": "100"}),
    )
    assert r.status_code == 422
    text = unescape(r.text)
    assert "Row 3 (" in text
    assert "lower limit 400 is above its upper limit 100" in text
    assert "labs[" not in r.text


def test_a_value_in_another_unit_is_questioned_with_the_engine_rule(client: TestClient) -> None:
    form = hpp_form(**{"lab-0-value": "0.35", "lab-0-unit": "U/L"})
    r = client.post("/assess", data=form)
    assert r.status_code == 200
    text = unescape(r.text)
    assert "Are these values right?" in text
    assert "implausibly low for Alkaline phosphatase" in text
    assert "µkat/L" in text


def test_script_in_every_free_text_field_is_escaped(client: TestClient) -> None:
    form = hpp_form(
        **{
            "case-id": PAYLOAD,
            "medications": PAYLOAD,
            "findings": PAYLOAD,
            "event-0-text": PAYLOAD,
            "event-0-days": "3",
            "notes": PAYLOAD,
            "lab-0-flag": PAYLOAD,
        }
    )
    report = client.post("/assess", data=form)
    assert report.status_code == 200
    assert PAYLOAD not in report.text
    assert "&lt;script&gt;" in report.text
    # the same on the form when it is shown again, and on the patient version
    again = client.post("/assess", data={**form, "lab-0-value": PAYLOAD, "lab-1-flag": PAYLOAD})
    assert again.status_code == 422
    assert PAYLOAD not in again.text
    case = json.dumps(hidden_case(report.text))
    for path in ("/report", "/edit"):
        r = client.post(path, data={"case": case, "audience": "patient"})
        assert r.status_code == 200
        assert PAYLOAD not in r.text


def test_clinical_notes_and_flags_reach_the_case(client: TestClient) -> None:
    notes = "Stopped alendronate a year ago.\nMother had early tooth loss."
    form = hpp_form(**{"notes": notes, "lab-0-flag": "L", "lab-2-flag": "HH"})
    r = client.post("/assess", data=form)
    assert r.status_code == 200, r.text[:2000]
    case = hidden_case(r.text)
    assert case["context"]["notes"] == notes
    assert [lab.get("flag") for lab in case["labs"]] == ["L", None, "HH"]
    edit = client.post("/edit", data={"case": json.dumps(case)})
    assert edit.status_code == 200
    assert f'name="notes" rows="6" aria-describedby="notes-hint">{notes}</textarea>' in edit.text
    flag = re.search(r'<select id="lab-2-flag".*?</select>', edit.text, re.S)
    assert flag
    assert '<option value="HH" selected>' in flag[0]


def test_a_flag_without_a_result_is_an_error_on_its_row(client: TestClient) -> None:
    r = client.post("/assess", data=hpp_form(**{"lab-3-analyte": "zinc", "lab-3-flag": "L"}))
    assert r.status_code == 422
    assert "Row 4 (Zinc (serum)): the result is missing." in r.text


def test_an_uploaded_record_opens_in_the_form_with_its_statuses_in_words(
    client: TestClient,
) -> None:
    """Medicine and finding records (here from FHIR) become lines the form can hold."""
    file = DATA / "fhir" / "clinical.json"
    report = client.post("/upload", files={"file": (file.name, file.read_bytes())})
    assert report.status_code == 200, report.text[:2000]
    case = hidden_case(report.text)
    edit = client.post("/edit", data={"case": json.dumps(case)})
    assert edit.status_code == 200
    meds = re.search(r'<textarea id="medications"[^>]*>(.*?)</textarea>', edit.text, re.S)
    findings = re.search(r'<textarea id="findings"[^>]*>(.*?)</textarea>', edit.text, re.S)
    notes = re.search(r'<textarea id="notes"[^>]*>(.*?)</textarea>', edit.text, re.S)
    assert meds
    assert findings
    assert notes
    assert unescape(meds[1]).splitlines() == [
        "Alendronic acid 70 mg weekly (stopped 2024-08-15)",
        "Colecalciferol 1000 units daily",
        "Denosumab 60 mg every 6 months (not taken)",
        "Prednisolone 5 mg tablets",
        "Omeprazole 20 mg capsules (stopped 2025-07-10)",
    ]
    assert unescape(findings[1]).splitlines() == [
        "history of Metatarsal stress fracture (2023-04-01)",
        "possible Chondrocalcinosis of the knee (2025-09-18)",
        "no Coeliac disease",
        "Chronic low back pain",
        "family history of Hypophosphatasia (2025-10-01)",
        "family history of Hypertension (2025-10-01)",
    ]
    assert unescape(notes[1]).startswith("Rheumatology clinic letter.")
    flag = re.search(r'<select id="lab-2-flag".*?</select>', edit.text, re.S)
    assert flag
    assert '<option value="HH" selected>' in flag[0]


def test_a_flag_the_menu_does_not_list_is_kept(client: TestClient) -> None:
    case = {"labs": [{"analyte": "alp", "value": 20, "unit": "U/L", "flag": "POS"}]}
    edit = client.post("/edit", data={"case": json.dumps(case)})
    flag = re.search(r'<select id="lab-0-flag".*?</select>', edit.text, re.S)
    assert flag
    assert '<option value="POS" selected>POS</option>' in flag[0]


# ----------------------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("fhir/bundle.json", "FHIR"),
        ("hl7v2/oru_r01_v251_chemistry.hl7", "HL7 v2"),
    ],
)
def test_upload_of_one_patient_opens_the_report(client: TestClient, path: str, fmt: str) -> None:
    file = DATA / path
    r = client.post("/upload", files={"file": (file.name, file.read_bytes())})
    assert r.status_code == 200, r.text[:2000]
    assert "Possible explanations" in r.text
    assert f"Read as {fmt}:" in r.text
    assert hidden_case(r.text)["labs"]


def test_upload_of_several_patients_lists_them(client: TestClient) -> None:
    file = DATA / "csv" / "clean.csv"
    r = client.post("/upload", files={"file": (file.name, file.read_bytes())})
    assert r.status_code == 200
    assert "3 cases in the file" in r.text
    assert r.text.count("Open report") == 3
    for case_id in ("P001", "P002", "P003"):
        assert case_id in r.text
    first = re.search(r'name="case" value="([^"]*)"', r.text)
    assert first
    opened = client.post("/report", data={"case": unescape(first[1])})
    assert opened.status_code == 200
    assert "Low ALP assessment" in opened.text


def test_upload_of_an_unreadable_file_is_shown_on_the_form(client: TestClient) -> None:
    r = client.post("/upload", files={"file": ("x.bin", b"\x00\x01 not a case")})
    assert r.status_code == 422
    assert "The file could not be used" in r.text
    assert "its format was not recognised" in r.text


def test_upload_without_a_file_is_shown_on_the_form(client: TestClient) -> None:
    r = client.post("/upload", files={"file": ("empty.json", b"")})
    assert r.status_code == 422
    assert "The file is empty." in r.text


# ----------------------------------------------------------------------------- examples


def test_every_example_is_listed_and_opens(client: TestClient) -> None:
    home = client.get("/").text
    examples = list_examples()
    assert len(examples) >= 5
    for e in examples:
        assert f'href="/examples/{e.name}"' in home
        assert e.title in unescape(home)
        r = client.get(f"/examples/{e.name}")
        assert r.status_code == 200, e.name
        assert "Possible explanations" in r.text or "Repeat the sample" in r.text
        assert "diagnosis" not in hidden_case(r.text)
        form = client.get("/", params={"example": e.name})
        assert form.status_code == 200
        assert 'name="lab-0-value" value=""' not in form.text


def test_an_unknown_example_is_a_4xx(client: TestClient) -> None:
    assert client.get("/examples/../../etc/passwd").status_code == 404
    r = client.get("/examples/nope")
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["pointer"] == "example"


# ----------------------------------------------------------------------------- banner, headers


def test_unsigned_mode_banner_on_every_page() -> None:
    loud = TestClient(create_app(WebSettings(cds_allow_unsigned=True)))
    quiet = TestClient(create_app(WebSettings()))
    for c, shown in ((loud, True), (quiet, False)):
        pages = [c.get("/").text, c.get("/examples/hpp-adult").text]
        pages.append(c.post("/assess", data=hpp_form()).text)
        for html in pages:
            assert ("Development mode:" in html) is shown


def test_pages_send_the_security_headers_and_load_only_local_assets(client: TestClient) -> None:
    r = client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    srcs = re.findall(r'(?:src|href)="([^"#]+)"', r.text)
    assert srcs
    assert all(s.startswith("/") for s in srcs), srcs
    assert "<script>" not in r.text
    assert " on" + "click=" not in r.text
    for asset in ("/static/site.css", "/static/form.js", "/static/favicon.svg"):
        assert client.get(asset).status_code == 200


# ----------------------------------------------------------------------------- PDF


@pytest.mark.skipif(find_chromium() is None, reason="PDF output needs Chromium (/usr/bin/chromium)")
def test_pdf_download(client: TestClient) -> None:
    case = json.dumps(hidden_case(client.post("/assess", data=hpp_form()).text))
    r = client.post("/report.pdf", data={"case": case, "audience": "patient"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert "lowalp-report-patient.pdf" in r.headers["content-disposition"]


def test_pdf_without_chromium_is_a_503_in_the_error_shape(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOWALP_CHROMIUM", "/nonexistent/chromium")
    case = json.dumps(hidden_case(client.post("/assess", data=hpp_form()).text))
    r = client.post("/report.pdf", data={"case": case})
    assert r.status_code == 503
    error = r.json()["error"]
    assert error["title"] == "PDF output is not available"
    assert "Chromium" in error["detail"]


def test_the_labs_words_are_accepted_as_a_result(client: TestClient) -> None:
    form = hpp_form(**{"lab-2-analyte": "pth", "lab-2-value": "undetectable", "lab-2-unit": ""})
    r = client.post("/assess", data=form)
    assert r.status_code == 200
    pth = next(lab for lab in hidden_case(r.text)["labs"] if lab["analyte"] == "pth")
    assert pth["qualifier"] == "undetectable"


def test_an_ongoing_event_reaches_the_case_and_the_form(client: TestClient) -> None:
    form = hpp_form(**{"event-0-text": "sepsis", "event-0-days": "42", "event-0-ongoing": "yes"})
    r = client.post("/assess", data=form)
    assert r.status_code == 200, r.text[:2000]
    case = hidden_case(r.text)
    assert case["context"]["events"] == [{"event": "sepsis", "days_before": 42.0, "ongoing": True}]
    assert "ongoing since 42 days before" in unescape(r.text)
    edit = client.post("/edit", data={"case": json.dumps(case)})
    assert 'name="event-0-ongoing" value="yes" checked' in edit.text
