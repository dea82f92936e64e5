"""A person gets the same answer from ``lowalp screen`` and from ``lowalp assess``.

Hypothesis draws small groups of persons (age, sex or none, ALP series in U/L or µkat/L, with or
without a printed range, an albumin now and then); the screen runs on them as OMOP tables, and
each person's raw rows are assessed independently as a case. ALP status of the index result,
persistence and the top cause must agree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("ibis")
hyp = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lowalp import assess  # noqa: E402
from lowalp.model import Case, LabResult, Patient  # noqa: E402
from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # Ibis 12 calls DuckDB 2.0's deprecated fetch_arrow_table() and pandas 3's deprecated
    # future.infer_string option; neither is ours to fix.
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
]

START = dt.date(2021, 1, 1)
ALP = 3035995


@st.composite
def person(draw: Any) -> dict[str, Any]:
    yob = draw(st.integers(1935, 2016))
    sex = draw(st.sampled_from([8507, 8532, 0]))
    n = draw(st.integers(1, 5))
    days = sorted(draw(st.sets(st.integers(0, 500), min_size=n, max_size=n)))
    rows = []
    for d in days:
        value = draw(st.floats(5, 400).map(lambda x: round(x, 1)))
        kat = draw(st.booleans())
        printed = draw(
            st.sampled_from([None, (40.0, 129.0), (35.0, 104.0), (130.0, 420.0), (70.0, 258.0)])
        )
        rows.append(
            {
                "day": d,
                "value": round(value / 60, 4) if kat else value,
                "unit": "µkat/L" if kat else "U/L",
                "ref": None
                if printed is None
                else ((round(printed[0] / 60, 4), round(printed[1] / 60, 4)) if kat else printed),
            }
        )
    albumin = draw(st.one_of(st.none(), st.tuples(st.integers(0, 500), st.floats(1.5, 5.5))))
    return {"yob": yob, "sex": sex, "alp": rows, "albumin": albumin}


def _write(folder: Path, people: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    prow, mrow = [], []
    for pid, p in enumerate(people, start=1):
        prow.append({"person_id": pid, "gender_concept_id": p["sex"], "year_of_birth": p["yob"]})
        for r in p["alp"]:
            mrow.append({
                "person_id": pid, "measurement_concept_id": ALP,
                "measurement_date": START + dt.timedelta(days=r["day"]),
                "value_as_number": r["value"], "unit_concept_id": None, "unit_source_value": r["unit"],
                "range_low": r["ref"][0] if r["ref"] else None,
                "range_high": r["ref"][1] if r["ref"] else None,
            })  # fmt: skip
        if p["albumin"]:
            d, v = p["albumin"]
            mrow.append({
                "person_id": pid, "measurement_concept_id": 3024561,
                "measurement_date": START + dt.timedelta(days=d), "value_as_number": round(v, 2),
                "unit_concept_id": 8713, "unit_source_value": "g/dL", "range_low": None, "range_high": None,
            })  # fmt: skip
    m = pd.DataFrame(mrow)
    m.insert(0, "measurement_id", range(1, len(m) + 1))
    m["unit_concept_id"] = m.unit_concept_id.astype("Int64")
    for c in ("range_low", "range_high", "value_as_number"):
        m[c] = m[c].astype("float64")
    m.to_parquet(folder / "measurement.parquet", index=False)
    pd.DataFrame(prow).to_parquet(folder / "person.parquet", index=False)


def _case(p: dict[str, Any]) -> Case:
    labs = [
        LabResult(
            analyte="alp", value=r["value"], unit=r["unit"],
            ref_low=r["ref"][0] if r["ref"] else None, ref_high=r["ref"][1] if r["ref"] else None,
            date=START + dt.timedelta(days=r["day"]),
        )
        for r in p["alp"]
    ]  # fmt: skip
    if p["albumin"]:
        d, v = p["albumin"]
        labs.append(
            LabResult(
                analyte="albumin", value=round(v, 2), unit="g/dL", date=START + dt.timedelta(days=d)
            )
        )
    sex = {8507: "M", 8532: "F"}.get(p["sex"])
    return Case(patient=Patient(sex=sex, birth_date=dt.date(p["yob"], 7, 1)), labs=tuple(labs))  # type: ignore[arg-type]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(person(), min_size=1, max_size=8))
def test_screen_agrees_with_assess(
    people: list[dict[str, Any]], tmp_path_factory: Any, kb: Any
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    _write(tmp / "omop", people)
    r = run_screen(ScreenInput("omop", tmp / "omop"), tmp / "out", knowledge=kb)
    assert r.counts["rows_rejected"] == 0
    wl = r.worklist.set_index("person_id")
    for pid, p in enumerate(people, start=1):
        a = assess(_case(p), knowledge=kb)
        any_low = any(m.status == "low" for m in a.alp.measurements)
        assert (pid in wl.index) == any_low, (pid, p)
        if not any_low:
            continue
        row = wl.loc[pid]
        assert row.index_status == a.alp.status, (pid, p)
        expect = a.alp.persistent
        got = None if pd.isna(row.persistent) else bool(row.persistent)
        assert got == expect, (pid, p, a.alp.persistence_reason)
        if a.causes:
            assert row.cause_1 == a.causes[0].id
        else:  # the index ALP is not low: nothing to explain, in both
            assert a.alp.status in ("normal", "high")
            assert pd.isna(row.cause_1)
        assert row.n_low == sum(m.status == "low" for m in a.alp.measurements)
