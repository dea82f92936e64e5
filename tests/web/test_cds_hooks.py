"""CDS Hooks 2.0: discovery, patient-view and order-select, prefetch vs fetching, JWT, feedback.

Keys are generated here (EC P-384 and RSA 2048) and only their public JWK Set is written, to a
temporary folder. The EHR's FHIR server is an ``httpx.MockTransport``: no socket is opened.
"""

from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

import lowalp
from lowalp.knowledge import Knowledge
from lowalp.render.fhir import case_to_bundle
from lowalp.web import CdsIssuer, WebSettings, create_app
from lowalp.web.cds import auth
from lowalp.web.cds.discovery import prefetch_templates

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "cds"
ISS = "https://ehr.example/cds-client"
OTHER_ISS = "https://intruder.example"
FHIR_BASE = "https://fhir.ehr.example/r4"
FHIR_TOKEN = "stub-access-token"
PV = "/cds-services/lowalp-patient-view"
OS = "/cds-services/lowalp-order-select"
SERVER = "http://testserver"
UNSIGNED = "unsigned CDS calls accepted (development only)"


# ----------------------------------------------------------------------------- keys and tokens


class Keys:
    def __init__(self, folder: Path) -> None:
        self.ec = ec.generate_private_key(ec.SECP384R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = ec.generate_private_key(ec.SECP384R1())
        self.p256 = ec.generate_private_key(ec.SECP256R1())
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        self.jwks = {
            "keys": [
                {**ec_jwk, "kid": "ec-1", "use": "sig", "alg": "ES384"},
                {**rsa_jwk, "kid": "rsa-1", "use": "sig"},
            ]
        }
        self.path = folder / "jwks.json"
        self.path.write_text(json.dumps(self.jwks), encoding="utf-8")

    def token(
        self,
        aud: str = SERVER + PV,
        *,
        alg: str = "ES384",
        kid: str | None = "ec-1",
        key: Any = None,
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISS,
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "sub": "ehr-client",
        }
        payload.update(claims)
        for name in drop:
            payload.pop(name, None)
        if alg == "none":
            key = None
        elif key is None:
            key = self.rsa if alg[:2] in ("RS", "PS") else self.ec
        headers = {"kid": kid} if kid else {}
        return jwt.encode(payload, key, algorithm=alg, headers=headers)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("cds-keys"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(keys: Keys) -> Iterator[TestClient]:
    app = create_app(WebSettings(cds_issuers=(CdsIssuer(ISS, str(keys.path), (FHIR_BASE,)),)))
    with TestClient(app) as c:
        yield c


# ----------------------------------------------------------------------------- FHIR data


class Record:
    """A case as the resources a FHIR server holds for patient ``pid``."""

    def __init__(self, case: dict[str, Any], pid: str, kb: Knowledge) -> None:
        bundle = case_to_bundle(lowalp.load_case(case), knowledge=kb)
        self.pid = pid
        self.patient: dict[str, Any] = {}
        self.by_type: dict[str, list[dict[str, Any]]] = {}
        for n, entry in enumerate(bundle["entry"]):
            res = copy.deepcopy(entry["resource"])
            if res["resourceType"] == "Patient":
                res["id"] = pid
                self.patient = res
                continue
            res["id"] = f"r{n}"
            who = "patient" if res["resourceType"] == "FamilyMemberHistory" else "subject"
            res[who] = {"reference": f"Patient/{pid}"}
            self.by_type.setdefault(res["resourceType"], []).append(res)
        alp_codes = set(kb.analytes["alp"].loinc)
        obs = self.by_type.get("Observation", [])
        self.alp = [o for o in obs if o["code"]["coding"][0].get("code") in alp_codes]
        self.labs = [o for o in obs if o not in self.alp]

    def prefetch(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "alp": searchset(self.alp),
            "labs": searchset(self.labs),
            "medicationRequests": searchset(self.by_type.get("MedicationRequest", [])),
            "medicationStatements": searchset(self.by_type.get("MedicationStatement", [])),
            "conditions": searchset(self.by_type.get("Condition", [])),
            "familyHistory": searchset(self.by_type.get("FamilyMemberHistory", [])),
            "procedures": searchset(self.by_type.get("Procedure", [])),
        }

    def search(self, rtype: str, codes: set[str]) -> list[dict[str, Any]]:
        found = self.by_type.get(rtype, [])
        if codes:
            found = [r for r in found if r["code"]["coding"][0].get("code") in codes]
        return found


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


class FhirStub:
    """The EHR's FHIR server: reads and searches over one Record, token checked."""

    def __init__(self, record: Record, *, fail: bool = False) -> None:
        self.record = record
        self.fail = fail
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if request.headers.get("authorization") != f"Bearer {FHIR_TOKEN}":
            return httpx.Response(401)
        if self.fail:
            return httpx.Response(503)
        path = request.url.path.removeprefix("/r4/")
        if path == f"Patient/{self.record.pid}":
            return httpx.Response(200, json=self.record.patient)
        if "/" in path:
            return httpx.Response(404)
        assert request.url.params.get("patient") == self.record.pid
        codes = {c.rpartition("|")[2] for c in request.url.params.get("code", "").split(",") if c}
        return httpx.Response(200, json=searchset(self.record.search(path, codes)))


@pytest.fixture(scope="module")
def hpp_case() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "hpp-adult.json").read_text())
    return data


