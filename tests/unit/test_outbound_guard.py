"""The outbound URL guard: only http(s), only allowlisted hosts, never internal addresses by surprise."""
import ipaddress

import pytest

from gis_tracker.services.platform.outbound import Allowlist, OutboundRefused, check_url


def resolver_to(*addresses):
    return lambda host, port: [ipaddress.ip_address(a) for a in addresses]


PUBLIC = resolver_to("114.114.114.114")


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "scheme"),
    ("gopher://tiles.local/", "scheme"),
    ("ftp://tiles.local/x", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("http://evil.example/tiles", "host_not_allowed"),
    ("http://127.0.0.1:5000/admin", "host_not_allowed"),
    ("http://169.254.169.254/latest/meta-data/", "host_not_allowed"),
    ("http://[::1]/", "host_not_allowed"),
    ("http://user:pw@tiles.local/", "malformed"),
    ("http://tiles.local:99999/", "malformed"),
    ("http:///nohost", "malformed"),
])
def test_refused_urls(url, reason):
    with pytest.raises(OutboundRefused) as err:
        check_url(url, Allowlist.parse("tiles.local"), resolver=PUBLIC)
    assert err.value.details["reason"] == reason


def test_allowlisted_name_resolving_to_a_public_address_is_allowed():
    target = check_url("https://tiles.local/{z}".replace("{z}", "12/1/2.png"), Allowlist.parse("tiles.local"),
                       resolver=PUBLIC)
    assert (target.host, target.port, target.path, target.address) == ("tiles.local", 443, "/12/1/2.png",
                                                                       "114.114.114.114")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.1.5", "172.16.0.9", "::1", "fc00::5"])
def test_allowlisted_name_resolving_inside_needs_the_network_allowlisted_too(address):
    """DNS rebinding: an allowlisted name that suddenly points inside is refused."""
    with pytest.raises(OutboundRefused) as err:
        check_url("http://tiles.local/", Allowlist.parse("tiles.local"), resolver=resolver_to(address))
    assert err.value.details["reason"] == "address_refused"
    network = "10.0.0.0/8,127.0.0.0/8,192.168.0.0/16,172.16.0.0/12,::1/128,fc00::/7"
    assert check_url("http://tiles.local/", Allowlist.parse("tiles.local," + network),
                     resolver=resolver_to(address)).address == address


@pytest.mark.parametrize("address", ["169.254.169.254", "169.254.1.1", "fe80::1", "0.0.0.0", "224.0.0.1"])
def test_metadata_link_local_and_odd_addresses_are_always_refused(address):
    with pytest.raises(OutboundRefused):
        check_url("http://tiles.local/", Allowlist.parse("tiles.local,0.0.0.0/0,::/0"),
                  resolver=resolver_to(address))


def test_one_bad_address_among_several_refuses_the_host():
    with pytest.raises(OutboundRefused):
        check_url("http://tiles.local/", Allowlist.parse("tiles.local"),
                  resolver=resolver_to("114.114.114.114", "127.0.0.1"))


def test_ip_literal_must_be_covered_by_a_network_entry():
    assert check_url("http://10.20.0.5:8080/t", Allowlist.parse("10.20.0.0/16"),
                     resolver=PUBLIC).address == "10.20.0.5"
    with pytest.raises(OutboundRefused):
        check_url("http://10.21.0.5/t", Allowlist.parse("10.20.0.0/16"), resolver=PUBLIC)


def test_empty_allowlist_refuses_everything():
    with pytest.raises(OutboundRefused):
        check_url("https://tiles.local/", Allowlist.parse(""), resolver=PUBLIC)
