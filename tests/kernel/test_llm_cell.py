"""%%llm and StreamWidget in a real kernel, against the simulator over real HTTP.

Assertions are on what a frontend would receive on iopub: small deltas (never the growing text), a
bounded frame rate, one final full-text sync, and a static copy that outlives the kernel.
"""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.kernel


def widget_state(execution) -> dict:
    opens = [m for m in execution.of_type("comm_open") if m["content"]["data"]["state"].get("_view") == "stream"]
    assert len(opens) == 1
    state = dict(opens[0]["content"]["data"]["state"])
    for update in execution.updates():
        state.update(update["content"]["data"]["state"])
    return state


def frames(execution) -> list[dict]:
    return [m["content"]["data"]["content"] for m in execution.custom("frame")]


def test_a_cell_streams_small_deltas_then_syncs_the_text_once_and_leaves_a_static_copy(kernel, simulator):
    run = kernel.ok("%%llm --max-tokens 400 --out answer\nExplain the TCP handshake. [[sim: tokens=300 rate=600]]")

    state = widget_state(run)
    assert state["status"] == "done"
    text = state["text"]
    assert len(text) > 500

    sent = frames(run)
    assert "".join(f["delta"] for f in sent) == text  # every character travelled once, as a delta
    assert [f["seq"] for f in sent] == list(range(1, len(sent) + 1))
    assert max(len(f["delta"]) for f in sent) < len(text) / 2  # deltas, not the whole text
    text_syncs = [u for u in run.updates() if u["content"]["data"]["state"].get("text")]
    assert len(text_syncs) == 1  # the full text is synced once, at the end

    # At most one frame per 50 ms (besides the first-token frame, which goes at once).
    times = [m["header"]["date"].timestamp() for m in run.custom("frame")]
    span = times[-1] - times[0]
    assert len(times) <= span / 0.05 + 3

    # The static copy: safe HTML and Markdown of the answer. It takes the widget's own place in the output
    # (an update of the widget's display), so no widget view is left to fail after a reload without a kernel.
    view = next(d for d in run.displays() if "application/vnd.jupyter.widget-view+json" in d["data"])
    static = run.static_copies()
    assert len(static) == 1
    assert static[0]["transient"]["display_id"] == view["transient"]["display_id"]
    assert text.split()[0] in static[0]["data"]["text/markdown"]
    assert state["show_text"] is False

    check = kernel.ok("print(answer.status, answer.usage.output_tokens, answer.cost > 0, answer is _llm)")
    assert check.stream_text().split() == ["done", "300", "True", "True"]


def test_the_first_token_leaves_the_kernel_at_once(kernel):
    run = kernel.ok("%%llm\nhi [[sim: tokens=3 ttft=0.2 rate=5]]")
    first = frames(run)[0]
    assert first["delta"] and first["seq"] == 1  # the first frame carries the first token
    statuses = [u["content"]["data"]["state"].get("status") for u in run.updates()]
    assert "streaming" in statuses  # the status travels as a trait, right after


def test_placeholders_are_filled_from_notebook_variables(kernel, simulator):
    kernel.ok("topic = 'a pizza delivery'")
    kernel.ok("%%llm\nExplain TCP using {topic} as an analogy. {{not a placeholder}} [[sim: tokens=5]]")
    body = simulator.requests[-1]["body"]
    assert body["messages"][0]["content"].startswith(
        "Explain TCP using a pizza delivery as an analogy. {not a placeholder}"
    )


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm --frobnicate\nhi", "unrecognized arguments: --frobnicate"),
        ("%%llm\n   \n", "the prompt is empty"),
        ("%%llm --max-tokens 0\nhi", "max_tokens must be a positive whole number, got 0"),
        ("%%llm --max-tokens -3\nhi", "got -3"),
        ("%%llm --max-tokens lots\nhi", "invalid int value: 'lots'"),
        ("%%llm\nabout {undefined_topic}", "no variable named 'undefined_topic'"),
        ("%%llm --out 2x\nhi", "--out needs a variable name"),
        ("%%llm --model ''\nhi", "model must be a model name"),
        ('%%llm --system "unclosed\nhi', "could not read the options: No closing quotation"),
        ("%%llm --idle-timeout 0\nhi", "idle_timeout must be a positive number of seconds, got 0.0"),
        ("%%llm --idle-timeout -2\nhi", "got -2.0"),
        ("%%llm --idle-timeout soon\nhi", "invalid float value: 'soon'"),
        ("%llm_offline maybe", "invalid choice: 'maybe'"),
        ("%llm_offline --rate 0", "--rate must be a positive number of tokens per second, got 0.0"),
        ("%llm_offline --ttft -1", "--ttft must be 0 or more seconds, got -1.0"),
        ("%llm_history -n 0", "n must be a positive whole number, got 0"),
        ("%llm_history -n many", "invalid int value: 'many'"),
        ("%%llm --modle haiku\nhi", "unrecognized arguments: --modle; did you mean --model?"),
        ("%%llm --model haiku,sonnet\nhi", "--model takes one model; to run several side by side use --models haiku,sonnet"),
        ("%llm --max-tokens 5", "%llm needs a prompt after its options"),
    ],
)
def test_bad_input_is_one_line_and_sends_nothing(kernel, simulator, cell, message):
    run = kernel.run(cell)
    assert run.reply["status"] == "error"
    # IPython prints a UsageError to stderr, other errors as an error message: one line either way.
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1, shown
    assert message in shown[0]
    assert simulator.requests == []


