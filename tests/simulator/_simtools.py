"""Helpers shared by the simulator tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

import anthropic

MODEL = "claude-sonnet-5-5"


def params(prompt: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": prompt}], **extra}


async def collect(
    client: anthropic.AsyncAnthropic, prompt: str = "Hello there", **extra: Any
) -> dict[str, Any]:
    """Stream with the SDK helper; return the helper events, the final message and the response headers."""
    events: list[Any] = []
    async with client.messages.stream(**params(prompt, **extra)) as stream:
        async for event in stream:
            events.append(event)
        final = await stream.get_final_message()
        headers = dict(stream.response.headers)
    return {
        "events": events,
        "final": final,
        "headers": headers,
        "text": "".join(e.text for e in events if e.type == "text"),
    }
