"""The review server's door: logins checked off the event loop, failed attempts limited and logged,
and nothing of the app (endpoint names, parameters, document ids) sent before a login.

Gradio awaits an ``async`` auth function on its event loop; the PBKDF2 check (a fifth of a second of
CPU by design) runs in a worker thread, one at a time, so a flood of logins slows other logins, never
the reviewers already signed in. Gradio hands the auth function a name and password only, so
:class:`Gate` (ASGI middleware) records each request's client address for it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar

import anyio
from fastapi import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from workbench import limits, users

log = logging.getLogger("workbench.login")
CLIENT: ContextVar[str] = ContextVar("workbench_client", default="unknown")
# Gradio's page template embeds the API description in one line of its own; replaced before login.
API_INFO = re.compile(rb"window\.gradio_api_info = [^\n]*?;</script>")
NO_API_INFO = b"window.gradio_api_info = null;</script>"


class Attempts:
    """Failed logins per key (a user name or an address): more than ``login_failures`` within
    ``login_window_s`` locks the key for ``login_lockout_s``, doubled at each further lockout until a
    success. Refused attempts during a lockout do not extend it (or anyone could keep a user out)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.failures: dict[str, deque[float]] = {}
        self.locked_until: dict[str, float] = {}
        self.lockouts: dict[str, int] = {}

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        return max(self.locked_until.get(key, 0.0) - self.clock(), 0.0)

    def failed(self, key: str) -> None:
        now, cap = self.clock(), limits.LIMITS
        if len(self.failures) > 10_000:  # many addresses: forget those with nothing recent
            for old in [k for k, q in self.failures.items() if not q or q[-1] <= now - cap.login_window_s]:
                if not self.wait(old):
                    self.failures.pop(old)
        recent = self.failures.setdefault(key, deque())
        recent.append(now)
        while recent and recent[0] <= now - cap.login_window_s:
            recent.popleft()
        if len(recent) >= cap.login_failures:
            strikes = self.lockouts.get(key, 0)
            self.locked_until[key] = now + cap.login_lockout_s * 2 ** min(strikes, 16)
            self.lockouts[key] = strikes + 1
            recent.clear()

    def succeeded(self, key: str) -> None:
        for table in (self.failures, self.locked_until, self.lockouts):
            table.pop(key, None)


class LoginGuard:
    """:meth:`check` is Gradio's ``auth`` callable: it refuses locked names and addresses (HTTP 429,
    without checking the password), checks the others in a worker thread, and logs every failure."""

    def __init__(self, accounts: dict[str, str], clock: Callable[[], float] = time.monotonic):
        self.accounts = accounts
        self.attempts = Attempts(clock)
        self.slot = asyncio.Semaphore(1)  # one PBKDF2 at a time: a flood cannot take every core

    async def _refuse_if_locked(self, name: str, address: str) -> None:
        wait = max(self.attempts.wait(f"user:{name}"), self.attempts.wait(f"address:{address}"))
        if wait:
            log.warning(
                "login refused for %r from %s: too many failures, locked for %d s", name, address, wait
            )
            await asyncio.sleep(limits.LIMITS.login_delay_s)
            raise HTTPException(status_code=429, detail=too_many(wait), headers=retry_after(wait))

    async def check(self, name: str, password: str) -> bool:
        """Whether ``name`` may sign in with ``password`` (a coroutine function: Gradio awaits it)."""
        address = CLIENT.get()
        await self._refuse_if_locked(name, address)  # cheap refusal, without waiting for the slot
        async with self.slot:
            await self._refuse_if_locked(name, address)  # again: failures may have come meanwhile
            ok = await anyio.to_thread.run_sync(users.verify, self.accounts, name, password)
        # names that are no account are limited by their address only: they cannot grow the table
        keys = [f"address:{address}"] + ([f"user:{name}"] if name in self.accounts else [])
        for key in keys:
            (self.attempts.succeeded if ok else self.attempts.failed)(key)
        if ok:
            log.info("login %r from %s", name, address)
        else:
            log.warning("failed login for %r from %s", name, address)
            await asyncio.sleep(limits.LIMITS.login_delay_s)  # a guessing loop waits for each answer
        return ok


def too_many(wait: float) -> str:
    return f"Too many failed logins: try again in {math.ceil(wait)} s."


def retry_after(wait: float) -> dict[str, str]:
    return {"Retry-After": str(math.ceil(wait))}


class Gate:
    """ASGI middleware inside Gradio's app: notes each request's client address for
    :class:`LoginGuard` and, when logins are on, removes the API description from any page sent to
    a browser that is not signed in (Gradio embeds it in its login page). Fails closed: a page whose
    description cannot be removed is not sent. A login from a locked address is refused here, before
    its form is even read, and after ``login_delay_s``: a client that waits for each answer (as a
    flood loop does) sends one attempt a second, at almost no cost to the server."""

    def __init__(self, app, guard: LoginGuard | None = None):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else "unknown"
        CLIENT.set(address)
        if self.guard and scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/login"):
            wait = self.guard.attempts.wait(f"address:{address}")
            if wait:
                log.warning("login refused from %s: too many failures, locked for %d s", address, wait)
                await asyncio.sleep(limits.LIMITS.login_delay_s)  # costs nothing here, slows the flood
                await JSONResponse({"detail": too_many(wait)}, 429, retry_after(wait))(scope, receive, send)
                return
        gradio = scope.get("app")
        if getattr(gradio, "auth", None) is None or _signed_in(scope, gradio):
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body: list[bytes] = []

        async def filtered(message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    await send(message)
                    return
                start.update(message)
                return
            if not start:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = API_INFO.sub(NO_API_INFO, b"".join(body))
            status = start["status"]
            if b"gradio_api_info = null" not in page and b"gradio_api_info" in page:
                page, status = b"the login page is unavailable", 503
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            await send(
                {**start, "status": status, "headers": [*headers, (b"content-length", b"%d" % len(page))]}
            )
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, filtered)


def _signed_in(scope, gradio) -> bool:
    cookies = HTTPConnection(scope).cookies
    tokens = (cookies.get(f"access-token{kind}-{gradio.cookie_id}") for kind in ("", "-unsecure"))
    return any(t in gradio.tokens for t in tokens if t)
