"""The WebSocket close codes the pose stream ends a connection with (RFC 6455, 7.4.1).

A module of their own, without FastAPI, so that the load benchmark's clients can check them
without importing the server."""

CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_LATER = 1013
