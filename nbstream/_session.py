"""The services a run reaches, in one explicit object: where requests go, the call log, the spend
ledger and the limiter shared by calls outside a panel.

Every run gets a :class:`Session`; by default :func:`current_session` builds one from this kernel's
settings (``use_offline()``, ``nbstream.defaults.log_path``, the kernel's ledger). A test, or a tool built
on nbstream, builds its own: ``Run(request, session=Session(endpoint=..., log=None, ...))`` runs with its
own log and limiter, no globals patched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._budget import Budget
from ._client import Endpoint
from ._ledger import Ledger, ledger, session_budget
from ._limiter import Limiter
from ._log import CallLog, current_log
from ._offline import current_endpoint

# Calls outside a panel share this: no cap, but one backoff when the API says slow down.
shared_limiter = Limiter()


@dataclass
class Session:
    endpoint: Endpoint | None = None  # None: the SDK reads ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL itself
    log: CallLog | None = None  # None: calls are not logged
    ledger: Ledger = field(default_factory=Ledger)
    limiter: Limiter = field(default_factory=Limiter)
    budget: Budget | None = None  # the session's cap (nbstream.defaults.budget); None: no cap


def current_session(endpoint: Endpoint | None = None) -> Session:
    """This kernel's services as configured now (read at each call's creation, so settings apply at once);
    ``endpoint`` given: calls go there, whatever the kernel's choice of API or offline model."""
    where = endpoint if endpoint is not None else current_endpoint()
    return Session(endpoint=where, log=current_log(), ledger=ledger, limiter=shared_limiter, budget=session_budget())
