"""Signed pushes (booking notifications, tracking events) sent in the background: each is
tried a few times with growing pauses, then dropped — the receiver polls as a fallback."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
from dataclasses import dataclass

import httpx

log = logging.getLogger("carriersim")

RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0)  # seconds before the 2nd, 3rd, … attempt


def signature(key: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@dataclass
class Push:
    url: str
    body: bytes
    key: bytes
    headers: dict[str, str]
    generation: int
    attempt: int = 0


class Pusher:
    """One thread delivering pushes in order of their due time."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Push]] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self.generation = 0
        self._http = httpx.Client(timeout=httpx.Timeout(5.0, connect=2.0))
        self._thread = threading.Thread(target=self._run, name="pushes", daemon=True)
        self._thread.start()

    def send(self, url: str, body: bytes, *, key: bytes, headers: dict[str, str]) -> None:
        push = Push(url=url, body=body, key=key, headers=headers, generation=self.generation)
        self._enqueue(push, time.monotonic())

    def forget(self) -> None:
        """Drop every push not yet delivered (a reset)."""
        with self._condition:
            self.generation += 1
            self._queue.clear()

    def _enqueue(self, push: Push, due: float) -> None:
        with self._condition:
            heapq.heappush(self._queue, (due, next(self._order), push))
            self._condition.notify()

    def _next(self) -> Push:
        with self._condition:
            while True:
                now = time.monotonic()
                if self._queue and self._queue[0][0] <= now:
                    return heapq.heappop(self._queue)[2]
                wait = self._queue[0][0] - now if self._queue else None
                self._condition.wait(wait)

    def _run(self) -> None:
        while True:
            push = self._next()
            if push.generation != self.generation:
                continue
            headers = {
                "Content-Type": "application/json",
                "Notification-Signature": signature(push.key, push.body),
                **push.headers,
            }
            try:
                response = self._http.post(push.url, content=push.body, headers=headers)
                outcome = str(response.status_code)
                delivered = response.status_code < 300
            except httpx.HTTPError as error:
                outcome = type(error).__name__
                delivered = False
            log.info("push %s attempt %d: %s", push.url, push.attempt + 1, outcome)
            if delivered or push.attempt >= len(RETRY_PAUSES):
                continue
            push.attempt += 1
            self._enqueue(push, time.monotonic() + RETRY_PAUSES[push.attempt - 1])