@pytest.fixture
def hpp(hpp_case: dict[str, Any], kb: Knowledge) -> Record:
    return Record(hpp_case, "pat-hpp-1", kb)


def request_body(name: str = "patient-view-request.json", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    body["hookInstance"] = str(uuid.uuid4())
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def prefetch_only(record: Record) -> dict[str, Any]:
    """The sample call answered from prefetch alone: no fhirServer, no fhirAuthorization."""
    body = request_body(fhirServer=None, fhirAuthorization=None, prefetch=record.prefetch())
    body["context"]["patientId"] = record.pid
    return body


def check_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    err: dict[str, Any] = response.json()["error"]
    assert err["status"] == status
    assert isinstance(err["title"], str)
    assert isinstance(err["problems"], list)
    return err


def check_card(card: dict[str, Any]) -> None:
    """The CDS Hooks 2.0 card rules of the project checklist."""
    uuid.UUID(card["uuid"])
    assert isinstance(card["summary"], str)
    assert 0 < len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning")
    assert card["source"]["label"].startswith("lowalp ")
    assert card["detail"].strip()
    assert "does not replace clinical judgement" in card["detail"]
    for reason in card["overrideReasons"]:
        assert reason["display"]
        assert reason["code"]
        assert reason["system"]
    for link in card.get("links", []):
        assert link["type"] == "absolute"
        assert link["url"].startswith("http")
        assert link["label"]
    if "suggestions" in card:
        assert card["selectionBehavior"] == "any"
        for s in card["suggestions"]:
            uuid.UUID(s["uuid"])
            assert s["label"]
            for action in s["actions"]:
                assert action["type"] == "create"
                res = action["resource"]
                assert res["resourceType"] == "ServiceRequest"
                assert res["code"]["coding"][0]["system"] == "http://loinc.org"
    for value in card.values():
        assert value not in (None, "", [], {})  # optional members are omitted, not empty


# ----------------------------------------------------------------------------- discovery


def test_discovery_lists_both_services_with_prefetch_templates(
    client: TestClient, kb: Knowledge
) -> None:
    r = client.get("/cds-services")
    assert r.status_code == 200
    assert "X-Lowalp-Warning" not in r.headers
    services = {s["id"]: s for s in r.json()["services"]}
    assert services["lowalp-patient-view"]["hook"] == "patient-view"
    assert services["lowalp-order-select"]["hook"] == "order-select"
    for s in services.values():
        assert s["title"]
        assert s["description"]
        pre = s["prefetch"]
        assert pre["patient"] == "Patient/{{context.patientId}}"
        assert pre["alp"].startswith(
            "Observation?patient={{context.patientId}}&code=http://loinc.org|6768-6"
        )
        assert "&_sort=-date&_count=" in pre["alp"]
        for analyte in kb.analytes.values():
            key = "alp" if analyte.id == "alp" else "labs"
            for code in analyte.loinc:
                assert f"http://loinc.org|{code}" in pre[key]
        assert pre["medicationRequests"].startswith("MedicationRequest?patient=")
        assert pre["medicationStatements"].startswith("MedicationStatement?patient=")
        assert pre["conditions"].startswith("Condition?patient=")
        assert pre["familyHistory"].startswith("FamilyMemberHistory?patient=")
        assert pre["procedures"].startswith("Procedure?patient=")


def test_prefetch_is_read_like_a_fhir_file(kb: Knowledge) -> None:
    """Flags, texts and notes of results, medicine statuses, condition assertions and family
    history reach the case through the prefetch exactly as through ``--input-format fhir``."""
    from lowalp.adapters import load
    from lowalp.web.cds.prefetch import gather, resources, to_case

    sample = ROOT / "tests" / "data" / "fhir" / "clinical.json"
    (expected,) = list(load(sample, format="fhir").cases)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in json.loads(sample.read_text())["entry"]:
        res = entry["resource"]
        by_type.setdefault(res["resourceType"], []).append(res)
    prefetch = {
        "patient": by_type["Patient"][0],
        "alp": searchset(by_type["Observation"][:2]),
        "labs": searchset(by_type["Observation"][2:]),
        "medicationRequests": searchset(by_type["MedicationRequest"]),
        "medicationStatements": searchset(by_type["MedicationStatement"]),
        "conditions": searchset(by_type["Condition"]),
        "familyHistory": searchset(by_type["FamilyMemberHistory"]),
        "procedures": None,
    }
    keys = prefetch_templates(kb)
    got = gather(prefetch, keys)
    assert got.missing == []
    entries, _ = resources(got.data.values())
    case = to_case(entries, "pat-2", knowledge=kb)
    assert case is not None
    assert case.labs == expected.labs
    # the order is that of the keys (requests first), not of the file
    assert set(case.context.medications or ()) == set(expected.context.medications or ())
    assert case.context.findings == expected.context.findings
    assert case.context.notes is None  # documents are not asked for in the prefetch


# ----------------------------------------------------------------------------- patient-view


def test_patient_view_from_prefetch_gives_one_card(
    client: TestClient, keys: Keys, hpp: Record
) -> None:
    body = prefetch_only(hpp)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        r = client.post(PV, json=body, headers=bearer(keys.token()))
        timings.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text
    print(
        "\nCDS patient-view from prefetch: "
        + ", ".join(f"{t:.1f} ms" for t in timings)
        + " (first includes warm-up)"
    )
    cards = r.json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    check_card(card)
    assert card["indicator"] == "warning"  # probable hypophosphatasia
    assert "Hypophosphatasia" in card["summary"]
    assert "Hypophosphatasia" in card["detail"]
    assert "Not available" not in card["detail"]  # every key was prefetched


def test_patient_view_fetches_missing_prefetch_from_fhir_server(
    client: TestClient, keys: Keys, hpp: Record
) -> None:
    stub = FhirStub(hpp)
    client.app.state.cds_transport = httpx.MockTransport(stub)  # type: ignore[attr-defined]
    fetched = request_body()
    r = client.post(PV, json=fetched, headers=bearer(keys.token()))
    assert r.status_code == 200, r.text
    assert len(stub.calls) == 8  # every key, one request each
    [card] = r.json()["cards"]
    check_card(card)

    prefetched = client.post(PV, json=prefetch_only(hpp), headers=bearer(keys.token()))
    [same] = prefetched.json()["cards"]
    for key in ("summary", "indicator", "detail", "source", "overrideReasons"):
        assert card[key] == same[key], key


def test_only_absent_keys_are_fetched_and_null_means_no_data(
    client: TestClient, keys: Keys, hpp: Record
) -> None:
    stub = FhirStub(hpp)
    client.app.state.cds_transport = httpx.MockTransport(stub)  # type: ignore[attr-defined]
    pre = hpp.prefetch()
    del pre["labs"]  # absent: fetched
    pre["procedures"] = None  # null: the EHR has none, not fetched
    body = request_body(prefetch=pre)
    r = client.post(PV, json=body, headers=bearer(keys.token()))
    assert r.status_code == 200, r.text
    assert stub.calls == ["/r4/Observation"]
    assert len(r.json()["cards"]) == 1


def test_no_prefetch_and_no_fhir_server_is_412(client: TestClient, keys: Keys) -> None:
    variants: list[dict[str, Any]] = [{}, {"prefetch": None}, {"prefetch": {}}]
    for extra in variants:  # prefetch absent, null, or without the keys
        body = request_body(fhirServer=None, fhirAuthorization=None) | extra
        r = client.post(PV, json=body, headers=bearer(keys.token()))
        err = check_error(r, 412)
        assert "patient" in err["detail"]
        assert "alp" in err["detail"]


def test_operation_outcome_in_prefetch_counts_as_missing(
    client: TestClient, keys: Keys, hpp: Record
) -> None:
    pre = hpp.prefetch()
    pre["alp"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    body = request_body(fhirServer=None, fhirAuthorization=None, prefetch=pre)
    check_error(client.post(PV, json=body, headers=bearer(keys.token())), 412)


def test_fhir_server_failure_is_412(client: TestClient, keys: Keys, hpp: Record) -> None:
    client.app.state.cds_transport = httpx.MockTransport(  # type: ignore[attr-defined]
        FhirStub(hpp, fail=True)
    )
    check_error(client.post(PV, json=request_body(), headers=bearer(keys.token())), 412)


def test_null_patient_still_assesses(client: TestClient, keys: Keys, hpp: Record) -> None:
    body = prefetch_only(hpp)
    body["prefetch"]["patient"] = None
    r = client.post(PV, json=body, headers=bearer(keys.token()))
    assert r.status_code == 200, r.text
    assert len(r.json()["cards"]) == 1


def test_normal_alp_gives_no_cards(client: TestClient, keys: Keys, kb: Knowledge) -> None:
    case = {
        "patient": {"age_years": 50, "sex": "M"},
        "labs": [{"analyte": "alp", "value": 80, "unit": "U/L", "day": 0}],
    }
    body = prefetch_only(Record(case, "pat-normal", kb))
    r = client.post(PV, json=body, headers=bearer(keys.token()))
    assert r.status_code == 200, r.text
    assert r.json() == {"cards": []}


def test_no_alp_on_record_gives_no_cards(client: TestClient, keys: Keys, hpp: Record) -> None:
    body = prefetch_only(hpp)
    body["prefetch"]["alp"] = searchset([])
    body["prefetch"]["labs"] = searchset([])
    r = client.post(PV, json=body, headers=bearer(keys.token()))
    assert r.status_code == 200, r.text
    assert r.json() == {"cards": []}


def test_edta_pattern_gives_a_warning_with_test_suggestions(
    client: TestClient, keys: Keys, kb: Knowledge
) -> None:
    case = json.loads((ROOT / "examples" / "edta-contamination.json").read_text())
    body = prefetch_only(Record(case, "pat-edta", kb))
    r = client.post(PV, json=body, headers=bearer(keys.token()))
    [card] = r.json()["cards"]
    check_card(card)
    assert card["indicator"] == "warning"
    assert "repeat the sample" in card["summary"].lower()
    assert "treat K as real" in card["summary"]
    assert "Check the sample first" in card["detail"]
    assert "ECG" in card["detail"]


def test_cards_suggest_orderable_tests(client: TestClient, keys: Keys, kb: Knowledge) -> None:
    case = {
        "patient": {"age_years": 46, "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 21, "unit": "U/L", "day": 0},
            {"analyte": "alp", "value": 23, "unit": "U/L", "day": -300},
        ],
    }
    body = prefetch_only(Record(case, "pat-low", kb))
    [card] = client.post(PV, json=body, headers=bearer(keys.token())).json()["cards"]
    check_card(card)
    assert card["suggestions"]
    subject = card["suggestions"][0]["actions"][0]["resource"]["subject"]
    assert subject == {"reference": "Patient/pat-low"}


# ----------------------------------------------------------------------------- order-select


def _order_select(record: Record, **changes: Any) -> dict[str, Any]:
    body = request_body("order-select-alendronate.json", prefetch=record.prefetch(), **changes)
    body["context"]["patientId"] = record.pid
    return body


@pytest.fixture
def low_alp(kb: Knowledge) -> Record:
    case = {
        "patient": {"age_years": 62, "sex": "F"},
        "labs": [
            {"analyte": "alp", "value": 24, "unit": "U/L", "day": 0},
            {"analyte": "alp", "value": 26, "unit": "U/L", "day": -200},
        ],
    }
    return Record(case, "pat-os-1", kb)


def test_order_select_alendronate_with_low_alp_warns(
    client: TestClient, keys: Keys, low_alp: Record, kb: Knowledge
) -> None:
    r = client.post(OS, json=_order_select(low_alp), headers=bearer(keys.token(SERVER + OS)))
    assert r.status_code == 200, r.text
    [card] = r.json()["cards"]
    check_card(card)
    assert card["indicator"] == "warning"
    assert "hypophosphatasia" in card["summary"].lower()
    assert "alendronate" in card["summary"].lower()
    cited = [sid for sid in kb.causes["hypophosphatasia"].sources if f"[{sid}]" in card["detail"]]
    assert cited, "the card cites the knowledge's hypophosphatasia sources"
    codes = {
        a["resource"]["code"]["coding"][0]["code"]
        for s in card["suggestions"]
        for a in s["actions"]
    }
    assert codes & {"62236-5", "28604-7"}  # PLP or urine PEA


def test_order_select_other_drug_or_normal_alp_gives_no_cards(
    client: TestClient, keys: Keys, low_alp: Record, kb: Knowledge
) -> None:
    body = _order_select(low_alp)
    body["context"]["selections"] = ["MedicationRequest/draft-vitamin-d"]
    r = client.post(OS, json=body, headers=bearer(keys.token(SERVER + OS)))
    assert r.json() == {"cards": []}

    normal = Record(
        {
            "patient": {"age_years": 62, "sex": "F"},
            "labs": [{"analyte": "alp", "value": 90, "unit": "U/L", "day": 0}],
        },
        "pat-os-1",
        kb,
    )
    r = client.post(OS, json=_order_select(normal), headers=bearer(keys.token(SERVER + OS)))
    assert r.json() == {"cards": []}


def test_order_select_without_draft_orders_is_400(
    client: TestClient, keys: Keys, low_alp: Record
) -> None:
    body = _order_select(low_alp)
    del body["context"]["draftOrders"]
    err = check_error(client.post(OS, json=body, headers=bearer(keys.token(SERVER + OS))), 400)
    assert [p["pointer"] for p in err["problems"]] == ["context.draftOrders"]


# ----------------------------------------------------------------------------- bad requests


def test_unknown_service_is_404(client: TestClient, keys: Keys) -> None:
    aud = SERVER + "/cds-services/nope"
    check_error(client.post("/cds-services/nope", json={}, headers=bearer(keys.token(aud))), 404)
    check_error(client.post("/cds-services/nope/feedback", json={"feedback": []}), 404)


def test_bad_bodies_are_400_with_every_problem(client: TestClient, keys: Keys) -> None:
    r = client.post(
        PV,
        content=b"{not json",
        headers={**bearer(keys.token()), "Content-Type": "application/json"},
    )
    check_error(r, 400)
    body = {"hook": "order-select", "context": {}, "prefetch": {"alp": "x"}}
    err = check_error(client.post(PV, json=body, headers=bearer(keys.token())), 400)
    pointers = {p["pointer"] for p in err["problems"]}
    assert pointers == {"hook", "hookInstance", "context.patientId", "prefetch.alp"}
    bad: Any
    for bad in ([], "text", 3, None):
        check_error(client.post(PV, json=bad, headers=bearer(keys.token())), 400)
    body = request_body(fhirServer=None)
    err = check_error(client.post(PV, json=body, headers=bearer(keys.token())), 400)
    assert err["problems"][0]["pointer"] == "fhirServer"


# ----------------------------------------------------------------------------- JWT


BadToken = Callable[[Keys], dict[str, str]]


def _with(token: Callable[[Keys], str]) -> BadToken:
    return lambda k: bearer(token(k))


BAD_TOKENS: dict[str, BadToken] = {
    "no header": lambda k: {},
    "not bearer": lambda k: {"Authorization": "Basic dXNlcjpwYXNz"},
    "garbage": lambda k: bearer("not.a.jwt"),
    "expired": _with(lambda k: k.token(exp=int(time.time()) - 600, iat=int(time.time()) - 900)),
    "wrong audience": _with(lambda k: k.token(SERVER + OS)),
    "wrong issuer": _with(lambda k: k.token(iss=OTHER_ISS)),
    "alg none": _with(lambda k: k.token(alg="none")),
    "HS256": _with(lambda k: k.token(alg="HS256", key="a-shared-secret-of-32-bytes-long!")),
    "missing jti": _with(lambda k: k.token(drop=("jti",))),
    "missing exp": _with(lambda k: k.token(drop=("exp",))),
    "missing iat": _with(lambda k: k.token(drop=("iat",))),
    "unknown kid": _with(lambda k: k.token(kid="nope")),
    "no kid": _with(lambda k: k.token(kid=None)),
    "signed by another key": _with(lambda k: k.token(key=k.stranger)),
    "ES256 for a key declared ES384": _with(lambda k: k.token(alg="ES256", key=k.p256)),
    "lifetime too long": _with(lambda k: k.token(exp=int(time.time()) + 7 * 24 * 3600)),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_tokens_are_401_without_detail(
    client: TestClient, keys: Keys, hpp: Record, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = BAD_TOKENS[case](keys)
    with caplog.at_level(logging.INFO):
        r = client.post(PV, json=prefetch_only(hpp), headers=headers)
    err = check_error(r, 401)
    assert "detail" not in err
    assert err["problems"] == []
    assert r.headers["WWW-Authenticate"] == "Bearer"
    token = headers.get("Authorization", "").partition(" ")[2]
    if token:
        assert token not in caplog.text
    assert "CDS call refused" in caplog.text


def test_replayed_jti_is_401(client: TestClient, keys: Keys, hpp: Record) -> None:
    token = keys.token()
    assert client.post(PV, json=prefetch_only(hpp), headers=bearer(token)).status_code == 200
    check_error(client.post(PV, json=prefetch_only(hpp), headers=bearer(token)), 401)


@pytest.mark.parametrize("alg", ["RS384", "RS256", "PS256", "ES384"])
def test_asymmetric_algorithms_are_accepted(
    client: TestClient, keys: Keys, hpp: Record, alg: str
) -> None:
    kid = "ec-1" if alg.startswith("ES") else "rsa-1"
    token = keys.token(alg=alg, kid=kid, nbf=int(time.time()) - 300, tenant="t1")
    r = client.post(PV, json=prefetch_only(hpp), headers=bearer(token))
    assert r.status_code == 200, r.text


def test_audience_uses_the_public_url(keys: Keys, hpp: Record) -> None:
    public = "https://lowalp.hospital.example/"
    settings = WebSettings(
        cds_issuers=(CdsIssuer(ISS, str(keys.path), (FHIR_BASE,)),), public_base_url=public
    )
    with TestClient(create_app(settings)) as c:
        body = prefetch_only(hpp)
        check_error(c.post(PV, json=body, headers=bearer(keys.token())), 401)
        good = keys.token("https://lowalp.hospital.example" + PV)
        r = c.post(PV, json=body, headers=bearer(good))
        assert r.status_code == 200, r.text
        assert r.json()["cards"][0]["source"]["url"] == public


def test_jwks_from_url_is_cached_and_refetched_for_a_new_kid(
    keys: Keys, hpp: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks_url = "https://ehr.example/.well-known/jwks.json"
    served = {"keys": [keys.jwks["keys"][0]]}  # the EC key only, at first
    fetches = []

    def jwks_host(request: httpx.Request) -> httpx.Response:
        fetches.append(str(request.url))
        return httpx.Response(200, json=served)

    settings = WebSettings(cds_issuers=(CdsIssuer(ISS, jwks_url),))
    app = create_app(settings)
    app.state.cds_transport = httpx.MockTransport(jwks_host)
    with TestClient(app) as c:
        body = prefetch_only(hpp)
        monkeypatch.setattr(auth, "JWKS_REFETCH_SECONDS", 3600)
        for _ in range(2):
            assert c.post(PV, json=body, headers=bearer(keys.token())).status_code == 200
        assert len(fetches) == 1  # cached
        rsa_token = keys.token(alg="RS384", kid="rsa-1")
        check_error(c.post(PV, json=body, headers=bearer(rsa_token)), 401)
        assert len(fetches) == 1  # an unknown kid right after a fetch: no refetch storm
        served["keys"] = keys.jwks["keys"]  # the EHR rotates in its RSA key
        monkeypatch.setattr(auth, "JWKS_REFETCH_SECONDS", 0)
        r = c.post(PV, json=body, headers=bearer(keys.token(alg="RS384", kid="rsa-1")))
        assert r.status_code == 200, r.text
        assert len(fetches) == 2  # the unknown kid triggered one refetch
        assert c.post(PV, json=body, headers=bearer(keys.token())).status_code == 200
        assert len(fetches) == 2


def test_jwks_rejects_symmetric_and_private_keys() -> None:
    keys = auth.parse_jwks(
        {
            "keys": [
                {"kty": "oct", "kid": "s", "k": "c2VjcmV0"},
                {"kty": "EC", "kid": "p", "crv": "P-256", "x": "a", "y": "b", "d": "c"},
                {"kty": "RSA", "kid": "bad-alg", "alg": "HS256", "n": "AQAB", "e": "AQAB"},
                "junk",
            ]
        }
    )
    assert keys == {}


def test_no_issuers_configured_refuses_every_call(hpp: Record, keys: Keys) -> None:
    with TestClient(create_app(WebSettings())) as c:
        check_error(c.post(PV, json=prefetch_only(hpp), headers=bearer(keys.token())), 401)


def test_unsigned_mode_accepts_calls_and_says_so(
    hpp: Record, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        app = create_app(WebSettings(cds_allow_unsigned=True))
    assert "verification is OFF" in caplog.text
    with TestClient(app) as c:
        responses = [
            c.get("/cds-services"),
            c.post(PV, json=prefetch_only(hpp)),
            c.post("/cds-services/nope", json={}),
            c.post(PV, json={}),
            c.post(PV + "/feedback", json={"feedback": []}),
        ]
        assert [r.status_code for r in responses] == [200, 200, 404, 400, 200]
        for r in responses:
            assert r.headers["X-Lowalp-Warning"] == UNSIGNED
        assert app.state.cds_unsigned is True


# ----------------------------------------------------------------------------- feedback


def test_feedback_is_counted(client: TestClient, keys: Keys) -> None:
    url = PV + "/feedback"
    body = {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                "outcomeTimestamp": "2026-01-01T10:00:00Z",
            },
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "cause-known", "system": "urn:lowalp:cds-override-reason"},
                    "userComment": "known HPP, followed in clinic",
                },
                "outcomeTimestamp": "2026-01-01T10:01:00Z",
            },
        ]
    }
    r = client.post(url, json=body, headers=bearer(keys.token(SERVER + url)))
    assert r.status_code == 200, r.text
    counts = client.app.state.cds.feedback.snapshot()  # type: ignore[attr-defined]
    assert counts["lowalp-patient-view"] == {
        "accepted": 1,
        "overridden": 1,
        "reason:cause-known": 1,
    }
    bad = {"feedback": [{"card": "x", "outcome": "maybe"}]}
    err = check_error(client.post(url, json=bad, headers=bearer(keys.token(SERVER + url))), 400)
    assert err["problems"][0]["pointer"] == "feedback[0].outcome"
    check_error(client.post(url, json=body), 401)


# ----------------------------------------------------------------------------- privacy


def test_logs_hold_no_patient_data_or_tokens(
    client: TestClient, keys: Keys, hpp: Record, caplog: pytest.LogCaptureFixture
) -> None:
    stub = FhirStub(hpp)
    client.app.state.cds_transport = httpx.MockTransport(stub)  # type: ignore[attr-defined]
    token = keys.token()
    with caplog.at_level(logging.DEBUG, logger="lowalp"):
        r = client.post(PV, json=request_body(), headers=bearer(token))
    assert r.status_code == 200
    text = caplog.text
    assert "CDS lowalp-patient-view: 1 card(s)" in text
    for secret in (token, FHIR_TOKEN, hpp.pid, hpp.patient["birthDate"], "22 U/L", "Hypophosph"):
        assert secret not in text, secret


# ----------------------------------------------------------------------------- robustness

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*prefix, i))
    return out


