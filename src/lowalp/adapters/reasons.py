"""Reasons a row of a long table (a laboratory's extract) is not used, shared by the readers of
``lowalp assess`` and by the screen, so that the same row is set aside for the same reason by
both.

A result without a date or day, in a patient whose other results are dated, cannot be placed
among them (it could be from any year of the extract): it is rejected as
:data:`MISSING_DATE`. A patient none of whose results is dated is a single panel: those
results are taken as drawn with the index ALP, with a warning.
"""

from __future__ import annotations

MISSING_DATE = "missing date"