def test_without_a_key_a_pasted_cell_answers_offline_and_says_so(kernel_factory, simulator):
    kernel = kernel_factory(ANTHROPIC_BASE_URL=None, ANTHROPIC_API_KEY=None, HOME="/nonexistent")
    kernel.ok("%load_ext nbstream")
    run = kernel.ok("%%llm\nWrite a haiku about latency.")
    state = widget_state(run)
    assert state["status"] == "done" and state["simulated"]
    assert "no Anthropic API key found" in run.stream_text() and "simulated" in run.stream_text()
    assert not run.errors()
    assert simulator.requests == []  # the kernel's own offline model answered, not this test's server
    again = kernel.ok("%%llm\nAnd another.")
    assert "no Anthropic API key found" not in again.stream_text()  # said once


def test_without_a_key_when_the_api_was_chosen_the_cell_says_how_to_set_one(kernel_factory, simulator):
    kernel = kernel_factory(ANTHROPIC_BASE_URL=None, ANTHROPIC_API_KEY=None, HOME="/nonexistent")
    kernel.ok("%load_ext nbstream")
    kernel.ok("%llm_offline off")
    run = kernel.ok("%%llm\nhello")
    state = widget_state(run)
    assert state["status"] == "failed"
    assert "ANTHROPIC_API_KEY" in state["error"] and "%llm_offline" in state["error"]
    assert "\n" not in state["error"]
    assert not run.errors()
    assert simulator.requests == []


def test_the_kernel_interrupt_cancels_the_stream_and_keeps_the_partial_text(kernel, simulator):
    execution = kernel.start("%%llm\nTell a long story. [[sim: tokens=3000 rate=60]]")
    kernel.collect(execution, until=lambda m: m["msg_type"] == "comm_msg" and "frame" in json.dumps(m["content"]))
    time.sleep(0.3)
    interrupted_at = time.monotonic()
    kernel.km.interrupt_kernel()
    kernel.collect(execution)

    state = widget_state(execution)
    assert state["status"] == "cancelled"
    (error,) = execution.errors()  # one line, no traceback: "Interrupted: ..."
    assert len(error["traceback"]) == 1 and error["ename"] == "Interrupted"
    record = simulator.wait_for(lambda rs: rs[-1]["outcome"] == "client_closed" and rs[-1], timeout=5)
    assert record["client_closed_at"] - interrupted_at < 1.0
    check = kernel.ok("print(_llm.status, len(_llm.text) > 0, _llm.usage.estimated)")
    assert check.stream_text().split() == ["cancelled", "True", "True"]
    assert_static_copy(execution, "cancelled")


def assert_static_copy(execution, status: str) -> None:
    """The answer outlives the kernel: one static copy of it, marked with how the stream ended."""
    static = [d for d in execution.displays() if "nbstream-static" in d["data"].get("text/html", "")]
    assert len(static) == 1 and f'data-status="{status}"' in static[0]["data"]["text/html"]
    assert widget_state(execution)["text"][:20] in static[0]["data"]["text/markdown"]


def send_to_widget(kernel, execution, content: dict) -> None:
    comm_id = next(
        m["content"]["comm_id"] for m in execution.of_type("comm_open")
        if m["content"]["data"]["state"].get("_view") == "stream"
    )
    msg = kernel.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}})
    kernel.kc.shell_channel.send(msg)


