"""Server-level behaviour: binding, lifecycle, the CLI, authentication, validation, HTTP details."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import anthropic
import httpx2
import pytest
from _simtools import MODEL, collect, params

import nbstream.simulator
from nbstream.simulator import Simulator
from nbstream.simulator.__main__ import main

REPO = Path(nbstream.simulator.__file__).resolve().parents[2]


# -- binding and lifecycle -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Simulator(host=host)


def test_loopback_hosts_are_fine() -> None:
    with Simulator(host="localhost") as sim:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.base_url) and sim.port > 0


def test_start_stop_and_restart_safety() -> None:
    sim = Simulator().start()
    with pytest.raises(RuntimeError):
        sim.start()
    sim.stop()
    sim.stop()  # twice is fine


def test_port_in_use_raises() -> None:
    with Simulator() as first, pytest.raises(OSError):
        Simulator(port=first.port).start()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Simulator(ttft=-1)
    with pytest.raises(ValueError):
        Simulator(rate=0)
    with pytest.raises(ValueError):
        Simulator(tokens=-3)


async def test_stop_with_a_stream_in_flight() -> None:
    sim = Simulator(ttft=0, rate=20).start()
    async with (
        anthropic.AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0) as client,
        client.messages.stream(**params("long [[sim: tokens=500]]")) as stream,
    ):
        await asyncio.to_thread(sim.stop)
        with pytest.raises(httpx2.TransportError):
            async for _ in stream:
                pass


def test_wait_for_times_out_with_a_useful_message(sim: Simulator) -> None:
    with pytest.raises(TimeoutError, match="empty"):
        sim.wait_for(lambda records: records, timeout=0.05)


# -- the command line ----------------------------------------------------------------------------------------


async def test_cli_prints_its_line_and_serves() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    args = ["--port", "0", "--ttft", "0.01", "--rate", "1000", "--tokens", "12"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nbstream.simulator", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.fullmatch(r"nbstream simulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        async with anthropic.AsyncAnthropic(
            base_url=match.group(1), api_key="sk-sim", max_retries=0
        ) as client:
            got = await collect(client)
        assert got["final"].usage.output_tokens == 12
        assert got["headers"]["x-nbstream-simulator"] == "1"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()


def test_cli_refuses_a_public_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--host", "0.0.0.0"])
    assert info.value.code == 2 and "loopback" in capsys.readouterr().err


def test_cli_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with Simulator() as sim:
        assert main(["--port", str(sim.port)]) == 1
    assert "cannot listen" in capsys.readouterr().err


# -- authentication and versions -----------------------------------------------------------------------------


async def _post(
    sim: Simulator, body: object, headers: dict[str, str], path: str = "/v1/messages"
) -> httpx2.Response:
    async with httpx2.AsyncClient(base_url=sim.base_url) as http:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await http.post(path, content=content, headers={"content-type": "application/json", **headers})


async def test_x_api_key_and_bearer_are_both_accepted(sim: Simulator) -> None:
    body = params("auth [[sim: tokens=3]]")
    for headers in ({"x-api-key": "k1"}, {"authorization": "Bearer k2"}):
        response = await _post(sim, body, {**headers, "anthropic-version": "2023-06-01"})
        assert response.status_code == 200 and response.json()["usage"]["output_tokens"] == 3


async def test_missing_key_is_a_401(sim: Simulator) -> None:
    response = await _post(sim, params(), {})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert response.json()["request_id"] == response.headers["request-id"]


async def test_bad_key_is_a_401(sim: Simulator) -> None:
    async with anthropic.AsyncAnthropic(base_url=sim.base_url, api_key="sk-bad-123", max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError) as info:
            await collect(client)
    assert info.value.api_message == "invalid x-api-key"


async def test_sampling_params_are_refused_on_the_new_version(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="temperature"):
        await collect(client, extra_body={"temperature": 0.5})
    old = await collect(
        client,
        "old [[sim: tokens=3]]",
        extra_body={"top_k": 5},
        extra_headers={"anthropic-version": "2023-06-01"},
    )
    assert old["final"].usage.output_tokens == 3


# -- validation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": "10"}, "max_tokens"),
        ({"max_tokens": None}, "max_tokens"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
        ({"model": None}, "model"),
    ],
)
async def test_invalid_requests_are_400s(sim: Simulator, change: dict, fragment: str) -> None:
    body = {**params(), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await _post(sim, body, {"x-api-key": "k"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and fragment in error["message"]


async def test_invalid_json_is_a_400(sim: Simulator) -> None:
    response = await _post(sim, b"{not json", {"x-api-key": "k"})
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]


async def test_unknown_model_family_is_a_404(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        await collect(client, model="gpt-4o")
    assert info.value.api_message == "model: gpt-4o"


async def test_any_claude_model_id_is_accepted(client: anthropic.AsyncAnthropic) -> None:
    got = await collect(client, "new model [[sim: tokens=2]]", model="claude-someday-9-9")
    assert got["final"].model == "claude-someday-9-9"


async def test_unknown_path_is_a_404_in_the_api_error_shape(sim: Simulator) -> None:
    response = await _post(sim, {}, {"x-api-key": "k"}, path="/v1/nothing")
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert body["request_id"] == response.headers["request-id"].strip()
    assert response.headers["x-nbstream-simulator"] == "1"


# -- HTTP details --------------------------------------------------------------------------------------------


async def test_keep_alive_and_pipelined_requests_on_one_socket(sim: Simulator) -> None:
    body = json.dumps(params("raw [[sim: tokens=2 ttft=0]]")).encode()
    request = (
        b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%b" % (len(body), body)
    )
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    writer.write(request + request)  # two requests back to back, before any answer
    await writer.drain()
    answers = []
    for _ in range(2):
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        length = int(re.search(r"content-length: (\d+)", head).group(1))
        answers.append(json.loads(await reader.readexactly(length)))
    writer.close()
    await writer.wait_closed()
    assert [a["usage"]["output_tokens"] for a in answers] == [2, 2]
    assert len({r["connection"] for r in sim.requests}) == 1


async def test_expect_100_continue(sim: Simulator) -> None:
    body = json.dumps(params("curl [[sim: tokens=2 ttft=0]]")).encode()
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    writer.write(
        b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nexpect: 100-continue\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    )
    await writer.drain()
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100 Continue")
    writer.write(body)
    rest = await reader.read()
    writer.close()
    assert rest.startswith(b"HTTP/1.1 200 OK") and b'"output_tokens":2' in rest


async def test_garbage_gets_a_400_and_a_close(sim: Simulator) -> None:
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    writer.write(b"NONSENSE\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ") and b"invalid_request_error" in answer
    assert sim.requests == []


async def test_control_endpoints_are_not_logged_and_unknown_ones_404(sim: Simulator) -> None:
    async with httpx2.AsyncClient(base_url=sim.base_url) as http:
        assert (await http.get("/_sim/requests")).json() == []
        assert (await http.get("/_sim/nope")).status_code == 404
    assert sim.requests == []


async def test_count_tokens_does_not_need_max_tokens(sim: Simulator) -> None:
    response = await _post(
        sim,
        {"model": MODEL, "messages": [{"role": "user", "content": "abcd" * 10}]},
        {"x-api-key": "k"},
        path="/v1/messages/count_tokens",
    )
    assert response.status_code == 200 and response.json() == {"input_tokens": 10}
