"""A ``jti`` is accepted once, whichever worker gets the call, and stays refused after a worker
restarts: the replay store is a SQLite file in the server's runtime folder.

Two ways: two app instances on one store (quick, exact), and ``lowalp serve --workers 2`` on
loopback with one worker killed part-way (real processes)."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from lowalp.web import CdsIssuer, WebSettings, create_app

ISS = "https://ehr.example/cds-client"
PV = "/cds-services/lowalp-patient-view"
PID = "MRN-1"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    private = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    path = tmp_path_factory.mktemp("keys") / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "ES384"}]}))
    return private, path


def token(private: Any, aud: str) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, private, algorithm="ES384", headers={"kid": "k1"})


def body() -> dict[str, Any]:
    alp = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
        "subject": {"reference": f"Patient/{PID}"},
        "effectiveDateTime": "2024-05-01",
        "valueQuantity": {"value": 18, "unit": "U/L"},
    }
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": PID, "userId": "Practitioner/1"},
        "prefetch": {
            "patient": {
                "resourceType": "Patient",
                "id": PID,
                "gender": "female",
                "birthDate": "1980-01-01",
            },
            "alp": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": alp}]},
        },
    }


def test_two_apps_on_one_store_accept_a_jti_once(key: tuple[Any, Path], tmp_path: Path) -> None:
    private, jwks = key
    settings = WebSettings(cds_issuers=(CdsIssuer(ISS, str(jwks)),), runtime_dir=tmp_path)
    first, second = TestClient(create_app(settings)), TestClient(create_app(settings))
    t = token(private, "http://testserver" + PV)
    auth = {"Authorization": f"Bearer {t}"}
    assert first.post(PV, json=body(), headers=auth).status_code == 200
    assert second.post(PV, json=body(), headers=auth).status_code == 401
    third = TestClient(create_app(settings))  # a worker started again later
    assert third.post(PV, json=body(), headers=auth).status_code == 401
    fresh = {"Authorization": f"Bearer {token(private, 'http://testserver' + PV)}"}
    assert third.post(PV, json=body(), headers=fresh).status_code == 200


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            cmdline = (entry / "cmdline").read_bytes() if entry.exists() else b""
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))  # a worker (not multiprocessing's tracker)
    return found


@pytest.mark.slow
def test_two_workers_accept_a_jti_once_and_remember_it_after_a_restart(
    key: tuple[Any, Path], tmp_path: Path, live_server: Callable[..., Any]
) -> None:
    private, jwks = key
    run = tmp_path / "run"
    live = live_server(
        "--workers", "2", "--cds-issuer", ISS, "--cds-jwks", str(jwks), "--runtime-dir", str(run),
        "--log-level", "warning",
    )  # fmt: skip
    aud = live.url + PV
    tokens = [token(private, aud) for _ in range(16)]

    def send(t: str) -> int:
        # a new connection each time, so the kernel hands calls to either worker
        r = httpx.post(aud, json=body(), headers={"Authorization": f"Bearer {t}"}, timeout=30)
        return r.status_code

    assert [send(t) for t in tokens] == [200] * len(tokens)
    assert [send(t) for t in tokens] == [401] * len(tokens)
    workers = _children(live.process.pid)
    assert len(workers) >= 2
    os.kill(workers[0], signal.SIGKILL)  # that worker only; the supervisor starts another
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _children(live.process.pid)
        if len(now) >= 2 and workers[0] not in now:
            break
        time.sleep(0.2)
    restarted = set(_children(live.process.pid)) - set(workers)
    assert restarted, "the supervisor did not start a new worker"
    time.sleep(2.0)  # the new worker loads the knowledge before it accepts
    assert [send(t) for t in tokens] == [401] * len(tokens)
    assert send(token(private, aud)) == 200
    assert (run / "cds-jti.sqlite").exists()
