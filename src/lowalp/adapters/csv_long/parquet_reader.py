"""The Parquet adapter: the columns we use read with pyarrow in record batches, each cell as
the text a CSV would hold, then parsed as CSV rows are. pyarrow is the ``[parquet]`` extra.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from lowalp.adapters.base import ReadOptions, ReadResult
from lowalp.adapters.csv_long.columns import resolve_columns
from lowalp.adapters.csv_long.rows import _Table
from lowalp.errors import InputError, Problem
from lowalp.knowledge import Knowledge


def _pyarrow() -> Any:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(
            [
                Problem(
                    "--input-format parquet",
                    "reading Parquet needs pyarrow, which is not installed",
                    hint="pip install 'lowalp[parquet]'",
                )
            ]
        ) from None
    return pa, pc, pq


class ParquetAdapter:
    name = "parquet"
    description = "Parquet table of many patients, same columns as the long CSV"
    batch_size = 8_192

    def sniff(self, head: str, path: Path | None) -> bool:
        return head.startswith("PAR1") or (
            path is not None and path.suffix.lower() in (".parquet", ".pq")
        )

    def read(self, path: Path, options: ReadOptions, knowledge: Knowledge) -> ReadResult:
        pa, pc, pq = _pyarrow()
        source = str(path)
        try:
            pf = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(
                [Problem(source, f"not a readable Parquet file: {exc}")], source=source
            ) from None
        header = list(pf.schema_arrow.names)
        try:
            columns = resolve_columns(header, options.columns)
        except InputError as exc:
            raise InputError(exc.problems, source=source) from None
        order = sorted(columns, key=columns.__getitem__)
        selected = [header[columns[c]] for c in order]
        table = _Table(
            {c: i for i, c in enumerate(order)},
            knowledge,
            options,
            decimal_comma=False,
            width=len(order),
            check_width=False,
            source=source,
        )
        total = pf.metadata.num_rows
        n = 0
        for batch in pf.iter_batches(batch_size=self.batch_size, columns=selected):
            cols = [_texts(pa, pc, batch.column(i)) for i in range(batch.num_columns)]
            for cells in zip(*cols, itertools.repeat(""), strict=False):
                n += 1
                table.row(n, cells)
            if options.progress is not None:
                options.progress(n, total)
        table.stats.unit = "rows"
        table.warnings.insert(0, f"Parquet; columns: {', '.join(order)}")
        return table.result()


def _texts(pa: Any, pc: Any, array: Any) -> list[str]:
    """A column as text, as a CSV would hold it (dates ISO, numbers in shortest form)."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        values: list[str | None] = array.to_pylist()
        return ["" if v is None else v for v in values]
    try:
        texts: list[str | None] = pc.cast(array, pa.string()).to_pylist()
        return ["" if v is None else v for v in texts]
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return ["" if v is None else str(v) for v in array.to_pylist()]


PARQUET_ADAPTER = ParquetAdapter()
