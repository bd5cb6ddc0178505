"""The words of a prompt that a tool call's arguments should come from: places, key terms, content words.

Cheap heuristics over the prompt's words in order (no language model): a place is a capitalised name after
"in", "at", "for"... ("the weather in Paris" → Paris), a key term is an acronym or a capitalised word that
does not start the sentence ("What does TCP stand for?" → TCP), and content words skip the question and
filler words a real model would never pass to a tool.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["content_words", "key_term", "places"]

_BEFORE_PLACE = frozenset({"in", "at", "for", "to", "from", "near", "of", "around", "visiting"})
_NOT_PLACES = frozenset({"I", "The", "A", "An", "Celsius", "Fahrenheit", "English", "Monday", "Tuesday",
                         "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})  # fmt: skip
_LINKS = frozenset({"de", "da", "del", "la", "le"})  # inside names: Rio de Janeiro
_FILLER = frozenset(
    "what whats what's when where which who whom whose why how does do did is are was were be can could "
    "would should will shall may might must tell give show please explain describe find get look lookup "
    "about there their this that these those with from have has into just like also some any the and "
    "for you your me my our it its an a of in on at to".split()
)


def places(words: Sequence[str]) -> list[str]:
    """Capitalised names right after a place preposition, in order, without repeats ("New York" is one)."""
    found: list[str] = []
    i = 0
    ended_place = -1  # index just past the last place found: "in Paris and Rome" names two
    while i < len(words):
        before = words[i].lower() in _BEFORE_PLACE or (i == ended_place and words[i].lower() in ("and", "or"))
        if before and i + 1 < len(words) and _is_name(words[i + 1]):
            name = [words[i + 1]]
            j = i + 2
            while j < len(words) and (
                _is_name(words[j]) or (words[j] in _LINKS and j + 1 < len(words) and _is_name(words[j + 1]))
            ):
                name.append(words[j])
                j += 1
            place = " ".join(name)
            if place not in found:
                found.append(place)
            i = ended_place = j
        else:
            i += 1
    return found


def _is_name(word: str) -> bool:
    return word[:1].isupper() and word not in _NOT_PLACES and not (len(word) > 1 and word.isupper())


def key_term(words: Sequence[str]) -> str | None:
    """The prompt's key term: its first acronym, else a capitalised word past the first, else a content word."""
    for word in words:
        if len(word) > 1 and word.replace("-", "").isalnum() and word.isupper():
            return word
    for word in words[1:]:
        if word[:1].isupper() and word.lower() not in _FILLER:
            return word
    content = content_words(words)
    return max(content, key=len) if content else None


def content_words(words: Sequence[str]) -> list[str]:
    """Words of four letters or more that carry meaning (question and filler words dropped)."""
    return [word for word in words if len(word) >= 4 and word.lower() not in _FILLER]
