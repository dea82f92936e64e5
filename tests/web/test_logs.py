"""The server's log holds no patient identifier and no token, with every library's logger
turned up to INFO and to DEBUG: the log configured as ``lowalp serve`` configures it."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from lowalp.web import CdsIssuer, WebSettings, create_app
from lowalp.web.logs import configure_logging, redact

PID = "MRN-93817"
TOKEN = "tok-5f3a9c2e71"
FHIR = "https://fhir.hospital.example/r4"
PV = "/cds-services/lowalp-patient-view"


def fhir_server(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if "/Patient/" in path:
        return httpx.Response(200, json={"resourceType": "Patient", "id": PID, "gender": "male", "birthDate": "1970-02-03"})  # fmt: skip
    entries = []
    if "Observation" in path and "6768-6" in str(request.url):
        entries.append({"resource": {
            "resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
            "subject": {"reference": f"Patient/{PID}"}, "effectiveDateTime": "2024-05-01",
            "valueQuantity": {"value": 17, "unit": "U/L"}}})  # fmt: skip
    return httpx.Response(
        200, json={"resourceType": "Bundle", "type": "searchset", "entry": entries}
    )


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    yield
    root.handlers[:] = before[0]
    root.setLevel(before[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_no_patient_id_or_token_in_the_log(level: int) -> None:
    stream = io.StringIO()
    configure_logging(level, stream=stream)
    app = create_app(
        WebSettings(
            cds_allow_unsigned=True,
            cds_issuers=(CdsIssuer("https://ehr.example", "unused.json", (FHIR,)),),
        )
    )
    app.state.cds_transport = httpx.MockTransport(fhir_server)
    # every logger any library made, and the ones they make on first use, at this level
    for name in [*logging.root.manager.loggerDict, "httpx", "httpcore", "multipart", "python_multipart", "asyncio", "uvicorn", "uvicorn.error", "jwt", "urllib3", "fastapi"]:  # fmt: skip
        logging.getLogger(name).setLevel(level)
    client = TestClient(app)

    def hook(token: str) -> Any:
        return client.post(PV, json={
            "hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": FHIR,
            "fhirAuthorization": {"access_token": token, "token_type": "Bearer"},
            "context": {"patientId": PID, "userId": "Practitioner/1"}})  # fmt: skip

    assert hook(TOKEN).status_code == 200
    assert hook(TOKEN + "\r\nX-Evil: 1 " + PID).status_code == 400  # a malformed token
    signed = TestClient(create_app(WebSettings(cds_issuers=(CdsIssuer("https://ehr.example", "unused.json"),))))  # fmt: skip
    bad_jwt = "eyJhbGciOiJFUzM4NCJ9." + PID + ".x"
    assert (
        signed.post(PV, json={}, headers={"Authorization": f"Bearer {bad_jwt}"}).status_code == 401
    )
    csv = f"patient_id,sex,birth_date,date,loinc,value,unit\n{PID},F,1980-05-10,2024-01-02,6768-6,19,U/L\n"
    assert client.post("/upload", files={"file": ("labs.csv", csv.encode())}).status_code == 200
    assert client.post(f"/api/assess?patient={PID}", content=csv, headers={"Content-Type": "text/csv"}).status_code == 200  # fmt: skip
    case = {"id": PID, "patient": {"age_years": 40, "sex": "F"}, "labs": [{"analyte": "alp", "value": 20, "unit": "U/L", "day": 0}]}  # fmt: skip
    assert client.post("/report", data={"case": json.dumps(case)}).status_code == 200
    text = stream.getvalue()
    assert "POST /cds-services/lowalp-patient-view 200" in text  # the log is written
    for secret in (PID, "93817", TOKEN, "X-Evil", bad_jwt):
        assert secret not in text, f"{secret!r} reached the log:\n{text}"


def test_redact_cuts_urls_tokens_and_patient_parameters() -> None:
    line = 'HTTP Request: GET https://u:p@fhir.example/r4/Patient/MRN-1?patient=MRN-1 "HTTP/1.1 200 OK"'
    assert redact(line) == 'HTTP Request: GET https://fhir.example/… "HTTP/1.1 200 OK"'
    assert "abc" not in redact("Authorization: Bearer abc.def")
    assert "MRN-2" not in redact("Observation?subject=MRN-2&code=1")
