"""knowledge/text/hpo.yaml is what scripts/hpo_synonyms.py makes from the installed ontology."""

from __future__ import annotations

from lowalp.knowledge import Knowledge, loader
from lowalp.knowledge.schema import ClinicalFinding
from lowalp.text.hpo import parse_obo, render_hpo_file


def test_the_hpo_file_matches_the_installed_ontology() -> None:
    bundled = loader.package_root().joinpath("text", "hpo.yaml").read_text(encoding="utf-8")
    assert bundled == render_hpo_file(), "run: python scripts/hpo_synonyms.py"


def test_every_named_term_is_in_the_file(kb: Knowledge) -> None:
    named = {hp for f in kb.findings.values() if isinstance(f, ClinicalFinding) for hp in f.hpo}
    assert named
    assert named <= set(kb.text.hpo)


def test_broad_and_related_synonyms_are_left_out() -> None:
    lines = [
        "[Term]",
        "id: HP:0000001",
        "name: Thing",
        'synonym: "Exact thing" EXACT []',
        'synonym: "Broad thing" BROAD []',
        'synonym: "Related thing" RELATED layperson []',
        'synonym: "Narrow \\"thing\\"" NARROW []',
    ]
    _, terms = parse_obo(lines, {"HP:0000001"})
    assert terms["HP:0000001"]["synonyms"] == ["Exact thing", 'Narrow "thing"']
