"""An assessment is the same in every process: nothing depends on the order a set iterates in
(which changes with Python's hash seed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parents[1] / "cases"
SCRIPT = """
import hashlib, sys
from pathlib import Path
from lowalp import assess
from lowalp.adapters.vignettes import load_vignette
h = hashlib.sha256()
for p in sys.argv[1:]:
    labelled, _ = load_vignette(Path(p))
    h.update(assess(labelled.case).model_dump_json().encode())
print(h.hexdigest())
"""


@pytest.mark.slow
def test_the_same_case_gives_the_same_assessment_whatever_the_hash_seed() -> None:
    cases = [
        str(CASES / "hard" / "scurvy-tea-and-toast-censored.yaml"),
        str(CASES / "hard" / "malnutrition-housebound-older-man.yaml"),
        *sorted(str(p) for p in (CASES / "hypophosphatasia").glob("*.yaml"))[:3],
    ]
    out = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run(
            [sys.executable, "-c", SCRIPT, *cases],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        out.add(r.stdout.strip())
    assert len(out) == 1
