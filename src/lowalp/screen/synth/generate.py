"""Block generation and streaming Parquet output.

Persons are made in fixed blocks of ``BLOCK`` persons, each from its own random stream
(``numpy.random.default_rng([seed, block])``), so the data do not depend on how many blocks
are written together: the chunk size changes only the Parquet row groups and the memory used.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from lowalp.knowledge import Knowledge
from lowalp.screen.synth.concepts import ANALYTES, Concept
from lowalp.screen.synth.planted import CAUSES, plant, plant_age
from lowalp.screen.synth.tables import INDEX, LAB_P, LAB_POLICY, Tables, build_tables

BLOCK = 1000
END_DAY = int((np.datetime64("2024-12-31") - np.datetime64("1970-01-01")).astype(np.int64))
DIRTY_TEXT = ("hemolyzed", "see comment", "QNS", "specimen clotted")
UNKNOWN_UNIT = "furlongs/L"
I64 = npt.NDArray[np.int64]

MEASUREMENT_SCHEMA = pa.schema(
    [
        ("measurement_id", pa.int64()),
        ("person_id", pa.int64()),
        ("measurement_concept_id", pa.int64()),
        ("measurement_date", pa.date32()),
        ("measurement_datetime", pa.timestamp("us")),
        ("measurement_type_concept_id", pa.int64()),
        ("operator_concept_id", pa.int64()),
        ("value_as_number", pa.float64()),
        ("unit_concept_id", pa.int64()),
        ("unit_source_value", pa.string()),
        ("range_low", pa.float64()),
        ("range_high", pa.float64()),
        ("measurement_source_value", pa.string()),
        ("value_source_value", pa.string()),
    ]
)
PERSON_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("gender_concept_id", pa.int64()),
        ("year_of_birth", pa.int64()),
        ("month_of_birth", pa.int64()),
        ("day_of_birth", pa.int64()),
        ("birth_datetime", pa.timestamp("us")),
        ("race_concept_id", pa.int64()),
        ("ethnicity_concept_id", pa.int64()),
    ]
)
TRUTH_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("planted_cause", pa.string()),
        ("persistent", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class SynthConfig:
    persons: int
    out: Path
    seed: int = 0
    years: float = 3.0
    planted_fraction: float = 0.03
    dirty_fraction: float = 0.005
    rows_per_person: float = 20.0
    chunk_persons: int = 50_000


@dataclass(frozen=True)
class SynthResult:
    persons: int
    measurements: int
    planted: int
    seconds: float
    out: Path


def synthesize(
    config: SynthConfig,
    *,
    progress: Callable[[str], None] | None = None,
    knowledge: Knowledge | None = None,
) -> SynthResult:
    """Write person/measurement/concept Parquet and ground_truth.csv into ``config.out``.

    Every OMOP id written comes from ``knowledge`` (the bundled knowledge when None): its
    ``omop`` table, see :mod:`lowalp.screen.synth.concepts`."""
    if config.persons < 1:
        raise ValueError("persons must be at least 1")
    t0 = time.perf_counter()
    tables = build_tables(knowledge)
    rows_per_panel = float(tables.panel_p.sum())
    lam = max(config.rows_per_person / rows_per_panel - 1.0, 0.0)
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    _write_concepts(out / "concept.parquet", tables.ids.concepts)
    per_chunk = max(1, -(-config.chunk_persons // BLOCK))
    n_blocks = -(-config.persons // BLOCK)
    next_id = 1
    planted = 0
    mw = pq.ParquetWriter(out / "measurement.parquet", MEASUREMENT_SCHEMA, store_schema=False)
    pw = pq.ParquetWriter(out / "person.parquet", PERSON_SCHEMA, store_schema=False)
    with (
        mw,
        pw,
        pacsv.CSVWriter(
            out / "ground_truth.csv",
            TRUTH_SCHEMA,
            write_options=pacsv.WriteOptions(quoting_style="none"),
        ) as tw,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pending: Future[None] | None = None
        for c0 in range(0, n_blocks, per_chunk):
            ms, ps, ts = [], [], []
            for b in range(c0, min(c0 + per_chunk, n_blocks)):
                n = min(BLOCK, config.persons - b * BLOCK)
                m, p, tr = _block(config, tables, lam, b, n)
                ids = np.arange(next_id, next_id + m.num_rows, dtype=np.int64)
                next_id += m.num_rows
                ms.append(m.set_column(0, "measurement_id", pa.array(ids)))
                ps.append(p)
                ts.append(tr)
                planted += int(pc.sum(pc.not_equal(tr["planted_cause"], "none")).as_py() or 0)
            mt = pa.concat_tables(ms)
            if pending is not None:
                pending.result()  # one chunk written while the next is made: memory stays bounded
            pending = pool.submit(
                _write, mw, pw, tw, mt, pa.concat_tables(ps), pa.concat_tables(ts)
            )
            if progress is not None:
                done = min((c0 + per_chunk) * BLOCK, config.persons)
                el = time.perf_counter() - t0
                progress(
                    f"{done:,}/{config.persons:,} persons, {next_id - 1:,} rows, "
                    f"{(next_id - 1) / max(el, 1e-9) / 1e6:.2f} M rows/s"
                )
        if pending is not None:
            pending.result()
    return SynthResult(config.persons, next_id - 1, planted, time.perf_counter() - t0, out)


def _write(
    mw: pq.ParquetWriter,
    pw: pq.ParquetWriter,
    tw: pacsv.CSVWriter,
    m: pa.Table,
    p: pa.Table,
    t: pa.Table,
) -> None:
    mw.write_table(m, row_group_size=max(m.num_rows, 1))
    pw.write_table(p)
    tw.write_table(t)


def _write_concepts(path: Path, concepts: tuple[Concept, ...]) -> None:
    t = pa.table(
        {
            "concept_id": pa.array([c.concept_id for c in concepts], pa.int64()),
            "concept_name": [c.name for c in concepts],
            "domain_id": ["Measurement"] * len(concepts),
            "vocabulary_id": ["LOINC"] * len(concepts),
            "concept_class_id": ["Lab Test"] * len(concepts),
            "standard_concept": ["S"] * len(concepts),
            "concept_code": [c.loinc for c in concepts],
        }
    )
    pq.write_table(t, path, store_schema=False)


def _block(
    cfg: SynthConfig, t: Tables, lam: float, b: int, n: int
) -> tuple[pa.Table, pa.Table, pa.Table]:
    rng = np.random.default_rng([cfg.seed, b])
    first_day = END_DAY - round(cfg.years * 365.25)
    # ---------------------------------------------------------------- persons
    male = rng.random(n) < 0.48
    child = rng.random(n) < 0.2
    age_end = np.where(child, rng.uniform(0, 18, n), 18 + rng.beta(1.6, 1.8, n) * 77)
    lab = rng.choice(len(LAB_P), size=n, p=LAB_P)
    year_only = rng.random(n) < 0.03
    alp_z = rng.standard_normal(n)
    k = round(n * cfg.planted_fraction)
    who = np.sort(rng.choice(n, size=k, replace=False)) if k else np.zeros(0, np.int64)
    cause_of = {int(p): CAUSES[(b * 7 + j) % len(CAUSES)] for j, p in enumerate(who)}
    for p, cause in cause_of.items():
        a, sex = plant_age(cause, rng)
        age_end[p] = a
        if sex is not None:
            male[p] = sex
    birth = END_DAY - np.round(age_end * 365.25).astype(np.int64)
    year_only[who] = False
    # ---------------------------------------------------------------- background panels
    is_planted = np.zeros(n, bool)
    is_planted[who] = True
    start = np.maximum(first_day, birth + 1)
    span = END_DAY - start
    n_pan = np.where(is_planted | (span <= 0), 0, 1 + rng.poisson(lam, n))
    pp = np.repeat(np.arange(n), n_pan)
    pday = start[pp] + (rng.random(len(pp)) * (span[pp] + 1)).astype(np.int64)
    incl = rng.random((len(pp), len(ANALYTES))) < t.panel_p
    r_pan, r_an = np.nonzero(incl)
    r_p, r_day = pp[r_pan], pday[r_pan]
    age = (r_day - birth[r_p]) / 365.25
    s = male[r_p].astype(np.int64)
    bins = t.bins(age)
    lo, hi = t.gen_low[r_an, s, bins], t.gen_high[r_an, s, bins]
    z = rng.standard_normal(len(r_an))
    is_alp = r_an == INDEX["alp"]
    z = np.where(is_alp, 0.8 * alp_z[r_p] + 0.6 * z, z)
    logn = t.lognormal[r_an]
    with np.errstate(divide="ignore", invalid="ignore"):
        llo, lhi = np.log(lo), np.log(hi)
        v_ln = np.exp((llo + lhi) / 2 + z * (lhi - llo) / 4)
    sd = (hi - lo) / 4
    v_n = np.maximum((lo + hi) / 2 + 0.15 * sd + z * sd, 0.2 * lo)
    val = np.where(logn, v_ln, v_n)
    # ---------------------------------------------------------------- planted rows
    truth_cause = np.array(["none"] * n, dtype=object)
    truth_pers = np.zeros(n, bool)
    pd_, pa_, pv_, pp_ = [], [], [], []
    for p, cause in cause_of.items():
        pl = plant(
            cause,
            male=bool(male[p]),
            birth_day=int(birth[p]),
            window=(int(start[p]), END_DAY),
            tables=t,
            rng=rng,
        )
        truth_cause[p], truth_pers[p] = cause, pl.persistent
        pd_ += pl.days
        pa_ += pl.analytes
        pv_ += pl.values
        pp_ += [p] * len(pl.days)
    r_p = np.concatenate([r_p, np.array(pp_, np.int64)])
    r_day = np.concatenate([r_day, np.array(pd_, np.int64)])
    r_an = np.concatenate([r_an, np.array(pa_, np.int64)])
    val = np.concatenate([val, np.array(pv_, np.float64)])
    planted_row = np.zeros(len(r_p), bool)
    planted_row[len(r_p) - len(pp_) :] = True
    n_rows = len(r_p)
    # ---------------------------------------------------------------- how each lab prints it
    age = (r_day - birth[r_p]) / 365.25
    s = male[r_p].astype(np.int64)
    bins = t.bins(age)
    rl_lab = lab[r_p]
    fac = t.factor[r_an, rl_lab]
    scale = 10.0 ** t.decimals[r_an, rl_lab]
    printed = np.round(val / fac * scale) / scale
    policy = np.asarray(LAB_POLICY)[rl_lab]
    ref_l = np.where(policy == 0, t.adult_low[r_an, s], t.ref_low[r_an, s, bins])
    ref_h = np.where(policy == 0, t.adult_high[r_an, s], t.ref_high[r_an, s, bins])
    no_range = (policy == 2) | (rng.random(n_rows) < 0.04)
    ref_l = np.where(no_range, np.nan, np.round(ref_l / fac * scale) / scale)
    ref_h = np.where(no_range, np.nan, np.round(ref_h / fac * scale) / scale)
    cens_lim = np.round(t.censor[r_an] / fac * scale) / scale
    censored = printed < cens_lim  # NaN limits compare False
    printed = np.where(censored, cens_lim, printed)
    # ---------------------------------------------------------------- dirty rows
    dirty = (rng.random(n_rows) < cfg.dirty_fraction) & ~planted_row
    kind = np.where(dirty, rng.integers(0, 7, n_rows), -1)
    text_row = kind == 0
    lt_row = kind == 1
    bad_unit = kind == 2
    no_date = kind == 3
    dup = kind == 4
    printed = np.where(kind == 5, -np.abs(printed) - 1, printed)
    concept = np.array([c.concept_id for c in t.ids.concepts], np.int64)[r_an]
    concept = np.where(kind == 6, 0, concept)
    # ---------------------------------------------------------------- order and duplicates
    take = np.concatenate([np.arange(n_rows), np.nonzero(dup)[0]])
    day_key = np.where(no_date, 1 << 20, r_day - first_day + 100_000)
    key = (r_p << 40) | (day_key << 8) | r_an
    take = take[np.argsort(key[take], kind="stable")]

    def tk(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out: npt.NDArray[Any] = x[take]
        return out

    r_p, r_day, r_an, printed = tk(r_p), tk(r_day), tk(r_an), tk(printed)
    text_row, lt_row, bad_unit, no_date = tk(text_row), tk(lt_row), tk(bad_unit), tk(no_date)
    censored, ref_l, ref_h, concept, rl_lab = (
        tk(censored),
        tk(ref_l),
        tk(ref_h),
        tk(concept),
        tk(rl_lab),
    )
    m = len(take)
    # ---------------------------------------------------------------- value_source_value
    enc = pc.dictionary_encode(pa.array(printed))
    d_str = pc.cast(enc.dictionary, pa.string())
    idx = enc.indices.to_numpy().astype(np.int32)
    extras = [*DIRTY_TEXT]
    lt_text = [f"<{c:g}" for c in CENSOR_TEXT]
    extras += lt_text
    base = len(d_str)
    idx = np.where(text_row, base + (r_p % len(DIRTY_TEXT)), idx).astype(np.int32)
    cen_or_lt = censored | lt_row
    an_cens = CENSOR_POS[r_an]  # -1 where the analyte has no censoring limit
    lt_code = np.where(an_cens >= 0, an_cens, 0)
    idx = np.where(cen_or_lt, base + len(DIRTY_TEXT) + lt_code, idx).astype(np.int32)
    vsv = pa.DictionaryArray.from_arrays(pa.array(idx), pa.concat_arrays([d_str, pa.array(extras)]))
    value_null = text_row | lt_row
    # ---------------------------------------------------------------- units and the rest
    u_idx = t.unit_idx[r_an, rl_lab]
    u_idx = np.where(bad_unit, len(t.units), u_idx)
    unit_names = pa.array([*t.units, UNKNOWN_UNIT])
    unit_cid = np.append(t.unit_concept, 0)[u_idx]
    tod = 7 * 3600 + ((r_p * 7919 + r_day * 104729) % 39600)
    date_mask = no_date
    person_ids = (b * BLOCK + 1 + r_p).astype(np.int64)
    src_codes = pa.array([a.upper() for a in ANALYTES])
    meas = pa.table(
        {
            "measurement_id": pa.array(np.zeros(m, np.int64)),
            "person_id": pa.array(person_ids),
            "measurement_concept_id": pa.array(concept),
            "measurement_date": pa.array(r_day.astype(np.int32), pa.date32(), mask=date_mask),
            "measurement_datetime": pa.array(
                r_day * 86_400_000_000 + tod * 1_000_000, pa.timestamp("us"), mask=date_mask
            ),
            "measurement_type_concept_id": pa.array(np.full(m, t.ids.lab_type, np.int64)),
            "operator_concept_id": pa.array(
                np.full(m, t.ids.operator_lt, np.int64), mask=~(censored & ~lt_row)
            ),
            "value_as_number": pa.array(printed, mask=value_null),
            "unit_concept_id": pa.array(unit_cid.astype(np.int64)),
            "unit_source_value": pa.DictionaryArray.from_arrays(
                pa.array(u_idx.astype(np.int32)), unit_names
            ),
            "range_low": pa.array(ref_l, mask=np.isnan(ref_l)),
            "range_high": pa.array(ref_h, mask=np.isnan(ref_h)),
            "measurement_source_value": pa.DictionaryArray.from_arrays(
                pa.array(r_an.astype(np.int32)), src_codes
            ),
            "value_source_value": vsv,
        }
    )
    meas = meas.cast(MEASUREMENT_SCHEMA)
    # ---------------------------------------------------------------- person and truth tables
    bd = np.datetime64("1970-01-01") + birth.astype("timedelta64[D]")
    yr = bd.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = bd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dy = (bd - bd.astype("datetime64[M]")).astype(np.int64) + 1
    pid = np.arange(b * BLOCK + 1, b * BLOCK + 1 + n, dtype=np.int64)
    person = pa.table(
        {
            "person_id": pid,
            "gender_concept_id": np.where(male, t.ids.male, t.ids.female).astype(np.int64),
            "year_of_birth": yr,
            "month_of_birth": pa.array(mo, mask=year_only),
            "day_of_birth": pa.array(dy, mask=year_only),
            "birth_datetime": pa.array(birth * 86_400_000_000, pa.timestamp("us"), mask=year_only),
            "race_concept_id": np.zeros(n, np.int64),
            "ethnicity_concept_id": np.zeros(n, np.int64),
        },
        schema=PERSON_SCHEMA,
    )
    truth = pa.table(
        {
            "person_id": pid,
            "planted_cause": pa.array(truth_cause.tolist(), pa.string()),
            "persistent": truth_pers,
        },
        schema=TRUTH_SCHEMA,
    )
    return meas, person, truth


CENSOR_TEXT: tuple[float, ...] = (5.0, 0.3, 0.01, 1.0)
_CENSOR_ANALYTES = ("alp", "crp", "tsh", "ttg_iga")
CENSOR_POS = np.full(len(ANALYTES), -1, np.int64)
for _i, _a in enumerate(_CENSOR_ANALYTES):
    CENSOR_POS[INDEX[_a]] = _i


def say(message: str) -> None:
    print(f"lowalp synth: {message}", file=sys.stderr)
