"""Load on the web service over loopback: requests/s and p50/p99 latency.

Starts the server in a subprocess on 127.0.0.1 and a free port (``lowalp serve`` for one
uvicorn worker; uvicorn's multiprocess supervisor over ``lowalp.web.app:factory`` for more,
since several workers need an import string, with the listening socket bound as TCP: see
``MULTI_WORKER``), waits for ``/api/health``, then drives it from another process:
``--clients`` threads, each with its own keep-alive ``http.client`` connection, sending one
request after another for ``--duration`` seconds (a closed loop: throughput and latency trade
against each other through the number of clients). Measured:

- ``POST /api/assess`` with the 30-result case of ``benchmarks/assess.py``;
- the CDS Hooks ``patient-view`` service with the same case as prefetch, when ``/cds-services``
  exists (the benchmark server runs with ``--cds-allow-unsigned``: no JWT is sent).

Run: ``.venv/bin/python benchmarks/web_load.py [--duration 10] [--clients 8] [--workers 1 2]``.
Prints numbers; asserts nothing. The server logs at warning level (no per-request line).
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess import CASE

TEXT_CASE = {
    **CASE,
    "context": {
        **CASE.get("context", {}),  # type: ignore[dict-item]
        "notes": (
            "54F referred with persistently low ALP. h/o bilateral AFF 2023 on Fosamax x9y, "
            "stopped after the fractures. Stress # R 2nd metatarsal 2017. Lost several adult "
            "teeth in her 40s. No FHx of bone disease. Denies diarrhoea or weight loss."
        ),
        "findings": ["ALPL sequencing: no pathogenic variant found", "LFTs normal"],
    },
}
"""The 30-result case with a clinician's note and findings in free text."""

HOST = "127.0.0.1"  # loopback only
WARMUP_S = 1.0


@dataclass
class Target:
    name: str
    path: str
    body: bytes
    content_type: str = "application/json"
    fresh_instance: bool = False
    """CDS Hooks: a new hookInstance each call."""


