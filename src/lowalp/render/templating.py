"""The one way the project builds a Jinja environment for a package's templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2


def template_environment(package: str, folder: str = "templates") -> jinja2.Environment:
    """Templates of ``package`` with the project's settings: every output escaped, an undefined
    name an error, tidy whitespace. Jinja2 is imported here, so callers stay light to import."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
