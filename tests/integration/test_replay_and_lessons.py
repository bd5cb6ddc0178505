"""Replay from the call log and recorded lessons, through the real SDK over real HTTP: the simulator stands
in for the API (and must see no request when a recording answers); nbstream's loopback server plays the
recordings."""

from __future__ import annotations

import json

import pytest

import nbstream
from nbstream import InputError, ParallelPanel, StreamWidget
from nbstream._config import defaults
from nbstream._ledger import ledger
from nbstream._offline import use_api

SIMULATOR = {"ttft": 0.4, "rate": 200}  # a TTFT well above scheduling noise: the pace is compared within 20%
SECRET = "sk-ant-lesson-secret-5e1f"
API_KEY = SECRET


@pytest.fixture(autouse=True)
def log_path(tmp_path, routed):
    path = tmp_path / "calls.sqlite3"
    defaults.log_path = str(path)
    ledger.reset()
    yield path
    defaults.reset()
    use_api()


async def test_an_identical_finished_request_is_replayed_with_no_request_at_its_recorded_pace(simulator):
    original = await StreamWidget("Explain TCP [[sim: tokens=40]]", max_tokens=300)
    assert original.status == "done" and len(simulator.requests) == 1

    replayed = await StreamWidget("Explain TCP [[sim: tokens=40]]", max_tokens=300, replay=True)
    assert len(simulator.requests) == 1  # no request reached the API
    assert replayed.text == original.text and replayed.usage.output_tokens == original.usage.output_tokens
    assert replayed.status == "done" and replayed.replay == "replayed"
    assert replayed.cost == 0 and replayed.original_cost == pytest.approx(original.cost)
    assert replayed.ttft == pytest.approx(original.ttft, rel=0.2)  # its recorded pace

    instant = await StreamWidget("Explain TCP [[sim: tokens=40]]", max_tokens=300, replay="instant")
    assert instant.text == original.text and instant.duration < original.ttft / 2

    # Anything else about the request differs: it goes to the API as usual.
    other = await StreamWidget("Explain TCP [[sim: tokens=40]]", max_tokens=301, replay=True)
    assert other.replay is None and other.cost > 0 and len(simulator.requests) == 2

    logged = nbstream.history(4)
    assert [r.replay for r in logged] == [None, "replayed", "replayed", None]
    assert logged[1].cost == 0 and logged[1].original_cost == pytest.approx(original.cost)
    assert nbstream.spend().total.cost == pytest.approx(original.cost + other.cost)  # replays cost nothing
    assert "replayed (was $" in nbstream._format.summary(replayed)


async def test_replay_ignores_the_key_and_never_replays_an_unfinished_call(simulator, monkeypatch):
    original = await StreamWidget("What is UDP? [[sim: tokens=20]]")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-another-key")
    again = await StreamWidget("What is UDP? [[sim: tokens=20]]", replay=True)
    assert again.replay == "replayed" and again.text == original.text and len(simulator.requests) == 1

    broken = await StreamWidget("Drop me [[sim: tokens=40 fault=drop after=5]]", max_retries=0)
    assert broken.status == "cut_off"
    retried = await StreamWidget("Drop me [[sim: tokens=40 fault=drop after=5]]", max_retries=0, replay=True)
    assert retried.replay is None and len(simulator.requests) == 3  # sent again: no finished call to replay


async def test_a_panel_re_run_with_replay_sends_nothing(simulator):
    prompts = [f"Sentence {i} [[sim: tokens=15]]" for i in range(4)]
    first = await ParallelPanel(prompts, concurrency=4)
    defaults.replay = True
    second = await ParallelPanel(prompts, concurrency=4)
    assert len(simulator.requests) == 4
    assert [r.text for r in second] == [r.text for r in first] and {r.replay for r in second} == {"replayed"}


