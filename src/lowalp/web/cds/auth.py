"""Verify the JWT an EHR sends with every CDS Hooks call (CDS Hooks 2.0, "Trusting CDS Clients").

A call is accepted only when its ``Authorization: Bearer`` token

- is signed with an asymmetric algorithm (RS*, PS*, ES*; never ``none`` or HS*),
- names in ``kid`` a key of the JWKS configured for its ``iss`` (issuers not configured are
  refused; the token's ``jku`` is never followed),
- has ``aud`` equal to the URL that was called, ``exp`` in the future (with a small leeway) and
  no more than an hour away, ``iat``, and a ``jti`` not seen before (kept until it expires, in
  a SQLite file of the server's runtime folder that all its workers share).

Any failure gives the same bare 401. The log records only the category of the failure, never
the token or its claims.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx
import jwt

from lowalp.web.settings import CdsIssuer

log = logging.getLogger("lowalp.web.cds")

ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 3600
"""Tokens valid for longer are refused: CDS Hooks tokens are per call and short-lived."""
JWKS_TTL_SECONDS = 300
JWKS_REFETCH_SECONDS = 10
"""An unknown ``kid`` triggers a refetch at most this often per issuer."""
JWKS_TIMEOUT_SECONDS = 3.0
REPLAY_PRUNE_EVERY = 1000


class Unauthorized(Exception):
    """The call is refused; ``category`` is for the log only."""

    def __init__(self, category: str) -> None:
        super().__init__(category)
        self.category = category


@dataclass(frozen=True)
class JwksKey:
    jwk: jwt.PyJWK
    alg: str | None
    """The ``alg`` the JWK declares, if any."""


@dataclass
class _KeySet:
    keys: dict[str, JwksKey]
    fetched: float


@dataclass
class JwksCache:
    """Public keys per issuer, from a file or an https URL, refreshed after a TTL or when a
    token names a key not yet seen."""

    issuers: dict[str, CdsIssuer]
    transport: httpx.AsyncBaseTransport | None = None
    _sets: dict[str, _KeySet] = field(default_factory=dict)
    _tried: dict[str, float] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def key(self, issuer: str, kid: str) -> JwksKey | None:
        found = self._lookup(issuer, kid, fresh_only=True)
        if found is not None or not self._may_fetch(issuer):
            return found or self._lookup(issuer, kid, fresh_only=False)
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:  # one fetch per issuer at a time
            found = self._lookup(issuer, kid, fresh_only=True)
            if found is None and self._may_fetch(issuer):
                await self._refresh(issuer)
        # a stale set still serves when the refresh failed
        return self._lookup(issuer, kid, fresh_only=False)

    def _lookup(self, issuer: str, kid: str, *, fresh_only: bool) -> JwksKey | None:
        cached = self._sets.get(issuer)
        if cached is None:
            return None
        if fresh_only and time.monotonic() - cached.fetched >= JWKS_TTL_SECONDS:
            return None
        return cached.keys.get(kid)

    def _may_fetch(self, issuer: str) -> bool:
        tried = self._tried.get(issuer)
        return tried is None or time.monotonic() - tried >= JWKS_REFETCH_SECONDS

    async def _refresh(self, issuer: str) -> None:
        self._tried[issuer] = time.monotonic()
        try:
            data = await self._read(self.issuers[issuer].jwks)
        except (OSError, ValueError, httpx.HTTPError) as exc:
            # keep a stale set if there is one: a JWKS host that is briefly down should not
            # lock every EHR out
            log.warning("CDS JWKS of a configured issuer unavailable (%s)", type(exc).__name__)
            return
        self._sets[issuer] = _KeySet(parse_jwks(data), time.monotonic())

    async def _read(self, where: str) -> Any:
        if where.startswith(("https://", "http://")):
            if not _fetch_allowed(where):
                raise ValueError("a JWKS URL must use https (http only on loopback)")
            async with httpx.AsyncClient(
                transport=self.transport, timeout=JWKS_TIMEOUT_SECONDS
            ) as client:
                response = await client.get(where, headers={"Accept": "application/json"})
                response.raise_for_status()
                return response.json()
        return json.loads(Path(where).read_text(encoding="utf-8"))


def _fetch_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_jwks(data: Any) -> dict[str, JwksKey]:
    """``kid`` -> key for the usable asymmetric public keys of a JWK Set; others are skipped."""
    keys: dict[str, JwksKey] = {}
    items = data.get("keys") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("kty") not in ("RSA", "EC"):
            continue
        kid = item.get("kid")
        if not isinstance(kid, str) or not kid or "d" in item:
            continue  # no kid, or a private key published by mistake
        alg = item.get("alg")
        if alg is not None and alg not in ALGORITHMS:
            continue
        try:
            keys[kid] = JwksKey(jwt.PyJWK(item), alg)
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    return keys


class ReplayStore:
    """``(iss, jti)`` pairs seen, each kept until its token expires (plus the leeway).

    With a ``path`` the pairs live in a small SQLite file (WAL journal), so every worker
    process of the server sees the same pairs and a worker that restarts forgets none; without
    one they are kept in this process's memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._seen: dict[tuple[str, str], float] = {}
        self._adds = 0
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, timeout=5.0, isolation_level=None,
                                       check_same_thread=False)  # fmt: skip
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS seen (iss TEXT NOT NULL, jti TEXT NOT NULL, "
                "exp REAL NOT NULL, PRIMARY KEY (iss, jti))"
            )
            os.chmod(path, 0o600)
        self._lock = threading.Lock()

    def check_and_add(self, issuer: str, jti: str, exp: float, now: float) -> bool:
        """False when the pair was seen before (a replay); otherwise remember it."""
        with self._lock:
            if self._db is not None:
                return self._check_db(self._db, issuer, jti, exp, now)
            key = (issuer, jti)
            if key in self._seen and self._seen[key] + LEEWAY_SECONDS >= now:
                return False
            self._seen[key] = exp
            self._adds += 1
            if self._adds % REPLAY_PRUNE_EVERY == 0:
                self._seen = {k: v for k, v in self._seen.items() if v + LEEWAY_SECONDS >= now}
            return True

    def _check_db(
        self, db: sqlite3.Connection, issuer: str, jti: str, exp: float, now: float
    ) -> bool:
        # one statement: inserted, or an expired pair taken over; a live pair stays (replay)
        cursor = db.execute(
            "INSERT INTO seen (iss, jti, exp) VALUES (?, ?, ?) "
            "ON CONFLICT (iss, jti) DO UPDATE SET exp = excluded.exp WHERE seen.exp + ? < ?",
            (issuer, jti, exp, LEEWAY_SECONDS, now),
        )
        fresh = cursor.rowcount == 1
        self._adds += 1
        if self._adds % REPLAY_PRUNE_EVERY == 0:
            db.execute("DELETE FROM seen WHERE exp + ? < ?", (LEEWAY_SECONDS, now))
        return fresh

    def __len__(self) -> int:
        if self._db is not None:
            row = self._db.execute("SELECT count(*) FROM seen").fetchone()
            return int(row[0])
        return len(self._seen)


