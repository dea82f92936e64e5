"""The clinician's pages: the case form, uploads, example cases and the report.

Server-rendered with Jinja2 (autoescaping on); everything works without JavaScript, and the one
small script in ``static/`` only narrows the unit menus and checks values as they are typed.
No patient data is stored: the report page carries its case as JSON in a hidden field, and the
patient tab, the PDF button and "Edit" post it back.

The report markup has one home, ``render/templates``: the report page is
:func:`~lowalp.render.html.render_html`'s document with the site's header and footer spliced
into its ``<body>`` (and the site stylesheet linked in its ``<head>``).

Modules: :mod:`.templating` (the Jinja environment), :mod:`.choices` (the analyte and unit
menus), :mod:`.form` (the form as typed, read from a post or filled from a case),
:mod:`.check` (the form into a case: errors, implausible-value questions, row messages),
:mod:`.examples` (``web/examples``), :mod:`.upload` (files read through
:mod:`lowalp.adapters`), :mod:`.report` (the report page and the PDF), :mod:`.routes`.
"""

from __future__ import annotations

from lowalp.web.pages.check import Checked, check_form
from lowalp.web.pages.choices import AnalyteChoice, UnitChoice, analyte_choices
from lowalp.web.pages.examples import Example, example_case, list_examples
from lowalp.web.pages.form import CaseForm, EventRow, LabRow, form_from_case, read_form
from lowalp.web.pages.report import report_page
from lowalp.web.pages.routes import router
from lowalp.web.pages.upload import Listed

__all__ = [
    "AnalyteChoice",
    "CaseForm",
    "Checked",
    "EventRow",
    "Example",
    "LabRow",
    "Listed",
    "UnitChoice",
    "analyte_choices",
    "check_form",
    "example_case",
    "form_from_case",
    "list_examples",
    "read_form",
    "report_page",
    "router",
]
