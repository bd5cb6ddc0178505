import pytest
from sse import events

from nbstream._accumulate import MalformedStream, Snapshot
from nbstream._events import BlockStarted, MessageDelta, MessageStarted, TextDelta, ToolInputDelta, Usage


def fold(name: str) -> Snapshot:
    snapshot = Snapshot()
    for event in events(name):
        snapshot.apply(event)
    return snapshot


def test_plain_text_transcript_folds_to_the_full_reply_with_the_apis_usage():
    snap = fold("text.sse")
    assert snap.text == "Hello! How can I help you today?"
    assert snap.stopped and snap.stop_reason == "end_turn"
    assert snap.usage.input_tokens == 25
    assert snap.usage.output_tokens == 12  # message_delta's cumulative count replaces the placeholder 1


def test_parallel_tool_calls_keep_each_blocks_input_apart():
    snap = fold("tools2.sse")
    tools = snap.tool_uses()
    assert [t.tool_id for t in tools] == ["toolu_01A09q90qw90lq917835lq9", "toolu_01B8kQ2mKr7wZs4hT9xYpLc3"]
    assert [t.tool_input() for t in tools] == [
        {"city": "Paris", "unit": "celsius"},
        {"city": "Tokyo", "unit": "celsius"},
    ]
    assert snap.text == "I'll check both cities at once."
    assert snap.stop_reason == "tool_use"
    assert snap.usage.cache_read_input_tokens == 1830


def test_a_stream_that_breaks_off_is_not_marked_complete():
    snap = fold("overloaded_midstream.sse")
    assert snap.text == "Once upon a"
    assert not snap.stopped
    assert snap.stop_reason is None


def test_usage_from_message_delta_replaces_rather_than_adds():
    snap = Snapshot()
    snap.apply(
        MessageStarted("m", "claude-haiku-5-5", Usage(input_tokens=10, output_tokens=1, cache_read_input_tokens=5))
    )
    snap.apply(MessageDelta("end_turn", Usage(input_tokens=10, output_tokens=30)))
    assert snap.usage.output_tokens == 30
    assert snap.usage.input_tokens == 10
    assert snap.usage.cache_read_input_tokens == 5  # absent from the delta: message_start's value survives


def test_a_delta_for_a_block_that_never_started_is_malformed():
    snap = Snapshot()
    with pytest.raises(MalformedStream):
        snap.apply(TextDelta(3, "x"))


def test_bad_tool_json_is_reported_as_malformed():
    snap = Snapshot()
    snap.apply(BlockStarted(0, "tool_use", "t1", "search"))
    snap.apply(ToolInputDelta(0, '{"q": '))
    with pytest.raises(MalformedStream, match="search"):
        snap.blocks[0].tool_input()


def test_long_text_is_collected_in_linear_time():
    snap = Snapshot()
    snap.apply(BlockStarted(0, "text"))
    for _ in range(200_000):
        snap.apply(TextDelta(0, "abcd"))
    assert len(snap.text) == 800_000
    assert snap.estimated_output_tokens() == 200_000


def test_every_failure_kind_the_code_produces_is_in_the_closed_set():
    import pathlib
    import re
    import typing

    from nbstream._events import FailureKind

    kinds = set(typing.get_args(FailureKind))
    package = pathlib.Path(__file__).parents[2] / "nbstream"
    produced = set()
    for path in package.glob("*.py"):
        produced |= set(re.findall(r'Failure\(\s*"([a-z_]+)"', path.read_text()))
        produced |= set(re.findall(r'\d{3}: \("([a-z_]+)",\s*(?:True|False)\)', path.read_text()))  # status table
    assert produced and produced <= kinds, produced - kinds


def test_the_live_estimate_weighs_text_by_script():
    from nbstream._accumulate import token_weight

    assert token_weight("the cat sat") == 3  # a short word is a token; a single space rides along
    assert token_weight("internationalisation") == pytest.approx(1 + 12 / 6)  # a long word: a few
    assert token_weight("北京的历史") == pytest.approx(5 * 0.62)  # CJK: close to a token a character
    assert token_weight("🎉🎂 2026\n") == 2 + 4 + 1  # emoji, digits and newlines: one each
    snap = Snapshot()
    snap.apply(BlockStarted(0, "text"))
    snap.apply(TextDelta(0, "北京的历史可以追溯到三千多年前"))  # one delta of 15 ideographs
    assert snap.estimated_output_tokens() == round(15 * 0.62)  # not 15 / 4
