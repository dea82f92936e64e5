"""Benchmark ``lowalp screen``: rows/s, peak memory, the scan floor, planted-case recall.

    .venv/bin/python benchmarks/screen.py DATA_DIR [DATA_DIR ...] [--engine duckdb|spark]

    .venv/bin/python benchmarks/screen.py DATA_DIR --skip-screen   # floor and hand-written only

Each DATA_DIR is a ``lowalp synth`` output (measurement.parquet, person.parquet,
concept.parquet, ground_truth.csv). For each, in one child process per measurement (so peak RSS
is that run's): the floor (a DuckDB scan of the columns the screen needs, ALP rows only), a
hand-written DuckDB screen (plain SQL, :data:`HANDWRITTEN_SQL`, what a site analyst would write
without lowalp; its Parquet output is part of the time) and the whole screen (stage, checks,
screening expression, assessment of the short list, outputs). Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FLOOR = """
import duckdb, json, time, sys
p = sys.argv[1]
con = duckdb.connect()
t = time.perf_counter()
n, s, k = con.execute(
    "SELECT count(*), sum(value_as_number), count(DISTINCT person_id) FROM read_parquet(?) "
    "WHERE measurement_concept_id = 3035995",
    [p + '/measurement.parquet'],
).fetchone()
rows = con.execute("SELECT count(*) FROM read_parquet(?)", [p + '/measurement.parquet']).fetchone()[0]
print(json.dumps({"floor_s": time.perf_counter() - t, "alp_rows": n, "rows": rows}))
"""

SCREEN = """
import json, sys, time
from pathlib import Path
from lowalp.screen.inputs import ScreenInput
from lowalp.screen.runner import run_screen
t = time.perf_counter()
r = run_screen(ScreenInput('omop', Path(sys.argv[1])), sys.argv[2], engine=sys.argv[3], memory_limit=(sys.argv[4] if len(sys.argv) > 4 else None))
c = r.counts
c["wall_s"] = time.perf_counter() - t
print(json.dumps(c, default=str))
"""

# A careful hand-written screen: the SQL a site analyst would write for "who has a low ALP, and
# is it persistent?", with no lowalp code. Parameters: $measurement, $person, $concept (the
# Parquet files of one OMOP extract), $intervals (knowledge/alp_intervals.csv), $out (the
# Parquet file written). Rules it keeps: ALP concept 3035995 (the only ALP id omop.yaml lists);
# U/L, IU/L, µkat/L x 60 and nkat/L x 0.06, any other unit dropped; non-positive values,
# undated rows and exact duplicates dropped; a result is low below the lab's printed range_low
# when present, else below the age/sex interval (unknown sex: the interval with the lower lower
# limit); persistent = the newest result is low and the low results after the last normal or
# high one number at least 2 and span at least 28 days (settings.yaml persistence); albumin and
# PLP (found through the concept table by LOINC 62236-5) nearest the index within 30 days.
# What it leaves out, that ``lowalp screen`` does: other measurement concepts that the concept
# table maps to an ALP LOINC code; values in words; censored values ('<5' is taken as 5, not as
# an upper bound); the printed-range rule for children (a child's adult-looking printed range
# is replaced by the interval for age, so this query misses children whose lab prints the adult
# range: on a 50,000-person synth folder every person the two lists disagree on is a child);
# plausibility and unit checks with a reject file; historical units; a missing birth date
# (lowalp assumes 40 y, here the interval is then missing); the engine's order among equally
# near co-results (here: nearest, then later); and the assessment of each person.
HANDWRITTEN_SQL = """
COPY (
WITH
iv_csv AS (
    SELECT sex, age_min_years AS age_min, age_max_years AS age_max, lower, upper
    FROM read_csv($intervals, header = true, comment = '#')
),
iv AS (
    SELECT s.sex, age_min, age_max, lower, upper
    FROM iv_csv JOIN (VALUES ('M'), ('F')) AS s(sex) ON iv_csv.sex IN ('both', s.sex)
    UNION ALL
    SELECT 'U', age_min, age_max, min(lower), arg_min(upper, lower)
    FROM iv_csv GROUP BY age_min, age_max
),
pers AS (
    SELECT person_id,
           CASE gender_concept_id WHEN 8507 THEN 'M' WHEN 8532 THEN 'F' ELSE 'U' END AS sex,
           coalesce(CAST(birth_datetime AS DATE),
                    make_date(year_of_birth, coalesce(month_of_birth, 7),
                              coalesce(day_of_birth, 1))) AS birth_date
    FROM read_parquet($person)
),
plp_concept AS (
    SELECT concept_id FROM read_parquet($concept)
    WHERE vocabulary_id = 'LOINC' AND concept_code = '62236-5'
),
raw AS (
    SELECT person_id,
           CASE WHEN measurement_concept_id = 3035995 THEN 'alp'
                WHEN measurement_concept_id = 3024561 THEN 'albumin'
                ELSE 'plp' END AS analyte,
           coalesce(measurement_datetime, CAST(measurement_date AS TIMESTAMP)) AS ts,
           value_as_number AS v, range_low, range_high,
           unit_concept_id, lower(unit_source_value) AS unit
    FROM read_parquet($measurement)
    WHERE (measurement_concept_id IN (3035995, 3024561)
           OR measurement_concept_id IN (SELECT concept_id FROM plp_concept))
      AND value_as_number > 0
      AND measurement_date IS NOT NULL
),
conv AS (
    SELECT DISTINCT person_id, analyte, ts, v * f AS v, range_low * f AS lo, range_high * f AS hi
    FROM (
        SELECT *,
               CASE WHEN analyte = 'alp' AND (unit_concept_id = 8645 OR unit IN ('u/l', 'iu/l'))
                        THEN 1.0
                    WHEN analyte = 'alp' AND unit IN ('µkat/l', 'μkat/l', 'ukat/l') THEN 60.0
                    WHEN analyte = 'alp' AND unit = 'nkat/l' THEN 0.06
                    WHEN analyte = 'albumin' AND (unit_concept_id = 8713 OR unit = 'g/dl')
                        THEN 10.0
                    WHEN analyte = 'albumin' AND unit = 'g/l' THEN 1.0
                    WHEN analyte = 'plp' AND unit = 'nmol/l' THEN 1.0
               END AS f
        FROM raw
    )
    WHERE f IS NOT NULL
),
alp AS (
    SELECT c.person_id, p.sex, c.ts, c.v,
           date_diff('day', p.birth_date, CAST(c.ts AS DATE)) / 365.25 AS age,
           coalesce(c.lo, iv.lower) AS low_limit,
           coalesce(c.hi, iv.upper) AS high_limit
    FROM conv AS c
    JOIN pers AS p USING (person_id)
    LEFT JOIN iv ON iv.sex = p.sex
        AND date_diff('day', p.birth_date, CAST(c.ts AS DATE)) / 365.25 >= iv.age_min
        AND date_diff('day', p.birth_date, CAST(c.ts AS DATE)) / 365.25 < iv.age_max
    WHERE c.analyte = 'alp'
),
judged AS (
    SELECT *,
           CASE WHEN v < low_limit THEN 'low' WHEN v > high_limit THEN 'high'
                WHEN low_limit IS NULL THEN 'unknown' ELSE 'normal' END AS status
    FROM alp
),
runs AS (
    SELECT *,
           -- gaps and islands: non-low results so far; the trailing run of lows has the total
           count(*) FILTER (WHERE status <> 'low') OVER (
               PARTITION BY person_id ORDER BY ts, v ROWS UNBOUNDED PRECEDING) AS breaks,
           count(*) FILTER (WHERE status <> 'low') OVER (PARTITION BY person_id) AS all_breaks
    FROM judged
    WHERE status <> 'unknown'
),
per AS (
    SELECT person_id, any_value(sex) AS sex,
           count(*) AS n_alp,
           count(*) FILTER (WHERE status = 'low') AS n_low,
           min(v) AS lowest_alp,
           max(ts) AS index_ts,
           arg_max(v, (ts, v)) AS index_alp,
           arg_max(status, (ts, v)) AS index_status,
           arg_max(age, (ts, v)) AS age_at_index,
           count(*) FILTER (WHERE status = 'low' AND breaks = all_breaks) AS n_run,
           min(ts) FILTER (WHERE status = 'low' AND breaks = all_breaks) AS run_start
    FROM runs
    GROUP BY person_id
    HAVING count(*) FILTER (WHERE status = 'low') > 0
),
near AS (
    SELECT c.person_id, c.analyte, c.v, c.ts
    FROM conv AS c JOIN per USING (person_id)
    WHERE c.analyte IN ('albumin', 'plp')
      AND abs(date_diff('day', CAST(per.index_ts AS DATE), CAST(c.ts AS DATE))) <= 30
    QUALIFY row_number() OVER (
        PARTITION BY c.person_id, c.analyte
        ORDER BY abs(epoch(c.ts) - epoch(per.index_ts)), c.ts DESC) = 1
)
SELECT per.person_id, sex, age_at_index, n_alp, n_low,
       index_alp AS index_alp_u_l, CAST(index_ts AS DATE) AS index_date, index_status,
       lowest_alp AS lowest_alp_u_l,
       (index_status = 'low' AND n_run >= 2
        AND date_diff('day', CAST(run_start AS DATE), CAST(index_ts AS DATE)) >= 28)
           AS persistent,
       alb.v AS albumin_g_l, CAST(alb.ts AS DATE) AS albumin_date,
       plp.v AS plp_nmol_l, CAST(plp.ts AS DATE) AS plp_date
FROM per
LEFT JOIN near AS alb ON alb.person_id = per.person_id AND alb.analyte = 'albumin'
LEFT JOIN near AS plp ON plp.person_id = per.person_id AND plp.analyte = 'plp'
ORDER BY persistent DESC, lowest_alp, per.person_id
) TO $out (FORMAT parquet)
"""

HANDWRITTEN = """
import duckdb, json, sys, time
sql, data, intervals, out = sys.argv[1:5]
con = duckdb.connect()
t = time.perf_counter()
con.execute(sql, {
    "measurement": data + '/measurement.parquet', "person": data + '/person.parquet',
    "concept": data + '/concept.parquet', "intervals": intervals, "out": out,
})
s = time.perf_counter() - t
n, k = con.execute("SELECT count(*), count(*) FILTER (WHERE persistent) FROM read_parquet(?)", [out]).fetchone()
print(json.dumps({"wall_s": s, "persons_with_low": n, "persistent": k}))
"""


def _run(code: str, *args: str) -> tuple[dict[str, Any], float]:
    """Run ``code`` in a child under GNU time; its JSON line and peak RSS in MB."""
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as tv:
        cmd = ["/usr/bin/time", "-v", "-o", tv.name, sys.executable, "-c", code, *args]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        rss_kb = 0
        for line in Path(tv.name).read_text().splitlines():
            if "Maximum resident set size" in line:
                rss_kb = int(line.split(":")[1])
    # the JSON line; DuckDB's progress bar (a query of more than 2 s) may share its line
    last = [x[x.index("{") :] for x in out.stdout.splitlines() if "{" in x][-1]
    return json.loads(last), rss_kb / 1024


def recall(data: Path, out: Path) -> dict[str, object]:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    truth = pd.read_csv(data / "ground_truth.csv")
    wl = pd.read_parquet(out / "worklist.parquet")
    pers = truth[truth.persistent.astype(str).str.lower() == "true"]
    on = pers.person_id.isin(wl.person_id)
    flagged = pers.person_id.isin(wl[wl.persistent == True].person_id)  # noqa: E712
    hpp = truth[truth.planted_cause == "hypophosphatasia"]
    ranks = wl.set_index("person_id").hpp_priority.reindex(hpp.person_id)
    return {
        "planted_persistent": len(pers),
        "on_worklist": int(on.sum()),
        "flagged_persistent": int(flagged.sum()),
        "hpp_planted": len(hpp),
        "hpp_on_worklist": int(ranks.notna().sum()),
        "hpp_rank_median": float(ranks.median()) if ranks.notna().any() else None,
        "hpp_rank_max": float(ranks.max()) if ranks.notna().any() else None,
        "hpp_in_top_100": int((ranks <= 100).sum()),
        "worklist": len(wl),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+", type=Path)
    ap.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    ap.add_argument(
        "--memory-limit", default="", help="DuckDB memory limit for the screen (e.g. 1GB)"
    )
    ap.add_argument(
        "--skip-screen", action="store_true", help="measure only the floor and the hand-written SQL"
    )
    args = ap.parse_args()
    intervals = importlib.resources.files("lowalp.knowledge") / "alp_intervals.csv"
    for data in args.data:
        floor, floor_rss = _run(FLOOR, str(data))
        rows = int(floor["rows"])
        floor_s = float(floor["floor_s"])
        hw_out = Path(tempfile.mkdtemp(prefix="lowalp-bench-sql-")) / "worklist.parquet"
        hw, hw_rss = _run(HANDWRITTEN, HANDWRITTEN_SQL, str(data), str(intervals), str(hw_out))
        hw_s = float(hw["wall_s"])
        print(f"== {data} ({rows:,} rows, engine {args.engine})")
        print(
            f"floor: {floor_s:.3f} s ({rows / floor_s / 1e6:.1f} M rows/s), "
            f"peak RSS {floor_rss:.0f} MB"
        )
        print(
            f"hand-written SQL: {hw_s:.3f} s ({rows / hw_s / 1e6:.1f} M rows/s), "
            f"peak RSS {hw_rss:.0f} MB, {hw_s / floor_s:.1f}x floor; "
            f"persons with a low {hw['persons_with_low']:,}; persistent {hw['persistent']:,}"
        )
        if args.skip_screen:
            sys.stdout.flush()
            continue
        out = Path(tempfile.mkdtemp(prefix="lowalp-bench-"))
        t = time.perf_counter()
        extra = [args.memory_limit] if args.memory_limit else []
        c, rss = _run(SCREEN, str(data), str(out), args.engine, *extra)
        process_s = time.perf_counter() - t
        screen_s = float(c["wall_s"])
        timings = c["timings"]
        query_s = sum(float(v) for k, v in timings.items() if k != "assess_s")
        print(
            f"screen: {screen_s:.2f} s in-process ({rows / screen_s / 1e6:.2f} M rows/s), "
            f"process {process_s:.1f} s, peak RSS {rss:.0f} MB; "
            f"queries without assessment {query_s:.2f} s ({query_s / floor_s:.1f}x floor); "
            f"timings {timings}"
        )
        print(
            f"screen/hand-written: {screen_s / hw_s:.1f}x time, {rss / hw_rss:.1f}x peak RSS "
            f"(queries without assessment {query_s / hw_s:.1f}x); "
            f"screen/floor: {screen_s / floor_s:.1f}x time, {rss / floor_rss:.1f}x peak RSS"
        )
        print(
            f"rows read {c['rows_read']:,} = used {c['rows_used']:,} + rejected {c['rows_rejected']:,}; "
            f"work-list {c['persons_on_worklist']:,}; persistent {c['persistent']:,}; "
            f"disagreements {c['screen_assess_disagreements']}"
        )
        print("recall:", json.dumps(recall(data, out)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
