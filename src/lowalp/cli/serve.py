"""``lowalp serve``: the web app, REST API and CDS Hooks service under uvicorn."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lowalp.cli.common import say
from lowalp.errors import InputError, Problem
from lowalp.web.settings import TUNABLE, CdsIssuer, WebSettings, env_name, issuers_to_env

EXIT_OK = 0


@dataclass
class _Issuer:
    issuer: str
    jwks: list[str] = field(default_factory=list)
    fhir_servers: list[str] = field(default_factory=list)


class _IssuerAction(argparse.Action):
    """``--cds-issuer`` starts an issuer; ``--cds-jwks`` and ``--cds-fhir-server`` belong to
    the last one given before them."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, value: Any, opt: Any = None
    ) -> None:
        issuers: list[_Issuer] = getattr(ns, "cds_groups", None) or []
        if self.dest == "cds_issuer":
            issuers.append(_Issuer(value))
        elif not issuers:
            parser.error(f"{opt} must follow the --cds-issuer it belongs to")
        elif self.dest == "cds_jwks":
            issuers[-1].jwks.append(value)
        else:
            issuers[-1].fhir_servers.append(value)
        ns.cds_groups = issuers


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("serve", help="run the web app, REST API and CDS Hooks service")
    s.set_defaults(cds_groups=[])
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument(
        "--cds-issuer",
        action=_IssuerAction,
        metavar="ISS",
        help="an EHR allowed to call the CDS Hooks service (repeat; each followed by its "
        "--cds-jwks and any --cds-fhir-server)",
    )
    s.add_argument(
        "--cds-jwks",
        action=_IssuerAction,
        metavar="FILE_OR_URL",
        help="the JWKS of the --cds-issuer before it",
    )
    s.add_argument(
        "--cds-fhir-server",
        action=_IssuerAction,
        metavar="URL",
        help="a FHIR base URL the --cds-issuer before it may name in fhirServer (repeat); "
        "nothing else is ever fetched",
    )
    s.add_argument(
        "--cds-fhir-insecure",
        action="store_true",
        help="DEVELOPMENT ONLY: configured FHIR servers may be plain http on loopback or "
        "private addresses",
    )
    s.add_argument(
        "--cds-allow-unsigned",
        action="store_true",
        help="DEVELOPMENT ONLY: accept CDS Hooks calls without a valid JWT",
    )
    s.add_argument("--public-url", help="the URL clients use (for the CDS JWT audience check)")
    s.add_argument(
        "--runtime-dir",
        type=Path,
        help="a private folder for state the workers share (CDS jti replay store); "
        "default: a new one for this run",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; 2 uses both cores of a small machine)",
    )
    s.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    defaults = WebSettings()
    limits = s.add_argument_group("limits")
    for name, kind, meaning in TUNABLE:
        limits.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            default=getattr(defaults, name),
            metavar="N",
            help=f"{meaning} (default {getattr(defaults, name)})",
        )


def _issuers(args: argparse.Namespace) -> tuple[CdsIssuer, ...]:
    out = []
    for group in args.cds_groups:
        if len(group.jwks) != 1:
            raise InputError(
                [
                    Problem(
                        "--cds-issuer/--cds-jwks",
                        "give one --cds-jwks after each --cds-issuer",
                        value=group.issuer,
                        hint="--cds-issuer https://ehr.example --cds-jwks keys.json",
                    )
                ]
            )
        out.append(CdsIssuer(group.issuer, group.jwks[0], tuple(group.fhir_servers)))
    return tuple(out)


def settings_from_args(args: argparse.Namespace) -> WebSettings:
    from lowalp.web.cds.fhir_guard import check_configured

    settings = WebSettings(
        host=args.host,
        port=args.port,
        knowledge=Path(args.knowledge) if args.knowledge else None,
        cds_issuers=_issuers(args),
        cds_allow_unsigned=args.cds_allow_unsigned,
        cds_fhir_insecure=args.cds_fhir_insecure,
        public_base_url=args.public_url,
        **{name: getattr(args, name) for name, _, _ in TUNABLE},
    )
    check_configured(settings)
    return settings


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise InputError(
            [Problem("serve", "the web extra is not installed", hint="pip install 'lowalp[web]'")]
        ) from None
    from dataclasses import replace

    from lowalp.web import create_app, runtime
    from lowalp.web.logs import configure_logging

    settings = settings_from_args(args)
    settings = replace(settings, runtime_dir=runtime.prepare(args.runtime_dir))
    configure_logging(args.log_level.upper())
    say(
        f"serving on http://{args.host}:{args.port}/  (API docs: http://{args.host}:{args.port}/docs)"
    )
    if args.cds_allow_unsigned:
        say("WARNING: CDS Hooks JWT verification is OFF (--cds-allow-unsigned); development only")
    elif not settings.cds_issuers:
        say("CDS Hooks: no --cds-issuer configured, so every CDS call will be refused (401)")
    if args.cds_fhir_insecure:
        say("WARNING: --cds-fhir-insecure: FHIR servers over http and on private addresses")
    if args.workers > 1:
        _run_workers(settings, args.workers, args.log_level)
    else:
        app = create_app(settings)
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=False,
            log_config=None,  # the handlers configure_logging set up
        )
    return EXIT_OK


def _run_workers(settings: WebSettings, workers: int, log_level: str) -> None:
    """Several uvicorn workers over :func:`lowalp.web.app:factory`, which reads the settings
    from the environment (several workers need an import string)."""
    import os
    import socket

    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    os.environ.update(
        {
            "LOWALP_WEB_HOST": settings.host,
            "LOWALP_WEB_PORT": str(settings.port),
            "LOWALP_CDS_ALLOW_UNSIGNED": "1" if settings.cds_allow_unsigned else "",
            "LOWALP_CDS_FHIR_INSECURE": "1" if settings.cds_fhir_insecure else "",
            "LOWALP_CDS_ISSUERS": issuers_to_env(settings.cds_issuers),
            "LOWALP_WEB_LOG_LEVEL": log_level.upper(),
            **{env_name(name): str(getattr(settings, name)) for name, _, _ in TUNABLE},
        }
    )
    if settings.runtime_dir:
        os.environ["LOWALP_WEB_RUNTIME_DIR"] = str(settings.runtime_dir)
    if settings.knowledge:
        os.environ["LOWALP_WEB_KNOWLEDGE"] = str(settings.knowledge)
    if settings.public_base_url:
        os.environ["LOWALP_WEB_PUBLIC_URL"] = settings.public_base_url
    config = Config(
        "lowalp.web.app:factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        log_config=None,
    )
    # uvicorn binds its own socket with protocol 0, which leaves Nagle's algorithm on, so small
    # responses wait for the client's delayed ACK (~40 ms; uvicorn issue #3149). Bind it as TCP
    # here and hand it to uvicorn's supervisor.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()
