"""Failures and slowness a test can order from the fake Bot API, in the shapes Telegram uses.

- 429: `{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
  "parameters": {"retry_after": N}}` (what flood control answers; python-telegram-bot raises RetryAfter);
- 500: `{"ok": false, "error_code": 500, "description": "Internal Server Error"}` (the Bot API's own
  failure; python-telegram-bot raises NetworkError);
- 502: the HTML page of the front proxy when the Bot API behind it is down ("Bad Gateway");
- a delay: the answer comes `seconds` late; with `acts_first` the message is already in the chat
  (a client that gives up waiting cannot know it arrived), else it is stored only after the wait.

Nothing is stored for a refused call, as on the real server.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.telegram.errors import ApiError, too_many_requests

BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class BadGateway(Exception):
    """Answered as the front proxy's HTML page with status 502."""


@dataclass
class Fault:
    code: int = 0
    """429, 500 or 502; 0 for a delay only."""
    times: int | None = None
    """Calls still to refuse (None: until healed)."""
    retry_after: int = 5
    delay: float = 0.0
    acts_first: bool = True

    def take(self) -> Fault | None:
        """This call's fault, counting it; None when it has run out."""
        if self.times is not None:
            if self.times <= 0:
                return None
            self.times -= 1
        return self

    def error(self) -> Exception | None:
        if self.code == 429:
            return too_many_requests(self.retry_after)
        if self.code == 500:
            return ApiError(500, "Internal Server Error")
        if self.code == 502:
            return BadGateway()
        return None
