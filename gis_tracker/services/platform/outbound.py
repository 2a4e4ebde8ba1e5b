"""The one way the server fetches a URL on a user's behalf: allowlisted hosts only.

A URL is fetched only when all of these hold (else :class:`OutboundRefused`):

* its scheme is ``http`` or ``https`` (no ``file://``, ``gopher://``, ...);
* its host is on ``OUTBOUND_ALLOWLIST`` — a comma-separated list of host
  names (exact, case-insensitive) and IP addresses or networks (CIDR);
* every address the host resolves to is acceptable: link-local addresses
  (169.254.0.0/16 with the cloud metadata service 169.254.169.254,
  fe80::/10), multicast, unspecified and reserved addresses are always
  refused; loopback (127.0.0.0/8, ::1) and private ranges (10/8, 172.16/12,
  192.168/16, fc00::/7, 100.64/10) only when that address is covered by an
  IP or network entry of the allowlist — a host *name* on the list does not
  let it resolve to an internal address (DNS rebinding).

The connection then goes to the checked address itself (no second DNS
lookup), redirects are not followed, and the answer is read up to a limit.
"""
from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...errors import AppError

LOGGER = logging.getLogger(__name__)
ALWAYS_REFUSED = [ipaddress.ip_network(n) for n in (
    "169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128", "224.0.0.0/4", "ff00::/8", "240.0.0.0/4",
    "255.255.255.255/32", "::ffff:169.254.0.0/112")]
READ_LIMIT = 2 * 1024 * 1024


class OutboundRefused(AppError):
    """The URL may not be fetched by the server."""

    status = 400
    code = "outbound_refused"


@dataclass(frozen=True)
class Allowlist:
    """Host names and IP networks the server may contact."""

    hosts: frozenset[str]
    networks: tuple

    @classmethod
    def parse(cls, text: str) -> Allowlist:
        """Parse ``OUTBOUND_ALLOWLIST`` (names, IPs and CIDR networks, comma-separated)."""
        hosts, networks = set(), []
        for entry in (e.strip().lower() for e in (text or "").split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def covers_address(self, ip) -> bool:
        """Tell whether an IP or network entry covers ``ip``."""
        return any(ip.version == net.version and ip in net for net in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _refuse(reason: str, message: str) -> OutboundRefused:
    return OutboundRefused(message, details={"reason": reason})


def _resolve(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise _refuse("unresolvable", f"无法解析主机 {host[:80]}") from None
    return sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)


def check_url(url: str, allowlist: Allowlist, resolver=_resolve) -> Target:
    """Return where to connect for ``url``, or raise :class:`OutboundRefused` saying why."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise _refuse("malformed", "URL 格式不正确") from None
    if parts.scheme not in ("http", "https"):
        raise _refuse("scheme", f"只允许 http/https 地址，不是 {parts.scheme[:20]}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or parts.username or parts.password:
        raise _refuse("malformed", "URL 须包含主机名且不含账号密码")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    named_ok = literal is None and host in allowlist.hosts
    if not named_ok and not (literal is not None and allowlist.covers_address(literal)):
        raise _refuse("host_not_allowed", f"主机 {host[:80]} 不在允许列表（OUTBOUND_ALLOWLIST）中")
    addresses = [literal] if literal is not None else resolver(host, port)
    if not addresses:
        raise _refuse("unresolvable", f"无法解析主机 {host[:80]}")
    for ip in addresses:
        if any(ip.version == net.version and ip in net for net in ALWAYS_REFUSED):
            raise _refuse("address_refused", f"禁止访问地址 {ip}")
        mapped = getattr(ip, "ipv4_mapped", None)
        internal = ip.is_loopback or ip.is_private or ip.is_reserved or (mapped and not mapped.is_global)
        if internal and not allowlist.covers_address(ip):
            raise _refuse("address_refused", f"主机解析到内部地址 {ip}，该地址不在允许列表中")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, str(addresses[0]))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address while verifying the certificate of the host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class FetchResult:
    """What came back: status, media type, size and time."""

    status: int
    content_type: str
    size: int
    elapsed_ms: int


def fetch(url: str, allowlist: Allowlist, timeout: float = 5.0) -> FetchResult:
    """GET an allowlisted URL (no redirects followed) and describe the answer."""
    target = check_url(url, allowlist)
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(target.address, target.host, target.port, timeout)
    else:
        conn = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request("GET", target.path, headers={"Host": f"{target.host}:{target.port}",
                                                  "User-Agent": "shifeng-gis/basemap-check"})
        resp = conn.getresponse()
        body = resp.read(READ_LIMIT)
        return FetchResult(resp.status, resp.getheader("Content-Type", ""), len(body),
                           int((time.monotonic() - started) * 1000))
    except (OSError, http.client.HTTPException) as exc:
        raise AppError(f"无法连接 {target.host}：{exc.__class__.__name__}",
                       code="outbound_failed", status=502, details={"reason": "connection_failed"}) from None
    finally:
        conn.close()
