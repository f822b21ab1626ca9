"""How uvicorn serves the app: the same options for `indigo serve` and for the tests' servers,
so that what the tests run is what production runs."""

from __future__ import annotations

from typing import Any, Final

APP_FACTORY: Final = "indigo.app:app_from_environment"

UVICORN_OPTIONS: Final[dict[str, Any]] = {
    # The client address (rate limits of anonymous callers) is the socket's peer, never a
    # header a caller could write.
    "proxy_headers": False,
    # A live appeal is encoded once per process; per-message deflate would compress it again
    # for each helper's socket, and keep a compressor per connection.
    "ws_per_message_deflate": False,
    "ws": "indigo.websocket_protocol:LightWebSocketProtocol",
}


def uvicorn_options(max_message_bytes: int) -> dict[str, Any]:
    """The options, with the largest WebSocket message the app accepts
    (INDIGO_MAX_BODY_BYTES, as for request bodies): uvicorn closes with 1009 past it."""
    return {**UVICORN_OPTIONS, "ws_max_size": max_message_bytes}
