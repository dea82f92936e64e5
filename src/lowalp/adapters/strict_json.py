"""JSON as every door reads it: standard JSON only, every number finite.

Python's :mod:`json` accepts ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON), reads
``1e309`` as infinity, stops at integers of more than 4,300 digits with a bare ``ValueError``,
and recurses once per level of nesting. :func:`parse` turns each of these into an
:class:`~lowalp.errors.InputError` naming where it is: ``labs[0].ref_low: not a finite number
(NaN)``; a number no quantity can be (more than :data:`MAX_INT_DIGITS` digits) is refused the
same way, and a document nested too deeply for the parser (some hundreds of levels; no case or
resource needs more than ten) is refused as a whole.

>>> parse('{"labs": [{"value": 19}]}')
{'labs': [{'value': 19}]}
>>> parse('{"labs": [{"ref_low": NaN}]}')
Traceback (most recent call last):
...
lowalp.errors.InputError: 1 problem in the input
  - labs[0].ref_low: not a finite number (got 'NaN'); write the number, or leave the field out when it is not known
"""

from __future__ import annotations

import json
import math
from typing import Any

from lowalp.errors import InputError, Problem

MAX_INT_DIGITS = 4_300
"""Python's own limit on the digits of an integer read from text. A shorter integer too large
for a float (more than 308 digits) is left to the model, which refuses it as "not a valid
number" for the field."""

_HINT = "write the number, or leave the field out when it is not known"


class _Refused:
    """Stands in for a number that is refused while the text is parsed; found afterwards by
    :func:`_find` so that the error can name where it was."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def parse(
    text: str | bytes, *, source: str | None = None, prefix: str = "", hint: str | None = None
) -> Any:
    """The JSON value of ``text``, or an :class:`InputError` naming every refused number.

    ``prefix`` goes before each pointer (``"line 5, "`` for a line of JSON Lines); ``hint``
    follows a syntax error."""
    refused = False

    def constant(name: str) -> _Refused:
        nonlocal refused
        refused = True
        return _Refused(name)

    def number(s: str) -> float | _Refused:
        nonlocal refused
        value = float(s)
        if math.isfinite(value):
            return value
        refused = True
        return _Refused(s)

    def integer(s: str) -> int | _Refused:
        nonlocal refused
        if len(s.lstrip("-")) <= MAX_INT_DIGITS:
            return int(s)
        refused = True
        return _Refused(f"{s[:12]}… ({len(s.lstrip('-'))} digits)")

    try:
        try:
            data = json.loads(text, parse_constant=constant, parse_float=number)
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
                raise
            # an integer beyond Python's digit limit: again, with integers checked one by one
            data = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise InputError(
            [
                Problem(
                    f"{prefix}column {exc.colno}"
                    if prefix and exc.lineno == 1
                    else f"{prefix}line {exc.lineno}, column {exc.colno}",
                    f"not valid JSON: {exc.msg}",
                    hint=hint,
                )
            ],
            source=source,
        ) from None
    except RecursionError:
        raise _too_deep(source, prefix) from None
    except UnicodeDecodeError:
        raise InputError([Problem(prefix or "(file)", "not UTF-8 text")], source=source) from None
    if refused:
        raise InputError(_refused(data, prefix), source=source)
    return data


def _too_deep(source: str | None, prefix: str) -> InputError:
    return InputError(
        [
            Problem(
                prefix.rstrip(", ") or "(document)",
                "the JSON is nested too deeply to read",
                hint="no case or FHIR resource is nested so deeply; check how the file was made",
            )
        ],
        source=source,
    )


def _refused(data: Any, prefix: str) -> list[Problem]:
    """Every refused number with its pointer, in document order."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _Refused):
            problems.append(
                Problem(prefix + (where or "(value)"), "not a finite number", node.text, _HINT)
            )
        elif isinstance(node, dict):
            items = [(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()]
            stack.extend(reversed(items))
        elif isinstance(node, list):
            stack.extend(reversed([(v, f"{where}[{i}]") for i, v in enumerate(node)]))
    return problems
