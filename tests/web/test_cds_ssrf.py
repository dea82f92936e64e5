"""CDS Hooks fetches reach only the FHIR servers configured for the caller, on public addresses
(loopback only in development mode), without following redirects, within a byte cap and one
deadline; whatever fails, the answer is the same 412, and the token goes nowhere else.

Real listeners on 127.0.0.1 count every connection they accept, so "nothing was contacted" is
observed, not assumed."""

from __future__ import annotations

import json
import socketserver
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lowalp.errors import InputError
from lowalp.web import CdsIssuer, WebSettings, create_app
from lowalp.web.cds.fhir_guard import address_allowed, allowed_server, check_configured, normalise

PV = "/cds-services/lowalp-patient-view"
TOKEN = "secret-access-token-123"
PID = "MRN-4711"


def fhir_for(path: str) -> dict[str, Any]:
    if path.startswith("/r4/Patient/"):
        return {"resourceType": "Patient", "id": PID, "gender": "female", "birthDate": "1980-01-01"}
    entries = []
    if path.startswith("/r4/Observation") and "6768-6" in path:
        entries.append(
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": "o1",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
                    "subject": {"reference": f"Patient/{PID}"},
                    "effectiveDateTime": "2024-05-01",
                    "valueQuantity": {"value": 18, "unit": "U/L"},
                }
            }
        )
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


@dataclass
class Listener:
    """A local HTTP server: ``mode`` says how it answers; every connection is counted."""

    mode: str = "fhir"
    connections: int = 0
    tokens: list[str] = field(default_factory=list)
    redirect_to: str = ""
    server: socketserver.ThreadingTCPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/r4"


def start_listener(listener: Listener) -> None:
    outer = listener

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            outer.tokens.append(self.headers.get("Authorization", ""))
            if outer.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", outer.redirect_to + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if outer.mode == "slow":
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.end_headers()
                for _ in range(20):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.5)
                return
            body = json.dumps(fhir_for(self.path)).encode()
            if outer.mode == "huge":
                body = b'{"resourceType": "Bundle", "entry": [' + b" " * 3_000_000 + b"]}"
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

        def verify_request(self, request: Any, client_address: Any) -> bool:
            outer.connections += 1
            return True

    listener.server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=listener.server.serve_forever, daemon=True).start()


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    made = [Listener(), Listener()]
    for one in made:
        start_listener(one)
    yield made
    for one in made:
        assert one.server is not None
        one.server.shutdown()
        one.server.server_close()


def call(client: TestClient, server: str) -> Any:
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": server,
        "fhirAuthorization": {"access_token": TOKEN, "token_type": "Bearer"},
        "context": {"patientId": PID, "userId": "Practitioner/1"},
    }
    return client.post(PV, json=body)


def app_with(*servers: str, insecure: bool = False, **more: Any) -> TestClient:
    issuer = CdsIssuer("https://ehr.example", "unused.json", tuple(servers))
    settings = WebSettings(
        cds_allow_unsigned=True, cds_issuers=(issuer,), cds_fhir_insecure=insecure, **more
    )
    return TestClient(create_app(settings))


def test_a_configured_server_is_fetched_with_the_token(listeners: list[Listener]) -> None:
    a, b = listeners
    r = call(app_with(a.base, insecure=True), a.base + "/")  # a trailing slash is the same URL
    assert r.status_code == 200, r.text
    assert a.connections >= 1
    assert set(a.tokens) == {f"Bearer {TOKEN}"}
    assert b.connections == 0


def test_nothing_outside_the_allow_list_is_contacted(listeners: list[Listener]) -> None:
    a, b = listeners
    configured = app_with(a.base, insecure=True)
    port = a.port
    refused = [
        (configured, b.base),  # another server
        (configured, f"http://user:pw@127.0.0.1:{port}/r4"),  # credentials in the URL
        (configured, f"http://2130706433:{port}/r4"),  # 127.0.0.1 as a decimal number
        (configured, f"http://0.0.0.0:{port}/r4"),
        (configured, f"http://[::1]:{port}/r4"),
        (configured, f"http://127.0.0.1:{port}/r4/Patient/../.."),
        (configured, f"http://127.0.0.1:{port}/r4?x=1"),
        (configured, "http://169.254.169.254/latest/meta-data"),
        # configured, but http without the development flag
        (app_with(a.base), a.base),
        # configured as https, but the name resolves to loopback
        (app_with(f"https://localhost:{port}/r4"), f"https://localhost:{port}/r4"),
        # not configured at all
        (app_with(), a.base),
    ]
    bodies = []
    for client, url in refused:
        r = call(client, url)
        assert r.status_code == 412, (url, r.text)
        bodies.append(r.json())
    assert a.connections == 0
    assert b.connections == 0
    assert all(body == bodies[0] for body in bodies)  # the same 412 whatever failed


def test_redirects_are_not_followed(listeners: list[Listener]) -> None:
    a, b = listeners
    a.mode, a.redirect_to = "redirect", f"http://127.0.0.1:{b.port}"
    r = call(app_with(a.base, b.base, insecure=True), a.base)
    assert r.status_code == 412
    assert a.connections >= 1
    assert b.connections == 0


def test_a_response_past_the_byte_cap_counts_as_failed(listeners: list[Listener]) -> None:
    a, _ = listeners
    a.mode = "huge"
    r = call(app_with(a.base, insecure=True, cds_fhir_max_bytes=100_000), a.base)
    assert r.status_code == 412


def test_a_slow_server_is_cut_at_the_call_deadline(listeners: list[Listener]) -> None:
    a, _ = listeners
    a.mode = "slow"
    client = app_with(a.base, insecure=True, cds_fetch_seconds=1.0)
    started = time.perf_counter()
    r = call(client, a.base)
    took = time.perf_counter() - started
    assert r.status_code == 412
    assert took < 4.0  # 1 s for the fetches, the rest is the assessment and a loaded machine


def test_servers_belong_to_their_issuer() -> None:
    one = CdsIssuer("https://one.example", "k.json", ("https://fhir.one.example/r4",))
    two = CdsIssuer("https://two.example", "k.json", ("https://FHIR.two.example:443/r4/",))
    settings = WebSettings(cds_issuers=(one, two))
    assert allowed_server(settings, "https://one.example", "https://fhir.one.example/r4")
    assert not allowed_server(settings, "https://one.example", "https://fhir.two.example/r4")
    assert allowed_server(settings, "https://two.example", "https://fhir.two.example/r4")
    assert allowed_server(settings, None, "https://fhir.two.example/r4")  # unsigned mode


def test_addresses_and_urls() -> None:
    for bad in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "0.0.0.0", "::1",
                "fe80::1", "::ffff:127.0.0.1", "224.0.0.1", "100.64.0.1"):  # fmt: skip
        assert not address_allowed(bad, insecure=False), bad
    assert address_allowed("93.184.216.34", insecure=False)
    assert address_allowed("127.0.0.1", insecure=True)
    assert normalise("HTTPS://Fhir.Example:443/r4/", insecure=False) == "https://fhir.example/r4"
    assert normalise("https://a:b@fhir.example/r4", insecure=False) is None
    assert normalise("http://fhir.example/r4", insecure=False) is None
    with pytest.raises(InputError):
        check_configured(WebSettings(cds_issuers=(CdsIssuer("i", "k", ("http://x/r4",)),)))
