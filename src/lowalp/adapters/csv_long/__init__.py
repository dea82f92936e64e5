"""Long CSV and Parquet files of many patients: one row per result, one case per patient.

A "long" (tidy) table has one laboratory result a row, keyed by ``patient_id``; patient
columns (``sex``, ``birth_date`` or ``age``) repeat on every row, and rows with a
``medication``, ``finding``, ``event`` or ``notes`` text instead of a result add to the
patient's context. A result keeps the lab's ``flag``, ``text`` and ``note``; a medication row
with ``medication_*`` columns is a medicine record, a finding row with ``finding_assertion`` (or
a date) a finding record.
The columns are described in ``docs/input-formats.md``; names are matched case-insensitively,
and ``ReadOptions.columns`` renames them (our name -> the file's name).

The CSV reader follows RFC 4180 (quoted fields, doubled quotes) through Python's :mod:`csv`
module; the delimiter (``,`` ``;`` tab or ``|``) is detected from the header line. A decimal
comma (``4,1``) is accepted only in semicolon files, the convention of spreadsheet exports in
locales that write decimal commas. Parquet files are read with pyarrow in record batches.

Both read the file once, keep a compact packed record per result (about 70 bytes) grouped by
patient, and build the :class:`~lowalp.model.Case` objects one at a time while ``cases`` is
iterated, in the order patients first appear. Every data row is used or listed in ``rejected``
with ``row N (column c)``: N counts data rows from 1 (the header and blank lines are not rows).

The package: ``columns`` (our column names and the header matched to them), ``values`` (a
cell read as a number, qualifier or date), ``codes`` (a row's code resolved to an analyte),
``context`` (a row's medicine and finding records), ``records`` (the packed result and the
cases built from them), ``rows`` (one read's table: rows checked and patients accumulated),
``csv_reader`` and ``parquet_reader`` (the two adapters) and ``writer`` (cases written back as
a long CSV).
"""

from __future__ import annotations

from lowalp.adapters.csv_long.columns import (
    ALIASES,
    CODE_COLUMNS,
    COLUMNS,
    DELIMITERS,
    REQUIRED,
    detect_delimiter,
    resolve_columns,
)
from lowalp.adapters.csv_long.csv_reader import ADAPTER, CsvAdapter
from lowalp.adapters.csv_long.parquet_reader import PARQUET_ADAPTER, ParquetAdapter
from lowalp.adapters.csv_long.values import (
    QUALIFIERS,
    RowError,
    parse_date,
    parse_number,
    parse_value,
)
from lowalp.adapters.csv_long.writer import cases_to_rows, write_csv

__all__ = [
    "ADAPTER",
    "ALIASES",
    "CODE_COLUMNS",
    "COLUMNS",
    "DELIMITERS",
    "PARQUET_ADAPTER",
    "QUALIFIERS",
    "REQUIRED",
    "CsvAdapter",
    "ParquetAdapter",
    "RowError",
    "cases_to_rows",
    "detect_delimiter",
    "parse_date",
    "parse_number",
    "parse_value",
    "resolve_columns",
    "write_csv",
]