@dataclass
class Verifier:
    issuers: tuple[CdsIssuer, ...]
    transport: httpx.AsyncBaseTransport | None = None
    jwks: JwksCache = field(init=False)
    replay: ReplayStore = field(default_factory=ReplayStore)
    """In memory unless given one on a file (:func:`replay_store`)."""

    def __post_init__(self) -> None:
        self.jwks = JwksCache({i.issuer: i for i in self.issuers}, self.transport)

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The verified claims, or :class:`Unauthorized`."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthorized("malformed token") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthorized("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("no kid")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer not in self.jwks.issuers:
            raise Unauthorized("issuer not allowed")
        key = await self.jwks.key(issuer, kid)
        if key is None:
            raise Unauthorized("unknown key")
        if not _fits(key, alg):
            raise Unauthorized("algorithm does not match the key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.jwk.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("wrong audience") from None
        except jwt.MissingRequiredClaimError:
            raise Unauthorized("missing claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("bad signature") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthorized("invalid token") from None
        now = time.time()
        exp = float(claims["exp"])
        if exp - now > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
            raise Unauthorized("lifetime too long")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise Unauthorized("missing claim")
        fresh = await anyio.to_thread.run_sync(self.replay.check_and_add, issuer, jti, exp, now)
        if not fresh:
            raise Unauthorized("replayed jti")
        return claims


def _fits(key: JwksKey, alg: str) -> bool:
    """The token's algorithm suits the key: the JWK's own ``alg`` when it declares one, else the
    key type (an EC key also fixes the curve, hence the algorithm)."""
    if key.alg is not None:
        return key.alg == alg
    if key.jwk.key_type == "EC":
        return key.jwk.algorithm_name == alg
    return alg[:2] in ("RS", "PS")
