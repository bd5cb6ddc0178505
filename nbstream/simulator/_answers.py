"""Replies shaped by the prompt, where that is cheap and honest: what the offline model says to a question.

:func:`answer` reads the last user prompt (directives removed) and returns the text of a reply, or None
when it has nothing better than the simulator's generic Markdown. In order:

1. a fixed cell when asked to fix a failing one (``_fixes``), or a written-out answer to one of the
   project's notebook prompts (``_canned``);
2. a haiku when asked for a haiku;
3. one word when asked for one word: a sentiment from a small word list, one of the choices the prompt
   offers ("yes or no", "A, B or C"), else a word from a bank;
4. for a term in the glossary (``_glossary``): what it stands for, a tip, or one to three sentences
   (``in one sentence``, ``in two sentences``, ``define``, ``in one paragraph``, or a plain question);
5. ``in N sentences`` or ``in one paragraph`` about anything else: that many sentences of generic text.

:func:`after_tools` is what follows quoted tool results: a short closing, or, when a tool failed, the
answer from memory if there is one.

`variant` (the sample number, offset by the model) picks among equivalent answers, so ``-n 4`` gives four
different replies and different models word the same facts differently.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from ._canned import (
    CAT_CAFE_NAMES,
    HAIKU_KEYS,
    HAIKUS,
    HANDSHAKE_FOR_KIDS,
    HISTORY_OF_COMPUTING,
    ONE_WORDS,
    WHY_THREE_STEPS,
)
from ._fixes import fix_answer
from ._glossary import Term, find_term
from ._tools import ToolResult

__all__ = ["after_tools", "answer", "one_word"]

_NUMBERS = {"one": 1, "a": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
            "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}  # fmt: skip
_SENTENCES_RE = re.compile(r"\b(?:in |with |using )?(a single|single|one|a|two|three|four|five|[1-5]) sentences?\b")
_PARAGRAPH_RE = re.compile(r"\b(?:in )?(?:one|a|a single|a short) paragraph\b")
_ONE_WORD_RE = re.compile(r"\b(?:one|single|1)[ -]word\b|\bin a word\b")
_HAIKU_RE = re.compile(r"\bhaiku\b")
_LONG_RE = re.compile(r"\b(?:long|in detail|detailed|in depth|essay|story|whole|everything)\b")
_OPENERS = ("", "Put simply: ", "In short: ", "Briefly: ")

# Sentiment by counting words; "though"/"but" with both kinds is mixed.
_POSITIVE = frozenset(
    "gorgeous great love loves loved best excellent amazing perfect good fantastic happy recommend beautiful "
    "decent value wonderful nice superb brilliant pleased delighted fast lasts".split()
)
_NEGATIVE = frozenset(
    "broken broke never terrible awful worst bad slow crashing crashes crash loud hot poor disappointed "
    "disappointing refund useless hate hated late noisy cheap flimsy rude missing wrong".split()
)
_NEUTRAL = ("nothing special", "it works", "okay", "average", "fine", "as expected", "so-so")


def answer(prompt: str, variant: int) -> str | None:
    """The reply's text for `prompt`, or None to let the simulator compose generic Markdown."""
    lowered = " ".join(prompt.lower().split())
    for shaped in (fix_answer(prompt), _notebook_answer(prompt, lowered, variant), _haiku(lowered, variant)):
        if shaped is not None:
            return shaped
    if _ONE_WORD_RE.search(lowered):
        return one_word(prompt, variant)
    count = _sentence_count(lowered)
    term = find_term(lowered)
    if term is not None and (count is not None or not _LONG_RE.search(lowered)):  # three sentences are no story
        return _about(term, lowered, count, variant)
    if count is not None:
        return _generic_sentences(count, variant)
    return None


def after_tools(results: Sequence[ToolResult], question: str, variant: int) -> str:
    """What follows the quoted tool results: from memory when a tool failed, else a short closing."""
    if any(result.is_error for result in results):
        known = answer(question, variant)
        if known is not None:
            return "The tool failed, so this is from memory: " + known
        return "The tool failed, so I cannot answer that reliably right now; please try again later."
    return "That is what the tools report. Ask if you want me to look anything else up."


