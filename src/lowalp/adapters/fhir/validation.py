"""Validation of a resource with the ``fhir.resources.R4B`` models, before it is used.

Only a resource that will be used is validated (:meth:`lowalp.adapters.fhir.reader.Reader.valid`):
validation is most of the cost of reading, and most of an export is not used.

R4 JSON reads with R4B for every element used here (the top-level ``fhir.resources`` classes
are R5). fhir.resources is imported only when a file is read, and a missing package fails with
the install command. A resource that fails validation is rejected at the first failing element
(``entry[2].resource.code``), with the count of the others; failures that point at an earlier
FHIR version are collected for :mod:`lowalp.adapters.fhir.version`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lowalp.adapters.fhir.pointers import at, pointer
from lowalp.adapters.fhir.version import old_shape, version_hint
from lowalp.adapters.reasons import NOT_VALID
from lowalp.errors import InputError, Problem

if TYPE_CHECKING:
    from lowalp.adapters.fhir.reader import Reader

INSTALL = "pip install 'lowalp[fhir]'"


def models() -> Callable[[str], Any]:
    """``get_fhir_model_class`` of fhir.resources R4B, or the error saying how to install it."""
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        raise InputError(
            [
                Problem(
                    "(fhir)",
                    "reading FHIR needs the fhir.resources package",
                    hint=f"install it with: {INSTALL}",
                )
            ]
        ) from None
    return get_fhir_model_class


def validate(reader: Reader, res: dict[str, Any], rtype: str, prefix: str) -> bool:
    """Whether the resource is valid R4; if not it is rejected (and version evidence noted)."""
    from pydantic import ValidationError

    hint = version_hint(res)
    try:
        reader.model(rtype).model_validate(res)
    except ValidationError as exc:
        errors = exc.errors()
        old = [e for e in errors if old_shape(e)]
        if old or hint:
            reader.version_hint = reader.version_hint or hint
            for e in old or errors:
                if e["type"] == "extra_forbidden":
                    what = "not an element of R4; it belongs to DSTU2/STU3"
                elif e in old:
                    what = "a plain code here is the DSTU2/STU3 form; R4 has a CodeableConcept"
                else:
                    what = f"not valid FHIR R4 ({e['msg'].lower()}); {hint}"
                reader.version_problems.append(
                    Problem(at(prefix, pointer("", tuple(e["loc"]))), what)
                )
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        value = first.get("input") if first["type"] != "missing" else None
        reader.reject(
            at(prefix, pointer("", tuple(first["loc"]))) if first["loc"] else prefix,
            f"not valid FHIR R4: {first['msg'].lower()}{more}",
            value if isinstance(value, str | int | float) else None,
            NOT_VALID,
        )
        return False
    return True
