"""Client addresses: who is on the other end once trusted proxies are looked through, and the
truncated form of an address that is kept. Pure code: no Django; the settings are arguments."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """'127.0.0.1, 10.0.0.0/8, ::1' as networks; ValueError naming an entry that is not one."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(found)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_ip(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    address in X-Forwarded-For that is not a trusted proxy (read from the right, since a client
    can put anything on the left). An unreadable entry ends the walk at the last good address."""
    current = _address(peer)
    if current is None:
        return peer
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()] if forwarded_for else []
    while any(current in net for net in trusted) and hops:
        previous = _address(hops.pop())
        if previous is None:
            break
        current = previous
    return str(current)


@functools.lru_cache(maxsize=65_536)
def anonymized(ip: str) -> str:
    """An address with its host part zeroed — the last octet of IPv4, all but the first 48 bits
    of IPv6 — so it still says roughly where, never who. Text that is not an address is kept
    as it is, but no longer than an address. (Every tracked message passes here: a plain IPv4
    address takes a string fast path, and recent answers are remembered.)"""
    parts = ip.split(".")
    if len(parts) == 4 and all(
        p.isdigit() and len(p) <= 3 and int(p) <= 255 and (p == "0" or p[0] != "0") for p in parts
    ):
        return f"{parts[0]}.{parts[1]}.{parts[2]}.0"
    address = _address(ip)
    if address is None:
        return ip[:45]
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
