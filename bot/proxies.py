"""Which proxy, if any, carries a request to a URL: the one place that decides, for Telegram, Slack and
the doctor alike.

HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY come from Settings (the environment or `.env`) and are
read as curl and httpx read them: HTTPS_PROXY for https:// (and wss://) addresses, HTTP_PROXY for
http:// (and ws://), ALL_PROXY for either when the specific one is not set; NO_PROXY is a list of
hosts, domains (`example.com` also covers its subdomains), IP addresses, CIDR ranges and `host:port`
entries, or `*` for everything. This machine (localhost, 127.0.0.0/8, ::1) is never reached through a
proxy: the sandboxes of `make demo` and a Bot API server on the same machine keep working behind a
company proxy.

A proxy is `http://`, `https://` (TLS to the proxy), `socks5://` (names resolved here) or
`socks5h://` (names resolved by the proxy). Its URL may carry credentials: they are secrets, never
shown (`Proxy.address` leaves them out) and redacted from every log line (bot/logsetup.py).
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote, urlsplit

import aiohttp
import aiohttp_socks
import yarl

SCHEMES: Final = ("http", "https", "socks5", "socks5h")
DEFAULT_PORTS: Final = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}
SECURE_SCHEMES: Final = frozenset({"https", "wss"})
"""Target schemes HTTPS_PROXY is for; the rest (http, ws) use HTTP_PROXY."""
ProxyTimeoutError = aiohttp_socks.ProxyTimeoutError
PROXY_ERRORS: Final = (
    aiohttp_socks.ProxyConnectionError,
    aiohttp_socks.ProxyError,
    aiohttp_socks.ProxyTimeoutError,
)
"""What a SOCKS proxy raises (not aiohttp.ClientErrors): it refused, or could not be reached."""

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Proxy:
    """One proxy server, from a setting such as `http://user:password@proxy.example:3128`."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, value: str, name: str = "the proxy") -> Proxy:
        """Raises ValueError with a message that never quotes the value (it may hold a password)."""
        text = value.strip()
        if "://" not in text:  # `proxy.example:3128`, as curl reads it
            text = "http://" + text
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise ValueError(
                f"{name} must start with http://, https://, socks5:// or socks5h:// (not {scheme[:10]}://)"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"{name} has a port that is not a number from 1 to 65535") from None
        if not parts.hostname:
            raise ValueError(f"{name} names no host, e.g. http://proxy.example:3128")
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(scheme, parts.hostname, port or DEFAULT_PORTS[scheme], username, password)

    @property
    def socks(self) -> bool:
        return self.scheme.startswith("socks")

    @property
    def address(self) -> str:
        """`http://proxy.example:3128`: what may be shown, without the credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The whole URL, credentials included: for libraries that take a proxy as one string."""
        if self.username is None:
            return self.address
        userinfo = quote(self.username, safe="")
        if self.password is not None:
            userinfo += ":" + quote(self.password, safe="")
        return self.address.replace("://", f"://{userinfo}@", 1)

    def authorization(self) -> dict[str, str] | None:
        """The Proxy-Authorization header for an HTTP proxy with credentials."""
        if self.username is None:
            return None
        pair = f"{self.username}:{self.password or ''}".encode()
        return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode()}

    def secrets(self) -> list[str]:
        """Every form the credentials may take in a message, for redaction: as given, and encoded
        as we write them and as aiohttp (yarl) does."""
        if self.username is None:
            return []
        written = yarl.URL(self.url)
        found = [self.url, str(written), f"{self.username}:{self.password or ''}"]
        for password in (self.password, quote(self.password or "", safe=""), written.raw_password):
            if password:
                found += [password, f"{self.username}:{password}"]
        return found


