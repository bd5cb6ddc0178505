"""An offline stand-in for the Anthropic Messages API, served over real HTTP on 127.0.0.1.

Point the official SDK at it and everything (streaming, errors, retries, timeouts) goes through the SDK's
real HTTP stack::

    from anthropic import AsyncAnthropic
    from nbstream.simulator import Simulator

    with Simulator(ttft=0.4, rate=80) as sim:
        client = AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0)
        ...

or from a shell: ``python -m nbstream.simulator --port 8765`` (also ``nbstream-simulator``).

Endpoints: ``POST /v1/messages`` (SSE with ``"stream": true``, else a JSON Message),
``POST /v1/messages/count_tokens``; control: ``GET /_sim/requests``, ``POST /_sim/reset``,
``GET|POST /_sim/config`` (JSON ``{"ttft": s, "rate": tok_per_s, "tokens": n_or_null}``).
Every response has the headers ``request-id: req_sim_<hex>`` and ``x-nbstream-simulator: 1``.
API keys: any key in ``Authorization: Bearer`` or ``x-api-key``; none gives a 401, ``sk-bad...`` a 401 too.

Replies are deterministic Markdown (seeded by the last user message), 150-300 tokens unless set, one
``text_delta`` per token of at most 4 characters. A stream sends its headers, ``message_start``,
``content_block_start`` and one ``ping`` as soon as the request has arrived; the first token is due
``ttft`` seconds after arrival and then one every ``1/rate`` seconds (scheduled by the clock, so high rates
hold). A non-streaming reply comes whole after ``ttft + tokens/rate``. ``max_tokens`` and
``stop_sequences`` cut the reply as the API would.

Directives
----------
Write ``[[sim: key=value key=value ...]]`` anywhere in the ``system`` text or in a user message's text to
choose a scenario for that request. Several directives may appear (all of them in the request are read,
system first, then the messages in order); a later key wins. The directive stays in the prompt. An unknown
key or a bad value makes the request fail with a 400 ``invalid_request_error`` naming the key.

Timing and size
    ``ttft=S`` seconds to the first token · ``rate=R`` tokens per second · ``tokens=N`` reply length
    (capped by ``max_tokens``, which then gives ``stop_reason: "max_tokens"``) · ``seed=N`` reply text
    (default: a hash of the last user message).
HTTP errors instead of a reply
    ``status=CODE`` (400 401 402 403 404 408 409 413 422 429 500 502 503 504 529, with the API's error type:
    413 ``request_too_large``, 429 ``rate_limit_error``, 529 ``overloaded_error``, ...);
    ``retry_after=S`` adds ``retry-after``; ``should_retry=true|false`` adds ``x-should-retry``;
    ``html=1`` sends an HTML page instead of JSON.
``times=N``
    Apply ``status``/``fault`` only to the first N attempts of this same request (same body bytes, so a client
    retry counts as a new attempt); later attempts succeed. Default: every attempt. ``sim.reset()`` forgets.
Connection faults (streaming or not)
    ``fault=close_before_response`` closes the socket without answering;
    ``fault=delay_headers secs=S`` waits S seconds (default: until the client gives up) before answering.
Mid-stream faults (streaming only: on a JSON request they are a 400), injected once ``after=N`` tokens are
out (default 0)
    ``fault=error_event error=TYPE`` an ``event: error`` (default ``overloaded_error``), then the body ends;
    ``fault=error_event_raw`` the same with non-JSON data; ``fault=drop`` closes the connection mid-body
    (the SDK raises ``httpx2.RemoteProtocolError``); ``fault=reset`` aborts it with a TCP RST;
    ``fault=stall secs=S`` sends nothing for S seconds (default: until the client closes), then resumes;
    ``fault=eof`` ends the body cleanly with no ``message_delta``/``message_stop``;
    ``fault=malformed`` a ``content_block_delta`` whose data is not JSON;
    ``fault=unknown_event`` an ``event: future_event`` (then the stream continues normally);
    ``fault=bad_index`` a delta for a block index that does not exist.
Broken streams (streaming only)
    ``fault=no_event_lines`` data-only frames; ``fault=json_body`` a JSON Message instead of SSE;
    ``fault=no_message_start``; ``fault=delta_without_usage``.
Framing
    ``crlf=1`` CRLF line endings; ``chunk=N`` the body in chunks of N bytes.

Example: ``"Tell me a story [[sim: tokens=40 fault=error_event error=overloaded_error after=10]]"``.
``count_tokens`` checks directives but applies none.

Request log
-----------
``sim.requests`` (and ``GET /_sim/requests``) lists one dict per API request, oldest first: ``id`` (the
request-id), ``method``, ``path``, ``model``, ``stream``, ``directive`` (the keys given, parsed), ``body``
(the JSON body; never headers or keys), ``attempt`` (1-based, per identical body), ``connection``
(a serial number: equal numbers mean a reused keep-alive connection), ``received_at``,
``headers_sent_at``, ``first_token_at``, ``ended_at``, ``client_closed_at`` (all ``time.monotonic()`` of the
server's process, or None), ``tokens_sent``, ``status``, ``error`` (error type of an error status),
``stop_reason``, ``input_tokens``, and ``outcome``: ``completed``, ``client_closed`` (the client closed the
connection before the response was complete), ``fault`` (a fault was injected; ``client_closed_at`` is still
set if the client then went away), ``error_status``, or None while in progress.
"""

from ._directives import Directive, DirectiveError, parse_directive_text, parse_directives
from ._messages import Settings
from ._server import Simulator

__all__ = ["Directive", "DirectiveError", "Settings", "Simulator", "parse_directive_text", "parse_directives"]