def test_damaged_requests_never_give_a_server_error(hpp: Record, low_alp: Record) -> None:
    """Any member of a valid call (prefetch resources included) replaced by any JSON value."""
    client = TestClient(create_app(WebSettings(cds_allow_unsigned=True)))
    valid = {PV: prefetch_only(hpp), OS: _order_select(low_alp)}
    paths = {url: _paths(body) for url, body in valid.items()}

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(url=st.sampled_from([PV, OS]), data=st.data(), value=_JSON)
    def check(url: str, data: st.DataObject, value: Any) -> None:
        body = copy.deepcopy(valid[url])
        path = data.draw(st.sampled_from(paths[url]))
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        r = client.post(url, json=body)
        assert r.status_code in (200, 400, 412, 422), r.text
        if r.status_code != 200:
            assert set(r.json()) == {"error"}

    check()


def test_order_select_reads_brands_through_the_core_reader(
    client: TestClient, keys: Keys, low_alp: Record
) -> None:
    """A brand the knowledge's own list lacks (from the drug dictionary) is still an antiresorptive."""
    body = _order_select(low_alp)
    for entry in body["context"]["draftOrders"]["entry"]:
        res = entry["resource"]
        if res.get("id") == "draft-alendronate":
            res["medicationCodeableConcept"] = {"text": "Atelvia 35 mg weekly"}
    r = client.post(OS, json=body, headers=bearer(keys.token(SERVER + OS)))
    [card] = r.json()["cards"]
    assert "atelvia" in card["summary"].lower()


