"""Tools that ask first (``approve=True``): each tool call waits for the user's Approve or Deny.

A turn's calls are all asked at once (each card shows its arguments and two buttons); once every one is
decided, the approved ones run together and each denied one goes back to the model as an ``is_error``
result saying the user declined. No decision within ``approve_timeout`` seconds ends the run
(:class:`NoDecision`); the Cancel button cancels the wait like any other part of the run.

Decisions come from the view's Approve / Deny intents (custom widget messages, the same path as Cancel,
so they arrive while the cell awaits on every host where Cancel does) or from code
(``StreamWidget.approve()`` / ``deny()``). They are applied on the run's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ._accumulate import Block
from ._events import RunEvent, ToolAwaitingApproval, ToolFinished

DEFAULT_TIMEOUT = 300.0  # seconds a tool call waits for a decision
DECLINED = "The user declined this tool call; it was not run."


class NoDecision(Exception):
    """Nobody approved or denied a tool call in time."""

    def __init__(self, names: list[str], timeout: float) -> None:
        calls = ", ".join(dict.fromkeys(names))
        super().__init__(f"No one approved or denied the tool call {calls} within {timeout:g} s; the run stopped.")


class Approvals:
    """The calls waiting for a decision, by tool_use id."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._waiting: dict[str, asyncio.Future[bool]] = {}

    @property
    def waiting(self) -> list[str]:
        """The tool_use ids that wait for a decision now."""
        return list(self._waiting)

    def decide(self, tool_id: str | None, approved: bool) -> bool:
        """Approve or deny one waiting call (``None``: every waiting call). Call on the run's loop. True if
        a waiting call was decided (a late or repeated click decides nothing)."""
        ids = list(self._waiting) if tool_id is None else [tool_id]
        decided = False
        for key in ids:
            future = self._waiting.get(key)
            if future is not None and not future.done():
                future.set_result(approved)
                decided = True
        return decided

    async def ask(self, calls: list[Block], notify: Callable[[RunEvent], None]) -> list[bool]:
        """Every call's decision, in order. Raises NoDecision after the timeout; cancellation passes."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[bool]] = []
        for call in calls:
            future: asyncio.Future[bool] = loop.create_future()
            self._waiting[call.tool_id or ""] = future
            futures.append(future)
            notify(ToolAwaitingApproval(call.tool_id or "", call.tool_name or ""))
        try:
            return list(await asyncio.wait_for(asyncio.gather(*futures), self.timeout))
        except TimeoutError:
            undecided = [c.tool_name or "" for c, f in zip(calls, futures, strict=True) if f.cancelled()]
            raise NoDecision(undecided, self.timeout) from None
        finally:
            for call, future in zip(calls, futures, strict=True):
                self._waiting.pop(call.tool_id or "", None)
                if not future.done() or future.cancelled():  # the run stopped first: the card says so
                    notify(ToolFinished(call.tool_id or "", call.tool_name or "", False, 0.0, "Not run: no decision."))
