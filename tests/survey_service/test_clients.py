"""Client addresses behind trusted proxies, and keyed hashes of them."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from survey_service import clients
from survey_service.settings import Settings

PROXIES = clients.parse_trusted("10.0.0.0/8, 192.0.2.10, 2001:db8:ffff::/48")


def address(peer: str | None, forwarded_for: str | None = None) -> str:
    return clients.client_address(peer, forwarded_for, PROXIES)


# --- parse_trusted ------------------------------------------------------------------------------


def test_parse_trusted_reads_addresses_and_networks_and_skips_blanks() -> None:
    assert clients.parse_trusted(" 127.0.0.1 ,, 10.0.0.0/8, ::1, 2001:db8::/32 ,") == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("2001:db8::/32"),
    )


def test_parse_trusted_of_nothing_trusts_nobody() -> None:
    nobody = clients.parse_trusted("")
    assert nobody == ()
    assert clients.client_address("10.0.0.1", "203.0.113.7", nobody) == "10.0.0.1"


@pytest.mark.parametrize("entry", ["proxy.local", "10.0.0.0/33", "300.1.1.1", "10.0.0.1:80"])
def test_parse_trusted_names_the_bad_entry(entry: str) -> None:
    with pytest.raises(ValueError, match=f"'{entry}' is not an IP address or CIDR network"):
        clients.parse_trusted(f"10.0.0.1, {entry}")


# --- client_address -----------------------------------------------------------------------------


def test_an_untrusted_peer_is_the_client() -> None:
    assert address("203.0.113.7") == "203.0.113.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"
    assert address("203.0.113.7", "10.0.0.1") == "203.0.113.7"


def test_a_trusted_proxy_is_believed_about_its_client() -> None:
    assert address("10.1.2.3", "198.51.100.23") == "198.51.100.23"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    chain = "198.51.100.23, 192.0.2.10, 10.9.9.9"
    assert address("10.1.2.3", chain) == "198.51.100.23"


def test_addresses_a_client_prepends_are_ignored() -> None:
    # The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.5"; our proxy appended what it saw.
    assert address("10.1.2.3", "1.1.1.1, 10.0.0.5, 198.51.100.23") == "198.51.100.23"


def test_an_untrusted_hop_inside_the_chain_ends_the_walk() -> None:
    # 198.51.100.99 is not our proxy, so whatever it forwarded (203.0.113.1) is unverifiable.
    assert address("10.1.2.3", "203.0.113.1, 198.51.100.99, 10.0.0.7") == "198.51.100.99"


def test_a_chain_of_only_trusted_proxies_yields_the_leftmost() -> None:
    assert address("10.1.2.3", "10.0.0.1, 10.0.0.2") == "10.0.0.1"


def test_repeated_headers_joined_by_commas_are_one_chain() -> None:
    assert address("10.1.2.3", "198.51.100.1,198.51.100.2") == "198.51.100.2"


def test_ipv6_peer_and_chain() -> None:
    assert address("2001:db8:ffff::1", "2001:db8:1:2::abcd, 2001:db8:ffff::2") == (
        "2001:db8:1:2::abcd"
    )
    assert address("2001:DB8:0:0::0001") == "2001:db8::1"


def test_bracketed_ipv6_and_ports_in_forwarded_for_are_understood() -> None:
    assert address("10.1.2.3", "[2001:db8::7]:443") == "2001:db8::7"
    assert address("10.1.2.3", "198.51.100.4:51234") == "198.51.100.4"


def test_ipv4_mapped_ipv6_peers_count_as_ipv4() -> None:
    assert address("::ffff:10.1.2.3", "198.51.100.23") == "198.51.100.23"
    assert address("::ffff:203.0.113.7") == "203.0.113.7"


@pytest.mark.parametrize(
    "garbage",
    ["unknown", "", " ", "<script>", "300.1.1.1", "[::1", "_hidden", "1.2.3", "\x00"],
)
def test_a_malformed_entry_stops_at_the_last_trusted_proxy(garbage: str) -> None:
    assert address("10.1.2.3", f"198.51.100.66, {garbage}") == "10.1.2.3"
    assert address("10.1.2.3", f"198.51.100.66, {garbage}, 10.0.0.9") == "10.0.0.9"


def test_malformed_entries_left_of_the_client_do_not_matter() -> None:
    assert address("10.1.2.3", "nonsense;;, ,198.51.100.23") == "198.51.100.23"


def test_a_huge_header_of_garbage_is_harmless() -> None:
    assert address("10.1.2.3", "x," * 10_000 + "198.51.100.23") == "198.51.100.23"
    assert address("203.0.113.7", "x," * 10_000) == "203.0.113.7"


def test_a_missing_or_non_ip_peer() -> None:
    assert address(None, "198.51.100.23") == clients.UNKNOWN
    assert address("", None) == clients.UNKNOWN
    assert address("testclient", "198.51.100.23") == "testclient"


# --- address_bucket -----------------------------------------------------------------------------


def test_ipv6_addresses_are_limited_per_64_network() -> None:
    first = clients.address_bucket("2001:db8:1:2::1")
    assert first == "2001:db8:1:2::/64"
    assert clients.address_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff") == first
    assert clients.address_bucket("2001:db8:1:3::1") != first


def test_ipv4_addresses_are_limited_one_by_one() -> None:
    assert clients.address_bucket("203.0.113.7") == "203.0.113.7"
    assert clients.address_bucket(clients.UNKNOWN) == clients.UNKNOWN


# --- keyed_hash ---------------------------------------------------------------------------------


def test_keyed_hash_is_stable_hex_sha256() -> None:
    digest = clients.keyed_hash("secret", "ratelimit", "203.0.113.7")
    assert digest == clients.keyed_hash("secret", "ratelimit", "203.0.113.7")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert "203.0.113.7" not in digest


def test_keyed_hash_differs_per_purpose_secret_and_value() -> None:
    base = clients.keyed_hash("secret", "ratelimit", "203.0.113.7")
    assert clients.keyed_hash("secret", "response", "203.0.113.7") != base
    assert clients.keyed_hash("other-secret", "ratelimit", "203.0.113.7") != base
    assert clients.keyed_hash("secret", "ratelimit", "203.0.113.8") != base


def test_keyed_hash_keeps_purpose_and_value_apart() -> None:
    assert clients.keyed_hash("s", "rate", "limit:x") != clients.keyed_hash("s", "ratelimit", ":x")


def test_keyed_hash_is_neither_a_plain_hash_nor_a_plain_hmac_of_the_value() -> None:
    value = "203.0.113.7"
    digest = clients.keyed_hash("secret", "ratelimit", value)
    assert digest != hashlib.sha256(value.encode()).hexdigest()
    assert digest != hmac.new(b"secret", value.encode(), hashlib.sha256).hexdigest()


def test_keyed_hash_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        clients.keyed_hash("", "ratelimit", "203.0.113.7")


# --- request_client -----------------------------------------------------------------------------


def make_request(peer: str | None, trusted: str, *forwarded: str) -> Request:
    settings = Settings(secret_key="x", trusted_proxies=trusted)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/s/ABC",
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
        "client": (peer, 51234) if peer else None,
        "app": SimpleNamespace(state=SimpleNamespace(settings=settings)),
    }
    return Request(scope)


def test_request_client_believes_only_configured_proxies() -> None:
    behind_proxy = make_request("10.0.0.2", "10.0.0.0/8", "1.1.1.1, 198.51.100.9")
    assert clients.request_client(behind_proxy) == "198.51.100.9"
    spoofed = make_request("203.0.113.7", "10.0.0.0/8", "198.51.100.9")
    assert clients.request_client(spoofed) == "203.0.113.7"
    assert clients.request_client(make_request("10.0.0.2", "", "198.51.100.9")) == "10.0.0.2"


def test_request_client_reads_every_forwarded_for_header() -> None:
    request = make_request("10.0.0.2", "10.0.0.0/8", "1.1.1.1", "198.51.100.9, 10.0.0.3")
    assert clients.request_client(request) == "198.51.100.9"


def test_request_client_without_a_peer_is_unknown() -> None:
    assert clients.request_client(make_request(None, "10.0.0.0/8", "198.51.100.9")) == "unknown"
