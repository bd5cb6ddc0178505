"""nbstream against a real, independent implementation of the Messages API: llama.cpp's llama-server
with Gemma 3 270M, in a real kernel, over real HTTP through a recording proxy.

Every check compares what nbstream showed or returned with the bytes the server sent, read back by the
proxy's own parser, never with nbstream's parsing of them. Replies are kept short: the model writes about
50 tokens a second on this machine's shared CPU.
"""

from __future__ import annotations

import json
import time

import pytest
from kernel.conftest import KernelSession, kernel_env
from kernel.test_llm_cell import send_to_widget, widget_state

pytestmark = [pytest.mark.llamacpp, pytest.mark.kernel]

MODEL = "gemma-3-270m"
LONG = "Write a very long story about a lighthouse keeper and the sea, chapter by chapter."
RESULT_JSON = (
    "import dataclasses, json\n"
    "print(json.dumps({'text': r.text, 'status': r.status, 'stop_reason': r.stop_reason, 'model': r.model,"
    " 'usage': dataclasses.asdict(r.usage), 'cost': r.cost, 'error': r.error}))"
)


@pytest.fixture(scope="module")
def local_kernel(proxy_server):
    session = KernelSession(kernel_env(ANTHROPIC_BASE_URL=proxy_server.base_url, ANTHROPIC_API_KEY="unused-locally"))
    session.ok("%load_ext nbstream")
    session.ok(f'%config LLMMagics.model = "{MODEL}"')
    yield session
    session.shutdown()


@pytest.fixture
def kernel(local_kernel, proxy):
    return local_kernel


def result(kernel, name: str = "r") -> dict:
    return json.loads(kernel.ok(RESULT_JSON.replace("r.", f"{name}.")).stream_text())


def assert_usage_is_the_servers(usage: dict, sent: dict) -> None:
    assert sent["output_tokens"] > 0 and sent["input_tokens"] > 0
    for key, value in sent.items():
        assert usage[key] == value, (key, usage, sent)
    assert usage["estimated"] is False


def test_a_cell_shows_and_returns_exactly_the_text_and_usage_the_server_sent(kernel, proxy):
    run = kernel.ok("%%llm --max-tokens 40 --out r\nWrite a short poem about the sea.")
    (exchange,) = proxy.messages()
    sent_text = exchange.streamed_text()
    assert exchange.complete and sent_text

    state = widget_state(run)
    assert state["status"] == "done"
    assert state["text"] == sent_text  # shown
    r = result(kernel)
    assert r["text"] == sent_text  # returned
    assert_usage_is_the_servers(r["usage"], exchange.streamed_usage())
    assert state["stats"]["output_tokens"] == exchange.streamed_usage()["output_tokens"]
    assert r["stop_reason"] == exchange.stop_reason() and r["stop_reason"] in ("end_turn", "max_tokens")
    # The server names its model file in message_start; nbstream shows the model's name, not the path.
    started = next(d for n, d in exchange.sse() if n == "message_start")
    assert started["message"]["model"].endswith(".gguf")
    assert r["model"] == "gemma-3-270m-q4_k_m"
    assert r["cost"] == 0 and state["stats"]["cost_local"] is True  # shown as "local", not "cost unknown"
    assert not [n for n, _ in exchange.sse() if n == "ping"]  # this server sends no pings: none were needed


def test_a_stream_widget_shows_and_returns_exactly_what_the_server_sent(kernel, proxy):
    start = kernel.ok(
        "from nbstream import StreamWidget\n"
        f"w = StreamWidget('Name three colours of the sea.', model='{MODEL}', max_tokens=30).display()"
    )
    kernel.ok("r = await w")
    (exchange,) = proxy.messages()
    r = result(kernel)
    assert r["status"] == "done" and r["text"] == exchange.streamed_text()
    assert_usage_is_the_servers(r["usage"], exchange.streamed_usage())
    assert r["stop_reason"] == exchange.stop_reason()
    synced = kernel.ok("print(json.dumps([w.text, w.status]))")
    assert json.loads(synced.stream_text()) == [exchange.streamed_text(), "done"]
    assert widget_state(start)["status"] in ("queued", "waiting", "streaming")


