"""How one value is written in a cell of the summary page: missing values as "—"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev extra


def missing(x: Any) -> bool:
    if x is None:
        return True
    return bool(pd.api.types.is_scalar(x) and pd.isna(x))


def text(x: Any, blank: str = "—") -> str:
    return blank if missing(x) else str(x)


def int_text(x: Any) -> str:
    if missing(x):
        return "—"
    try:
        return str(int(x))
    except (TypeError, ValueError):
        return str(x)


def num(x: Any, fmt: str) -> str:
    if missing(x):
        return "—"
    try:
        return fmt.format(float(x))
    except (TypeError, ValueError):
        return str(x)


def pct(x: Any) -> str:
    if missing(x):
        return "—"
    try:
        p = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "<1%" if 0 < p < 0.01 else f"{p * 100:.0f}%"


def date(x: Any) -> str:
    if missing(x):
        return "—"
    if isinstance(x, dt.datetime | dt.date | pd.Timestamp):
        return x.strftime("%Y-%m-%d")
    return str(x)
