"""One read's table: each data row checked and parsed into a packed result or the context of
its patient (or rejected with the column and the reason), patients accumulated, and the
warnings and the :class:`~lowalp.adapters.base.ReadResult` at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TypeVar

from lowalp.adapters.base import ReadOptions, ReadResult, ReadStats, Rejected
from lowalp.adapters.csv_long.codes import resolve_code
from lowalp.adapters.csv_long.columns import COLUMNS
from lowalp.adapters.csv_long.context import finding_entry, medication_entry
from lowalp.adapters.csv_long.records import _DATE, _DAY, _NAN, _NO_TIME, _PACK, _cases, _Patient
from lowalp.adapters.csv_long.values import (
    _NONE_WORDS,
    _QUAL_INDEX,
    QUALIFIERS,
    SEX_WORDS,
    RowError,
    parse_date,
    parse_number,
    parse_value,
)
from lowalp.adapters.flags import flag_qualifier
from lowalp.adapters.reasons import CODE_NOT_IDENTIFIED, NOT_VALID
from lowalp.knowledge import Knowledge
from lowalp.model import Case, EventRecord, MedicationRecord, Qualifier

T = TypeVar("T")
_NUMERIC = (
    "age",
    "day",
    "value",
    "ref_low",
    "ref_high",
    "medication_days_since_stopped",
    "medication_duration_days",
)
"""The numeric columns in which ``NaN`` means an empty cell, in :meth:`_Table._row`'s order."""


