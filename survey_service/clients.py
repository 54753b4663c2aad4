"""Who is asking: the client's address behind trusted proxies, and keyed hashes of it.

Pure helpers (no database). Raw addresses are only ever held in memory: anything stored or used
as a rate-limit key goes through :func:`keyed_hash` first.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"  # the address of a request without a usable peer (e.g. a Unix socket)


@lru_cache(maxsize=16)
def parse_trusted(text: str) -> tuple[Network, ...]:
    """The networks in a comma-separated list of IPs or CIDRs; ValueError names a bad entry."""
    networks: list[Network] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"trusted proxies: {entry!r} is not an IP address or CIDR network "
                "(expected e.g. 10.0.0.5, 10.0.0.0/8 or 2001:db8::/32)"
            ) from exc
    return tuple(networks)


def parse_address(text: str | None) -> Address | None:
    """An IP address from a peer or X-Forwarded-For entry (ports and brackets allowed), or None."""
    if not text:
        return None
    entry = text.strip()
    if entry.startswith("["):  # "[2001:db8::1]:443"
        entry = entry[1 : entry.find("]")] if "]" in entry else ""
    elif entry.count(":") == 1:  # "203.0.113.9:5678"
        entry = entry.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; compare and hash them as IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the peer, or, behind trusted proxies, the first untrusted hop.

    X-Forwarded-For is read from the right (each proxy appends the address it saw) and only while
    the hops are trusted proxies, so a client cannot choose its address by sending the header.
    A malformed entry stops the walk at the last proxy that was believed: what lies left of it
    came from someone we cannot vouch for.
    """
    current = parse_address(peer)
    if current is None:
        return peer.strip() if peer and peer.strip() else UNKNOWN
    if not forwarded_for:
        return str(current)
    for raw in reversed(forwarded_for.split(",")):
        if not _is_trusted(current, trusted):
            break
        hop = parse_address(raw)
        if hop is None:
            break
        current = hop
    return str(current)


def address_bucket(address: str) -> str:
    """The unit to rate-limit: an IPv4 address as is, an IPv6 address as its /64 network.

    One IPv6 subscriber usually holds a whole /64, so limiting single IPv6 addresses is void.
    """
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 hex of ``value`` under a key derived from ``secret`` and ``purpose``.

    Deriving one key per purpose means the hash used for rate limiting cannot be matched with
    the one kept on a response; without the secret the value cannot be recovered by guessing.
    """
    if not secret:
        raise ValueError("keyed_hash needs a non-empty secret")
    purpose_key = hmac.new(secret.encode(), b"par-survey:" + purpose.encode(), hashlib.sha256)
    return hmac.new(purpose_key.digest(), value.encode(), hashlib.sha256).hexdigest()


def request_client(request: Request) -> str:
    """The client address of a request, believing X-Forwarded-For only from trusted proxies."""
    trusted = parse_trusted(request.app.state.settings.trusted_proxies)
    peer = request.client.host if request.client else None
    # Repeated headers mean the same as one comma-joined header (RFC 9110 §5.3).
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    return client_address(peer, forwarded or None, trusted)