class NoProxy:
    """NO_PROXY as curl and httpx read it: hosts, domains with their subdomains, IP addresses, CIDR
    ranges, any of them with `:port`, separated by commas or spaces; `*` alone means every host."""

    def __init__(self, value: str | None) -> None:
        self.everything = False
        self._rules: list[tuple[str | IP | Network, int | None]] = []
        for raw in (value or "").replace(",", " ").split():
            entry = raw.strip().lower()
            if entry == "*":
                self.everything = True
                continue
            if "://" in entry:  # httpx accepts `http://host`; the scheme does not matter here
                entry = entry.split("://", 1)[1]
            self._rules.append(_rule(entry.rstrip("/")))

    def covers(self, host: str, port: int) -> bool:
        if self.everything:
            return True
        address = _ip(host)
        for target, only_port in self._rules:
            if only_port is not None and only_port != port:
                continue
            if isinstance(target, str):
                if address is None and (host == target or host.endswith("." + target)):
                    return True
            elif isinstance(target, ipaddress.IPv4Network | ipaddress.IPv6Network):
                if address is not None and address.version == target.version and address in target:
                    return True
            elif address == target:
                return True
        return False


def _rule(entry: str) -> tuple[str | IP | Network, int | None]:
    port: int | None = None
    if entry.startswith("["):  # [::1]:8080 or [::1]
        host, _, rest = entry[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
        entry = host
    elif entry.count(":") == 1:  # host:port (a bare IPv6 address has more colons)
        host, _, given = entry.partition(":")
        if given.isdigit():
            entry, port = host, int(given)
    if "/" in entry:
        try:
            return ipaddress.ip_network(entry, strict=False), port
        except ValueError:
            return entry, port  # not a range: as a name it matches nothing, as curl's would
    address = _ip(entry)
    if address is not None:
        return address, port
    return entry.removeprefix("*").lstrip(".").rstrip("."), port


def _ip(host: str) -> IP | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """This machine, by name or address (names are not looked up: neither curl nor httpx do)."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip(name)
    return address is not None and address.is_loopback


class ProxyRules:
    """The proxy settings of this process; `for_url` gives the proxy for one address, or None for a
    direct connection."""

    def __init__(
        self,
        *,
        https: Proxy | None = None,
        http: Proxy | None = None,
        every: Proxy | None = None,
        no_proxy: str | None = None,
    ) -> None:
        self.https, self.http, self.every = https, http, every
        self.no_proxy = NoProxy(no_proxy)

    def for_url(self, url: str) -> Proxy | None:
        parts = urlsplit(url.replace("{token}", "token"))  # TELEGRAM_API_BASE_URL may be a template
        host = (parts.hostname or "").rstrip(".")
        if not host or is_loopback(host):
            return None
        secure = parts.scheme.lower() in SECURE_SCHEMES
        proxy = (self.https if secure else self.http) or self.every
        if proxy is None:
            return None
        try:
            port = parts.port or (443 if secure else 80)
        except ValueError:  # a bad port: the request will say so
            port = 443 if secure else 80
        return None if self.no_proxy.covers(host, port) else proxy

    def secrets(self) -> list[str]:
        proxies = (self.https, self.http, self.every)
        return [secret for proxy in proxies if proxy is not None for secret in proxy.secrets()]


def describe(proxy: Proxy | None) -> str:
    """` through the proxy http://proxy.example:3128`, or nothing for a direct connection."""
    return f" through the proxy {proxy.address}" if proxy is not None else ""


def connector(proxy: Proxy | None, *, limit: int = 100) -> aiohttp.TCPConnector:
    """An aiohttp connector that goes through a SOCKS proxy, or a plain one (an HTTP proxy is given
    to aiohttp per request instead: it also serves the libraries that take no session)."""
    if proxy is None or not proxy.socks:
        return aiohttp.TCPConnector(limit=limit)
    return aiohttp_socks.ProxyConnector(
        host=proxy.host,
        port=proxy.port,
        proxy_type=aiohttp_socks.ProxyType.SOCKS5,
        username=proxy.username,
        password=proxy.password,
        rdns=proxy.scheme == "socks5h",
        limit=limit,
    )