class _Table:
    """The state of one read: patients with packed results, rejected rows, counters."""

    def __init__(
        self,
        columns: dict[str, int],
        kb: Knowledge,
        options: ReadOptions,
        *,
        decimal_comma: bool,
        width: int,
        check_width: bool,
        source: str,
    ) -> None:
        self.kb = kb
        self.code_map = options.code_map
        self.decimal_comma = decimal_comma
        self.width = width
        self.check_width = check_width
        self.source = source
        self.stats = ReadStats(unit="rows")
        self.rejected: list[Rejected] = []
        self.warnings: list[str] = []
        self.patients: dict[str, _Patient] = {}
        self.strings: list[str] = [""]
        self.string_index: dict[str, int] = {"": 0}
        self.codes: dict[tuple[str, str, str, str], tuple[int, int, int] | RowError] = {}
        self.bad_sex: dict[str, int] = {}
        self.disagree: list[str] = []
        self.dates: dict[str, dt.date] = {}
        self.last: tuple[str, str, str, str] | None = None
        self.last_patient: _Patient | None = None
        self.nan_cells: dict[str, list[int]] = {}
        """Numeric column -> rows where it was written NaN (read as empty)."""
        # the position of each of our columns in a row; an absent one points past the end,
        # where the caller puts an empty string
        self.order = [columns.get(name, width) for name in COLUMNS]

    def _missing(self, n: int, cells: tuple[str, ...]) -> tuple[str, ...]:
        """Numeric cells (in :data:`_NUMERIC`'s order) with ``NaN`` (pandas' missing value)
        made empty, and counted for the warning."""
        out = []
        for column, cell in zip(_NUMERIC, cells, strict=True):
            if cell.lower() == "nan":
                self.nan_cells.setdefault(column, []).append(n)
                cell = ""
            out.append(cell)
        return tuple(out)

    def intern(self, text: str) -> int:
        i = self.string_index.get(text)
        if i is None:
            i = len(self.strings)
            self.strings.append(text)
            self.string_index[text] = i
        return i

    def reject(
        self, n: int, column: str | None, reason: str, value: str | None, category: str = NOT_VALID
    ) -> None:
        """Set row ``n`` aside, with the column at fault, the reason and its category (beyond
        the first :data:`~lowalp.adapters.reasons.LISTED_PER_CATEGORY` of a category that is
        not an error, counted only)."""
        if self.stats.set_aside(category):
            where = f"row {n} (column {column})" if column else f"row {n}"
            self.rejected.append(Rejected(where, reason, value, category))

    # -- one row
    def unreadable(self, n: int, reason: str) -> None:
        """A row the CSV parser could not split: read, and rejected."""
        self.stats.read += 1
        self.reject(n, None, reason, None)

    def row(self, n: int, cells: Sequence[str]) -> None:
        """One data row; ``cells`` ends with one extra empty string (absent columns)."""
        self.stats.read += 1
        if self.check_width and len(cells) != self.width + 1:
            hint = (
                "; a delimiter inside a value (a decimal comma?): quote the value"
                if len(cells) > self.width + 1
                else ""
            )
            self.reject(
                n,
                None,
                f"the row has {len(cells) - 1} fields, the header {self.width}{hint}",
                _shorten(cells[:-1]),
            )
            return
        try:
            self._row(n, cells)
        except RowError as err:
            self.reject(n, err.column, err.reason, err.value, err.category)
            return
        self.stats.used += 1

    def _row(self, n: int, cells: Sequence[str]) -> None:
        (
            pid,
            sex_text,
            birth_text,
            age_text,
            date_text,
            day_text,
            loinc,
            analyte,
            code,
            system,
            value_text,
            unit,
            ref_low,
            ref_high,
            qual_text,
            flag,
            text,
            note,
            specimen,
            med,
            med_status,
            med_start,
            med_end,
            med_stopped,
            med_duration,
            finding,
            finding_assertion,
            event,
            event_end,
            event_ongoing,
            notes,
        ) = [cells[j].strip() for j in self.order]
        numbers = (age_text, day_text, value_text, ref_low, ref_high, med_stopped, med_duration)
        if any(len(c) == 3 and c.lower() == "nan" for c in numbers):
            age_text, day_text, value_text, ref_low, ref_high, med_stopped, med_duration = (
                self._missing(n, numbers)
            )
        if not pid:
            raise RowError("patient_id", "no patient id")
        when_kind, when = _NO_TIME, 0.0
        date = None
        day = None
        if date_text:
            date = self._date(date_text, "date")
            when_kind, when = _DATE, float(date.toordinal())
        elif day_text:
            day = parse_number(day_text, decimal_comma=self.decimal_comma, column="day")
            when_kind, when = _DAY, day
        lab: bytes | None = None
        if analyte or loinc or code:
            lab = self._lab(
                n,
                (analyte, loinc, code, system),
                value_text,
                qual_text,
                (ref_low, ref_high),
                unit,
                specimen,
                when_kind,
                when,
                (flag, text, note),
            )
        else:
            for col, cell in (
                ("value", value_text),
                ("qualifier", qual_text),
                ("text", text),
                ("flag", flag),
                ("note", note),
            ):
                if cell:
                    raise RowError(
                        col,
                        "a result but no analyte, loinc or code in the row",
                        cell,
                        CODE_NOT_IDENTIFIED,
                    )
        medication: str | MedicationRecord | None = None
        if med:
            medication = medication_entry(
                med,
                med_status,
                med_start,
                med_end,
                med_stopped,
                med_duration,
                date=self._date,
                decimal_comma=self.decimal_comma,
            )
        else:
            _none_without(
                "a medicine's status or dates but no medication in the row",
                ("medication_status", med_status),
                ("medication_start", med_start),
                ("medication_end", med_end),
                ("medication_days_since_stopped", med_stopped),
                ("medication_duration_days", med_duration),
            )
        if finding_assertion and not finding:
            raise RowError("finding_assertion", "an assertion but no finding in the row")
        if not event:
            _none_without(
                "an event's end but no event in the row",
                ("event_end", event_end),
                ("event_ongoing", event_ongoing),
            )

        if lab is None and not (
            med or finding or event or notes or sex_text or birth_text or age_text
        ):
            raise RowError(None, "nothing in the row besides the patient id")
        # a row with only sex, birth date or age is used: it tells about the patient
        demographics = (pid, sex_text, birth_text, age_text)
        if demographics == self.last and self.last_patient is not None:
            p = self.last_patient
        else:
            p = self._patient(n, demographics)
            self.last, self.last_patient = demographics, p
        if lab is not None:
            p.labs += lab
            if when_kind == _NO_TIME:
                p.untimed += 1
            else:
                p.timed += 1
        if medication is not None:
            p.medications = _add(p.medications, med, medication)
        if finding:
            p.findings = _add(p.findings, finding, finding_entry(finding, finding_assertion, date))
        if event:
            if event.lower() in _NONE_WORDS:
                p.events = p.events or []
            else:
                end_date, end_day, ongoing = self._event_end(event_end, event_ongoing, date, day)
                timed = any(x is not None for x in (date, day, end_date, end_day)) or ongoing
                entry = (
                    EventRecord(
                        event=event,
                        date=date,
                        day=day,
                        end_date=end_date,
                        end_day=end_day,
                        ongoing=ongoing,
                    )
                    if timed
                    else event
                )
                p.events = [*(p.events or []), entry]
        if notes:
            p.notes = [*(p.notes or []), notes]

    def _event_end(
        self, end_text: str, ongoing_text: str, date: dt.date | None, day: float | None
    ) -> tuple[dt.date | None, float | None, bool]:
        """An event row's end (a date, or a day when the row is timed by ``day``) and whether it
        is still ongoing."""
        ongoing = False
        if ongoing_text:
            word = ongoing_text.lower()
            if word not in _YES | _NO:
                raise RowError("event_ongoing", "write yes or no", ongoing_text)
            ongoing = word in _YES
        if not end_text:
            return None, None, ongoing
        if ongoing:
            raise RowError("event_end", "an event is either ongoing or has an end", end_text)
        if day is not None and date is None:
            end_day = parse_number(end_text, decimal_comma=self.decimal_comma, column="event_end")
            if end_day < day:
                raise RowError("event_end", "the event ends before it starts", end_text)
            return None, end_day, False
        end_date = self._date(end_text, "event_end")
        if date is not None and end_date < date:
            raise RowError("event_end", "the event ends before it starts", end_text)
        return end_date, None, False

    def _patient(self, n: int, demographics: tuple[str, str, str, str]) -> _Patient:
        """The row's patient, checking and recording sex, birth date and age."""
        pid, sex_text, birth_text, age_text = demographics
        birth = self._date(birth_text, "birth_date") if birth_text else None
        age = None
        if age_text:
            age = parse_number(age_text, decimal_comma=self.decimal_comma, column="age")
            if not 0 <= age <= 130:
                raise RowError("age", "age must be between 0 and 130 years", age_text)
        p = self.patients.get(pid)
        if p is None:
            p = self.patients[pid] = _Patient(pid)
        if sex_text:
            sex = SEX_WORDS.get(sex_text.lower())
            if sex is None:
                self.bad_sex[sex_text] = self.bad_sex.get(sex_text, 0) + 1
            elif p.sex is None:
                p.sex, p.sex_row = sex, n
            elif p.sex != sex:
                self.disagree.append(
                    f"patient {pid}: row {n} gives sex {sex}, row {p.sex_row} gave {p.sex}; {p.sex} kept"
                )
        if birth is not None:
            if p.birth is None:
                p.birth, p.birth_row = birth, n
            elif p.birth != birth:
                self.disagree.append(
                    f"patient {pid}: row {n} gives birth date {birth}, row {p.birth_row} gave {p.birth}; {p.birth} kept"
                )
        if age is not None:
            if p.age is not None and p.age != age:
                p.ages_differ = True
            p.age = age if p.age is None else max(p.age, age)
        return p

    def _lab(
        self,
        n: int,
        codes: tuple[str, str, str, str],
        value_text: str,
        qual_text: str,
        refs: tuple[str, str],
        unit: str,
        specimen: str,
        when_kind: int,
        when: float,
        said: tuple[str, str, str] = ("", "", ""),
    ) -> bytes:
        """One result packed, or :class:`RowError`. ``said`` is the row's flag, text and note."""
        key = codes
        resolved = self.codes.get(key)
        if resolved is None:
            resolved = resolve_code(self.kb, self.code_map, self.intern, *codes)
            if len(self.codes) < 100_000:
                self.codes[key] = resolved
        if isinstance(resolved, RowError):
            raise resolved
        analyte_i, loinc_i, default_unit = resolved
        dc = self.decimal_comma
        flag, text, note = said
        value: float | None = None
        qualifier: Qualifier | None = None
        if value_text:
            try:
                value, qualifier = parse_value(value_text, decimal_comma=dc)
            except RowError:
                if flag_qualifier(flag) is None:
                    raise
                # words the value column cannot hold as a number: the flag gives the qualifier
                qualifier, text = flag_qualifier(flag), text or value_text
            if value is not None and value < 0:
                raise RowError("value", "a result cannot be negative", value_text)
        elif text and not qual_text:
            try:
                value, qualifier = parse_value(text, decimal_comma=dc)
            except RowError:
                qualifier = flag_qualifier(flag)
                if qualifier is None:
                    raise RowError(
                        "text",
                        "a result given only as text that is not a number or a qualifier, "
                        "and no flag that gives one",
                        text,
                    ) from None
            if value is not None and value < 0:
                raise RowError("text", "a result cannot be negative", text)
        if qual_text:
            q = qual_text.lower()
            if q not in _QUAL_INDEX:
                raise RowError(
                    "qualifier",
                    "not a qualifier (low, normal, high, positive, negative, <, >)",
                    qual_text,
                )
            if qualifier is None:
                qualifier = QUALIFIERS[_QUAL_INDEX[q]]
        if value is None and qualifier is None:
            qualifier = flag_qualifier(flag)
        if value is None and qualifier is None:
            raise RowError("value", "no value and no qualifier")
        if value is None and qualifier in ("<", ">"):
            raise RowError("value", f"qualifier {qualifier!r} needs a value (as in '<5')")
        ref = [
            parse_number(text, decimal_comma=dc, column=col) if text else _NAN
            for col, text in zip(("ref_low", "ref_high"), refs, strict=True)
        ]
        return _PACK.pack(
            n,
            analyte_i,
            loinc_i,
            _NAN if value is None else value,
            ref[0],
            ref[1],
            when_kind,
            when,
            _QUAL_INDEX[qualifier] if qualifier else 0,
            self.intern(unit) if unit else default_unit,
            self.intern(specimen),
            self.intern(flag),
            self.intern(text),
            self.intern(note),
        )

    def _date(self, text: str, column: str) -> dt.date:
        """A parsed date, cached: the same few thousand dates recur in a long file."""
        date = self.dates.get(text)
        if date is None:
            date = parse_date(text, column)
            if len(self.dates) > 100_000:
                self.dates.clear()
            self.dates[text] = date
        return date

    # -- after the last row
    def finish(self) -> None:
        for column, rows in self.nan_cells.items():
            shown = ", ".join(str(r) for r in rows[:5]) + ("…" if len(rows) > 5 else "")
            meaning = {
                "ref_low": "no lower reference limit from the lab",
                "ref_high": "no upper reference limit from the lab",
                "value": "no value (the row needs a qualifier or a flag to be used)",
            }.get(column, "not given")
            self.warnings.append(
                f"{len(rows)} row(s) with NaN in column {column} (a missing value, as pandas "
                f"writes it), read as empty: {meaning} (row {shown})"
            )
        if self.bad_sex:
            shown = ", ".join(f"{k!r} ({v})" for k, v in list(self.bad_sex.items())[:5])
            total = sum(self.bad_sex.values())
            self.warnings.append(
                f"{total} row(s) with a sex other than F/M/female/male ({shown}); taken as unknown"
            )
        for text in self.disagree[:20]:
            self.warnings.append(text)
        if len(self.disagree) > 20:
            self.warnings.append(f"… and {len(self.disagree) - 20} more disagreements")
        differ = [p.pid for p in self.patients.values() if p.ages_differ]
        if differ:
            self.warnings.append(
                f"{len(differ)} patient(s) have different ages on different rows "
                f"({', '.join(differ[:5])}{'…' if len(differ) > 5 else ''}); the highest "
                "(the age at the latest result) is used"
            )
        untimed = sum(p.untimed for p in self.patients.values() if not p.timed)
        if untimed:
            self.warnings.append(
                f"{untimed} result row(s) have no date or day, nor has any other result of "
                "their patient; they are taken as drawn with the index ALP"
            )
        self.stats.cases = len(self.patients)

    def cases(self) -> Iterator[Case]:
        """Build the cases one at a time; duplicated results are rejected here."""
        yield from _cases(self.patients.values(), self.strings, self._drop)

    def _drop(
        self, n: int, column: str | None, reason: str, value: str | None, category: str
    ) -> None:
        """Reject a result that was counted as used (a duplicate, found as cases are built)."""
        self.stats.used -= 1
        self.reject(n, column, reason, value, category)

    def result(self) -> ReadResult:
        self.finish()
        return ReadResult(
            cases=self.cases(), rejected=self.rejected, stats=self.stats, warnings=self.warnings
        )


def _add(items: list[T] | None, text: str, entry: T) -> list[T]:
    """``entry`` added to a context list; the text ``none`` makes the list given but empty."""
    items = items if items is not None else []
    if text.lower() not in _NONE_WORDS:
        items.append(entry)
    return items


_YES = frozenset({"yes", "y", "true", "1", "ongoing"})
_NO = frozenset({"no", "n", "false", "0"})
"""How an ``event_ongoing`` cell says yes or no."""


def _none_without(reason: str, *cells: tuple[str, str]) -> None:
    for column, cell in cells:
        if cell:
            raise RowError(column, reason, cell)


def _shorten(cells: Sequence[str]) -> str:
    text = "|".join(cells)
    return text if len(text) <= 120 else text[:117] + "…"
