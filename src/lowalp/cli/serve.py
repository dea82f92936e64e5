"""``lowalp serve``: the web app, REST API and CDS Hooks service under uvicorn."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from lowalp.cli.common import say
from lowalp.errors import InputError, Problem
from lowalp.web.settings import WebSettings

EXIT_OK = 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("serve", help="run the web app, REST API and CDS Hooks service")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument(
        "--cds-issuer",
        action="append",
        default=[],
        metavar="ISS",
        help="an EHR allowed to call the CDS Hooks service (repeat, paired with --cds-jwks)",
    )
    s.add_argument(
        "--cds-jwks",
        action="append",
        default=[],
        metavar="FILE_OR_URL",
        help="the JWKS of the matching --cds-issuer",
    )
    s.add_argument(
        "--cds-allow-unsigned",
        action="store_true",
        help="DEVELOPMENT ONLY: accept CDS Hooks calls without a valid JWT",
    )
    s.add_argument("--public-url", help="the URL clients use (for the CDS JWT audience check)")
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; 2 uses both cores of a small machine)",
    )
    s.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise InputError(
            [Problem("serve", "the web extra is not installed", hint="pip install 'lowalp[web]'")]
        ) from None
    from lowalp.web import CdsIssuer, create_app

    if len(args.cds_issuer) != len(args.cds_jwks):
        raise InputError(
            [
                Problem(
                    "--cds-issuer/--cds-jwks",
                    "give them in pairs: one --cds-jwks for each --cds-issuer",
                    hint="--cds-issuer https://ehr.example --cds-jwks keys.json",
                )
            ]
        )
    settings = WebSettings(
        host=args.host,
        port=args.port,
        knowledge=Path(args.knowledge) if args.knowledge else None,
        cds_issuers=tuple(
            CdsIssuer(i, j) for i, j in zip(args.cds_issuer, args.cds_jwks, strict=True)
        ),
        cds_allow_unsigned=args.cds_allow_unsigned,
        public_base_url=args.public_url,
    )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings)
    say(
        f"serving on http://{args.host}:{args.port}/  (API docs: http://{args.host}:{args.port}/docs)"
    )
    if args.cds_allow_unsigned:
        say("WARNING: CDS Hooks JWT verification is OFF (--cds-allow-unsigned); development only")
    elif not settings.cds_issuers:
        say("CDS Hooks: no --cds-issuer configured, so every CDS call will be refused (401)")
    if args.workers > 1:
        _run_workers(settings, args.workers, args.log_level)
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return EXIT_OK


def _run_workers(settings: WebSettings, workers: int, log_level: str) -> None:
    """Several uvicorn workers over :func:`lowalp.web.app.factory`, which reads the settings
    from the environment (several workers need an import string)."""
    import os
    import socket

    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    os.environ.update(
        {
            "LOWALP_WEB_HOST": settings.host,
            "LOWALP_WEB_PORT": str(settings.port),
            "LOWALP_WEB_MAX_BODY_BYTES": str(settings.max_body_bytes),
            "LOWALP_CDS_ALLOW_UNSIGNED": "1" if settings.cds_allow_unsigned else "",
            "LOWALP_CDS_ISSUERS": " ".join(f"{i.issuer}={i.jwks}" for i in settings.cds_issuers),
        }
    )
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
    )
    # uvicorn binds its own socket with protocol 0, which leaves Nagle's algorithm on, so small
    # responses wait for the client's delayed ACK (~40 ms; uvicorn issue #3149). Bind it as TCP
    # here and hand it to uvicorn's supervisor.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()
