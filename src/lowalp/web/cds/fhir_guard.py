"""Where the CDS Hooks service may fetch from: only the FHIR base URLs configured for the
caller's issuer, and only public addresses.

A request's ``fhirServer`` is used only when, once normalised (scheme and host in lower case,
the default port dropped, no trailing slash), it equals a base URL configured with
``--cds-fhir-server`` for the issuer of the call's JWT (in ``--cds-allow-unsigned`` mode: for any
issuer). Configured and requested URLs must be ``https`` (``http`` only with
``--cds-fhir-insecure``), with no user name or password, query or fragment.

Every connection is checked when it is made, after DNS resolution, by :class:`GuardedBackend`:
an address that is loopback, private, link-local (cloud metadata), multicast, reserved or
unspecified is refused (allowed only with ``--cds-fhir-insecure``), and the connection goes to
the address that was checked, so a name that resolves differently a moment later changes
nothing. Redirects are not followed and no proxy from the environment is used.

Whatever fails, the caller gets the same 412 (no hint of what is listening where).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing
from functools import lru_cache
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from lowalp.errors import InputError, Problem
from lowalp.web.settings import WebSettings


def normalise(url: str, *, insecure: bool) -> str | None:
    """The comparable form of a FHIR base URL, or None when it may not be used."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in (("https", "http") if insecure else ("https",)):
        return None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return None
    if parts.query or parts.fragment or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def check_configured(settings: WebSettings) -> None:
    """Refuse, at start-up, a configured FHIR server that could never be used."""
    problems = [
        Problem(
            "--cds-fhir-server",
            "must be an https URL without user, password, query or fragment "
            "(http only with --cds-fhir-insecure)",
            value=url.split("@")[-1][:200],
        )
        for issuer in settings.cds_issuers
        for url in issuer.fhir_servers
        if normalise(url, insecure=settings.cds_fhir_insecure) is None
    ]
    if problems:
        raise InputError(problems)


def allowed_server(settings: WebSettings, issuer: str | None, requested: str) -> str | None:
    """The configured base URL that ``requested`` names, for calls of ``issuer`` (None: an
    unsigned call in development mode, which may use any configured server), or None."""
    insecure = settings.cds_fhir_insecure
    wanted = normalise(requested, insecure=insecure)
    if wanted is None:
        return None
    for configured in settings.cds_issuers:
        if issuer is not None and configured.issuer != issuer:
            continue
        for url in configured.fhir_servers:
            if normalise(url, insecure=insecure) == wanted:
                return wanted
    return None


def address_allowed(address: str, *, insecure: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if insecure:
        return not (ip.is_multicast or ip.is_unspecified)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


class AddressRefused(httpcore.ConnectError):
    """The name resolved to an address the service may not contact."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with every address checked after resolution."""

    def __init__(self, *, insecure: bool) -> None:
        self.insecure = insecure
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            raise httpcore.ConnectError("name not resolved") from None
        addresses = [str(info[4][0]) for info in found]
        if not addresses or not all(address_allowed(a, insecure=self.insecure) for a in addresses):
            raise AddressRefused("address not allowed")
        return await self.inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def guarded_transport(settings: WebSettings) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through :class:`GuardedBackend` (TLS still
    checks the certificate against the host name of the URL)."""
    transport = httpx.AsyncHTTPTransport(verify=_ssl_context(), trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=_ssl_context(),
        max_connections=10,
        network_backend=GuardedBackend(insecure=settings.cds_fhir_insecure),
    )
    return transport