def test_a_repeated_prompt_reports_the_servers_prompt_reuse_as_cache_reads(kernel, proxy):
    prompt = "List the planets of the solar system in order, one per line, with one fact about each."
    kernel.ok(f"%%llm --max-tokens 8 --out first\n{prompt}")
    kernel.ok(f"%%llm --max-tokens 8 --out r\n{prompt}")
    second = proxy.messages()[-1]
    usage = second.streamed_usage()
    assert usage.get("cache_read_input_tokens", 0) > 0  # llama.cpp reused the slot's cached prompt
    r = result(kernel)
    assert r["usage"]["cache_read_input_tokens"] == usage["cache_read_input_tokens"]
    assert r["usage"]["input_tokens"] == usage["input_tokens"]


def test_a_reply_that_fills_the_slots_context_ends_at_max_tokens_before_the_limit(kernel, proxy):
    # 1024 tokens per slot: a ~1000-token prompt leaves room for far fewer than the 600 tokens asked for.
    filler = " ".join(["one two three four five six seven eight nine ten"] * 97)
    run = kernel.ok(f"%%llm --max-tokens 600 --out r\nContinue this list: {filler}")
    (exchange,) = proxy.messages()
    usage = exchange.streamed_usage()
    assert exchange.stop_reason() == "max_tokens" and 0 < usage["output_tokens"] < 600
    assert usage["input_tokens"] + usage.get("cache_read_input_tokens", 0) + usage["output_tokens"] <= 1024
    r = result(kernel)
    assert (r["status"], r["stop_reason"]) == ("done", "max_tokens") and r["text"] == exchange.streamed_text()
    assert r["usage"]["output_tokens"] == usage["output_tokens"]
    # The base model writes chat-template markers; they are text: kept exactly, shown escaped, never as HTML.
    if "<|" in r["text"] or "<end_of_turn>" in r["text"]:
        (static,) = run.static_copies()  # the copy takes the widget's place: an update of its display
        assert "&lt;" in static["data"]["text/html"] and "<|" not in static["data"]["text/html"]


def _closed_and_idle(llama, proxy, since: float) -> tuple[float, float]:
    """Seconds from ``since`` until the proxy saw the client hang up, and until every slot was idle."""
    conn = proxy.wait_for(lambda p: next((c for c in p.connections if c.client_closed_at), None), timeout=5)
    llama.wait_idle(timeout=5)
    closed, idle = conn.client_closed_at - since, time.monotonic() - since
    print(f"connection closed after {closed * 1000:.1f} ms, slots idle after {idle * 1000:.1f} ms")  # pytest -s
    return closed, idle


def _wait_streaming(kernel, execution) -> None:
    kernel.collect(execution, until=lambda m: m["msg_type"] == "comm_msg" and "frame" in json.dumps(m["content"]))
    time.sleep(0.3)


def test_the_cancel_intent_closes_the_connection_and_frees_the_servers_slot(kernel, proxy, llama):
    execution = kernel.start(f"%%llm --max-tokens 900 --out r\n{LONG}")
    _wait_streaming(kernel, execution)
    assert llama.busy_slots()
    cancelled_at = time.monotonic()
    send_to_widget(kernel, execution, {"type": "cancel"})  # what the Cancel button sends
    closed, idle = _closed_and_idle(llama, proxy, cancelled_at)
    kernel.collect(execution)
    assert closed < 1.0 and idle < 1.0, (closed, idle)
    r = result(kernel)
    assert r["status"] == "cancelled" and r["text"]
    (exchange,) = proxy.messages()
    assert not exchange.complete and exchange.streamed_text().startswith(r["text"])


def test_stream_widget_cancel_closes_the_connection_and_frees_the_servers_slot(kernel, proxy, llama):
    kernel.ok(f"from nbstream import StreamWidget\nw = StreamWidget('{LONG}', model='{MODEL}', max_tokens=900)"
              ".display()")
    kernel.ok("import asyncio\nwhile w.status != 'streaming': await asyncio.sleep(0.02)\nawait asyncio.sleep(0.3)")
    assert llama.busy_slots()
    ran = kernel.ok("import time\nt = time.monotonic(); w.cancel(); print(t)")
    closed, idle = _closed_and_idle(llama, proxy, float(ran.stream_text()))
    assert closed < 1.0 and idle < 1.0, (closed, idle)
    kernel.ok("r = await w")
    r = result(kernel)
    assert r["status"] == "cancelled" and proxy.messages()[0].streamed_text().startswith(r["text"])


