"""Deterministic reply text (varied Markdown) and its tokenisation into small word pieces.

A reply is composed to an exact number of tokens, because `tokens=N` must mean N `text_delta` events and
`usage.output_tokens == N`. Tokens are whitespace-led word pieces of at most 4 characters, so
``"".join(tokens)`` is the text and streaming looks like a real model's.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator

__all__ = ["compose", "natural_length", "seed_for", "thinking", "tokenize"]

_TOKEN_CHARS = 4
_WORD_RE = re.compile(r"\s*\S+|\s+")

# Natural reply length when no `tokens` setting is given.
_MIN_NATURAL, _MAX_NATURAL = 150, 300


def tokenize(text: str) -> list[str]:
    """Split `text` into whitespace-led pieces of at most 4 characters; joining them gives `text` back."""
    pieces: list[str] = []
    for match in _WORD_RE.finditer(text):
        word = match.group()
        pieces.extend(word[i : i + _TOKEN_CHARS] for i in range(0, len(word), _TOKEN_CHARS))
    return pieces


def seed_for(text: str) -> int:
    """A stable seed from a prompt (Python's `hash()` is salted per process, so use a digest)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def natural_length(seed: int) -> int:
    """The reply length, in tokens, the simulator picks for a prompt when nothing sets it."""
    return random.Random(seed).randint(_MIN_NATURAL, _MAX_NATURAL)


def compose(seed: int, n_tokens: int) -> list[str]:
    """The tokens of a Markdown reply of exactly `n_tokens` tokens, the same for the same seed.

    Whole units (a heading, a sentence, a list, a code block) are added while they fit; units that do not fit
    are skipped, and the last few tokens are a short closing sentence made to measure. Every unit after the
    first starts with whitespace and none ends with it, so token counts add up unit by unit.
    """
    rng = random.Random(seed ^ 0x5EED)
    tokens: list[str] = []
    if n_tokens <= 0:
        return tokens
    skipped = 0
    for unit in _units(rng):
        room = n_tokens - len(tokens)
        if room < 6 or skipped > 24:
            break
        if unit.startswith(" ") and skipped:
            continue  # a sentence continuing a paragraph whose previous part was skipped
        piece = tokenize(unit if tokens else unit.lstrip())
        left = room - len(piece)
        # Never leave exactly 1 token (a 1-token closing sentence cannot start a new paragraph), and never end
        # on a heading with nothing under it.
        heading = unit.lstrip().startswith("#")
        if (left == 0 and not heading) or left >= (20 if heading else 2):
            tokens.extend(piece)
            skipped = 0
        else:
            skipped += 1
    tokens.extend(_closing(rng, n_tokens - len(tokens), first=not tokens))
    return tokens


def thinking(seed: int, lead: str | None = None) -> str:
    """A few sentences of the model "thinking aloud" (for a thinking block), starting with `lead` if given."""
    rng = random.Random(seed ^ 0x7A1)
    sentences = rng.sample(_THOUGHTS, 3)
    return " ".join([lead, *sentences[:2]] if lead else sentences)


# ------------------------------------------------------------------------------------------------------------
# Word banks. Plain ASCII so that character counts are predictable.

_TOPICS = [
    ("streaming", "stream", "the first token"),
    ("notebooks", "notebook", "a cell"),
    ("token rates", "rate", "the output"),
    ("latency", "delay", "the reply"),
    ("retries", "retry", "the request"),
    ("caching", "cache", "the prompt"),
    ("parallel calls", "panel", "each row"),
    ("widgets", "widget", "the view"),
    ("cancellation", "cancel", "the task"),
    ("markdown", "render", "the page"),
    ("usage", "budget", "the bill"),
    ("tool use", "tool", "the result"),
]
_HEADINGS = [
    "A short note on {topic}",
    "How {topic} fit in",
    "Thinking about {topic}",
    "{Topic}, step by step",
    "What matters for {topic}",
    "Notes on {topic}",
]
_SUBHEADINGS = [
    "In practice",
    "A closer look",
    "Trade-offs",
    "Details",
    "Next steps",
    "Why it helps",
    "Edge cases",
]
_SENTENCES = [
    "The {noun} keeps {object} moving, so every piece shows up as soon as it is ready.",
    "A good {noun} feels fast because {object} appears early, even when the whole reply takes a while.",
    "Each step is small, which makes it easy to follow what {object} is doing.",
    "You can watch the {noun} grow token by token and stop it at any time.",
    "When something goes wrong, the **{noun}** reports it clearly instead of failing quietly.",
    "The key idea is simple: measure first, then change one thing at a time.",
    "Use `{code}` when you want to see {object} without waiting for the end.",
    "Most of the time the default settings are fine, and **small changes** go a long way.",
    "It helps to keep {object} short and to check the numbers after each run.",
    "There is no magic here, only a loop that reads events and updates the {noun}.",
    "The same {noun} behaves the same way every time, which makes tests reliable.",
    "Keep an eye on `{code}`, since it tells you how {object} is doing.",
    "In a notebook this matters more, because the output stays on the page.",
    "A clear error is better than a silent gap, so **report the cause** right away.",
    "This works well with a few calls at once, as long as each one has its own {noun}.",
    "Try it once by hand, then turn it into a small function you can reuse.",
]
_LIST_INTROS = [
    "A few things to keep in mind:",
    "Here is what usually helps:",
    "The main points are:",
    "Some useful checks:",
]
_ITEMS = [
    "Start with a **small** example.",
    "Print `{code}` when in doubt.",
    "Measure the time to the first token.",
    "Check `{code}` after each run.",
    "Keep {object} easy to read.",
    "Cancel early when the answer is clear.",
    "Log every error with its cause.",
    "Retry only what is safe to retry.",
    "Watch the token rate, not just the total.",
    "Compare two settings side by side.",
    "Write down what you changed.",
]
_CODE_NAMES = ["usage", "stop_reason", "output_tokens", "request_id", "ttft", "rate", "status"]
_SNIPPETS = [
    '```python\nasync for event in {var}:\n    if event.type == "text":\n        print(event.text, end="")\n```',
    "```python\ndef {func}(tokens, seconds):\n    return tokens / max(seconds, 1e-9)\n```",
    '```python\nresult = await {func}("{word}")\nprint(result.{code})\n```',
    "```text\n{word}: ok\ntokens: 42\nstatus: done\n```",
    (
        "```python\nfor attempt in range(3):\n    try:\n        return await {func}()\n"
        "    except TimeoutError:\n        continue\n```"
    ),
]
_FUNCS = ["ask", "run_once", "fetch_reply", "token_rate", "summarise"]
_VARS = ["stream", "events", "reply"]

# Closing sentences; `_closing` combines them to hit the exact token count left over.
_THOUGHTS = [
    "The user wants a clear answer, so a short heading and a list will help.",
    "I should keep the explanation concrete and avoid jargon.",
    "A small code example might make this easier to follow.",
    "Let me make sure the main point comes first.",
    "Two short paragraphs should be enough here.",
    "I should mention the trade-offs before recommending anything.",
    "It is worth checking the numbers once more before answering.",
]
_CLOSERS = [
    "Done.",
    "Enjoy.",
    "All done.",
    "Enjoy it.",
    "That is all.",
    "Hope this helps.",
    "That is the gist.",
    "Try it out.",
    "Have fun with it.",
    "That covers the basics.",
    "Ask if anything is unclear.",
    "Let me know if you want more detail.",
    "Happy streaming.",
    "Thanks for reading.",
]


def _deck(rng: random.Random, items: list[str]) -> Iterator[str]:
    """Draw without repeats until the list is used up, then reshuffle (no sentence twice in a row)."""
    while True:
        yield from rng.sample(items, len(items))


def _units(rng: random.Random) -> Iterator[str]:
    topic, noun, obj = rng.choice(_TOPICS)
    fill = {"topic": topic, "Topic": topic.capitalize(), "noun": noun, "object": obj}

    def fmt(template: str) -> str:
        return template.format(
            code=rng.choice(_CODE_NAMES),
            func=rng.choice(_FUNCS),
            var=rng.choice(_VARS),
            word=noun,
            **fill,
        )

    sentences = _deck(rng, _SENTENCES)

    def paragraph(n: int, first: str | None = None) -> Iterator[str]:
        for i in range(n):
            yield ("\n\n" if i == 0 else " ") + fmt(first if i == 0 and first else next(sentences))

    def bullets(n: int, must: list[str] | None = None) -> Iterator[str]:
        must = must or []
        picked = must + rng.sample([item for item in _ITEMS if item not in must], n - len(must))
        rng.shuffle(picked)
        # One unit, so a short reply never ends on a dangling "...:" nor has items without their intro.
        yield "\n\n" + rng.choice(_LIST_INTROS) + "".join("\n- " + fmt(item) for item in picked)

    # The opening section always has a heading, some **bold**, a list and an inline `code` span, so that
    # even a short reply exercises a Markdown renderer; later sections vary freely.
    yield "## " + fmt(rng.choice(_HEADINGS))
    yield from paragraph(2, first=rng.choice([t for t in _SENTENCES if "**" in t]))
    yield from bullets(3, must=[rng.choice([t for t in _ITEMS if "`" in t])])
    if rng.random() < 0.6:
        yield "\n\n" + fmt(rng.choice(_SNIPPETS))
    yield from paragraph(rng.randint(1, 3))
    # Long replies (tokens=5000) continue with more sections of the same shape.
    while True:
        yield "\n\n### " + rng.choice(_SUBHEADINGS)
        yield from paragraph(rng.randint(1, 3))
        if rng.random() < 0.5:
            yield from bullets(rng.randint(3, 5))
        if rng.random() < 0.3:
            yield "\n\n" + fmt(rng.choice(_SNIPPETS))
        yield from paragraph(rng.randint(1, 2))


def _closing(rng: random.Random, n: int, *, first: bool) -> list[str]:
    """Closing sentences of exactly `n` tokens, as their own paragraph (or the whole reply when `first`)."""
    if n == 1:
        return ["Ok."] if first else [" ok."]  # only reachable for a 1-token reply
    tokens: list[str] = []
    prefix = "" if first else "\n\n"
    while len(tokens) < n:
        left = n - len(tokens)
        options = [tokenize(prefix + s) for s in _CLOSERS]
        exact = [t for t in options if len(t) == left]
        # Leave at least 2 tokens for the next sentence: the shortest closer costs 2.
        fitting = exact or [t for t in options if len(t) <= left - 2]
        tokens.extend(rng.choice(fitting))
        prefix = " "
    return tokens
