"""The one proxy decision (bot/proxies.py) and the settings it comes from: which proxy a URL goes
through, NO_PROXY as curl reads it, this machine never proxied, `.env` counting like the environment,
and a proxy's password kept out of errors and logs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.logsetup import RedactSecrets, secret_values
from bot.proxies import Proxy, ProxyRules

PASSWORD = "pr0xy-passw0rd"
COMPANY = f"http://shop:{PASSWORD}@proxy.example:3128"
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def via(rules: ProxyRules, url: str) -> str | None:
    proxy = rules.for_url(url)
    return None if proxy is None else proxy.address


def test_https_addresses_use_https_proxy_and_http_ones_http_proxy_else_all_proxy() -> None:
    rules = settings(https_proxy="http://secure:3128", http_proxy="http://plain:3128").proxies
    assert via(rules, "https://api.telegram.org/bot") == "http://secure:3128"
    assert via(rules, "wss://wss-primary.slack.com/link") == "http://secure:3128"
    assert via(rules, "http://bot-api.example:8081/bot") == "http://plain:3128"
    fallback = settings(all_proxy="socks5h://tor:9050", http_proxy="http://plain:3128").proxies
    assert via(fallback, "https://slack.com/api/") == "socks5h://tor:9050"
    assert via(fallback, "http://bot-api.example/bot") == "http://plain:3128"
    assert via(settings().proxies, "https://slack.com/api/") is None


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("slack.com", "https://slack.com/api/", True),
        ("slack.com", "https://wss-primary.slack.com/", True),  # a domain covers its subdomains
        ("slack.com", "https://notslack.com/", False),
        (".slack.com", "https://slack.com/api/", True),
        ("*.slack.com", "https://files.slack.com/", True),
        ("api.telegram.org:443", "https://api.telegram.org/bot", True),
        ("api.telegram.org:8443", "https://api.telegram.org/bot", False),
        ("10.0.0.0/8", "https://10.20.30.40:8081/bot", True),
        ("10.0.0.0/8", "https://11.0.0.1/bot", False),
        ("192.0.2.7", "https://192.0.2.7/bot", True),
        ("2001:db8::/32", "https://[2001:db8::5]/bot", True),
        ("[2001:db8::5]:8443", "https://[2001:db8::5]:8443/", True),
        ("intranet, slack.com  example.org", "https://slack.com/", True),  # commas and spaces
        ("SLACK.COM", "https://Slack.Com/api/", True),
        ("*", "https://anything.example/", True),
        ("", "https://slack.com/api/", False),
    ],
)
def test_no_proxy_reads_hosts_domains_ports_addresses_and_ranges_as_curl_does(
    no_proxy: str, url: str, direct: bool
) -> None:
    rules = settings(https_proxy=COMPANY, no_proxy=no_proxy).proxies
    assert (rules.for_url(url) is None) is direct


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8081/bot",
        "http://127.5.6.7/bot",
        "https://localhost/api/",
        "http://demo.localhost:9000/",
        "http://[::1]:8080/",
        "https://LOCALHOST./",
    ],
)
def test_this_machine_is_never_reached_through_a_proxy(url: str) -> None:
    rules = settings(https_proxy=COMPANY, http_proxy=COMPANY, all_proxy="socks5://tor:9050").proxies
    assert rules.for_url(url) is None


def test_a_proxy_url_is_read_as_curl_reads_it() -> None:
    proxy = Proxy.parse("shop:p%40ss%3Aword@proxy.example:3128")  # no scheme: http
    assert (proxy.scheme, proxy.host, proxy.port) == ("http", "proxy.example", 3128)
    assert (proxy.username, proxy.password) == ("shop", "p@ss:word")
    assert proxy.address == "http://proxy.example:3128"
    assert proxy.url == "http://shop:p%40ss%3Aword@proxy.example:3128"
    assert proxy.authorization() == {"Proxy-Authorization": "Basic c2hvcDpwQHNzOndvcmQ="}
    assert Proxy.parse("socks5h://[2001:db8::1]").address == "socks5h://[2001:db8::1]:1080"
    assert Proxy.parse("https://proxy.example").port == 443
    assert Proxy.parse("socks5://proxy.example:1081").socks


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (f"ftp://shop:{PASSWORD}@proxy.example", "HTTPS_PROXY must start with http://"),
        (f"socks4://shop:{PASSWORD}@proxy.example", "socks5h://"),
        (f"http://shop:{PASSWORD}@proxy.example:port", "port that is not a number"),
        (f"http://shop:{PASSWORD}@:3128", "names no host"),
    ],
)
def test_a_bad_proxy_url_is_refused_without_showing_its_password(value: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(https_proxy=value)
    message = caught.value.errors()[0]["msg"]  # what the CLI prints (`HTTPS_PROXY: …`, exit 2)
    assert says in message and PASSWORD not in message
    assert PASSWORD not in str(caught.value)  # hide_input_in_errors


def test_proxy_settings_in_dot_env_count_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        f"HTTPS_PROXY={COMPANY}\nALL_PROXY=socks5h://tor:9050\nNO_PROXY=slack.com\nHTTP_PROXY=\n",
        encoding="utf-8",
    )
    from_file = Settings().proxies
    assert via(from_file, "https://api.telegram.org/bot") == "http://proxy.example:3128"
    assert via(from_file, "https://slack.com/api/") is None
    assert via(from_file, "http://bot-api.example/bot") == "socks5h://tor:9050"  # HTTP_PROXY= is unset

    monkeypatch.setenv("https_proxy", "socks5://other:1080")  # either spelling, as curl reads it
    monkeypatch.setenv("NO_PROXY", "")  # empty: as if unset, so .env's NO_PROXY stays
    overridden = Settings().proxies
    assert via(overridden, "https://api.telegram.org/bot") == "socks5://other:1080"
    assert via(overridden, "https://slack.com/api/") is None


def test_a_proxy_password_is_a_secret_in_repr_and_logs() -> None:
    configured = settings(https_proxy=COMPANY, all_proxy=f"socks5h://tor:{PASSWORD}x@tor.example:9050")
    assert PASSWORD not in repr(configured) and PASSWORD not in str(configured.model_dump())
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactSecrets(secret_values(configured)))
    logger = logging.getLogger("test.proxy.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("HTTP proxy URL has been loaded from an env variable: %s", COMPANY)
        logger.warning("407 from url='http://shop:%s@proxy.example:3128'", PASSWORD)
        logger.warning("socks: tor:%sx refused", PASSWORD)
        logger.warning("no credentials: %s", "http://proxy.example:3128")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert PASSWORD not in text
    assert "no credentials: http://proxy.example:3128" in text  # an address alone is worth seeing


def test_a_password_with_special_characters_is_redacted_however_it_is_encoded() -> None:
    configured = settings(https_proxy="http://shop:p%40ss!w%3Ard-2024@proxy.example:3128")
    redact = RedactSecrets(secret_values(configured))._redact
    for shown in (
        "p@ss!w:rd-2024",  # as the proxy gets it
        "p%40ss%21w%3Ard-2024",  # urllib's quote
        "url='http://shop:p%40ss!w%3Ard-2024@proxy.example:3128'",  # aiohttp's ClientHttpProxyError
    ):
        assert "ss!w" not in redact(shown) and "ss%21w" not in redact(shown), shown
