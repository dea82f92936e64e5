"""A person gets the same answer from ``lowalp screen`` and from ``lowalp assess``.

Hypothesis draws small groups of persons (age, sex or none, ALP series in U/L or µkat/L, some
censored ("<x"), with or without a printed range, and results of other analytes on either side of the index ALP, at
distances inside, on and beyond the window that counts as "drawn with the index"); the screen
runs on them as OMOP tables (Parquet files and a DuckDB database) and as a long file (CSV and
Parquet), and each person's rows are assessed as a case: the long files through the adapter
``lowalp assess`` reads them with, the OMOP tables as the case of the person's rows. Some
results are repeated (the same row twice, or a second ALP the same day with another value:
the first row is kept) and some rows have no date (not used while the person's other results
are dated); each of those rows is counted among the rejected. ALP status of the index result, persistence, the work-list's
co-analyte columns (the result the engine takes as drawn with the index), the three most
probable causes with their probabilities (to 1e-9), the probability of hypophosphatasia and the
findings that support it must agree, and so must the work-list's account of the ALP series
(sex, age at the index, number of ALP results and of lows, the index and lowest values, the
index date and the dates of the first and last lows). The analytes drawn reach the rules that depend on the
index's own sample (the EDTA pattern: potassium, calcium, magnesium), kidney function,
anaemia, B12, PLP, urine PEA, and the liver-failure ratios (ALP/bilirubin with a censored
ALP, AST/ALT).
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
from lowalp.adapters import load  # noqa: E402
from lowalp.engine import concurrent  # noqa: E402
from lowalp.model import Case, LabResult, Patient  # noqa: E402
from lowalp.normalise import normalise  # noqa: E402
from lowalp.screen.inputs import ScreenInput  # noqa: E402
from lowalp.screen.runner import run_screen  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # Ibis 12 calls DuckDB 2.0's deprecated fetch_arrow_table() and pandas 3's deprecated
    # future.infer_string option; neither is ours to fix.
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:The 'future.infer_string' option is deprecated"),
    # on a failure, the falsifying example names the (large) knowledge fixture
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

START = dt.date(2021, 1, 1)
ALP = 3035995
CO = {  # analyte: (OMOP concept or None, LOINC, unit, plausible values)
    "albumin": (3024561, "1751-7", "g/dL", (1.5, 5.5)),
    "tsh": (3009201, "3016-3", "mIU/L", (0.1, 20.0)),
    "plp": (None, "62236-5", "nmol/L", (5.0, 400.0)),
    "potassium": (3023103, "2823-3", "mmol/L", (2.5, 8.0)),
    "calcium": (None, "17861-6", "mg/dL", (5.0, 12.0)),
    "magnesium": (3001420, "19123-9", "mg/dL", (0.8, 3.0)),
    "creatinine": (3016723, "2160-0", "mg/dL", (0.3, 6.0)),
    "hemoglobin": (3000963, "718-7", "g/dL", (5.0, 17.0)),
    "b12": (3000593, "2132-9", "pg/mL", (80.0, 900.0)),
    "urine_pea": (None, "28604-7", "µmol/g creatinine", (2.0, 120.0)),
    "bilirubin_total": (3024128, "1975-2", "mg/dL", (0.2, 25.0)),
    "ast": (3013721, "1920-8", "U/L", (10.0, 3000.0)),
    "alt": (3006923, "1742-6", "U/L", (10.0, 3000.0)),
}
LESS = 4171756  # OMOP '<' (knowledge/omop.yaml)
ALP_RANGE = (5.0, 400.0)
EDGES = [-120, -91, -90, -89, -45, -31, -30, -29, -1, 0, 1, 29, 30, 31, 45, 89, 90, 91, 120]
"""Days from the index ALP that sit on either side of the bounds of the windows in use."""


@st.composite
def person(draw: Any) -> dict[str, Any]:
    yob = draw(st.integers(1935, 2016))
    sex = draw(st.sampled_from([8507, 8532, 0]))
    n = draw(st.integers(1, 5))
    days = sorted(draw(st.sets(st.integers(0, 500), min_size=n, max_size=n)))
    rows = []
    for d in days:
        value = draw(st.floats(5, 400).map(lambda x: round(x, 1)))
        censored = draw(st.integers(0, 9)) == 0  # about one result in ten "<x"
        kat = draw(st.booleans()) and not censored
        printed = draw(
            st.sampled_from([None, (40.0, 129.0), (35.0, 104.0), (130.0, 420.0), (70.0, 258.0)])
        )
        rows.append(
            {
                "day": d,
                # about one result in eight repeated: the same row, or another value that day
                "repeat": draw(st.sampled_from([None] * 14 + ["same", "other"])),
                "value": round(value / 60, 4) if kat else value,
                "unit": "µkat/L" if kat else "U/L",
                "censored": censored,
                "ref": None
                if printed is None
                else ((round(printed[0] / 60, 4), round(printed[1] / 60, 4)) if kat else printed),
            }
        )
    index = days[-1]
    co: list[tuple[str, int, float, bool]] = []
    for analyte in draw(st.lists(st.sampled_from(sorted(CO)), unique=True, max_size=6)):
        lo, hi = CO[analyte][3]
        offsets = draw(
            st.sets(st.one_of(st.sampled_from(EDGES), st.integers(-150, 150)), max_size=3)
        )
        for off in sorted(offsets):
            value = round(draw(st.floats(lo, hi)), 2)
            co.append((analyte, index + off, value, draw(st.integers(0, 7)) == 0))
    undated = [
        (a, round(draw(st.floats(*(ALP_RANGE if a == "alp" else CO[a][3]))), 2))
        for a in draw(st.lists(st.sampled_from(["alp", *sorted(CO)]), max_size=2))
    ]
    return {"yob": yob, "sex": sex, "alp": rows, "co": co, "undated": undated}


def _repeats(r: dict[str, Any]) -> list[float]:
    """The values of the rows that repeat an ALP row the same day (written after it)."""
    if r["repeat"] == "same":
        return [r["value"]]
    if r["repeat"] == "other":
        return [round(r["value"] * 1.5 + 1, 4)]
    return []


def _rejected(people: list[dict[str, Any]], shape: str) -> int:
    """The rows the screen (and the adapter) must not use: repeats and undated rows."""
    return sum(
        sum(len(_repeats(r)) for r in p["alp"])
        + sum(1 for c in _co(p, shape) if c[3])
        + len(_undated(p, shape))
        for p in people
    )


def _write(folder: Path, people: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    prow, mrow = [], []
    for pid, p in enumerate(people, start=1):
        prow.append({"person_id": pid, "gender_concept_id": p["sex"], "year_of_birth": p["yob"]})
        for r in p["alp"]:
            for value in (r["value"], *_repeats(r)):
                mrow.append({
                    "person_id": pid, "measurement_concept_id": ALP,
                    "measurement_date": START + dt.timedelta(days=r["day"]),
                    "value_as_number": value, "unit_concept_id": None,
                    "unit_source_value": r["unit"],
                    "range_low": r["ref"][0] if r["ref"] else None,
                    "range_high": r["ref"][1] if r["ref"] else None,
                    "operator_concept_id": LESS if r["censored"] else None,
                })  # fmt: skip
        for analyte, d, v, twice in _co(p, "omop"):
            for _ in range(1 + twice):
                mrow.append({
                    "person_id": pid, "measurement_concept_id": CO[analyte][0],
                    "measurement_date": START + dt.timedelta(days=d), "value_as_number": v,
                    "unit_concept_id": None, "unit_source_value": CO[analyte][2],
                    "range_low": None, "range_high": None, "operator_concept_id": None,
                })  # fmt: skip
        for analyte, v in _undated(p, "omop"):
            mrow.append({
                "person_id": pid,
                "measurement_concept_id": ALP if analyte == "alp" else CO[analyte][0],
                "measurement_date": None, "value_as_number": v, "unit_concept_id": None,
                "unit_source_value": "U/L" if analyte == "alp" else CO[analyte][2],
                "range_low": None, "range_high": None, "operator_concept_id": None,
            })  # fmt: skip
    m = pd.DataFrame(mrow)
    m.insert(0, "measurement_id", range(1, len(m) + 1))
    m["unit_concept_id"] = m.unit_concept_id.astype("Int64")
    m["operator_concept_id"] = m.operator_concept_id.astype("Int64")
    for c in ("range_low", "range_high", "value_as_number"):
        m[c] = m[c].astype("float64")
    m.to_parquet(folder / "measurement.parquet", index=False)
    pd.DataFrame(prow).to_parquet(folder / "person.parquet", index=False)


def _database(folder: Path, db: Path) -> Path:
    """The OMOP tables of ``folder`` in a DuckDB database file."""
    import duckdb

    con = duckdb.connect(str(db))
    for table in ("measurement", "person"):
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)",
            [str(folder / f"{table}.parquet")],
        )
    con.close()
    return db


def _co(p: dict[str, Any], shape: str) -> list[tuple[str, int, float, bool]]:
    """The person's co-analyte results that the input shape can carry (OMOP: those with a
    concept in the knowledge's OMOP map), each with whether its row is written twice."""
    return [c for c in p["co"] if shape == "long" or CO[c[0]][0] is not None]


