"""Results read as laboratories give them; one result's problem never rejects the case."""

from __future__ import annotations

import pytest
from tests.conftest import make_case

from lowalp import InputError
from lowalp.adapters.case_json import case_from_dict
from lowalp.knowledge import Knowledge
from lowalp.normalise import normalise


def norm(kb: Knowledge, case: dict):
    return normalise(case_from_dict(case), kb)


def alp_case(*labs: dict, age: float = 46, sex: str = "F") -> dict:
    return {"patient": {"age_years": age, "sex": sex}, "labs": list(labs)}


def one(n, analyte: str):
    (m,) = n.series(analyte)
    return m


# ----------------------------------------------------------------------------- words


def test_text_is_read_into_qualifier_and_value(kb: Knowledge) -> None:
    n = norm(
        kb,
        make_case(
            {"analyte": "bilirubin_total", "text": "<0.3", "unit": "mg/dL", "day": 0},
            {"analyte": "ttg_iga", "text": "Negative", "day": 0},
            {"analyte": "pth", "text": "undetectable", "day": 0},
        ),
    )
    bili = one(n, "bilirubin_total")
    assert (bili.qualifier, bili.value) == ("<", 0.3)
    assert one(n, "ttg_iga").qualifier == "negative"
    assert one(n, "pth").qualifier == "undetectable"
    assert not n.not_understood


def test_text_with_its_unit_inside_is_converted(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "bilirubin_total", "text": "< 5 µmol/L", "day": 0}))
    m = one(n, "bilirubin_total")
    assert m.qualifier == "<"
    assert m.value == pytest.approx(5 / 17.1)


def test_text_that_says_no_result_sets_the_result_aside(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "potassium", "text": "haemolysed", "day": 0}))
    assert not n.series("potassium")
    (nu,) = n.not_understood
    assert nu.pointer == "labs[1].text"
    assert "no result" in nu.reason


def test_a_vitamin_d_category_beside_the_number_keeps_the_number(kb: Knowledge) -> None:
    """'Insufficient' is how labs grade a vitamin D, not a sample they could not measure."""
    lab = {"analyte": "vitamin_d_25oh", "value": 15, "unit": "ng/mL", "day": 0}
    n = norm(kb, make_case({**lab, "text": "Insufficient (20-29 ng/mL)"}))
    assert one(n, "vitamin_d_25oh").value == 15
    n = norm(kb, make_case({"analyte": "vitamin_d_25oh", "text": "insufficient sample", "day": 0}))
    assert not n.series("vitamin_d_25oh")


def test_unreadable_text_alone_sets_the_result_aside(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "zinc", "text": "see attached", "day": 0}))
    assert not n.series("zinc")
    assert [x.pointer for x in n.not_understood] == ["labs[1].text"]


def test_a_flag_alone_is_the_verdict(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "magnesium", "flag": "L", "day": 0}))
    assert one(n, "magnesium").qualifier == "low"


def test_a_flag_beside_a_number_is_kept_as_the_flag(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "tsh", "value": 9, "unit": "mIU/L", "flag": "H", "day": 0}))
    m = one(n, "tsh")
    assert (m.value, m.flag, m.qualifier) == (9, "high", None)


def test_a_flag_that_contradicts_the_printed_range_is_warned_about(kb: Knowledge) -> None:
    n = norm(
        kb,
        make_case(
            {
                "analyte": "potassium",
                "value": 4.1,
                "unit": "mmol/L",
                "ref_low": 3.5,
                "ref_high": 5.1,
                "flag": "H",
                "day": 0,
            }
        ),
    )
    assert one(n, "potassium").value == 4.1
    assert any("flagged 4.1 mmol/L 'H'" in w and "normal" in w for w in n.warnings)


def test_a_flag_beyond_every_reference_interval_is_warned_about(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "tsh", "value": 40, "unit": "mIU/L", "flag": "L", "day": 0}))
    assert one(n, "tsh").value == 40
    assert any("high against every reference interval" in w for w in n.warnings)
    quiet = norm(kb, make_case({"analyte": "tsh", "value": 3, "unit": "mIU/L", "flag": "L"}))
    assert not any("flagged" in w for w in quiet.warnings)


