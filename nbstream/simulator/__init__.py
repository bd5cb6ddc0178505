"""An offline stand-in for the Anthropic Messages API, served over real HTTP on 127.0.0.1.

Point the official SDK at it and everything (streaming, errors, retries, timeouts) goes through the SDK's
real HTTP stack::

    from anthropic import AsyncAnthropic
    from nbstream.simulator import Simulator

    with Simulator(ttft=0.4, rate=80, batch_seconds=2.0) as sim:  # or Simulator(): each model's own pace
        client = AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0)
        ...

or from a shell: ``python -m nbstream.simulator --port 8765`` (also ``nbstream-simulator``).

Endpoints: ``POST /v1/messages`` (SSE with ``"stream": true``, else a JSON Message),
``POST /v1/messages/count_tokens``, and the Message Batches API: ``POST /v1/messages/batches`` (create),
``GET /v1/messages/batches`` (list: ``limit`` 1-1000, default 20, ``after_id``/``before_id``, newest first),
``GET /v1/messages/batches/{id}`` (retrieve), ``POST /v1/messages/batches/{id}/cancel``,
``DELETE /v1/messages/batches/{id}`` and ``GET /v1/messages/batches/{id}/results`` (JSON Lines); control:
``GET /_sim/requests``, ``POST /_sim/reset`` (forgets the log, ``times=N`` and sample counts, the prompt cache
and the batches), ``GET|POST /_sim/config`` (JSON ``{"ttft": s_or_null, "rate": tok_per_s_or_null, "tokens":
n_or_null, "batch_seconds": s}``; the same settings as ``Simulator(...)``, ``sim.configure(...)`` and the CLI).
Every response has the headers ``request-id: req_sim_<hex>`` and ``x-nbstream-simulator: 1``.
API keys: any key in ``Authorization: Bearer`` or ``x-api-key``; none gives a 401, ``sk-bad...`` a 401 too.

Replies are shaped by the prompt where that is cheap and honest (a haiku, one word, N sentences, written-out
answers to the project's notebook prompts), else generic Markdown of 150-300 tokens; identical requests get
different samples (the log's ``sample``: 0, 1, 2...); ``tokens=``/``seed=`` give the classic scripted text.
One ``text_delta`` per token of at most 4 characters. A stream sends its headers, ``message_start``,
``content_block_start`` and one ``ping`` as soon as the request has arrived; the first token is due
``ttft`` seconds after arrival and then one every ``1/rate`` seconds (scheduled by the clock, so high rates
hold). Without a pinned ``ttft``/``rate`` (the default) each model family has a latency profile: a smaller
model answers sooner and faster, a longer prompt delays the first token, a cache read takes most of that
back. A non-streaming reply comes whole after ``ttft + tokens/rate``. ``max_tokens`` and
``stop_sequences`` cut the reply as the API would. README.md (beside this file) details replies and
profiles, and where the profiles' numbers come from.

Directives
----------
Write ``[[sim: key=value key=value ...]]`` anywhere in the ``system`` text or in a user message's text to
choose a scenario for that request. Several directives may appear (all of them in the request are read,
system first, then the messages in order); a later key wins. The directive stays in the prompt. An unknown
key or a bad value makes the request fail with a 400 ``invalid_request_error`` naming the key.

Timing and size
    ``ttft=S`` seconds to the first token · ``rate=R`` tokens per second (either pins the pace for this
    request, whatever the model) · ``tokens=N`` reply length (capped by ``max_tokens``, which then gives
    ``stop_reason: "max_tokens"``) · ``seed=N`` reply text (default: a hash of the last user message plus
    the sample number); ``tokens`` and ``seed`` give scripted Markdown instead of a reply shaped by the
    prompt.
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
Tool use (when the request has ``tools`` with an ``input_schema``)
    ``tool_calls=N`` when the last message is a plain user turn, the reply is "Let me look that up." and N
    ``tool_use`` blocks (ids ``toolu_sim_<hex>``) calling the request's tools in turn, with inputs made from
    each ``input_schema`` (every property filled, deterministically), streamed as the API does
    (``input: {}``, an ``input_json_delta`` of ``""``, then JSON fragments, each paced and counted as an
    output token), ``stop_reason: "tool_use"``. When the last message begins with ``tool_result`` blocks the
    reply is text that quotes each result ("get_weather said: 18°C, clear." or "... failed: ..." for
    ``is_error``) and goes on as a normal answer. ``tool_loop=1`` calls tools on every turn, even after
    results. ``tool_choice`` is honoured (``none``: never; ``any``/``tool``: always, even without a
    directive; ``disable_parallel_tool_use``: one call). Without tools the directive does nothing.
    Every request checks the API's pairing rule: a message after an assistant turn with ``tool_use`` blocks
    must begin with one ``tool_result`` per ``tool_use``, else a 400 ``messages.N: Did not find K
    tool_result block(s) at the beginning of this message. ...`` (an unknown or repeated ``tool_use_id``
    gets the API's "unexpected `tool_use_id`" 400). ``max_tokens`` counts every block; a tool call that
    does not fit is dropped whole. ``stop_sequences`` apply to text answers only.
Thinking
    ``thinking=1`` puts a ``thinking`` block first (``thinking_delta`` tokens, counted as output and in
    ``usage.output_tokens_details.thinking_tokens``, then one ``signature_delta``); ``thinking_text=0``
    sends no text for it, only the signature, after the same thinking time (the API's display omitted);
    ``redacted=1`` adds a ``redacted_thinking`` block.
Structured output
    A request with ``output_config.format`` (``{"type": "json_schema", "schema": ...}``) is answered with
    JSON fitting the schema, built from the prompt (its capitalised names for strings, its numbers for
    numbers, in order; the seed for the rest). ``off_schema=1`` leaves out the first required field, for
    a reply that does not fit. ``max_tokens`` cuts the JSON as it cuts any text.
Request parameters (no directive needed: checked as the API checks them, a 400 otherwise)
    Unknown top-level keys ("Extra inputs are not permitted"); ``temperature``/``top_p``/``top_k`` under
    ``anthropic-version: 2026-10-21`` (taken under ``2023-06-01``); ``thinking`` (its type, a budget of at
    least 1,024 and below ``max_tokens``, ``display``; ``disabled`` on Opus 5.5, Sonnet 5.5, Fable 5.1/5.2);
    ``output_config`` (``effort``, ``format``); ``tool_choice`` (a named tool must exist; ``any``/``tool``
    refused by Opus 5.5, Sonnet 5.5, Fable 5.1); ``speed``, ``service_tier``, ``metadata.user_id``.
Server tools, citations, stop reasons, the unknown (``_content.py``)
    ``server_tools=web_search,web_fetch,code_execution,bash_code_execution,text_editor_code_execution`` (any
    of them, in order) starts the reply with a ``server_tool_use`` block per tool (its input streamed as
    ``input_json_delta`` fragments) and its result block (``web_search_tool_result`` with three results,
    ``web_fetch_tool_result``, ``code_execution_tool_result`` with stdout/stderr/return code, ...);
    ``usage.server_tool_use`` counts the searches and fetches. Without the directive, the server tools the
    request enables (``tools`` naming ``web_search``, ``web_fetch``, ``code_execution``) run on a new prompt.
    ``server_error=1`` makes their results errors. ``citations=char_location,page_location,
    content_block_location,web_search_result_location,search_result_location`` (or ``all``) splits the
    answer into cited text blocks (``citations: []`` at the start, one ``citations_delta``), one per kind,
    then the rest; a web search cites its first result unless told otherwise. ``stop=refusal`` (with
    ``category=cyber|bio|frontier_llm|reasoning_extraction|general_harms``) ends after a few tokens with
    ``stop_details``; ``stop=pause_turn`` (``pauses=N``, default 1) pauses the turn N times: a request whose
    messages end with N assistant turns (the content sent back) gets the rest; ``stop=model_context_window_
    exceeded`` ends half-way. ``unknown_block=1`` adds a block of type ``future_block`` with a delta of
    type ``future_delta``. With ``echo=1`` the prompt is what the search results' titles and URLs, the cited
    text and sources, the fetched page and the code's output say (hostile content for the tests).

Example: ``"Tell me a story [[sim: tokens=40 fault=error_event error=overloaded_error after=10]]"``.
``count_tokens`` checks directives but applies none.

Prompt caching
--------------
Modelled on the API (reference §7), no directive needed. ``cache_control: {"type": "ephemeral", "ttl"?:
"5m"|"1h"}`` may sit on tool definitions, ``system`` blocks and message content blocks, or at the top level
(automatic caching: the last cacheable block is marked); at most 4 breakpoints, else the API's 400. A
breakpoint's prefix is everything up to and including its block in the order tools → system → messages,
for that model. The simulator keeps an in-memory cache of prefixes (5 minutes, or 1 hour for ``"1h"``,
refreshed when read). Each breakpoint looks for a cached prefix at its block or up to 20 blocks before it;
the longest found is read (``cache_read_input_tokens``). Breakpoints past it whose prefix is new and at
least the model's minimum are written (``cache_creation_input_tokens``, split into
``cache_creation.ephemeral_5m_input_tokens``/``ephemeral_1h_input_tokens``). ``input_tokens`` is the rest.
Minimum prefixes: 512 tokens (Opus 5.5, Sonnet 5.5, Opus 5, Fable 5.x, Mythos 5.x), 1,024 (Opus 4.8,
Sonnet 5, Sonnet 4.6/4.5, Haiku 5.5 (unpublished: a guess) and unknown models), 2,048 (Opus 4.7), 4,096
(Opus 4.6/4.5, Haiku 4.5); below it nothing is cached and both counters stay 0. Token sizes use the same
estimate as ``input_tokens`` (4 characters a token). ``count_tokens`` ignores caching; ``sim.reset()`` and
``POST /_sim/reset`` empty the cache.

Message Batches
---------------
As in the API (reference §9): a batch (``msgbatch_sim_<hex>``) takes ``batch_seconds`` (default 2; 0 ends it
at once) and its requests complete one after another over that time; ``processing_status`` is
``in_progress`` until the end, then ``ended``, and, as in the API, ``request_counts`` other than
``processing`` stay 0 until then. ``results_url`` appears once ended, absolute, built from the request's
``Host`` header. Cancelling gives ``canceling`` with ``cancel_initiated_at``; the batch ends a tenth of
``batch_seconds`` later and every request not done by the cancel is ``canceled`` (cancelling again, or an
ended batch, changes nothing). ``DELETE`` works only once ended (else a 400); results before the end are a
400, an unknown id a 404. The request list is checked at once (a list of 1 to 100,000 items, unique
``custom_id`` matching ``^[a-zA-Z0-9_-]{1,64}$``, ``params`` an object: else a 400); each request's params
are checked as ``POST /v1/messages`` would, and fixed at creation: an invalid one ends ``errored`` with the
400's error. A succeeded result is the same Message ``/v1/messages`` would give (text, tools, thinking,
prompt cache) with ``usage.service_tier: "batch"``. Results come in an order of their own.
Directive (in a request's params)
    ``batch_result=errored|expired|canceled`` (default ``succeeded``); ``errored`` takes its error type
    from ``error=TYPE`` (default ``overloaded_error``); ``status=CODE`` also ends it ``errored`` with that
    status's error type; a stream-only ``fault`` ends it ``errored`` (as it is a 400 without streaming).
    Other faults and the timing directives do not apply to batches; a bad directive ends it ``errored``.

Playback
--------
A ``POST /v1/messages`` with the header ``x-nbstream-play: <key>`` is answered from a recorded reply that
nbstream stored in ``sim.playback`` (its replay and recorded lessons), at its recorded pace, never from a
simulated one; an unknown key is a 404. Played requests are not in the request log (``_playback``).

Request log
-----------
``sim.requests`` (and ``GET /_sim/requests``) lists one dict per API request, oldest first: ``id`` (the
request-id), ``method``, ``path``, ``model``, ``stream``, ``directive`` (the keys given, parsed), ``body``
(the JSON body; never headers or keys), ``attempt`` (1-based, per identical body), ``connection``
(a serial number: equal numbers mean a reused keep-alive connection), ``received_at``,
``headers_sent_at``, ``first_token_at``, ``ended_at``, ``client_closed_at`` (all ``time.monotonic()`` of the
server's process, or None), ``tokens_sent``, ``status``, ``error`` (error type of an error status),
``stop_reason``, ``input_tokens``, ``cache_read_input_tokens``, ``cache_creation_input_tokens`` (the
prompt cache's reads and writes, in tokens; None when no reply was planned), ``images`` and ``documents``
(how many image and document blocks it had), ``sample`` (replies this exact body had before),
``ttft_planned`` and ``rate_planned`` (the pace the reply was given; None when no reply was planned),
``batch_id`` (for the batch endpoints), and ``outcome``: ``completed``, ``client_closed`` (the client closed the
connection before the response was complete), ``fault`` (a fault was injected; ``client_closed_at`` is still
set if the client then went away), ``error_status``, or None while in progress.
"""

from ._directives import Directive, DirectiveError, parse_directive_text, parse_directives
from ._messages import Settings
from ._server import Simulator

__all__ = ["Directive", "DirectiveError", "Settings", "Simulator", "parse_directive_text", "parse_directives"]
