"""Security headers on every HTTP response: a strict CSP, no framing, no referrer, HSTS on HTTPS."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere: templates load /static/app.css and /static/form.js only,
# and the form script reads its rules from data- attributes. QR codes are same-origin images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

BASE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # desk and link codes are in the form URLs: never leak them to another site
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """Add the security headers to every HTTP response, keeping any a route set itself.

    Strict-Transport-Security goes only on responses to HTTPS requests (scope scheme "https";
    behind a proxy, run uvicorn with ``--proxy-headers`` so the scheme is the client's).
    """

    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 31536000) -> None:
        self.app = app
        self.headers = dict(BASE_HEADERS)
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(self.headers)
        if scope.get("scheme") == "https":
            extra["Strict-Transport-Security"] = self.hsts

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # optional in ASGI; MutableHeaders needs it
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