def test_an_unknown_flag_is_ignored_with_a_warning(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "tsh", "value": 2, "unit": "mIU/L", "flag": "?!", "day": 0}))
    assert one(n, "tsh").flag is None
    assert any("flag '?!' was not understood" in w for w in n.warnings)


# ----------------------------------------------------------------------------- units


def test_an_unknown_unit_with_a_printed_range_is_judged_against_it(kb: Knowledge) -> None:
    n = norm(
        kb,
        alp_case(
            {"analyte": "alp", "value": 2.1, "unit": "KAx", "ref_low": 3, "ref_high": 13, "day": 0}
        ),
    )
    m = one(n, "alp")
    assert (m.value, m.qualifier) == (None, "low")
    assert "judged against the lab's range printed in the same unit" in (m.read_as or "")
    assert [x.pointer for x in n.not_understood] == ["labs[0].unit"]


def test_an_alp_without_a_unit_is_taken_as_the_labs_flag(kb: Knowledge) -> None:
    n = norm(kb, alp_case({"analyte": "alp", "value": 21, "flag": "L", "day": 0}))
    m = one(n, "alp")
    assert (m.value, m.qualifier) == (None, "low")
    assert "taken as the lab's flag" in (m.read_as or "")


def test_an_alp_in_an_unknown_unit_without_range_or_flag_is_kept_unusable(kb: Knowledge) -> None:
    """Formerly 'no usable ALP' rejected the case."""
    n = norm(kb, alp_case({"analyte": "alp", "value": 21, "unit": "furlongs", "day": 0}))
    m = one(n, "alp")
    assert m.unusable is not None
    assert "furlongs" in m.unusable
    assert n.index_pointer == "labs[0]"


def test_historical_units_convert_with_their_factor_and_a_warning(kb: Knowledge) -> None:
    n = norm(
        kb,
        alp_case(
            {"analyte": "alp", "value": 2, "unit": "KA units", "day": 0},
            {"analyte": "alp", "value": 3, "unit": "Bodansky units", "day": -100},
        ),
    )
    ka, bodansky = n.series("alp")
    assert ka.value == pytest.approx(2 * 7.084)
    assert bodansky.value == pytest.approx(3 * 5.381)
    assert sum("approximate factor" in w for w in n.warnings) == 2


def test_a_value_plausible_only_in_another_unit_is_set_aside_naming_it(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "ast", "value": 0.1, "unit": "U/L", "day": 0}))
    assert not n.series("ast")
    (nu,) = n.not_understood
    assert "implausibly low" in nu.reason
    assert nu.suggestions == ("µkat/L",)


def test_value_and_range_consistent_in_one_other_unit_are_read_in_it(kb: Knowledge) -> None:
    """ALP 0.35 'U/L' with a range 0.58–1.74 is µkat/L: 21 U/L, low, and the report says so."""
    n = norm(
        kb,
        alp_case(
            {"analyte": "alp", "value": 0.35, "unit": "U/L", "ref_low": 0.58, "ref_high": 1.74}
        ),
    )
    m = one(n, "alp")
    assert m.value == pytest.approx(21)
    assert m.ref_low == pytest.approx(34.8)
    assert m.read_as == "read as µkat/L (written U/L)"
    assert any("only makes sense in µkat/L" in w for w in n.warnings)


def test_a_range_that_fits_several_other_units_leaves_only_the_comparison(kb: Knowledge) -> None:
    """Calcium 2.3 with 2.15–2.55 written 'mg/dL': mmol/L or mEq/L, so judged on the range."""
    n = norm(
        kb,
        make_case(
            {
                "analyte": "calcium",
                "value": 2.3,
                "unit": "mg/dL",
                "ref_low": 2.15,
                "ref_high": 2.55,
                "day": 0,
            }
        ),
    )
    m = one(n, "calcium")
    assert (m.value, m.qualifier) == (None, "normal")
    assert any("judged against the printed range only" in w for w in n.warnings)


def test_a_range_in_another_unit_than_a_sensible_value_is_not_used(kb: Knowledge) -> None:
    n = norm(
        kb,
        alp_case({"analyte": "alp", "value": 80, "unit": "U/L", "ref_low": 0.58, "ref_high": 1.74}),
    )
    m = one(n, "alp")
    assert (m.value, m.ref_low, m.ref_high) == (80, None, None)
    assert any("the value was used, the range was not" in w for w in n.warnings)