def test_the_kernel_interrupt_closes_the_connection_and_frees_the_servers_slot(kernel, proxy, llama):
    execution = kernel.start(f"%%llm --max-tokens 900\n{LONG}")
    _wait_streaming(kernel, execution)
    interrupted_at = time.monotonic()
    kernel.km.interrupt_kernel()
    closed, idle = _closed_and_idle(llama, proxy, interrupted_at)
    kernel.collect(execution)
    assert closed < 1.0 and idle < 1.0, (closed, idle)
    assert widget_state(execution)["status"] == "cancelled"
    (error,) = execution.errors()
    assert error["ename"] == "Interrupted" and len(error["traceback"]) == 1


def test_a_panel_of_eight_at_concurrency_eight_on_four_slots_ends_all_done_in_order(kernel, proxy):
    kernel.ok(
        "from nbstream import ParallelPanel\n"
        f"panel = ParallelPanel([f'Count from {{i}} to {{i + 5}}.' for i in range(8)], model='{MODEL}',"
        " max_tokens=12, concurrency=8).display()\n"
        "results = await panel",
        timeout=180,
    )
    rows = json.loads(kernel.ok("print(json.dumps([[x.status, x.prompt, x.text, x.usage.output_tokens]"
                                " for x in results]))").stream_text())
    assert [status for status, *_ in rows] == ["done"] * 8
    assert [prompt for _, prompt, *_ in rows] == [f"Count from {i} to {i + 5}." for i in range(8)]
    by_prompt = {e.request_json()["messages"][0]["content"]: e for e in proxy.messages()}
    assert len(by_prompt) == 8  # all eight went out at once; the server queued what its 4 slots could not take
    for _, prompt, text, tokens in rows:
        assert text == by_prompt[prompt].streamed_text()
        assert tokens == by_prompt[prompt].streamed_usage()["output_tokens"]


def test_count_equals_the_servers_count(kernel, proxy):
    run = kernel.ok("%%llm --count --out n\nHow many tokens is this sentence, in Gemma's tokenizer?")
    (exchange,) = proxy.exchanges("/v1/messages/count_tokens")
    server_count = exchange.response_json()["input_tokens"]
    assert kernel.ok("print(n.input_tokens)").stream_text().strip() == str(server_count)
    assert f"{server_count} input tokens" in json.dumps(run.displays()) + run.stream_text()


def test_a_prompt_larger_than_the_context_is_a_failed_state_with_the_servers_message(kernel, proxy):
    huge = " ".join(f"word{i}" for i in range(3000))
    run = kernel.ok(f"%%llm --out r\n{huge}")
    (exchange,) = proxy.messages()
    assert exchange.status == 400
    server_message = exchange.response_json()["error"]["message"]
    state = widget_state(run)
    assert state["status"] == "failed" and server_message in state["error"]
    assert not run.errors()  # a state in the widget, not a traceback
    assert result(kernel)["status"] == "failed"


def test_sampling_parameters_pass_through_to_the_local_server(kernel, proxy):
    """API version 2026-10-21 removed temperature and top_k from Claude's API; a llama.cpp server still takes
    them. --param sends them as given (through the SDK's extra_body), and greedy sampling gives the same
    text twice."""
    prompt = "%%llm --max-tokens 24 --param temperature=0 --param top_k=1 --out r\nName a colour of the sea."
    kernel.ok(prompt)
    first = result(kernel)
    kernel.ok(prompt)
    second = result(kernel)
    one, two = proxy.messages()
    assert (one.request_json()["temperature"], one.request_json()["top_k"]) == (0, 1)
    assert first["status"] == second["status"] == "done"
    assert first["text"] == one.streamed_text() and second["text"] == two.streamed_text()
    assert first["text"] == second["text"]  # temperature 0, top_k 1: the server sampled greedily
