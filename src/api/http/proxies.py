"""Trusting a TLS-terminating proxy: the scheme and client address it forwards.

Behind a load balancer the connection arrives as plain http from the balancer's address, so
without this the session cookie would never be `Secure`, HSTS never sent and every client
would share the balancer's rate limits. Only connections from `CRM_TRUSTED_PROXIES` may set
`X-Forwarded-Proto` and `X-Forwarded-For`; anyone else could forge them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The settings' addresses and networks (`10.0.0.0/8`, `127.0.0.1`)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def is_trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TrustedProxyHeaders:
    """ASGI middleware: take the scheme and client address from a trusted proxy's headers.

    The client is the rightmost `X-Forwarded-For` address that is not itself a trusted
    proxy (addresses further left were written by the client and prove nothing).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            settings = scope["app"].state.services.settings
            networks = trusted_networks(tuple(settings.trusted_proxies))
            client = scope.get("client")
            if networks and client and is_trusted(client[0], networks):
                headers = dict(scope["headers"])
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1")
                proto = proto.split(",")[-1].strip().lower()
                if proto in ("http", "https") and scope["type"] == "http":
                    scope["scheme"] = proto
                elif proto in ("http", "https"):
                    scope["scheme"] = proto.replace("http", "ws")
                forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                for address in reversed([a.strip() for a in forwarded.split(",") if a.strip()]):
                    if not is_trusted(address, networks):
                        scope["client"] = (address, 0)
                        break
        await self.app(scope, receive, send)