def _notebook_answer(prompt: str, lowered: str, variant: int) -> str | None:
    if "handshake" in lowered and re.search(r"year-old|year old|child|kid|analogy", lowered):
        if "pizza" in lowered:
            return HANDSHAKE_FOR_KIDS["pizza"]
        found = re.search(r"using (.+?) as an analogy", prompt, re.IGNORECASE)
        return HANDSHAKE_FOR_KIDS[""].replace("{analogy}", found.group(1) if found else "a phone call")
    if "history of computing" in lowered:
        return HISTORY_OF_COMPUTING
    if re.search(r"why three\b|three steps", lowered) and "two" in lowered:
        return WHY_THREE_STEPS
    if "name" in lowered and "cat" in lowered and re.search(r"caf[eé]|coffee", lowered):
        return _pick(CAT_CAFE_NAMES, variant, lowered)
    return None


def _haiku(lowered: str, variant: int) -> str | None:
    if not _HAIKU_RE.search(lowered):
        return None
    subject = lowered.split("haiku", 1)[1]
    bank = next(
        (HAIKUS[key] for key, words in HAIKU_KEYS.items() if any(word in subject for word in words)),
        HAIKUS[""],
    )
    return _pick(bank, variant, lowered)


def one_word(prompt: str, variant: int = 0) -> str:
    """One word for `prompt`: a sentiment, one of the prompt's own choices, or a word from the bank."""
    lowered = prompt.lower()
    if "sentiment" in lowered or "review" in lowered:
        return _sentiment(lowered.split(":", 1)[-1])
    choices = _choices(prompt)
    if choices:
        return _pick(choices, variant, lowered)
    return _pick(ONE_WORDS, variant, lowered)


def _sentiment(text: str) -> str:
    words = re.findall(r"[a-z']+", text)
    positive = sum(word in _POSITIVE for word in words)
    negative = sum(word in _NEGATIVE for word in words)
    if positive and negative and abs(positive - negative) <= 1:
        return "Mixed"
    if positive > negative:
        return "Positive"
    if negative > positive:
        return "Negative"
    return "Neutral"


def _choices(prompt: str) -> tuple[str, ...]:
    """The options of "yes or no", "A, B or C" in the prompt (capitalised), if it offers any."""
    found = re.search(r"((?:[A-Za-z-]+, )*[A-Za-z-]+),? or ([A-Za-z-]+)\b", prompt)
    if not found:
        return ()
    first = [w for w in found.group(1).split(", ") if w]
    options = [first[-1].split()[-1], *first[:-1], found.group(2)] if len(first) == 1 else [*first, found.group(2)]
    return tuple(option.capitalize() for option in options)


def _sentence_count(lowered: str) -> int | None:
    found = _SENTENCES_RE.search(lowered)
    if found:
        return _NUMBERS[found.group(1)]
    return 3 if _PARAGRAPH_RE.search(lowered) else None


def _about(term: Term, lowered: str, count: int | None, variant: int) -> str:
    if re.search(r"stand(?:s)? for|acronym|abbreviat", lowered) and term.expansion:
        return f"{term.title} stands for **{term.expansion}**. {term.sentences[1]}"
    if re.search(r"\btips?\b|\badvice\b", lowered):
        return term.tip
    if count is None:
        count = 2 if re.search(r"\bdefine\b|\bdefinition\b", lowered) else 3
    text = " ".join(term.sentences[: min(count, 3)])
    return _open(text, _OPENERS[variant % len(_OPENERS)])


def _generic_sentences(count: int, variant: int) -> str:
    """`count` plain sentences when the model knows nothing specific (the shape is what matters)."""
    rng = random.Random(variant)
    return " ".join(rng.sample(_GENERIC, min(count, len(_GENERIC))))


_GENERIC = [
    "The short answer is that it depends on what you need most.",
    "Start with the simplest version that works, then measure before you change anything.",
    "Most of the cost comes from a few parts, so look at those first.",
    "A small example usually explains it better than a long definition.",
    "The trade-off is between doing it quickly and doing it carefully.",
]


def _open(text: str, opener: str) -> str:
    if not opener:
        return text
    first, _, rest = text.partition(" ")
    first = first.lower() if first in ("A", "An", "The") else first
    return f"{opener}{first} {rest}"


def _pick(options: tuple[str, ...], variant: int, salt: str) -> str:
    """Option `variant` of a fixed shuffle of `options` (the shuffle depends on the prompt)."""
    order = list(options)
    random.Random(salt).shuffle(order)
    return order[variant % len(order)]