def _undated(p: dict[str, Any], shape: str) -> list[tuple[str, float]]:
    """The person's rows without a date that the input shape can carry."""
    return [u for u in p["undated"] if u[0] == "alp" or shape == "long" or CO[u[0]][0] is not None]


def _write_long(path: Path, people: list[dict[str, Any]]) -> None:
    rows = []
    for pid, p in enumerate(people, start=1):
        who = {
            "patient_id": f"P{pid}",
            "sex": {8507: "M", 8532: "F"}.get(p["sex"], ""),
            "birth_date": dt.date(p["yob"], 7, 1).isoformat(),
        }
        for r in p["alp"]:
            for value in (r["value"], *_repeats(r)):
                rows.append({
                    **who, "date": (START + dt.timedelta(days=r["day"])).isoformat(),
                    "loinc": "6768-6", "value": f"<{value}" if r["censored"] else str(value),
                    "unit": r["unit"], "ref_low": r["ref"][0] if r["ref"] else None,
                    "ref_high": r["ref"][1] if r["ref"] else None,
                })  # fmt: skip
        for analyte, d, v, twice in _co(p, "long"):
            for _ in range(1 + twice):
                rows.append({
                    **who, "date": (START + dt.timedelta(days=d)).isoformat(),
                    "loinc": CO[analyte][1], "value": str(v), "unit": CO[analyte][2],
                    "ref_low": None, "ref_high": None,
                })  # fmt: skip
        for analyte, v in _undated(p, "long"):
            rows.append({
                **who, "date": None, "loinc": "6768-6" if analyte == "alp" else CO[analyte][1],
                "value": str(v), "unit": "U/L" if analyte == "alp" else CO[analyte][2],
                "ref_low": None, "ref_high": None,
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    if path.suffix == ".parquet":
        frame.astype({"ref_low": "float64", "ref_high": "float64"}).to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _case(p: dict[str, Any], shape: str) -> Case:
    labs = [
        LabResult(
            analyte="alp", value=r["value"], unit=r["unit"],
            qualifier="<" if r["censored"] else None,
            ref_low=r["ref"][0] if r["ref"] else None, ref_high=r["ref"][1] if r["ref"] else None,
            date=START + dt.timedelta(days=r["day"]),
        )
        for r in p["alp"]
    ]  # fmt: skip
    for analyte, d, v, _twice in _co(p, shape):
        labs.append(
            LabResult(
                analyte=analyte, value=v, unit=CO[analyte][2], date=START + dt.timedelta(days=d)
            )
        )
    sex = {8507: "M", 8532: "F"}.get(p["sex"])
    return Case(patient=Patient(sex=sex, birth_date=dt.date(p["yob"], 7, 1)), labs=tuple(labs))  # type: ignore[arg-type]


def _day(value: Any) -> dt.date:
    """A work-list date (a pandas timestamp or a date) as a date."""
    return value.date() if hasattr(value, "date") and callable(value.date) else value


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(person(), min_size=1, max_size=8))
@pytest.mark.parametrize("shape", ["omop", "duckdb", "long", "parquet"])
def test_screen_agrees_with_assess(
    shape: str, people: list[dict[str, Any]], tmp_path_factory: Any, kb: Any
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    if shape in ("omop", "duckdb"):
        _write(tmp / "omop", people)
        src = ScreenInput("omop", tmp / "omop")
        if shape == "duckdb":
            src = ScreenInput("duckdb", _database(tmp / "omop", tmp / "lab.duckdb"))
        r = run_screen(src, tmp / "out", knowledge=kb)
        wl = r.worklist.set_index("person_id")
    else:
        path = tmp / ("long.csv" if shape == "long" else "long.parquet")
        _write_long(path, people)
        r = run_screen(ScreenInput("measurements", path), tmp / "out", knowledge=kb)
        wl = r.worklist.set_index("patient_id")
    read = shape in ("long", "parquet")
    shape = "omop" if shape == "duckdb" else "long" if shape == "parquet" else shape
    assert r.counts["rows_rejected"] == _rejected(people, shape), r.rejects
    cases: dict[str, Case] = {}
    if read:  # the person's case as `lowalp assess` reads the same file
        result = load(path, knowledge=kb)
        cases = {c.id: c for c in result.cases if c.id is not None}
        assert len(result.rejected) == _rejected(people, shape), result.rejected
    for pid, p in enumerate(people, start=1):
        key = pid if shape == "omop" else f"P{pid}"
        case = cases[f"P{pid}"] if read else _case(p, shape)
        a = assess(case, knowledge=kb)
        any_low = any(m.status == "low" for m in a.alp.measurements)
        assert (key in wl.index) == any_low, (pid, p)
        if not any_low:
            continue
        row = wl.loc[key]
        assert row.index_status == a.alp.status, (pid, p)
        # the ALP series as the engine judged it: who, how many, the index, the lowest, the lows
        assert (None if pd.isna(row.sex) else row.sex) == case.patient.sex, (pid, row.sex)
        assert abs(float(row.age_at_index) - float(a.age_years or 0)) <= 1e-9, (pid, row)
        assert row.n_alp == len(a.alp.measurements), (pid, p)
        index_day = max(lab.date for lab in case.labs if lab.analyte == "alp" and lab.date)
        assert _day(row.index_date) == index_day, (pid, row.index_date, index_day)
        assert a.alp.value is not None
        assert abs(float(row.index_alp) - a.alp.value) <= 1e-9 * max(1.0, a.alp.value)
        values = [m.value for m in a.alp.measurements if m.value is not None]
        assert abs(float(row.lowest_alp) - min(values)) <= 1e-9 * max(1.0, min(values))
        lows = sorted(m.t for m in a.alp.measurements if m.status == "low" and m.t is not None)
        assert _day(row.first_low_date) == index_day + dt.timedelta(days=lows[0]), (pid, lows)
        assert _day(row.last_low_date) == index_day + dt.timedelta(days=lows[-1]), (pid, lows)
        expect = a.alp.persistent
        got = None if pd.isna(row.persistent) else bool(row.persistent)
        assert got == expect, (pid, p, a.alp.persistence_reason)
        if a.causes:
            assert row.cause_1 == a.causes[0].id
        else:  # the index ALP is not low: nothing to explain, in both
            assert a.alp.status in ("normal", "high")
            assert pd.isna(row.cause_1)
        assert row.n_low == sum(m.status == "low" for m in a.alp.measurements)
        # the co-analyte columns hold the result the engine takes as drawn with the index
        n = normalise(case, kb)
        for analyte in CO:
            if analyte not in row.index:  # read by the score, not a work-list column
                continue
            chosen = concurrent.choose(n.series(analyte), concurrent.window_days(kb))
            got = None if pd.isna(row[analyte]) else float(row[analyte])
            want = None if chosen is None else chosen.value
            assert (got is None) == (want is None), (pid, analyte, got, want, p["co"])
            if got is not None and want is not None:
                assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (pid, analyte, got, want)
        # every assessment column of the work-list: the causes and their probabilities, the
        # probability of HPP and the findings that support it (the priority reasons)
        for i in range(3):
            got_id = None if pd.isna(row[f"cause_{i + 1}"]) else row[f"cause_{i + 1}"]
            want = a.causes[i] if len(a.causes) > i else None
            assert got_id == (want.id if want else None), (pid, i, p)
            if want is not None:
                got_p = float(row[f"cause_{i + 1}_probability"])
                assert abs(got_p - round(want.probability, 4)) <= 1e-9, (pid, i, got_p, want)
        if a.causes and a.alp.status not in ("normal", "high"):
            lead = [e.label for e in a.causes[0].evidence if e.state == "present" and e.weight > 0]
            assert row.cause_1_supporting == "; ".join(lead), (pid, row.cause_1_supporting, lead)
            warned = "; ".join(x.id for x in a.artifacts)
            assert row.sample_artefact == warned, (pid, row.sample_artefact, warned)
        hpp = next((c for c in a.causes if c.id == "hypophosphatasia"), None)
        if hpp is None:
            assert pd.isna(row.hpp_probability)
            continue
        assert abs(float(row.hpp_probability) - round(hpp.probability, 4)) <= 1e-9
        support = [e.label for e in hpp.evidence if e.state == "present" and e.weight > 0]
        reasons = row.hpp_priority_reasons or ""
        assert reasons.startswith("; ".join(support)), (pid, reasons, support)
