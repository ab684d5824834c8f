"""Client addresses through proxies, and their truncated form. Pure rules, table-driven."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.network import anonymized, client_ip, networks

TRUSTED = networks(["127.0.0.1", "::1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "", "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # an untrusted peer's header is not believed
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the left end is the client's to write
        ("127.0.0.1", "203.0.113.9, 10.1.2.3", "203.0.113.9"),  # two trusted hops
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),  # every hop trusted: the farthest one
        ("127.0.0.1", "nonsense, 203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "203.0.113.9, nonsense", "127.0.0.1"),  # unreadable: stop at the last good address
        ("127.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        ("127.0.0.1", "203.0.113.9:51234", "203.0.113.9"),
        ("::1", "2001:db8::7", "2001:db8::7"),
        ("", "203.0.113.9", ""),
    ],
)
def test_the_client_behind_trusted_proxies(peer, forwarded, expected):
    assert client_ip(peer, forwarded, TRUSTED) == expected


@pytest.mark.parametrize(
    ("ip", "kept"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::"),
        ("::ffff:203.0.113.77", "::"),
        ("not an address", "not an address"),
        ("x" * 100, "x" * 45),
    ],
)
def test_a_kept_address_says_roughly_where_never_who(ip, kept):
    assert anonymized(ip) == kept


@given(st.ip_addresses())
def test_truncation_keeps_the_network_and_is_idempotent(address):
    kept = ipaddress.ip_address(anonymized(str(address)))
    prefix = 24 if address.version == 4 else 48
    assert kept in ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    assert anonymized(str(kept)) == str(kept)


def test_a_bad_proxy_entry_is_named():
    with pytest.raises(ValueError, match=r"'proxy\.local' is not an IP address or network"):
        networks(["10.0.0.0/8", "proxy.local"])
