"""Soak: the server under mixed load for a bounded time; requests, errors, latency, memory.

Starts ``lowalp serve`` on 127.0.0.1 and a free port (``--cds-allow-unsigned``, so CDS calls
need no JWT), then ``--clients`` threads send, one after another for ``--duration`` seconds, a
mix of requests:

- ``POST /api/assess``, one case as JSON;
- ``POST /api/assess?format=ndjson``, a CSV of 50 patients;
- ``POST /upload``, a CSV of 20 patients through the page;
- ``POST /report.pdf`` when Chromium is installed;
- ``POST /cds-services/lowalp-patient-view`` with its data in prefetch.

A thread samples ``/api/health`` every half second. Reported: requests and errors by kind
(5xx and failed connections are errors; 503 answers are load shed by the bounded queues and
counted apart), p50 and p99 latency, and the resident memory of the server at the start and
the end (and its peak). Prints numbers; asserts nothing.

Run: ``.venv/bin/python benchmarks/soak.py [--duration 60] [--clients 6]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
CASE = {
    "id": "soak-1",
    "patient": {"age_years": 46, "sex": "F"},
    "labs": [
        {"analyte": "alp", "value": 19, "unit": "U/L", "day": 0},
        {"analyte": "alp", "value": 21, "unit": "U/L", "day": -200},
        {"analyte": "zinc", "value": 60, "unit": "ug/dL", "day": 0},
    ],
    "context": {"medications": ["alendronate"], "findings": ["metatarsal stress fracture"]},
}


def csv_body(patients: int, per: int = 3) -> bytes:
    out = io.StringIO()
    out.write("patient_id,sex,birth_date,date,loinc,value,unit\n")
    for p in range(patients):
        for r in range(per):
            out.write(f"S{p:04d},F,1975-03-0{1 + p % 9},2024-0{1 + r}-15,6768-6,{19 + r},U/L\n")
    return out.getvalue().encode()


def cds_body() -> dict[str, Any]:
    pid = "SOAK-1"
    alp = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2024-05-01",
        "valueQuantity": {"value": 18, "unit": "U/L"},
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1980-01-01"}
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": pid, "userId": "Practitioner/1"},
        "prefetch": {
            "patient": patient,
            "alp": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": alp}]},
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def rss_kb(pid: int) -> int:
    """Resident memory of the process and its children (worker processes), in kB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if int(entry.name) != pid and parent != pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from lowalp.render.pdf import find_chromium

    port = free_port()
    url = f"http://{HOST}:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from lowalp.cli import main; sys.exit(main())",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--cds-allow-unsigned",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not start")
        run(url, server.pid, args, pdf=find_chromium() is not None)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def run(url: str, pid: int, args: argparse.Namespace, *, pdf: bool) -> None:
    small_csv, batch_csv = csv_body(20), csv_body(50)
    kinds: list[tuple[str, float, dict[str, Any]]] = [
        ("assess", 0.35, {"url": "/api/assess", "json": CASE}),
        (
            "ndjson",
            0.10,
            {
                "url": "/api/assess?format=ndjson",
                "content": batch_csv,
                "headers": {"Content-Type": "text/csv"},
            },
        ),
        ("upload", 0.15, {"url": "/upload", "files": {"file": ("labs.csv", small_csv)}}),
        ("cds", 0.35, {"url": "/cds-services/lowalp-patient-view", "json": None}),
    ]
    if pdf:
        kinds.append(("pdf", 0.05, {"url": "/report.pdf", "data": {"case": json.dumps(CASE)}}))
    weights = [w for _, w, _ in kinds]
    latencies: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()
    stop = time.monotonic() + args.duration
    rss_start = rss_kb(pid)
    rss_peak = rss_start

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.monotonic() < stop:
                name, _, spec = rng.choices(kinds, weights)[0]
                kw = dict(spec)
                if name == "cds":
                    kw["json"] = cds_body()
                started = time.perf_counter()
                try:
                    status = http.post(**kw).status_code
                except httpx.HTTPError:
                    status = -1
                took = time.perf_counter() - started
                with lock:
                    latencies[name].append(took)
                    counts[name]["requests"] += 1
                    if status == 503:
                        counts[name]["shed (503)"] += 1
                    elif status < 0 or status >= 500:
                        counts[name]["errors"] += 1

    def health() -> None:
        nonlocal rss_peak
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                status = http.get("/api/health").status_code
                with lock:
                    latencies["health"].append(time.perf_counter() - started)
                    counts["health"]["requests"] += 1
                    if status != 200:
                        counts["health"]["errors"] += 1
                rss_peak = max(rss_peak, rss_kb(pid))
                time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    threads.append(threading.Thread(target=health))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss_end = rss_kb(pid)
    print(f"soak: {args.duration:g} s, {args.clients} clients, {args.workers} worker(s), PDF {'on' if pdf else 'off'}")  # fmt: skip
    print(f"{'kind':8} {'requests':>8} {'errors':>6} {'shed':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for name in [k for k, _, _ in kinds] + ["health"]:
        c, lat = counts[name], latencies[name]
        print(
            f"{name:8} {c['requests']:8d} {c['errors']:6d} {c['shed (503)']:5d} "
            f"{percentile(lat, 0.5) * 1000:8.0f} {percentile(lat, 0.99) * 1000:8.0f}"
        )
    total = sum(c["requests"] for c in counts.values())
    errors = sum(c["errors"] for c in counts.values())
    every = [x for lat in latencies.values() for x in lat]
    print(f"all      {total:8d} {errors:6d}       p99 {percentile(every, 0.99) * 1000:.0f} ms")
    print(f"resident memory: start {rss_start / 1024:.0f} MB, end {rss_end / 1024:.0f} MB, peak {rss_peak / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
