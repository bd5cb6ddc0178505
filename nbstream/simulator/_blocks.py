"""The blocks of a simulated reply, and the stream events (steps) each one is sent as."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal, NamedTuple, Protocol


class Step(NamedTuple):
    """One event of a block's stream. Only `token` steps are paced by the rate and count as output tokens."""

    kind: Literal["start", "token", "silent", "frame", "stop"]  # silent: paced and counted, but not sent
    event: dict[str, Any]


class Block(Protocol):
    output_tokens: int

    def content(self) -> dict[str, Any]: ...

    def steps(self, index: int) -> Iterator[Step]: ...

    def cut(self, tokens: int) -> Block | None:
        """The block cut to its first `tokens` output tokens (None: nothing of it can be kept)."""
        ...


class TextBlock:
    """A text block: one `text_delta` per token."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.output_tokens = len(self.tokens)

    def content(self) -> dict[str, Any]:
        return {"type": "text", "text": "".join(self.tokens)}

    def steps(self, index: int) -> Iterator[Step]:
        yield Step(
            "start",
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        )
        for token in self.tokens:
            yield Step(
                "token",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": token},
                },
            )
        yield Step("stop", {"type": "content_block_stop", "index": index})

    def cut(self, tokens: int) -> TextBlock | None:
        return TextBlock(self.tokens[:tokens]) if tokens > 0 else None
