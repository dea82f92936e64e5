"""Run a whole screen: read and check, the ALP series, the program over the short list, a check
against assess, the outputs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lowalp.engine.program import compile_program
from lowalp.knowledge import Knowledge, load_knowledge
from lowalp.screen import engines, expression, inputs, outputs, program_eval, rejects, worklist

ALP_POINTS_MAX = 50_000
VERIFY = 50
CHUNK = 50_000
"""Persons of the short list scored together (memory: about 2 kB a person)."""
"""Persons from the top of the work-list assessed one by one as a check (``verify``; 0: none)."""


def worklist_columns(kb: Knowledge) -> tuple[str, ...]:
    """The work-list's columns, in order; the analytes shown are ``settings.screen``'s."""
    return (
        "person_id",
        "sex",
        "age_at_index",
        "n_alp",
        "n_low",
        "n_low_inside_printed_range",
        "persistent",
        "persistence_rule",
        "index_alp",
        "index_date",
        "index_status",
        "lowest_alp",
        "first_low_date",
        "last_low_date",
        *kb.settings.screen.worklist_analytes,
        *(c for c in worklist.ASSESSED if c != "hpp_supporting"),
        "hpp_priority",
        "hpp_priority_reasons",
    )


@dataclass
class ScreenResult:
    worklist: Any
    rejects: Any
    counts: dict[str, Any] = field(default_factory=dict)


def _say(progress: Callable[[str], None] | None, text: str) -> None:
    if progress:
        progress(text)


def run_screen(
    src: inputs.ScreenInput,
    out_dir: str | Path,
    *,
    engine: str = "duckdb",
    spark_master: str | None = None,
    knowledge: Knowledge | None = None,
    knowledge_dir: str | None = None,
    export_cohort: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    con: Any = None,
    verify: int = VERIFY,
    chunk: int = CHUNK,
    memory_limit: str | None = None,
) -> ScreenResult:
    """Screen ``src`` and write worklist.parquet/csv, rejects.parquet, summary.html to ``out_dir``.

    The files are written to a staging folder in ``out_dir`` and moved in together at the end,
    with ``manifest.json`` last (see :mod:`lowalp.screen.outputs`): a screen that stops leaves
    the previous complete outputs, or none, never a mixture. Returns the work-list and rejects DataFrames and the counts (rows read = used + rejected).
    """
    import ibis  # type: ignore[import-untyped,unused-ignore]
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    t0 = time.perf_counter()
    kb = knowledge or load_knowledge(knowledge_dir)
    read, copy_s = _local_input(src, kb, progress)  # a database's CDM: copied to the work folder
    final_out = Path(out_dir)
    final_out.mkdir(parents=True, exist_ok=True)
    out = outputs.staging(final_out)
    completed = False
    work = src.work_dir
    work.mkdir(parents=True, exist_ok=True)
    own_con = con is None
    if con is None:
        if read.kind == "duckdb":
            con = engines.connect(
                engine, database=read.path, temp_directory=work, memory_limit=memory_limit
            )
        else:
            con = engines.connect(
                engine,
                spark_master,
                temp_directory=work,
                memory_limit=memory_limit,
                work_database=work / "work.duckdb",
            )
    timings: dict[str, float] = {"copy_s": copy_s} if src.kind == "postgres" else {}
    try:
        # 1. one pass over the input: every row staged, classified and kept once with the
        # columns read later and its reason (a table of the run's working DuckDB file, spilled
        # only when large; Parquet in the work folder on Spark); the repeats found among the
        # rows kept; the rejected rows' raw values read again for those rows only
        t = time.perf_counter()
        _say(progress, "reading and checking every row")
        staged, people_expr, units = inputs.stage_with_people(con, read, kb)
        classified = rejects.classify(staged, kb, units)
        rows = _materialise(
            con, rejects.work_rows(classified), work / "rows.parquet", "lowalp_rows"
        )
        people = _materialise(con, people_expr, work / "people.parquet", "lowalp_people")
        timings["classify_s"] = time.perf_counter() - t

        t = time.perf_counter()
        dups = _materialise(
            con, rejects.duplicates(rows), work / "duplicates.parquet", "lowalp_dups"
        )
        rejected = _materialise(
            con, rejects.rejected_rows(rows, dups), work / "rejected.parquet", "lowalp_rejected"
        )
        # the raw values of the rejected rows only (an OMOP measurement table is filtered to
        # them before it is staged again)
        again = inputs.stage_with_people(con, read, kb, only=rejected)[0]
        _write(con, rejects.rejects_file(again, rejected), out / "rejects.parquet")
        # the reasons by count, ties in the order they first occur in the input
        by_count = (
            rejected.group_by("reason")
            .agg(n=rejected.count(), first=rejected.source_row.min())
            .order_by([ibis.desc("n"), "first"])
            .to_pandas()
        )
        by_reason = {str(r): int(n) for r, n in zip(by_count.reason, by_count.n, strict=True)}
        rows_rejected = sum(by_reason.values())
        rows_read = int(rows.count().to_pandas())
        rows_used = rows_read - rows_rejected
        timings["rejects_s"] = time.perf_counter() - t

        # 2. the program, over every person at once: ALP status and series, the results drawn
        # with the index, then every finding and the score of every cause
        t = time.perf_counter()
        _say(progress, f"{rows_read:,} rows read; screening ALP series")
        program = compile_program(kb)
        ids = rows.filter(rows.reason_id.isnull()).select("analyte_id").distinct().to_pandas()
        names = {i: a for a, i in rejects.analyte_ids(kb).items()}
        present = {names[int(i)] for i in ids.analyte_id.dropna()}
        alp = rejects.used_rows(rows, dups, people, kb, ["alp"])
        judged = _materialise(
            con, expression.judged_alp(alp, kb), work / "judged.parquet", "lowalp_judged"
        )
        analytes, specimen = expression.input_analytes(
            kb, program.analytes & present, program.specimen_analytes & present
        )
        per = _materialise(
            con, expression.persons_expr(judged, kb), work / "persons.parquet", "lowalp_persons"
        )
        near = _materialise(
            con,
            expression.near_expr(
                rejects.used_rows(rows, dups, people, kb, analytes), per, kb, analytes
            ),
            work / "near.parquet",
            "lowalp_near",
        )
        day = (
            _materialise(
                con,
                expression.same_day_expr(
                    rejects.used_rows(rows, dups, people, kb, specimen), per, kb, specimen
                ),
                work / "day.parquet",
                "lowalp_day",
            )
            if specimen
            else None
        )
        persons = per.order_by("person_id").to_pandas()
        n_persons = int(judged.person_id.nunique().to_pandas())
        timings["screen_s"] = time.perf_counter() - t
        if own_con:  # a caller's own connection keeps its settings
            _release(con)

        # the short list scored a bounded number of persons at a time: memory does not grow
        # with the work-list beyond its own columns
        t = time.perf_counter()
        _say(progress, f"{len(persons):,} persons with a low ALP for age; scoring them")
        labels = {fid: f.label for fid, f in kb.findings.items()}
        keep = [*persons.columns, *kb.settings.screen.worklist_analytes]
        pieces = []
        for lo in range(0, len(persons), chunk):
            part = persons.iloc[lo : lo + chunk]
            first, last = int(part.person_id.iloc[0]), int(part.person_id.iloc[-1])
            frame = expression.assemble(
                kb,
                part,
                _between(near, first, last).to_pandas(),
                _between(day, first, last).to_pandas() if day is not None else None,
                analytes,
                specimen,
            )
            scored = program_eval.assessed_columns(
                program, frame, labels, kb.settings.screen.priority_cause
            )
            pieces.append(frame[keep].merge(scored, on="person_id", how="left"))
            if len(persons) > chunk:
                _say(progress, f"scored {min(lo + chunk, len(persons)):,} of {len(persons):,}")
        wl = (
            pd.concat(pieces, ignore_index=True)
            if pieces
            else persons.reindex(columns=[*keep, *worklist.ASSESSED])
        )
        timings["score_s"] = time.perf_counter() - t
        rule = kb.settings.persistence.description
        wl["persistence_rule"] = [f"{case} (rule: {rule})" for case in wl.persistence_case]
        wl = worklist.rank(wl)
        # 3. the top of the work-list assessed one person at a time by the engine of
        # ``lowalp assess``, and compared field for field
        t = time.perf_counter()
        disagree: list[int] = []
        checked = 0
        if verify and len(wl):
            ids = [int(x) for x in wl.person_id.iloc[:verify]]
            _say(progress, f"checking the first {len(ids):,} against lowalp assess")
            keep = ibis.memtable(pd.DataFrame({"person_id": pd.Series(ids, dtype="int64")}))
            top = rejects.used_rows(rows, dups, people, kb, persons=keep).to_pyarrow()
            by_id = wl.set_index("person_id")
            for p in worklist.group_rows(top):
                checked += 1
                if worklist.differs(by_id.loc[p.person_id], worklist.assess_person(p, kb)):
                    disagree.append(p.person_id)
        timings["verify_s"] = time.perf_counter() - t
        extra = [c for c in ("patient_id",) if c in wl.columns and src.kind == "measurements"]
        columns = worklist_columns(kb)
        wl_out = wl[[*columns[:1], *extra, *columns[1:]]].copy()
        wl_out.to_parquet(out / "worklist.parquet", index=False)
        outputs.write_csv(wl_out, out / "worklist.csv")
        review = worklist.readable(wl_out, kb)
        persistent = (wl_out.persistent == True).to_numpy()  # noqa: E712
        outputs.write_csv(review[persistent], out / "review.csv")
        outputs.write_csv(review[~persistent], out / "single_lows.csv")

        rej_df = pq.read_table(out / "rejects.parquet").to_pandas()
        counts: dict[str, Any] = {
            "rows_read": rows_read,
            "rows_used": rows_used,
            "rows_rejected": rows_rejected,
            "rejected_by_reason": by_reason,
            "persons_screened": n_persons,
            "persons_on_worklist": len(wl_out),
            "persistent": int((wl_out.persistent == True).sum()),  # noqa: E712
            "low_for_age_not_flagged": int((wl_out.n_low_inside_printed_range > 0).sum()),
            "persons_checked_against_assess": checked,
            "screen_assess_disagreements": len(disagree),
            "disagreeing_persons": disagree[:20],
            "engine": engine,
            "persistence_definition": kb.settings.persistence.description,
            "timings": {k: round(v, 2) for k, v in timings.items()},
        }
        counts["elapsed_s"] = round(time.perf_counter() - t0, 2)

        _summary(out, wl_out, con, judged, kb, counts, progress)
        if export_cohort:
            counts["cohort_export"] = _cohort(
                Path(export_cohort), kb, progress, con, src, judged, wl_out
            )
        outputs.publish(out, final_out, outputs.manifest(src, counts, kb))
        completed = True
        return ScreenResult(wl_out, rej_df, counts)
    finally:
        if own_con:
            _close(con)
        shutil.rmtree(work, ignore_errors=True)
        if not completed:
            outputs.discard(out)


def _local_input(
    src: inputs.ScreenInput, kb: Knowledge, progress: Callable[[str], None] | None
) -> tuple[inputs.ScreenInput, float]:
    """What the run reads (:meth:`~lowalp.screen.inputs.ScreenInput.local`) and the seconds the
    copy took; the work folder is removed when the copy fails."""
    t = time.perf_counter()
    try:
        return src.local(kb, progress), time.perf_counter() - t
    except BaseException:
        if src.kind == "postgres":
            shutil.rmtree(src.work_dir, ignore_errors=True)
        raise


RELEASED_MEMORY_LIMIT = "256MB"
"""DuckDB's memory limit once the large queries are done: what remains (the short list's
results by person range, the rows of the first persons, a sample for the plot) needs little,
and the memory DuckDB kept cached is handed back before the short list is scored in Python."""


def _release(con: Any) -> None:
    if engines.is_spark(con):
        return
    con.raw_sql(f"SET memory_limit = '{RELEASED_MEMORY_LIMIT}'")  # a constant, not an input


def _between(table: Any, first: int, last: int) -> Any:
    return table.filter((table.person_id >= first) & (table.person_id <= last))


def _materialise(con: Any, expr: Any, path: Path, name: str) -> Any:
    """``expr`` computed once: a table of the run's working DuckDB file (a temporary table when
    the input is itself a DuckDB database, opened read-only), or Parquet read back on Spark."""
    if engines.is_spark(con):
        _write(con, expr, path)
        return engines.read_parquet_plain(con, path, name)
    if _read_only(con):
        return con.create_table(name, expr, temp=True)
    return con.create_table(name, expr)  # a new file for each run: no table to replace


def _read_only(con: Any) -> bool:
    try:
        row = con.con.execute(
            "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
    except Exception:
        return True
    return bool(row and row[0])


def _write(con: Any, expr: Any, path: Path) -> None:
    if path.exists():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    if engines.is_spark(con):
        tmp = path.with_name(path.name + ".spark")
        con.to_parquet(expr, str(tmp))
        if path.name == "rejects.parquet":
            import pyarrow.dataset as ds  # type: ignore[import-untyped,unused-ignore]
            import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

            pq.write_table(ds.dataset(str(tmp), format="parquet").to_table(), path)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.rename(path)
        return
    # from Python, in batches: an input database's connection has no file access
    con._register_in_memory_tables(expr)  # compiled by hand, so its small tables are sent here
    outputs.write_batches(con.con.sql(str(con.compile(expr))).to_arrow_reader(1 << 16), path)


def alp_points(con: Any, judged: Any, limit: int = ALP_POINTS_MAX) -> Any:
    """A sample of the judged ALP results (:func:`lowalp.screen.expression.judged_alp`) for
    the summary plot."""
    j = judged
    j = j.select(
        person_id=j.person_id,
        age_years=j.age,
        sex=j.sex,
        value=j.value,
        lower_limit=j.lower,
        status=j.status,
        h=(j.source_row * 2654435761) % 1000003,
    )
    n = int(j.count().to_pandas())
    if n > limit:
        j = j.filter(j.h < int(1000003 * limit / n))
    return j.drop("h").to_pandas()


def _summary(
    out: Path,
    wl: Any,
    con: Any,
    judged: Any,
    kb: Knowledge,
    counts: dict[str, Any],
    progress: Callable[[str], None] | None,
) -> None:
    try:
        from lowalp.screen import summary
    except ImportError:
        counts["notes"] = [*counts.get("notes", []), "summary.html not written: no summary module"]
        return
    points = alp_points(con, judged)
    summary.write_summary(out, wl, points, counts, knowledge=kb)


def _cohort(
    path: Path,
    kb: Knowledge,
    progress: Callable[[str], None] | None,
    con: Any,
    src: inputs.ScreenInput,
    judged: Any,
    wl: Any,
) -> dict[str, Any]:
    """Write the Circe cohort and count, on the data just screened, the persistent persons it
    cannot see (:func:`lowalp.screen.cohort.unreadable`)."""
    try:
        from lowalp.screen import cohort
    except ImportError:
        _say(progress, "--export-cohort skipped: the cohort module is not installed")
        return {}
    cohort.write_cohort(path, kb)
    ids = [int(i) for i in wl.loc[wl.persistent.eq(True), "person_id"]]
    only = judged.filter(judged.ref_low.isnull() & judged.person_id.isin(ids)).select("source_row")
    staged = inputs.stage_with_people(con, src, kb, only=only)[0]
    staged = staged.semi_join(only, staged.source_row == only.source_row)
    unseen = cohort.unreadable(staged, kb).to_pandas()
    found = sorted(int(i) for i in unseen.person_id)
    return {
        "file": str(path),
        "persistent": len(ids),
        "unreadable_persons": len(found),
        "unreadable_person_ids": found[:UNREADABLE_IDS_KEPT],
        "unreadable_units": sorted(str(u) for u in unseen.unit.dropna().unique()),
    }


UNREADABLE_IDS_KEPT = 1000
"""How many of the persons the cohort cannot see are listed by id in the counts."""


def _close(con: Any) -> None:
    try:
        if engines.is_spark(con):
            return  # the session is shared in this process; Spark stops it at exit
        con.disconnect()
    except Exception:
        pass


def explain_screen(
    src: inputs.ScreenInput,
    *,
    engine: str = "duckdb",
    spark_master: str | None = None,
    knowledge: Knowledge | None = None,
    knowledge_dir: str | None = None,
) -> str:
    """The physical plans of the screen's queries on ``engine``, as text, without running
    them (only the distinct units of the input are read, to build the unit table).

    The plans are those of the whole pipeline from the input (a run keeps every row once with
    its reason, the people and the judged ALP results, and reads them from there), followed by
    what the program then computes in memory over the short list."""
    kb = knowledge or load_knowledge(knowledge_dir)
    work = src.work_dir
    work.mkdir(parents=True, exist_ok=True)
    local = _local_input(src, kb, None)[0]
    if local.kind == "duckdb":
        con = engines.connect(engine, database=local.path, temp_directory=work)
    else:
        con = engines.connect(engine, spark_master, temp_directory=work)
    try:
        program = compile_program(kb)
        used = rejects.used_view(rejects.classify(inputs.stage(con, local, kb), kb))
        used = used.anti_join(rejects.duplicates(used), "source_row")
        judged = expression.judged_alp(used, kb)
        per = expression.persons_expr(judged, kb)
        read = sorted(program.analytes - {"alp"})
        near = expression.near_expr(used, per, kb, read)
        same_day = expression.same_day_expr(used, per, kb, sorted(program.specimen_analytes))
        parts = [
            ("1. the rows used: checked, in canonical units, repeats removed", used),
            ("2. persons with an ALP low for age and sex: index, series, persistence", per),
            ("3. the result of each analyte drawn with the index ALP", near),
            ("4. the results of the index ALP's own day", same_day),
        ]
        out = [f"lowalp screen on {engine}: {src.kind} {src.label}", ""]
        if src.kind == "postgres":
            out += ["(the tables the screen reads were first copied to the work folder)", ""]
        for title, expr in parts:
            out += [f"== {title}", _plan(con, expr).rstrip(), ""]
        n_rules = sum(len(c.rules) for c in program.causes)
        out.append(
            "== 5. in memory, over the short list (the persons of 2 with the results of 3 and 4): "
            f"{len(program.nodes)} findings decided and {len(program.causes)} causes scored "
            f"({n_rules} rules) by the program compiled from the knowledge "
            f"(lowalp.engine.program); the first {VERIFY} persons of the ranked work-list "
            "assessed one by one and compared field for field."
        )
        return "\n".join(out) + "\n"
    finally:
        _close(con)
        shutil.rmtree(work, ignore_errors=True)


def _plan(con: Any, expr: Any) -> str:
    if engines.is_spark(con):
        import contextlib
        import io

        con._register_in_memory_tables(expr)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            con._session.sql(str(con.compile(expr))).explain(mode="formatted")
        return buf.getvalue()
    import json

    con._register_in_memory_tables(expr)
    rows = con.con.execute("EXPLAIN (FORMAT json) " + str(con.compile(expr))).fetchall()
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        info = node.get("extra_info") or {}
        detail = "; ".join(
            f"{k}: {_short(v)}"
            for k, v in info.items()
            if k
            in ("Table", "Function", "Join Type", "Conditions", "Groups", "Filters", "Partitions")
        )
        estimate = info.get("Estimated Cardinality")
        size = f" (~{estimate} rows)" if estimate else ""
        lines.append(
            f"{'  ' * depth}{node.get('name', '?')}{size}{': ' + detail if detail else ''}"
        )
        for child in node.get("children", []):
            walk(child, depth + 1)

    for _, plan in rows:
        for node in json.loads(plan):
            walk(node, 0)
    return "\n".join(lines)


def _short(v: Any, width: int = 100) -> str:
    text = " ".join(v) if isinstance(v, list) else str(v)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
