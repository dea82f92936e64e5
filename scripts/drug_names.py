"""Write src/lowalp/knowledge/text/drug_names.yaml (see lowalp.text.drug_names)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lowalp.text.drug_names import render_drug_names  # noqa: E402

if __name__ == "__main__":
    out = ROOT / "src" / "lowalp" / "knowledge" / "text" / "drug_names.yaml"
    out.write_text(render_drug_names(), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
