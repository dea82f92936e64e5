"""One JSON error shape for every error the API and the CDS Hooks service return.

::

    {"error": {"status": 422, "title": "The case was rejected",
               "detail": "3 problems in the input",
               "problems": [{"pointer": "labs[1].value", "message": "…", "value": "x",
                             "hint": "…"}]}}
"""

from __future__ import annotations

from typing import Any

from lowalp.errors import Problem


def error_body(
    status: int, title: str, detail: str = "", problems: list[Problem] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "title": title}
    if detail:
        body["detail"] = detail
    body["problems"] = [p.to_dict() for p in problems or []]
    return {"error": body}