# ----------------------------------------------------------------------------- summaries at the limit


@pytest.mark.parametrize("extra", [0, 3, 6, 9])
def test_patient_view_summary_is_cut_between_words(
    client: TestClient, keys: Keys, kb: Knowledge, extra: int
) -> None:
    """A low ALP in the lab's words only, long enough that the summary must be cut: the card
    the service answers has a summary under 140 characters, cut after a whole word of the
    lab's text, with an ellipsis and no trailing space (the cases at every position near the
    limit are in test_card_summary.py)."""
    words = (
        "very low, well below the laboratory reference range, confirmed on repeat "
        + "x" * extra
        + " analysis of a fresh sample drawn this morning at the clinic today"
    )
    case = {
        "patient": {"age_years": 50, "sex": "F"},
        "labs": [{"analyte": "alp", "flag": "L", "text": words, "unit": "U/L", "day": 0}],
    }
    r = client.post(
        PV, json=prefetch_only(Record(case, "pat-long", kb)), headers=bearer(keys.token())
    )
    assert r.status_code == 200, r.text
    [card] = r.json()["cards"]
    check_card(card)
    summary = card["summary"]
    assert summary.endswith("…")
    assert summary == summary.strip()
    said = " ".join(f"ALP {words}".split())
    body = summary[:-1].split(" ")
    assert body[-1] in said.split(" ")  # a whole word, not a piece of one
    assert said.startswith(" ".join(body))
