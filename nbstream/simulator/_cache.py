"""Prompt caching: an in-memory cache of prompt prefixes, and what each request reads from it and writes.

Modelled on reference §7. For a request, each breakpoint (see ``_prompt``) looks for a cached prefix ending at
its block or at one of the 20 blocks before it (so a breakpoint that moves forward as a conversation grows
still finds the previous turn's entry); the longest prefix found is a read (``cache_read_input_tokens``)
and its expiry is refreshed. Every breakpoint beyond the read whose prefix is not cached yet and is at least
the model's minimum length is written; the tokens between the read and the last write are
``cache_creation_input_tokens``, split by TTL (the tokens up to a breakpoint belong to that breakpoint's
TTL). Below the minimum nothing is cached and both counters stay 0. ``input_tokens`` is what is left.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._prompt import breakpoints, prefix_digests, segments, tokens_for

__all__ = ["CacheUse", "PromptCache", "minimum_cacheable_tokens"]

TTL_SECONDS = {"5m": 5 * 60.0, "1h": 60 * 60.0}
LOOKBACK_BLOCKS = 20
_MAX_ENTRIES = 100_000  # a long-running simulator forgets the entries closest to expiry first

# Minimum cacheable prefix in tokens (reference §7, from the prompt-caching docs).
_MINIMUMS = {
    "claude-opus-5-5": 512,
    "claude-sonnet-5-5": 512,
    "claude-opus-5": 512,
    "claude-opus-4-8": 1024,
    "claude-sonnet-5": 1024,
    "claude-sonnet-4-6": 1024,
    "claude-sonnet-4-5": 1024,
    "claude-opus-4-7": 2048,
    "claude-mythos-preview": 2048,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    # Haiku 5.5's minimum is not published (reference §7 could not find it): 1,024 is a guess, the same
    # as for models we know nothing about.
    "claude-haiku-5-5": 1024,
}
_FAMILY_MINIMUMS = {"claude-fable-5": 512, "claude-mythos-5": 512}  # every 5.x of these families
_DEFAULT_MINIMUM = 1024


def minimum_cacheable_tokens(model: str) -> int:
    """The shortest prefix `model` caches; a dated id (``claude-haiku-4-5-20251001``) counts as its alias."""
    base = re.sub(r"-\d{8}$", "", model)
    if base in _MINIMUMS:
        return _MINIMUMS[base]
    for family, minimum in _FAMILY_MINIMUMS.items():
        if base == family or base.startswith(family + "-"):
            return minimum
    return _DEFAULT_MINIMUM


@dataclasses.dataclass(frozen=True)
class CacheUse:
    """What one request read from and wrote to the cache, in tokens."""

    read: int = 0
    write_5m: int = 0
    write_1h: int = 0

    @property
    def written(self) -> int:
        return self.write_5m + self.write_1h

    @property
    def covered(self) -> int:
        """Input tokens the cache accounts for (read or written); the rest are plain input tokens."""
        return self.read + self.written


@dataclasses.dataclass
class _Entry:
    expires_at: float
    ttl: float


class PromptCache:
    """Prefix digests with expiry times. Thread-safe: the server uses it, ``Simulator.reset()`` clears it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def use(self, body: Mapping[str, Any]) -> CacheUse:
        """Read and write the cache for one request (already validated) and say what it did."""
        parts = segments(body)
        marks = breakpoints(body, parts)
        if not marks:
            return CacheUse()
        digests = list(prefix_digests(str(body["model"]), parts))
        chars_before = [0]
        for part in parts:
            chars_before.append(chars_before[-1] + part.chars)
        minimum = minimum_cacheable_tokens(str(body["model"]))
        now = self._clock()
        with self._lock:
            self._expire(now)
            # The read: the longest cached prefix within any breakpoint's lookback window.
            read_at = max(
                (
                    position
                    for mark in marks
                    for position in range(max(0, mark.position - LOOKBACK_BLOCKS), mark.position + 1)
                    if digests[position] in self._entries
                ),
                default=None,
            )
            read = 0
            if read_at is not None:
                read = tokens_for(chars_before[read_at + 1])
                entry = self._entries[digests[read_at]]
                entry.expires_at = max(entry.expires_at, now + entry.ttl)
            # The writes: breakpoints past the read, long enough, not cached yet.
            written = {"5m": 0, "1h": 0}
            covered = read
            for mark in marks:
                if mark.tokens < minimum or mark.tokens <= covered or digests[mark.position] in self._entries:
                    continue
                written[mark.ttl] += mark.tokens - covered
                covered = mark.tokens
                ttl = TTL_SECONDS[mark.ttl]
                self._entries[digests[mark.position]] = _Entry(now + ttl, ttl)
            self._trim()
        return CacheUse(read=read, write_5m=written["5m"], write_1h=written["1h"])

    def _expire(self, now: float) -> None:
        for digest in [d for d, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[digest]

    def _trim(self) -> None:
        if len(self._entries) > _MAX_ENTRIES:
            keep = sorted(self._entries.items(), key=lambda item: item[1].expires_at)[-_MAX_ENTRIES:]
            self._entries = dict(keep)
