"""bench serve's lean WebSocket client against a real WebSocket server (the websockets
library's): handshake, masked frames of every length class, pings, the server's close."""

from __future__ import annotations

import asyncio

import pytest

from movemirror.bench.load_client import PREFIX_BYTES, HandshakeError, LoadClient, text_frame

from .test_matcher import run_in_fresh_loop


def test_the_load_client_speaks_websocket_to_a_real_server():
    from websockets.asyncio.server import serve

    sizes = [5, 300, 70_000]  # a 7-bit, a 16-bit and a 64-bit length

    async def handler(ws):
        for size in sizes:
            text = await ws.recv()
            assert text == "x" * size  # unmasked by the server to what was sent
            await ws.send('{"type":"matches","n":' + str(size) + "}" + " " * size)
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)  # the client answered the ping
        await ws.send("pinged")
        await ws.close(1008, "enough")

    async def run():
        replies: list[bytes] = []
        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=2**20) as server:
            port = server.sockets[0].getsockname()[1]
            client = await LoadClient.connect("127.0.0.1", port, "/", replies.append)
            for size in sizes:
                client.send(text_frame("x" * size))
            code = await asyncio.wait_for(client.ended, 10)
        return replies, code

    replies, code = run_in_fresh_loop(run)
    # Each text message's first PREFIX_BYTES bytes, in order, whatever its length.
    sent = [('{"type":"matches","n":' + str(size) + "}" + " " * size).encode()
            for size in sizes]
    assert replies == [text[:PREFIX_BYTES] for text in sent] + [b"pinged"]
    assert code == 1008


def test_a_refused_handshake_is_an_error():
    async def not_websocket(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def run():
        server = await asyncio.start_server(not_websocket, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            await LoadClient.connect("127.0.0.1", port, "/", lambda prefix: None)

    with pytest.raises(HandshakeError, match="404"):
        run_in_fresh_loop(run)
