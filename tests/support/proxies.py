"""Real proxies on loopback for the tests: an HTTP proxy (CONNECT tunnels and plain forwarding) and a
SOCKS5 proxy, each recording what it was asked for, and a TLS front for a plain-HTTP sandbox.

Every destination, whatever its name (`api.telegram.test`, `192.0.2.10`), is reached at 127.0.0.1
on the port asked for: names that resolve nowhere work only through the proxy, so a request that
arrives proves it went through.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import ssl
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

UPSTREAM = "127.0.0.1"


@dataclass(frozen=True)
class Asked:
    """One connection a proxy was asked for."""

    how: str
    """`CONNECT` (an HTTP tunnel), `GET`/`POST`… (plain HTTP forwarded) or `SOCKS5`."""
    host: str
    port: int
    credentials: str | None
    """`user:password` as the client sent it, or None."""


@dataclass
class _Server:
    username: str | None = None
    password: str | None = None
    asked: list[Asked] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, UPSTREAM, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    def hosts(self) -> set[str]:
        return {asked.host for asked in self.asked}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def _allowed(self, credentials: str | None) -> bool:
        return self.username is None or credentials == f"{self.username}:{self.password}"


class HttpProxy(_Server):
    """CONNECT host:port opens a tunnel; `GET http://host:port/…` is forwarded as it is (aiohttp's
    server takes the absolute form), and the connection piped from then on. With a username and
    password, anything without them gets 407."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        credentials = _basic(head)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
        else:
            authority = target.split("://", 1)[1].split("/", 1)[0]
            host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "80")
        self.asked.append(Asked(method, host.strip("[]"), int(port), credentials))
        if not self._allowed(credentials):
            writer.write(
                b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            return
        up_reader, up_writer = await asyncio.open_connection(UPSTREAM, int(port))
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:
            up_writer.write(head)
        await _pipe(reader, writer, up_reader, up_writer)


class Socks5Proxy(_Server):
    """RFC 1928 CONNECT, with RFC 1929 username/password when the proxy has them; records the
    address as the client sent it (a name with socks5h, an IP address with socks5)."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        assert version == 5
        methods = await reader.readexactly(count)
        credentials: str | None = None
        wanted = 0 if self.username is None else 2
        if wanted not in methods:
            writer.write(b"\x05\xff")
            return
        writer.write(bytes([5, wanted]))
        if wanted == 2:
            _, size = await reader.readexactly(2)
            user = (await reader.readexactly(size)).decode()
            size = (await reader.readexactly(1))[0]
            credentials = f"{user}:{(await reader.readexactly(size)).decode()}"
            if not self._allowed(credentials):
                self.asked.append(Asked("SOCKS5", "?", 0, credentials))
                writer.write(b"\x01\x01")
                return
            writer.write(b"\x01\x00")
        _, command, _, kind = await reader.readexactly(4)
        assert command == 1  # CONNECT
        if kind == 1:
            host = ".".join(str(part) for part in await reader.readexactly(4))
        elif kind == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        self.asked.append(Asked("SOCKS5", host, port, credentials))
        up_reader, up_writer = await asyncio.open_connection(UPSTREAM, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        await writer.drain()
        await _pipe(reader, writer, up_reader, up_writer)


class TlsFront(_Server):
    """HTTPS in front of a plain-HTTP server on this machine (the sandboxes speak plain HTTP), with
    the certificate of `certificate()`."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        super().__init__()
        self.backend_port = backend_port
        self.context = context

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, UPSTREAM, 0, ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(UPSTREAM, self.backend_port)
        await _pipe(reader, writer, up_reader, up_writer)


def certificate(directory: Path, names: list[str], addresses: list[str]) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for these names and IP addresses (made by the openssl command):
    its PEM file, to trust through SSL_CERT_FILE, and a server context that presents it."""
    cert, key = directory / "proxy-test-cert.pem", directory / "proxy-test-key.pem"
    alt = ",".join([f"DNS:{name}" for name in names] + [f"IP:{address}" for address in addresses])
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={names[0]}",
         "-addext", f"subjectAltName={alt}", "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def _basic(head: bytes) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"proxy-authorization":
            scheme, _, encoded = value.strip().partition(b" ")
            if scheme.lower() == b"basic":
                return base64.b64decode(encoded).decode()
    return None


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    async def copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                target.write(chunk)
                await target.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                target.close()

    try:
        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))
    finally:
        up_writer.close()
