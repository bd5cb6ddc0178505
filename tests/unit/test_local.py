import pytest

from nbstream._accumulate import Snapshot
from nbstream._events import MessageStarted, Usage
from nbstream._local import is_loopback, model_name


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8088", True),
        ("http://127.5.0.1", True),
        ("http://localhost:8080/v1", True),
        ("http://[::1]:9000", True),
        ("https://api.anthropic.com", False),
        ("http://10.0.0.2:8080", False),
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_loopback_urls_are_local(url, local):
    assert is_loopback(url) is local


@pytest.mark.parametrize(
    ("reported", "shown"),
    [
        ("/root/.cache/nbstream/gemma3/gemma-3-270m-q4_k_m.gguf", "gemma-3-270m-q4_k_m"),
        ("C:\\models\\Qwen3-0.6B.GGUF", "Qwen3-0.6B"),
        ("gemma.gguf", "gemma"),
        ("claude-haiku-5-5", "claude-haiku-5-5"),
    ],
)
def test_a_model_reported_as_a_file_path_is_shown_by_its_name(reported, shown):
    assert model_name(reported) == shown
    snapshot = Snapshot()
    snapshot.apply(MessageStarted("msg_1", reported, Usage()))
    assert snapshot.model == shown