def test_cancel_from_the_front_end_closes_the_http_stream(kernel, simulator):
    execution = kernel.start("%%llm --out story\nTell a long story. [[sim: tokens=3000 rate=60]]")
    kernel.collect(execution, until=lambda m: m["msg_type"] == "comm_msg" and "frame" in json.dumps(m["content"]))
    time.sleep(0.3)
    cancelled_at = time.monotonic()
    send_to_widget(kernel, execution, {"type": "cancel"})  # what the Cancel button sends
    kernel.collect(execution)

    assert execution.reply["status"] == "ok"
    state = widget_state(execution)
    assert state["status"] == "cancelled"
    assert state["stats"]["output_tokens"] > 0 and state["stats"]["cost"] > 0  # tokens and cost so far
    record = simulator.wait_for(lambda rs: rs[-1]["outcome"] == "client_closed" and rs[-1], timeout=5)
    assert record["client_closed_at"] - cancelled_at < 1.0
    assert kernel.ok("print(story.status)").stream_text().strip() == "cancelled"
    assert_static_copy(execution, "cancelled")


def test_stream_widget_display_returns_at_once_and_the_kernel_stays_free(kernel):
    start = kernel.ok(
        "from nbstream import StreamWidget\n"
        "w = StreamWidget('Write a poem. [[sim: tokens=200 rate=100]]', max_tokens=500).display()"
    )
    assert widget_state(start)["status"] in ("queued", "waiting", "streaming")
    meanwhile = kernel.ok("print(6 * 7, w.result is None)")
    assert meanwhile.stream_text().split() == ["42", "True"]  # another cell ran while it streamed
    done = kernel.ok("r = await w\nprint(r.status, r.usage.output_tokens)")
    assert done.stream_text().split() == ["done", "200"]


def test_a_rate_limit_before_the_first_token_shows_retrying_then_succeeds(kernel, simulator):
    run = kernel.ok("%%llm\nhi [[sim: status=429 retry_after=0.3 times=1 tokens=5]]")
    statuses = [u["content"]["data"]["state"]["status"] for u in run.updates() if "status" in u["content"]["data"]["state"]]
    assert "retrying" in statuses and statuses[-1] == "done"
    retrying = next(
        u["content"]["data"]["state"]
        for u in run.updates()
        if u["content"]["data"]["state"].get("status") == "retrying"
    )
    assert retrying["retry_in"] == pytest.approx(0.3)
    assert "429" in retrying["notice"]
    assert len(simulator.requests) == 2


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%%llm\nhi [[sim: status=401]]", ["authentication_error", "ANTHROPIC_API_KEY"]),
        ("%%llm --model gpt-4\nhi", ["not_found_error", "Check the model name ('gpt-4')"]),
        ("%%llm\nhi [[sim: status=400]]", ["invalid_request_error"]),
        ("%%llm\nhi [[sim: status=529]]", ["overloaded_error", "gave up after 4 attempts"]),
    ],
)
def test_api_errors_are_a_failed_state_with_the_apis_message(kernel, cell, expected):
    kernel.ok("%config LLMMagics.max_retries = 3")
    run = kernel.ok(cell.replace("status=529", "status=529 retry_after=0.05"))
    state = widget_state(run)
    assert state["status"] == "failed"
    for fragment in expected:
        assert fragment in state["error"]
    assert not run.errors()  # a state in the widget, not a traceback


def test_a_model_the_price_table_does_not_know_is_sent_as_given(kernel, simulator):
    run = kernel.ok("%%llm -m claude-experimental-9 --out r\nhi [[sim: tokens=4]]")
    assert simulator.requests[-1]["body"]["model"] == "claude-experimental-9"
    assert widget_state(run)["stats"]["cost"] is None
    assert "cost=unknown" in kernel.ok("print(repr(r))").stream_text()


def test_the_api_key_never_reaches_the_front_end(kernel_factory, simulator):
    secret = "sk-test-secret-7f3a9c"
    kernel = kernel_factory(ANTHROPIC_API_KEY=secret)
    kernel.ok("%load_ext nbstream")
    run = kernel.ok("%%llm\nhi [[sim: tokens=20]]")
    everything = json.dumps([m["content"] for m in run.messages], default=str)
    assert secret not in everything
    assert "authorization" not in everything.lower()


