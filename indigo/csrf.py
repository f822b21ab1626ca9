"""CSRF protection for GraphQL over HTTP, as Apollo Server does it, for POSTs.

A browser sends a cross-site request without asking first (no CORS preflight) only when its
content type is a "simple" one. Such a POST may carry an operation only with a header that a
simple request cannot have. A GET needs no such header: no request carries ambient
credentials (no cookies; the token is an `Authorization` header that another site cannot
make a browser send), and a GET never runs a mutation, so a cross-site GET can only read what
anyone may read. WebSockets are guarded by their `Origin` (the view's allowed_origins).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
REFUSAL = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
    "Please either specify a 'content-type' header (with a type that is not one of "
    f"{', '.join(sorted(SIMPLE_CONTENT_TYPES))}) or provide a non-empty value for one of "
    f"the following headers: {', '.join(PREFLIGHT_HEADERS)}"
)


def is_preflighted(headers: Headers) -> bool:
    """Whether a browser would have had to ask the server before sending this request."""
    if any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return True
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return bool(content_type) and content_type not in SIMPLE_CONTENT_TYPES


class CsrfProtection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and not is_preflighted(Headers(scope=scope))
        ):
            refusal = {"message": REFUSAL, "extensions": {"code": "BAD_REQUEST"}}
            await JSONResponse({"errors": [refusal]}, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)
