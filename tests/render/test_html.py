"""The HTML report: well-formed, self-contained, escaped, ordered, and right for each audience."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from typing import Any

import pytest

from lowalp.model import (
    AlpMeasurement,
    AlpStatus,
    Artifact,
    Assessment,
    CauseResult,
    Evidence,
    NextTest,
    NotUnderstood,
    Patient,
    ScoreItem,
    ScoreResult,
    Source,
    Wording,
)
from lowalp.render.html import NARROW, chart, render_html

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


# ----------------------------------------------------------------------------- fixture


def _evidence(finding: str, state: str, effect: str, weight: float, **kw: Any) -> Evidence:
    return Evidence(
        finding=finding,
        label=kw.pop("label", finding.replace("_", " ")),
        plain=kw.pop("plain", f"plain {finding}"),
        state=state,  # type: ignore[arg-type]
        effect=effect,  # type: ignore[arg-type]
        weight=weight,
        detail=kw.pop("detail", f"detail of {finding}"),
        source=kw.pop("source", "whyte2016"),
        estimate=kw.pop("estimate", False),
    )


def _cause(cid: str, name: str, p: float, **kw: Any) -> CauseResult:
    return CauseResult(
        id=cid,
        name=name,
        plain_name=kw.pop("plain_name", f"{name} (plain)"),
        probability=p,
        prior=0.05,
        transient=kw.pop("transient", False),
        summary=kw.pop("summary", f"Summary of {name}."),
        plain=kw.pop("plain", f"In plain words, {name}."),
        evidence=kw.pop(
            "evidence",
            (
                _evidence(f"{cid}_present", "present", "supports", 1.1),
                _evidence(f"{cid}_absent", "absent", "refutes", -0.5, estimate=True),
                _evidence(f"{cid}_unknown", "unknown", "neutral", 0.0, source=None),
            ),
        ),
        management=kw.pop("management", (f"Manage {name}.",)),
        patient_questions=kw.pop("patient_questions", (f"Could it be {name}?",)),
        sources=kw.pop("sources", ("whyte2016",)),
    )


def make_assessment(**over: Any) -> Assessment:
    """An assessment built by hand: every section filled, each free-text field overridable."""
    measurements = over.pop(
        "measurements",
        (
            AlpMeasurement(
                value=28,
                unit="U/L",
                t=-120,
                lower_limit=30,
                upper_limit=130,
                limit_source="lab",
                status="low",
                pointer="labs[1]",
            ),
            AlpMeasurement(
                value=19,
                unit="U/L",
                t=0,
                lower_limit=35,
                upper_limit=105,
                limit_source="adult-F",
                status="low",
                pointer="labs[0]",
            ),
        ),
    )
    alp = AlpStatus(
        value=19,
        lower_limit=35,
        upper_limit=105,
        limit_source="adult-F",
        age_sex_interval="adult-F: 35–105 U/L",
        age_sex_lower_limit=35,
        status="low",
        low_for_age_only=over.pop("low_for_age_only", True),
        persistent=True,
        persistence_reason=over.pop("persistence_reason", "2 low values 120 days apart"),
        measurements=measurements,
    )
    causes = over.pop(
        "causes",
        (
            _cause("hypophosphatasia", "Hypophosphatasia", 0.62),
            _cause("zinc_deficiency", "Zinc deficiency", 0.25),
            _cause("hypothyroidism", "Hypothyroidism", 0.13, transient=True),
        ),
    )
    fields: dict[str, Any] = {
        "case_id": "case-42",
        "patient": Patient(age_years=46, sex="F"),
        "age_years": 46,
        "alp": alp,
        "artifacts": (
            Artifact(
                id="edta",
                name="EDTA contamination",
                evidence=(_evidence("high_potassium", "present", "supports", 2.0),),
                action="Repeat the sample; treat the potassium as real until then.",
                heading="Repeat the sample; treat the potassium as real until then",
                summary="possible sample contamination: repeat the sample",
                plain="The usual next step is a new blood sample, taken soon.",
            ),
        ),
        "causes": causes,
        "scores": (
            ScoreResult(
                id="hpp_score",
                name="HPP clinical criteria",
                cause="hypophosphatasia",
                totals={"major": 1, "minor": 2},
                complete=False,
                interpretation="Criteria partly met.",
                items=(
                    ScoreItem(item="plp", label="High PLP", state="met", points=1, group="major"),
                    ScoreItem(item="teeth", label="Early tooth loss", state="unknown", points=0),
                ),
                missing=("urine PEA",),
                source="whyte2016",
                note="A note on the score.",
            ),
        ),
        "next_tests": (
            NextTest(
                test="plp",
                name="Pyridoxal 5'-phosphate (PLP)",
                why="Raised in hypophosphatasia.",
                expected_information_gain=0.42,
                relative_cost=3,
                invasiveness="blood test",
                causes=("hypophosphatasia",),
                preparation="Stop vitamin B6 supplements for a week.",
            ),
            NextTest(
                test="zinc",
                name="Serum zinc",
                why="Low in zinc deficiency.",
                expected_information_gain=0.2,
                relative_cost=1,
                invasiveness="blood test",
                causes=("zinc_deficiency",),
            ),
        ),
        "unknown_findings": ("vitamin B6 intake", "dental history"),
        "understood": ("alp",),
        "not_understood": (
            NotUnderstood(
                pointer="context.medications[0]",
                value="asprin",
                reason="unknown medication",
                suggestions=("aspirin",),
            ),
        ),
        "warnings": ("Age was taken from the birth date.",),
        "sources": (
            Source(id="whyte2016", citation="Whyte MP et al. 2016.", url="https://example.org/w"),
            Source(id="local", citation="Local estimate.", url=None),
        ),
        "knowledge_version": "2026.11.0",
        "disclaimer": "Decision support only; not a diagnosis.",
        "disclaimer_plain": "This is not a diagnosis; talk to your doctor.",
        "wording": Wording(
            possible_from=0.3, likely_from=0.5, most_consistent_from=0.75, patient_from=0.05
        ),
        "adult_age_years": 18,
    }
    fields.update(over)
    return Assessment(**fields)


@pytest.fixture
def assessment() -> Assessment:
    return make_assessment()


# ----------------------------------------------------------------------------- parsing


class Walker(HTMLParser):
    """Records every tag, checks nesting of non-void tags, and collects text per tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[tuple[tuple[str, ...], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append((tuple(self.stack), data.strip()))


def walk(html: str) -> Walker:
    w = Walker()
    w.feed(html)
    w.close()
    return w


def classes(attrs: dict[str, str | None]) -> list[str]:
    return (attrs.get("class") or "").split()


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_is_balanced_html5(assessment: Assessment, audience: str) -> None:
    html = render_html(assessment, audience=audience)  # type: ignore[arg-type]
    assert html.lstrip().startswith("<!DOCTYPE html>")
    w = walk(html)
    assert w.errors == []
    assert w.stack == []
    tags = [t for t, _ in w.starts]
    for tag in ("html", "head", "body", "header", "main", "footer", "svg", "style"):
        assert tag in tags
    assert dict(w.starts[0][1]).get("lang") == "en"


def test_headings_in_order(assessment: Assessment) -> None:
    levels = [int(t[1]) for t, _ in walk(render_html(assessment)).starts if t in {"h1", "h2", "h3"}]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_table_headers_have_scope(assessment: Assessment) -> None:
    ths = [attrs for t, attrs in walk(render_html(assessment)).starts if t == "th"]
    assert ths
    assert all(attrs.get("scope") in {"col", "row"} for attrs in ths)


def test_causes_in_probability_order(assessment: Assessment) -> None:
    html = render_html(assessment)
    section = html[html.index('<section id="causes"') :]
    positions = [section.index(c.name) for c in assessment.causes]
    assert positions == sorted(positions)
    assert section.index("62%") < section.index("25%") < section.index("13%")


def test_sections_in_order(assessment: Assessment) -> None:
    """What to read first at the top (warnings, what was not understood, the ALP, artefacts,
    the brief), everything else under "Show all evidence", closed unless the report is full."""
    html = render_html(assessment)
    ids = ["warnings", "not-understood", "alp", "artifacts", "brief"]
    ids += ["alp-detail", "causes", "scores", "next-tests", "management", "not-known", "sources"]
    positions = [html.index(f'<section id="{i}"') for i in ids]
    assert positions == sorted(positions)
    disclosure = html.index('<details id="all-evidence" class="all-evidence">')
    assert html.index('<section id="brief"') < disclosure < html.index('<section id="causes"')
    assert disclosure < html.index("<svg")
    full = render_html(assessment, detail="full")
    assert '<details id="all-evidence" class="all-evidence" open>' in full
    with pytest.raises(ValueError, match="detail"):
        render_html(assessment, detail="short")  # type: ignore[arg-type]


def test_probability_bars_are_css_widths(assessment: Assessment) -> None:
    html = render_html(assessment)
    assert 'style="width: 62.0%"' in html
    assert 'style="width: 25.0%"' in html


@pytest.mark.parametrize("n", [1, 2])
def test_svg_has_one_point_per_measurement(assessment: Assessment, n: int) -> None:
    a = make_assessment(measurements=assessment.alp.measurements[:n])
    for audience in ("clinician", "patient"):
        w = walk(render_html(a, audience=audience))  # type: ignore[arg-type]
        points = [attrs for t, attrs in w.starts if t == "g" and "point" in classes(attrs)]
        drawings = [at for t, at in w.starts if t == "svg" and at.get("role") == "img"]
        # drawn twice: for wide screens and for a phone's width (each shown on its own)
        assert [classes(d) for d in drawings] == [["chart-wide"], ["chart-narrow"]]
        assert len(points) == 2 * n
        assert all("pt-low" in classes(p) for p in points)
        svg_text = [txt for stack, txt in w.text if "svg" in stack]
        assert "ALP over time" in svg_text
        assert "ALP (U/L)" in svg_text
        assert any("Days relative" in t for t in svg_text)


def test_chart_is_accessible(assessment: Assessment) -> None:
    w = walk(render_html(assessment))
    svg = next(attrs for t, attrs in w.starts if t == "svg" and attrs.get("role") == "img")
    assert svg.get("aria-labelledby") == "alp-chart-title alp-chart-desc"
    tags = [(t, attrs.get("id")) for t, attrs in w.starts]
    assert ("title", "alp-chart-title") in tags
    assert ("desc", "alp-chart-desc") in tags


def test_the_phone_chart_is_drawn_at_about_a_phone_width(assessment: Assessment) -> None:
    """A 375 px phone shows the chart about 350 px wide: drawn 340 units wide, its 11-12 unit
    labels stay 11-12 px there (the 640-unit drawing would shrink them to 6 px)."""
    wide, narrow = chart(assessment.alp), chart(assessment.alp, NARROW)
    assert wide is not None
    assert narrow is not None
    assert (wide.width, narrow.width) == (640, 340)
    assert [p.value for p in narrow.points] == [p.value for p in wide.points]
    assert all(narrow.left <= p.x <= narrow.width - narrow.right for p in narrow.points)
    html = render_html(assessment)
    assert 'viewBox="0 0 340 240"' in html
    assert 'aria-labelledby="alp-chart-narrow-title alp-chart-narrow-desc"' in html
    phone = html[html.index("@media (max-width: 40rem)") :]
    assert ".chart .chart-wide { display: none; }" in phone.split("}\n}")[0]


def test_chart_skips_undated_points_and_says_so(assessment: Assessment) -> None:
    undated = assessment.alp.measurements[0].model_copy(update={"t": None})
    a = make_assessment(measurements=(undated, assessment.alp.measurements[1]))
    html = render_html(a)
    w = walk(html)
    assert sum(t == "g" and "point" in classes(at) for t, at in w.starts) == 2  # wide, narrow
    assert "1 measurement without a day or a value is not plotted" in html


def test_no_chart_without_measurements() -> None:
    html = render_html(make_assessment(measurements=()))
    assert "<svg viewBox" not in html
    assert walk(html).errors == []


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_nothing_loaded_from_outside(assessment: Assessment, audience: str) -> None:
    html = render_html(assessment, audience=audience)  # type: ignore[arg-type]
    w = walk(html)
    assert not any(t == "script" for t, _ in w.starts)
    for tag, attrs in w.starts:
        for key in ("src", "href", "xlink:href", "srcset", "data"):
            value = (attrs.get(key) or "").lower()
            if tag in {"script", "link", "img", "iframe", "object", "embed", "image", "use"}:
                assert "http://" not in value
                assert "https://" not in value, (tag, attrs)
            if tag == "a" and value.startswith(("http://", "https://")):
                assert audience == "clinician"
    assert "@import" not in html
    assert "url(" not in html


def test_external_links_only_in_sources(assessment: Assessment) -> None:
    html = render_html(assessment)
    before_sources = html[: html.index('<section id="sources"')]
    assert 'href="http' not in before_sources
    assert '<a href="https://example.org/w">' in html


def test_source_ids_link_to_anchors(assessment: Assessment) -> None:
    w = walk(render_html(assessment))
    ids = {attrs.get("id") for _, attrs in w.starts}
    internal = {
        attrs["href"] for t, attrs in w.starts if t == "a" and (attrs.get("href") or "")[:1] == "#"
    }
    assert "#src-whyte2016" in internal
    assert {h[1:] for h in internal} <= ids


def test_non_web_url_is_not_a_link() -> None:
    a = make_assessment(sources=(Source(id="x", citation="X.", url="javascript:alert(1)"),))
    html = render_html(a)
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html


FREE_TEXT: dict[str, Any] = {
    "case id": lambda: make_assessment(case_id=PAYLOAD),
    "not understood value": lambda: make_assessment(
        not_understood=(NotUnderstood(pointer="p", value=PAYLOAD, reason="r"),)
    ),
    "not understood pointer, reason and suggestion": lambda: make_assessment(
        not_understood=(
            NotUnderstood(pointer=PAYLOAD, value="v", reason=PAYLOAD, suggestions=(PAYLOAD,)),
        )
    ),
    "warning": lambda: make_assessment(warnings=(PAYLOAD,)),
    "evidence detail": lambda: make_assessment(
        causes=(
            _cause(
                "c", "C", 0.9, evidence=(_evidence("f", "present", "supports", 1, detail=PAYLOAD),)
            ),
        )
    ),
    "evidence label and source": lambda: make_assessment(
        causes=(
            _cause(
                "c",
                "C",
                0.9,
                evidence=(_evidence("f", "present", "supports", 1, label=PAYLOAD, source=PAYLOAD),),
            ),
        )
    ),
    "cause texts": lambda: make_assessment(
        causes=(_cause("c", PAYLOAD, 0.9, summary=PAYLOAD, management=(PAYLOAD,)),)
    ),
    "artifact": lambda: make_assessment(
        artifacts=(
            Artifact(
                id="a",
                name=PAYLOAD,
                evidence=(),
                action=PAYLOAD,
                heading=PAYLOAD,
                summary=PAYLOAD,
                plain=PAYLOAD,
            ),
        )
    ),
    "score": lambda: make_assessment(
        scores=(
            ScoreResult(
                id="s",
                name=PAYLOAD,
                cause="c",
                totals={PAYLOAD: 1},
                complete=True,
                interpretation=PAYLOAD,
                items=(ScoreItem(item="i", label=PAYLOAD, state="met", points=1, detail=PAYLOAD),),
                missing=(PAYLOAD,),
                source=PAYLOAD,
                note=PAYLOAD,
            ),
        )
    ),
    "next test": lambda: make_assessment(
        next_tests=(
            NextTest(
                test="t",
                name=PAYLOAD,
                why=PAYLOAD,
                expected_information_gain=0.1,
                relative_cost=2,
                invasiveness=PAYLOAD,
                causes=(),
                preparation=PAYLOAD,
            ),
        )
    ),
    "source": lambda: make_assessment(
        sources=(Source(id=PAYLOAD, citation=PAYLOAD, url="https://x.org/?" + PAYLOAD),)
    ),
    "alp texts": lambda: make_assessment(persistence_reason=PAYLOAD),
    "unknown findings": lambda: make_assessment(unknown_findings=(PAYLOAD,)),
    "disclaimer and version": lambda: make_assessment(
        disclaimer=PAYLOAD, knowledge_version=PAYLOAD
    ),
}

PATIENT_FREE_TEXT: dict[str, Any] = {
    "plain cause texts": lambda: make_assessment(
        causes=(
            _cause(
                "c",
                "C",
                0.9,
                plain_name=PAYLOAD,
                plain=PAYLOAD,
                patient_questions=(PAYLOAD,),
                evidence=(_evidence("f", "present", "supports", 1, plain=PAYLOAD),),
            ),
        )
    ),
    "plain disclaimer": lambda: make_assessment(disclaimer_plain=PAYLOAD),
    "case id": FREE_TEXT["case id"],
    "next test": FREE_TEXT["next test"],
}


@pytest.mark.parametrize("field", sorted(FREE_TEXT))
def test_free_text_is_escaped_for_clinicians(field: str) -> None:
    html = render_html(FREE_TEXT[field]())
    assert "<script" not in html.lower()
    assert ESCAPED in html
    assert walk(html).errors == []


@pytest.mark.parametrize("field", sorted(PATIENT_FREE_TEXT))
def test_free_text_is_escaped_for_patients(field: str) -> None:
    html = render_html(PATIENT_FREE_TEXT[field](), audience="patient")
    assert "<script" not in html.lower()
    assert ESCAPED in html


@pytest.mark.parametrize("field", sorted(FREE_TEXT))
def test_patient_view_never_leaks_raw_markup(field: str) -> None:
    assert "<script" not in render_html(FREE_TEXT[field](), audience="patient").lower()


def test_disclaimer_at_top_and_bottom(assessment: Assessment) -> None:
    html = render_html(assessment)
    assert html.count(assessment.disclaimer) == 2
    assert html.index(assessment.disclaimer) < html.index("<main>")
    assert html.rindex(assessment.disclaimer) > html.index("</main>")


def test_clinician_content(assessment: Assessment) -> None:
    html = render_html(assessment)
    for text in (
        "case-42",
        "46 years, female",
        "2026.11.0",
        "ALP 19 U/L low for age, persistent; possible sample contamination: repeat the sample",
        "35–105 U/L",
        "adult-F: 35–105 U/L",
        "2 low values 120 days apart",
        "Low for age and sex although inside the printed range",
        "Repeat the sample; treat the potassium as real until then.",
        "Weight (ln LR)",
        "+1.10",
        "−0.50",
        "estimate",
        "0.42 bits",
        "Missing inputs:",
        "urine PEA",
        "Stop vitamin B6 supplements for a week.",
        "Manage Hypophosphatasia.",
        "dental history",
        "asprin",
        "aspirin",
        "Age was taken from the birth date.",
        "Whyte MP et al. 2016.",
    ):
        assert text in html, text
    assert '£££<span class="cost-rest">££</span>' in html
    for state in ("present", "absent", "unknown"):
        assert f'tr class="state-{state}"' in html


def test_artifact_warning_comes_before_causes(assessment: Assessment) -> None:
    html = render_html(assessment)
    assert html.index("EDTA contamination</h3>") < html.index('<section id="causes"')


def test_only_leading_five_have_evidence_details() -> None:
    causes = tuple(_cause(f"c{i}", f"Cause {i}", 0.3 - i * 0.03) for i in range(7))
    w = walk(render_html(make_assessment(causes=causes)))
    details = [attrs for t, attrs in w.starts if t == "details" and "cause" in classes(attrs)]
    assert len(details) == 5
    assert "open" in details[0]
    assert all("open" not in d for d in details[1:])


def test_status_not_by_colour_alone(assessment: Assessment) -> None:
    w = walk(render_html(assessment))
    badges = [txt for stack, txt in w.text if stack and stack[-1] == "span" and txt == "low"]
    assert badges


def test_patient_audience(assessment: Assessment) -> None:
    html = render_html(assessment, audience="patient")
    w = walk(html)
    headers = [txt.lower() for stack, txt in w.text if "th" in stack]
    assert not any("weight" in h for h in headers)
    visible = " ".join(txt for stack, txt in w.text if "style" not in stack).lower()
    assert "weight" not in visible
    assert "ln lr" not in visible
    assert "Could it be Hypophosphatasia?" in html
    assert "Could it be Zinc deficiency?" in html
    assert "Hypophosphatasia (plain)" in html
    assert "plain hypophosphatasia_present" in html
    assert "plain hypophosphatasia_absent" not in html
    assert html.count(assessment.disclaimer_plain) == 2
    assert assessment.disclaimer not in html
    assert "Summary of Hypophosphatasia." not in html
    assert "detail of" not in html
    assert sum(t == "g" and "point" in classes(a) for t, a in w.starts) == 4  # 2, drawn twice
    assert "new blood sample" in html


def test_unknown_audience_is_refused(assessment: Assessment) -> None:
    with pytest.raises(ValueError, match="audience"):
        render_html(assessment, audience="nurse")  # type: ignore[arg-type]


def test_template_ships_with_package() -> None:
    from importlib.resources import files

    assert files("lowalp.render").joinpath("templates", "report.html.j2").is_file()


def test_the_brief_says_how_much_is_not_known() -> None:
    """Unknown is not normal: the brief (all a printout shows) counts the findings not known."""
    a = make_assessment(unknown_findings=("PLP", "Urine PEA"))
    html = render_html(a)
    brief = html[html.index('<section id="brief"') : html.index('<details id="all-evidence"')]
    assert "Not known, and not taken as normal: 2 findings" in brief
    assert "Not known, and not taken" not in render_html(make_assessment(unknown_findings=()))
