"""Who is at the other end of a request: the client's address and user agent.

The address is the socket's peer, unless that peer is one of the operator's
trusted proxies (NITIDA_TRUSTED_PROXIES) and NITIDA_TRUSTED_PROXY_HEADER is
set: then it is the right-most address of that header that is not itself a
trusted proxy (the left part of X-Forwarded-For is whatever the client wrote).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from nitida.core import bounds


@dataclass(frozen=True, slots=True)
class ClientInfo:
    address: str | None = None
    user_agent: str | None = None


UNKNOWN_CLIENT = ClientInfo()


class ClientResolver:
    def __init__(self, header: str | None, trusted_proxies: Iterable[str]) -> None:
        self.header = header.lower().encode("latin-1") if header else None
        self.trusted = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def resolve(self, peer: str | None, headers: Iterable[tuple[bytes, bytes]]) -> ClientInfo:
        user_agent = None
        forwarded: list[str] = []
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")[: bounds.USER_AGENT]
            elif self.header is not None and name == self.header:
                forwarded += [part.strip() for part in value.decode("latin-1").split(",")]
        address = peer
        if self.header is not None and peer is not None and self._is_trusted(peer):
            for candidate in reversed(forwarded):
                if not _valid(candidate):
                    break  # garbage in the chain: stop at the last proxy we trust
                address = candidate
                if not self._is_trusted(candidate):
                    break
        return ClientInfo(address=(address or None) and address[: bounds.CLIENT_ADDRESS], user_agent=user_agent)

    def is_https(self, scheme: str, peer: str | None, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether the browser reached us over TLS: the socket's own scheme, or ``X-Forwarded-Proto`` when,
        and only when, the peer is one of NITIDA_TRUSTED_PROXIES (the same trust that names the client's
        address; uvicorn's own proxy handling is off, ``nitida serve``)."""
        if scheme == "https":
            return True
        if peer is None or not self._is_trusted(peer):
            return False
        for name, value in headers:
            if name == b"x-forwarded-proto":
                return value.decode("latin-1").split(",")[0].strip().lower() == "https"
        return False


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
