"""CDS Hooks 2.0 service: discovery, ``patient-view`` and ``order-select`` services, feedback.

See docs/cds-hooks.md for EHR integrators. Modules: :mod:`.discovery` (services and prefetch
templates), :mod:`.request` (checking a call), :mod:`.auth` (JWT verification),
:mod:`.prefetch` and :mod:`.fhir_client` (getting the data, turning it into a Case),
:mod:`.services` (what each hook does), :mod:`.cards` (assessment -> cards), :mod:`.feedback`,
:mod:`.routes` (the endpoints).
"""

from __future__ import annotations

from lowalp.web.cds.routes import router

__all__ = ["router"]