async def test_a_saved_lesson_streams_with_no_key_and_refuses_what_it_does_not_hold(simulator, tmp_path, monkeypatch):
    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    asked = [await StreamWidget(f"Lesson question {i} [[sim: tokens=30]]") for i in range(3)]
    tooled = await StreamWidget("Weather in Paris? [[sim: tool_calls=1]]", tools=[weather])
    assert tooled.status == "done" and tooled.turns == 2
    lesson = nbstream.save_lesson(tmp_path / "class.nbstream")
    assert len(lesson.calls) == 4
    saved = (tmp_path / "class.nbstream").read_text()
    for private in (SECRET, simulator.base_url, str(tmp_path), "req_sim_", '"notebook"', '"pid"'):
        assert private not in saved

    chosen = nbstream.save_lesson(tmp_path / "one.nbstream", nbstream.history(5)[-1:])  # a chosen set
    assert [c["prompt"] for c in chosen.calls] == ["Lesson question 0 [[sim: tokens=30]]"]

    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name)
    served = len(simulator.requests)
    nbstream.use_lesson(tmp_path / "class.nbstream")
    replies = [await StreamWidget(f"Lesson question {i} [[sim: tokens=30]]") for i in range(3)]
    assert [r.text for r in replies] == [r.text for r in asked]
    assert {r.replay for r in replies} == {"recorded"} and all(r.simulated for r in replies)
    for played, recorded in zip(replies, asked, strict=True):
        assert played.ttft == pytest.approx(recorded.ttft, rel=0.2)
        assert played.usage.output_tokens == recorded.usage.output_tokens
        assert played.original_cost == pytest.approx(recorded.cost) and played.cost == 0
    weather_again = await StreamWidget("Weather in Paris? [[sim: tool_calls=1]]", tools=[weather])
    assert weather_again.text == tooled.text and weather_again.turns == 2  # the tool ran, both turns played

    counted = await nbstream.count("Lesson question 1 [[sim: tokens=30]]")
    assert counted.input_tokens == asked[1].usage.input_tokens
    with pytest.raises(InputError, match="holds no reply to this prompt"):
        await nbstream.count("Something the lesson never saw")
    unknown = await StreamWidget("Something the lesson never saw")
    assert unknown.status == "failed" and unknown.error.startswith("The lesson class.nbstream holds no reply")
    assert "'Lesson question 0 [[sim: tokens=30]]'" in unknown.error and "and 1 more" in unknown.error
    assert len(simulator.requests) == served  # the stand-in API received nothing

    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", simulator.base_url)
    nbstream.use_api()  # one call back to the live API
    live = await StreamWidget("Something the lesson never saw")
    assert live.status == "done" and live.replay is None and len(simulator.requests) == served + 1


def test_bad_lesson_files_get_one_line_and_change_nothing(tmp_path):
    good = {"format": "nbstream-lesson", "version": 1, "calls": []}
    cases = {
        "missing.nbstream": (None, "there is no lesson file"),
        "text.nbstream": ("hello", "is not an nbstream lesson"),
        "other.nbstream": (json.dumps({"format": "something"}), "is not an nbstream lesson"),
        "newer.nbstream": (json.dumps({**good, "version": 2}), r"was saved by a newer nbstream \(lesson format 2"),
        "empty.nbstream": (json.dumps(good), "is damaged"),
    }
    for name, (content, message) in cases.items():
        if content is not None:
            (tmp_path / name).write_text(content)
        with pytest.raises(InputError, match=message):
            nbstream.use_lesson(tmp_path / name)
        assert nbstream._lesson.current() is None and nbstream._offline.current_endpoint() is None
    with pytest.raises(InputError, match="replay must be True, False or 'instant'"):
        StreamWidget("hi", replay="sometimes")
    with pytest.raises(InputError, match="no finished calls to save"):
        nbstream.save_lesson(tmp_path / "nothing.nbstream")
    assert not (tmp_path / "nothing.nbstream").exists()
