"""uvicorn's HTTP/1.1 protocol with a header-read timeout.

uvicorn times a connection out only after a response (``timeout_keep_alive``): a client that
connects and sends nothing, or sends a request's headers a byte at a time, holds a socket for
as long as it likes (issue 15: 300 idle sockets were held for a minute). ``HeaderTimeout``
closes a connection whose request headers are not complete ``EVREG_HEADER_TIMEOUT`` seconds
(default 10) after it opened or after the previous response. A request whose headers arrived
is never cut: its body is bounded by ``EVREG_MAX_BODY_BYTES`` and read by the app.

``evreg serve`` runs uvicorn with ``http="evreg.registry.http_protocol:HeaderTimeout"``; another
uvicorn command line takes ``--http evreg.registry.http_protocol:HeaderTimeout``. It is built
on uvicorn's ``httptools`` protocol (``uvicorn[standard]``, the server extra, brings it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from evreg.registry.settings import header_timeout_from_env

__all__ = ["HeaderTimeout"]


class HeaderTimeout(HttpToolsProtocol):
    """Closes a connection whose request headers take longer than the timeout to arrive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout_from_env()
        self._header_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._deadline)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _deadline(self) -> None:
        self._header_deadline = None
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()