def test_an_impossible_value_is_set_aside_naming_the_likely_unit(kb: Knowledge) -> None:
    n = norm(kb, make_case({"analyte": "albumin", "value": 40, "unit": "g/dL", "day": 0}))
    assert not n.series("albumin")
    (nu,) = n.not_understood
    assert "not a possible" in nu.reason
    assert nu.suggestions == ("g/L",)


def test_an_upside_down_range_is_dropped_and_the_value_used(kb: Knowledge) -> None:
    n = norm(
        kb,
        make_case(
            {"analyte": "zinc", "value": 50, "unit": "µg/dL", "ref_low": 120, "ref_high": 60}
        ),
    )
    m = one(n, "zinc")
    assert (m.value, m.ref_low) == (50, None)
    assert any("ref_low (120) is above ref_high (60)" in w for w in n.warnings)


@pytest.mark.parametrize(
    ("lab", "pointer"),
    [
        ({"value": 3}, "labs[1]"),
        ({"analyte": "albumin", "day": 0}, "labs[1]"),
        ({"analyte": "albumin", "qualifier": "<", "day": 0}, "labs[1].value"),
        ({"analyte": "albumin", "value": -1, "unit": "g/dL"}, "labs[1].value"),
    ],
)
def test_a_result_that_cannot_be_read_is_set_aside_not_rejected(
    kb: Knowledge, lab: dict, pointer: str
) -> None:
    n = norm(kb, make_case(lab))
    assert [x.pointer for x in n.not_understood] == [pointer]
    assert len(n.series("alp")) == 1


def test_only_a_case_without_any_alp_is_rejected(kb: Knowledge) -> None:
    with pytest.raises(InputError, match="no ALP result"):
        norm(kb, make_case({"analyte": "zinc", "value": 50, "unit": "µg/dL"}, alp=None))


# ----------------------------------------------------------------------------- time


def test_simultaneous_results_of_another_analyte_are_both_kept(kb: Knowledge) -> None:
    n = norm(
        kb,
        make_case(
            {"analyte": "potassium", "value": 6.4, "unit": "mmol/L", "day": 0},
            {"analyte": "potassium", "value": 4.2, "unit": "mmol/L", "day": 0},
        ),
    )
    assert [m.value for m in n.series("potassium")] == [6.4, 4.2]
    assert any("findings use labs[1], the first listed" in w for w in n.warnings)


def test_simultaneous_alps_the_lower_is_the_index(kb: Knowledge) -> None:
    n = norm(
        kb,
        alp_case(
            {"analyte": "alp", "value": 41, "unit": "U/L", "day": 0},
            {"analyte": "alp", "value": 23, "unit": "U/L", "day": 0},
        ),
    )
    assert n.index_pointer == "labs[1]"


def test_an_undated_alp_among_dated_ones_is_placed_with_the_index(kb: Knowledge) -> None:
    """Formerly left out of the time course."""
    n = norm(
        kb,
        alp_case(
            {"analyte": "alp", "value": 19, "unit": "U/L"},
            {"analyte": "alp", "value": 26, "unit": "U/L", "day": -10},
            {"analyte": "alp", "value": 30, "unit": "U/L", "day": -200},
        ),
    )
    assert n.index_pointer == "labs[0]"
    undated = next(m for m in n.series("alp") if m.pointer == "labs[0]")
    assert undated.t == 0
    assert any("taken as drawn with the newest dated ALP" in w for w in n.warnings)


def test_the_index_is_the_newest_alp_that_can_be_judged(kb: Knowledge) -> None:
    n = norm(
        kb,
        alp_case(
            {"analyte": "alp", "value": 19, "unit": "furlongs", "day": 0},
            {"analyte": "alp", "value": 22, "unit": "U/L", "day": -30},
        ),
    )
    assert n.index_pointer == "labs[1]"
    newest = next(m for m in n.series("alp") if m.pointer == "labs[0]")
    assert newest.unusable is not None
    assert newest.t == 30
