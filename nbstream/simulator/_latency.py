"""Per-model latency profiles: when the first token of a reply is due and how fast the rest follows.

A profile gives a model family's time to first token for a short prompt, its output rate, and how fast it
reads the prompt: uncached input tokens (prefill) and tokens read from the prompt cache. So, as with the
real API, a smaller model answers sooner and faster, a long prompt delays the first token, and a cache
read takes most of that delay away. The figures are illustrative, chosen to teach the levers, not measured
from the API; the simulator's README section says where each comes from.

A ``ttft=``/``rate=`` directive, or a ttft/rate the simulator was started with, pins the value for every
model (tests and benchmarks rely on getting exactly what they ask for); only what is left unpinned comes
from the profile.
"""

from __future__ import annotations

import dataclasses
import random
import re

__all__ = ["PROFILES", "Profile", "pace", "profile_for"]


@dataclasses.dataclass(frozen=True)
class Profile:
    family: str
    ttft: float  # seconds to the first token for a short prompt, nothing cached
    rate: float  # output tokens per second
    prefill: float  # uncached input tokens read per second
    cached_prefill: float  # input tokens read from the prompt cache per second

    def first_token(self, uncached_tokens: int, cached_tokens: int) -> float:
        """Seconds to the first token for a prompt of this many uncached and cached input tokens."""
        return self.ttft + uncached_tokens / self.prefill + cached_tokens / self.cached_prefill


# Sonnet's figures fit the prompt-caching launch figures (a 100,000-token prompt: 11.5 s to the first token,
# 2.4 s once cached); the other families are scaled from it. Output rates are round, illustrative numbers.
PROFILES = {
    "haiku": Profile("haiku", ttft=0.2, rate=150.0, prefill=22_000.0, cached_prefill=125_000.0),
    "sonnet": Profile("sonnet", ttft=0.5, rate=80.0, prefill=9_000.0, cached_prefill=50_000.0),
    "opus": Profile("opus", ttft=0.9, rate=50.0, prefill=4_500.0, cached_prefill=25_000.0),
    # Fable and Mythos sit above Opus: slower still.
    "fable": Profile("fable", ttft=1.3, rate=35.0, prefill=3_000.0, cached_prefill=17_000.0),
    "mythos": Profile("mythos", ttft=1.3, rate=35.0, prefill=3_000.0, cached_prefill=17_000.0),
}
_DEFAULT = PROFILES["sonnet"]  # any other claude-* id
_FAMILY_RE = re.compile(r"\b(haiku|sonnet|opus|fable|mythos)\b")
_JITTER = 0.08  # each sample's first-token time and rate vary by up to ±8%, as real calls do


def profile_for(model: str) -> Profile:
    """The profile of the model's family (``claude-haiku-5-5`` → haiku); Sonnet's for an unknown id."""
    found = _FAMILY_RE.search(model.replace("-", " "))
    return PROFILES[found.group(1)] if found else _DEFAULT


def pace(
    model: str,
    *,
    uncached_tokens: int,
    cached_tokens: int,
    ttft: float | None,
    rate: float | None,
    seed: int,
) -> tuple[float, float]:
    """(seconds to the first token, output tokens per second) for one reply.

    `ttft`/`rate` are the pinned values (a directive or the simulator's setting) or None for the profile's.
    `seed` makes the profile's small variation the same for the same sample.
    """
    profile = profile_for(model)
    rng = random.Random(seed)
    if ttft is None:
        ttft = profile.first_token(uncached_tokens, cached_tokens) * (1 + rng.uniform(-_JITTER, _JITTER))
    if rate is None:
        rate = profile.rate * (1 + rng.uniform(-_JITTER, _JITTER))
    return ttft, rate
