"""knowledge/text/drug_names.yaml is what scripts/drug_names.py makes from the installed dictionary."""

from __future__ import annotations

from lowalp.knowledge import Knowledge, loader
from lowalp.text.drug_names import render_drug_names
from lowalp.text.reader import read_text


def test_the_drug_names_file_matches_the_installed_dictionary() -> None:
    bundled = loader.package_root().joinpath("text", "drug_names.yaml").read_text(encoding="utf-8")
    assert bundled == render_drug_names(), "run: python scripts/drug_names.py"


def test_a_brand_from_the_dictionary_is_read_as_its_medicine(kb: Knowledge) -> None:
    names = kb.text.drug_names["med_glucocorticoid"]
    assert "deltacortril" in names
    (m,) = read_text("Deltacortril 5 mg daily", kb, kinds={"MEDICATION"}).mentions
    assert m.concept == "med_glucocorticoid"


def test_brands_of_a_combinations_other_part_are_not_this_medicine(kb: Knowledge) -> None:
    """'Marvelon' (ethinylestradiol with desogestrel) is an oestrogen; 'Cerazette' (desogestrel
    alone) is not, and 'Jardiance' (empagliflozin) is not metformin although 'Synjardy' is."""
    assert "cerazette" not in kb.text.drug_names.get("med_estrogen", ())
    assert "jardiance" not in kb.text.drug_names.get("med_metformin", ())
    for text in ("Cerazette 75 mcg", "Jardiance 10 mg"):
        assert read_text(text, kb, kinds={"MEDICATION"}, medication_field=True).mentions == ()
