"""A WebSocket client cheap enough to be hundreds of load-generating clients in one process.

`movemirror bench serve` runs its clients on the same cores as the server, so whatever a
client costs is taken from the server. The `websockets` library's asyncio client spends
tens of microseconds of Python on each message sent and each received (its own tasks,
futures and frame assembly); this one writes frames masked in advance and reads replies
straight from asyncio's data_received, looking only at each frame's header and the start
of a text frame (enough to tell matches, superseded and error frames apart).

On the wire it is an ordinary client (RFC 6455): the handshake is checked, every frame it
sends is masked, pings get their pong and a close its close. One liberty: each message
text is masked once, with a random key, and that frame is sent each time the text is
(a browser picks a new key for every frame); the server unmasks it just the same.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from collections.abc import Callable
from urllib.parse import urlsplit

from websockets.utils import apply_mask  # C speedups where built

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
PREFIX_BYTES = 24  # what a reply's kind is read from: '{"type":"superseded"' and the like
# How the stream's replies begin (movemirror.server.stream writes them without spaces).
MATCHES, SUPERSEDED, ERROR = b'{"type":"matches"', b'{"type":"superseded"', b'{"type":"error"'


class HandshakeError(ConnectionError):
    pass


class ConnectionEnded(ConnectionError):
    """The connection closed (by the server, or it broke) before the client was done."""


def client_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final frame from a client: masked, as RFC 6455 requires."""
    mask = os.urandom(4) if mask is None else mask
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + mask + apply_mask(payload, mask)


def text_frame(text: str) -> bytes:
    return client_frame(OP_TEXT, text.encode())


class LoadClient(asyncio.Protocol):
    """One connection. `on_reply(prefix)` is called with the first `prefix_bytes` bytes of
    each text message the server sends (b"" for a binary one), in order."""

    def __init__(self, on_reply: Callable[[bytes], None], prefix_bytes: int = PREFIX_BYTES):
        self.on_reply = on_reply
        self.prefix_bytes = prefix_bytes
        self.transport: asyncio.Transport | None = None
        self.handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ended: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self._key = base64.b64encode(os.urandom(16))
        self._buffer = bytearray()
        self._upgraded = False
        self._message_prefix: bytes | None = None  # a fragmented message's first bytes

    @classmethod
    async def connect(cls, host: str, port: int, path: str, on_reply: Callable[[bytes], None],
                      prefix_bytes: int = PREFIX_BYTES) -> LoadClient:
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(lambda: cls(on_reply, prefix_bytes), host,
                                                 port)
        assert client.transport is not None
        client.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {client._key.decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n".encode())
        await client.handshake
        return client

    @classmethod
    async def connect_url(cls, url: str, on_reply: Callable[[bytes], None],
                          prefix_bytes: int = PREFIX_BYTES) -> LoadClient:
        """connect() to a ws:// URL."""
        address = urlsplit(url)
        if address.scheme != "ws" or address.hostname is None or address.port is None:
            raise ValueError(f"not a ws://host:port/ URL: {url}")
        return await cls.connect(address.hostname, address.port, address.path or "/",
                                 on_reply, prefix_bytes)

    def send(self, frame: bytes) -> None:
        """Sends a frame made by text_frame (or client_frame); ConnectionEnded once closed."""
        if self.ended.done() or self.transport is None or self.transport.is_closing():
            raise ConnectionEnded(f"closed with {self.close_code}")
        self.transport.write(frame)

    def close(self, code: int = 1000) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(OP_CLOSE, struct.pack("!H", code)))
            self.transport.close()

    # asyncio.Protocol

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(HandshakeError("closed during the handshake"))
        if not self.ended.done():
            self.ended.set_result(self.close_code)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end]).decode("latin-1")
            del self._buffer[:end + 4]
            self._check_handshake(head)
            if not self._upgraded:
                return
        self._read_frames()

    def _check_handshake(self, head: str) -> None:
        lines = head.split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in lines[1:])}
        accept = base64.b64encode(hashlib.sha1(self._key + _GUID).digest()).decode()
        if lines[0].split(" ")[1:2] != ["101"] or fields.get("sec-websocket-accept") != accept:
            self.handshake.set_exception(HandshakeError(f"refused: {lines[0]}"))
            assert self.transport is not None
            self.transport.close()
            return
        self._upgraded = True
        self.handshake.set_result(None)

    def _read_frames(self) -> None:
        buffer = self._buffer
        start = 0
        while len(buffer) - start >= 2 and not self.ended.done():
            first, second = buffer[start], buffer[start + 1]
            size, at = second & 0x7F, start + 2
            if size == 126:
                if len(buffer) - at < 2:
                    break
                size, at = struct.unpack_from("!H", buffer, at)[0], at + 2
            elif size == 127:
                if len(buffer) - at < 8:
                    break
                size, at = struct.unpack_from("!Q", buffer, at)[0], at + 8
            if second & 0x80:  # a masked frame from a server is a protocol error
                self._fail(1002)
                return
            if len(buffer) - at < size:
                break
            self._frame(first & 0x80, first & 0x0F, buffer, at, size)
            start = at + size
        del buffer[:start]

    def _frame(self, final: int, opcode: int, buffer: bytearray, at: int, size: int) -> None:
        if opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
            if opcode != OP_CONTINUATION:
                self._message_prefix = (bytes(buffer[at:at + min(size, self.prefix_bytes)])
                                        if opcode == OP_TEXT else b"")
            if final and self._message_prefix is not None:
                prefix, self._message_prefix = self._message_prefix, None
                self.on_reply(prefix)
        elif opcode == OP_PING:
            assert self.transport is not None
            self.transport.write(client_frame(OP_PONG, bytes(buffer[at:at + size])))
        elif opcode == OP_CLOSE:
            code = struct.unpack_from("!H", buffer, at)[0] if size >= 2 else 1005
            self._fail(code)

    def _fail(self, code: int) -> None:
        """The connection ends: the server's close (answered) or a protocol error."""
        self.close_code = code
        if not self.ended.done():
            self.ended.set_result(code)
        self.close(1000 if code != 1002 else 1002)
