"""User-facing errors: one line, no traceback, nothing sent."""

from __future__ import annotations


class NbstreamError(Exception):
    """Base of nbstream's own errors. In IPython it prints as one line instead of a traceback."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting a traceback (InteractiveShell.showtraceback).
        return [f"{type(self).__name__}: {self}"]


class InputError(NbstreamError, ValueError):
    """Bad input (an option, an argument, a configuration value, a prompt): nothing was sent."""


class Interrupted(NbstreamError):
    """The kernel was interrupted while a call was streaming; the partial result was kept."""