class Connection(http.client.HTTPConnection):
    """Keep-alive connection with Nagle off, as HTTP client libraries do (urllib3, httpx):
    http.client writes the headers and the body separately, and a body over one segment would
    otherwise wait for the server's delayed ACK (~40 ms)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    bin_dir = Path(sys.executable).parent
    cmd = [
        str(bin_dir / "lowalp"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--cds-allow-unsigned",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(
        cmd, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            err = server.stderr.read().decode(errors="replace") if server.stderr else ""
            raise SystemExit(f"the server exited ({server.returncode}):\n{err}")
        try:
            conn = Connection(HOST, port, timeout=2)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /api/health in time")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def get_json(port: int, path: str) -> tuple[int, Any]:
    conn = Connection(HOST, port, timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, (json.loads(data) if data else None)


def post(port: int, target: Target) -> tuple[int, bytes]:
    conn = Connection(HOST, port, timeout=30)
    conn.request(
        "POST", target.path, body=target.body, headers={"Content-Type": target.content_type}
    )
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


# ----------------------------------------------------------------------------- CDS request


def cds_target(port: int) -> Target | None:
    status, discovery = get_json(port, "/cds-services")
    if status != 200 or not isinstance(discovery, dict):
        return None
    service = next(
        (s for s in discovery.get("services", []) if s.get("hook") == "patient-view"), None
    )
    if service is None:
        return None
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": "bench-1", "userId": "Practitioner/bench"},
        "prefetch": prefetch_for(CASE, "bench-1"),
    }
    return Target(
        "CDS patient-view",
        f"/cds-services/{service['id']}",
        json.dumps(body).encode(),
        fresh_instance=True,
    )


def prefetch_for(case: dict[str, Any], pid: str) -> dict[str, Any]:
    """The case as the EHR would prefetch it: Patient, and searchset Bundles by template."""
    import lowalp
    from lowalp.knowledge import load_knowledge
    from lowalp.render.fhir import case_to_bundle

    kb = load_knowledge()
    bundle = case_to_bundle(lowalp.load_case(case), knowledge=kb)
    patient: dict[str, Any] = {}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for n, entry in enumerate(bundle["entry"]):
        res = copy.deepcopy(entry["resource"])
        if res["resourceType"] == "Patient":
            patient = {**res, "id": pid}
            continue
        res["id"] = f"r{n}"
        res["subject"] = {"reference": f"Patient/{pid}"}
        by_type.setdefault(res["resourceType"], []).append(res)
    alp_codes = set(kb.analytes["alp"].loinc)
    obs = by_type.get("Observation", [])
    alp = [o for o in obs if o["code"]["coding"][0].get("code") in alp_codes]

    def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources),
            "entry": [{"resource": r} for r in resources],
        }

    return {
        "patient": patient,
        "alp": searchset(alp),
        "labs": searchset([o for o in obs if o not in alp]),
        "medicationRequests": searchset(by_type.get("MedicationRequest", [])),
        "medicationStatements": searchset(by_type.get("MedicationStatement", [])),
        "conditions": searchset(by_type.get("Condition", [])),
        "procedures": searchset(by_type.get("Procedure", [])),
    }


# ----------------------------------------------------------------------------- load


def _client(
    port: int, target: Target, start: float, end: float, out: list[float], errors: list[str]
) -> None:
    conn = Connection(HOST, port, timeout=30)
    headers = {"Content-Type": target.content_type, "Connection": "keep-alive"}
    instance = b""
    if target.fresh_instance:
        instance = json.loads(target.body)["hookInstance"].encode()
    while (now := time.perf_counter()) < end:
        body = target.body
        if instance:
            body = body.replace(instance, str(uuid.uuid4()).encode(), 1)
        problem = ""
        try:
            conn.request("POST", target.path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                problem = f"HTTP {r.status}"
            if r.getheader("connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            problem = type(exc).__name__
            conn.close()
            conn = Connection(HOST, port, timeout=30)
        elapsed = time.perf_counter() - now
        if now < start:  # warm-up
            continue
        if problem:
            errors.append(problem)
        else:
            out.append(elapsed)
    conn.close()


def load_process(
    port: int, target: Target, clients: int, duration: float, queue: mp.Queue[Any]
) -> None:
    """Runs in its own process: ``clients`` threads for ``duration`` seconds after warm-up."""
    t0 = time.perf_counter()
    start, end = t0 + WARMUP_S, t0 + WARMUP_S + duration
    results: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=_client, args=(port, target, start, end, results[i], errors[i]))
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = [x for r in results for x in r]
    queue.put((latencies, sum(len(e) for e in errors), duration))


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def run_load(port: int, target: Target, clients: int, duration: float) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue[Any] = ctx.Queue()
    proc = ctx.Process(target=load_process, args=(port, target, clients, duration, queue))
    proc.start()
    latencies, errors, measured = queue.get(timeout=duration + 120)
    proc.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / measured,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": (statistics.fmean(latencies) * 1000) if latencies else float("nan"),
        "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    ap.add_argument(
        "--clients", type=int, nargs="+", default=[8], help="concurrent connections (several ok)"
    )
    ap.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="uvicorn worker counts to try"
    )
    ap.add_argument("--no-cds", action="store_true", help="skip the CDS Hooks service")
    ap.add_argument(
        "--free-text",
        action="store_true",
        help="also POST the same case with a clinical note, medicines and findings as free text",
    )
    args = ap.parse_args()

    print(f"web load over loopback: {os.cpu_count()} CPUs, {args.duration:g} s per run")
    print(
        f"{'workers':>7} {'target':<18} {'clients':>7} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6}"
    )
    for workers in args.workers:
        port = free_port()
        server = start_server(port, workers)
        try:
            wait_ready(port, server)
            targets = [Target("POST /api/assess", "/api/assess", json.dumps(CASE).encode())]
            if args.free_text:
                targets.append(
                    Target("POST assess+text", "/api/assess", json.dumps(TEXT_CASE).encode())
                )
            status, data = post(port, targets[0])
            if status != 200:
                print(f"  /api/assess answered {status}: {data[:200]!r}")
            cds = None if args.no_cds else cds_target(port)
            if cds is not None:
                status, data = post(port, cds)
                cards = len(json.loads(data).get("cards", [])) if status == 200 else 0
                if status != 200:
                    print(f"  CDS answered {status}: {data[:300]!r}")
                else:
                    print(f"  (CDS patient-view answers with {cards} card(s))")
                targets.append(cds)
            elif not args.no_cds:
                print("  (no /cds-services on this server: CDS not measured)")
            for target in targets:
                # Warm every worker (the text reader builds its pipeline on first use).
                for _ in range(20 * workers):
                    post(port, target)
                for clients in args.clients:
                    r = run_load(port, target, clients, args.duration)
                    print(
                        f"{workers:>7} {target.name:<18} {clients:>7} {r['rps']:>8.0f} "
                        f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6}"
                    )
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