def test_background_returns_at_once_and_out_holds_an_awaitable_widget(kernel):
    start = kernel.ok("%%llm --background --out job\nA poem [[sim: tokens=200 rate=100]]")
    assert widget_state(start)["status"] in ("queued", "waiting", "streaming")
    assert kernel.ok("print(job.result is None)").stream_text().strip() == "True"
    done = kernel.ok("r = await job\nprint(r.status, r is job.result)")
    assert done.stream_text().split() == ["done", "True"]


def test_help_lists_the_options(kernel):
    run = kernel.ok("%%llm?")
    shown = json.dumps(run.reply.get("payload", [])) + json.dumps(run.displays())
    for option in ("--model", "--system", "--max-tokens", "--out", "--background"):
        assert option in shown


def test_config_sets_the_defaults_and_the_system_prompt_is_sent(kernel, simulator):
    kernel.ok('%config LLMMagics.model = "sonnet"\n%config LLMMagics.max_tokens = 77')
    kernel.ok('%%llm -s "You are terse."\nhi [[sim: tokens=3]]')
    body = simulator.requests[-1]["body"]
    assert (body["model"], body["max_tokens"], body["system"]) == ("claude-sonnet-5-5", 77, "You are terse.")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%config LLMMagics.max_tokens = 0", "max_tokens must be a positive whole number, got 0"),
        ("%config LLMMagics.max_tokens = 'lots'", "max_tokens must be a positive whole number, got 'lots'"),
        ("%config LLMMagics.model = ''", "model must be a model name"),
        ("%config LLMMagics.idle_timeout = -1", "idle_timeout must be a positive number of seconds"),
        ("%config LLMMagics.max_retries = 1.5", "max_retries must be a whole number"),
        ("%config LLMMagics.system = 3", "system must be text"),
    ],
)
def test_a_bad_config_value_is_one_line_and_keeps_the_old_one(kernel, line, message):
    run = kernel.run(line)
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1 and message in shown[0], shown
    assert kernel.ok("import nbstream; print(nbstream.defaults.max_tokens)").stream_text().strip() == "1024"


def test_help_is_plain_text_with_this_sessions_defaults(kernel):
    def help_page() -> str:
        reply = kernel.ok("%%llm?").reply
        [page] = [p for p in reply["payload"] if p.get("source") == "page"]
        return page["data"]["text/plain"]

    text = help_page()
    assert "``" not in text and "::" not in text  # no reStructuredText markup
    assert "LLMMagics.model" not in text.split("Defaults come from")[0]
    assert "(default claude-haiku-5-5)" in text and "(default 1024)" in text
    assert "%llm [options] a one-line prompt" in text
    kernel.ok('%config LLMMagics.model = "sonnet"')
    assert "(default claude-sonnet-5-5)" in help_page()


def test_the_line_magic_streams_a_one_line_prompt(kernel, simulator):
    simulator.reset()
    run = kernel.ok("%llm --max-tokens 50 What's TCP? [[sim: echo=1]]")
    state = widget_state(run)
    assert state["status"] == "done"
    [request] = simulator.requests
    assert request["body"]["max_tokens"] == 50
    assert request["body"]["messages"][0]["content"].startswith("What's TCP?")
    check = kernel.ok("print(_llm.text)")
    assert check.stream_text().startswith("What's TCP?")


def test_a_stream_widget_awaited_by_its_cell_is_cancelled_by_its_button(kernel, simulator):
    execution = kernel.start(
        "from nbstream import StreamWidget\n"
        "w = StreamWidget('Tell a long story. [[sim: tokens=3000 rate=60]]').display()\n"
        "r = await w"
    )
    kernel.collect(execution, until=lambda m: m["msg_type"] == "comm_msg" and "frame" in json.dumps(m["content"]))
    time.sleep(0.3)
    cancelled_at = time.monotonic()
    send_to_widget(kernel, execution, {"type": "cancel"})
    kernel.collect(execution)

    assert execution.reply["status"] == "ok"
    record = simulator.wait_for(lambda rs: rs[-1]["outcome"] == "client_closed" and rs[-1], timeout=5)
    assert record["client_closed_at"] - cancelled_at < 1.0
    assert_static_copy(execution, "cancelled")
    assert kernel.ok("print(r.status, w.status)").stream_text().split() == ["cancelled", "cancelled"]
