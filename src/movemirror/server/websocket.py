"""uvicorn's WebSocket protocol, able to write several text messages in one go.

A client that outpaces the server is owed a "superseded" frame for each message skipped,
and the stream sends them all at once. Through ASGI each message is its own `send`: its
own trip through the middleware and its own write to the socket (a system call that, on
loopback, also runs the client's receiving side). This protocol advertises the ASGI
extension SEND_MANY in the connection's scope and takes a `websocket.send` message with
`texts` (a list of str) instead of `text`: each text is still its own WebSocket frame, in
order, but all go out in one write; with `close` (code, reason) as well, the close frame
goes in that write after them. An app must check for the extension before using it
(another server, or the test client, would not know the key).

It also reads a few messages ahead of the app (READ_AHEAD) instead of pausing the socket
after each one.

And its keepalive waits for a client the app slows on purpose (extension SLOWED): the stream
reads a client past its refused-message budget slowly, so that client's pong sits in the
socket behind its own messages, unread; uvicorn would close the connection (1011) for a
pong it never read. While the app's check says the client is slowed, the pong's deadline is
put off, one ping timeout at a time; a client that does not read (nor answer pings) without
being slowed is closed by the keepalive as before.

And it tells the app the moment the connection is gone (extension GONE), closed by the client,
its socket lost or the server stopping: the app learns it otherwise from a disconnect message
queued behind the client's messages, which it does not read while it slows the client (nor
while it holds a close until the budget is full again), so such a connection's task slept on
to the end of its budget, and a stopping server waited for it.

And a message over the server's own size limit (uvicorn's ws_max_size), which the WebSocket
layer refuses from its frame's header, before the app could read it, gets the text the app
gave (extension TOO_BIG) just before the close (1009) that layer sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState, PayloadTooBig
from websockets.frames import Frame, Opcode

SEND_MANY = "movemirror.websocket.send_many"
# Messages read ahead of the app before the socket stops being read. uvicorn stops reading
# after every message and starts again once the app took it: two more calls into the event
# loop (and, in uvloop, to epoll) a message. The stream bounds what it buffers itself
# (movemirror.server.limits: max_owed_replies), so a few here only save those calls.
READ_AHEAD = 16
SLOWED = "movemirror.websocket.slowed"
GONE = "movemirror.websocket.gone"
TOO_BIG = "movemirror.websocket.too_big"


def can_send_many(scope: Mapping[str, Any]) -> bool:
    return SEND_MANY in (scope.get("extensions") or {})


def keepalive_waits_while(scope: Mapping[str, Any], slowed: Callable[[], bool]) -> None:
    """Tells the server (where it has the extension SLOWED) that while `slowed()` is true the
    app is not reading this client on purpose, so a pong not yet read is no sign of a dead
    client."""
    extension = (scope.get("extensions") or {}).get(SLOWED)
    if extension is not None:
        extension["slowed"] = slowed


def gone_event(scope: Mapping[str, Any]) -> asyncio.Event | None:
    """Set once the connection is gone, or None where the server does not have the extension
    GONE (then the app learns it from its receive queue alone)."""
    extension = (scope.get("extensions") or {}).get(GONE)
    return None if extension is None else extension["event"]


def answer_too_big_with(scope: Mapping[str, Any], text: Callable[[int, bool], str]) -> None:
    """Tells the server (where it has the extension TOO_BIG) what to send, before its close,
    to a client whose message is over the server's own limit: text(size, exact), the size in
    bytes its frames announced, or (exact False) the limit it went past while inflating."""
    extension = (scope.get("extensions") or {}).get(TOO_BIG)
    if extension is not None:
        extension["text"] = text


def send_many_message(texts: list[str], close: tuple[int, str] | None = None
                      ) -> dict[str, Any]:
    """The ASGI message that sends these texts as one frame each, in one write; given
    `close` (code, reason), the close frame goes in that write too and the connection ends
    as after a `websocket.close`."""
    message: dict[str, Any] = {"type": "websocket.send", "texts": texts}
    if close is not None:
        message["close"] = close
    return message


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """`movemirror serve`'s WebSocket implementation (uvicorn's `ws` option)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gone = asyncio.Event()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.gone.set()

    def shutdown(self) -> None:
        super().shutdown()  # closes the connection (1012), whose loss follows
        self.gone.set()

    def handle_connect(self, event) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_MANY] = {}
            scope["extensions"][SLOWED] = {}
            scope["extensions"][TOO_BIG] = {}
            scope["extensions"][GONE] = {"event": self.gone}

    def data_received(self, data: bytes) -> None:
        self.conn.receive_data(data)
        if self.conn.parser_exc is not None:  # the close is owed: uvicorn's own handling
            if isinstance(self.conn.parser_exc, PayloadTooBig) and not self.close_sent:
                self._answer_too_big(self.conn.parser_exc)
            self.handle_parser_exception()
            return
        self.handle_events()

    def _answer_too_big(self, error: PayloadTooBig) -> None:
        scope = getattr(self, "scope", None)
        text = scope["extensions"][TOO_BIG].get("text") if scope is not None else None
        if text is None:
            return
        exact = error.size is not None  # None: a compressed message, past the limit inflated
        # max_size counts the message's earlier frames already (set_current_size), size not
        size = error.size + (error.current_size or 0) if error.size is not None else error.max_size
        # Written ahead of the close frame the parser has queued: the connection is closing,
        # so websockets would not send it (its state machine takes no frame after a close).
        frame = Frame(Opcode.TEXT, text(size, exact).encode())
        self.transport.write(frame.serialize(mask=False))

    def keepalive_timeout(self) -> None:
        scope = getattr(self, "scope", None)
        slowed = scope["extensions"][SLOWED].get("slowed") if scope is not None else None
        if (slowed is not None and slowed() and not self.close_sent
                and self.ping_timeout is not None):
            # The pong is most likely behind the messages the app has not read yet.
            self.pong_timer = self.loop.call_later(self.ping_timeout, self.keepalive_timeout)
            return
        super().keepalive_timeout()

    def send_receive_event_to_app(self) -> None:
        was_paused = self.read_paused
        self.read_paused = True  # uvicorn's own method then leaves reading on
        super().send_receive_event_to_app()
        if was_paused:
            return
        if self.queue.qsize() >= READ_AHEAD:
            self.transport.pause_reading()  # read_paused stays True: receive() resumes it
        else:
            self.read_paused = False

    async def send(self, message) -> None:
        texts = message.get("texts") if message["type"] == "websocket.send" else None
        if (texts is None or not self.handshake_complete or self.close_sent
                or self.initial_response is not None):
            await super().send(message)  # everything else, and the errors uvicorn raises
            return
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        try:
            for text in texts:
                self.conn.send_text(text.encode())
        except InvalidState:
            raise ClientDisconnected() from None
        close = message.get("close")
        if close is not None:  # uvicorn's close writes all the connection owes, texts too
            code, reason = close
            await super().send({"type": "websocket.close", "code": code, "reason": reason})
            return
        self.transport.write(b"".join(self.conn.data_to_send()))
