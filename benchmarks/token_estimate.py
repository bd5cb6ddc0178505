"""The live token estimate against a real tokenizer: Gemma 3 270M on llama.cpp's llama-server.

    .venv/bin/python -m benchmarks.token_estimate [--out benchmarks/results] [--max-tokens 160]

While a reply streams, nbstream's counter shows ``Snapshot.estimated_output_tokens()`` until the API's
count arrives. For replies in several languages (CJK and emoji included), this measures, at every moment of
the stream, the estimate against the true number of tokens generated so far (the server's own tokenizer,
``/tokenize`` with pieces, over the final text; its total is checked against the final ``usage``), and
reports the share of the stream's duration during which the estimate is within ±15%.

Two deliveries of the same tokens, timed as the server sent them:
- ``llama.cpp``: the deltas as llama-server streamed them (about one token each);
- ``chunked``: the same tokens grouped 2-7 per delta, as Claude's API streams text, so the estimate must
  come from the characters rather than from the number of deltas.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import time
from pathlib import Path
from typing import Any

from nbstream import llamacpp
from nbstream._accumulate import Snapshot
from nbstream._events import BlockStarted, TextDelta

TOLERANCE = 0.15
TARGET_SHARE = 0.90
PROMPTS = {
    "English": "The history of the city of London begins with the Romans, who",
    "French": "L'histoire de la ville de Paris commence avec les Romains, qui",
    "German": "Die Geschichte der Stadt Berlin beginnt im Mittelalter, als",
    "Spanish": "La historia de la ciudad de Madrid comienza en el siglo IX, cuando",
    "Russian": "История города Москвы начинается в двенадцатом веке, когда",
    "Chinese": "北京的历史可以追溯到三千多年前。在古代，这座城市",
    "Japanese": "東京の歴史は江戸時代に始まりました。当時、この町は",
    "Korean": "서울의 역사는 조선 시대에 시작되었습니다. 그때 이 도시는",
    "Emoji": "Our party plan 🎉🎂🎈: first 🍕🍕, then 🎮 and 🎤, and finally 🌙✨ — here is the list with emoji: 🥳",
    "Python code": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
}


def stream(base_url: str, prompt: str, max_tokens: int) -> tuple[list[tuple[float, str]], dict[str, Any]]:
    """(arrival time, text) of each text delta, and the final usage, read straight off the HTTP stream."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    body = {"model": "gemma-3-270m", "max_tokens": max_tokens, "stream": True,
            "messages": [{"role": "user", "content": prompt}]}
    conn.request("POST", "/v1/messages", json.dumps(body), {"content-type": "application/json"})
    response = conn.getresponse()
    deltas: list[tuple[float, str]] = []
    usage: dict[str, Any] = {}
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line.startswith("data:"):
            continue
        data = json.loads(line[5:])
        if data.get("type") == "content_block_delta" and data["delta"].get("type") == "text_delta":
            deltas.append((time.monotonic(), data["delta"]["text"]))
        elif data.get("type") == "message_start":
            usage.update(data["message"].get("usage") or {})
        elif data.get("type") == "message_delta":
            usage.update(data.get("usage") or {})
    conn.close()
    return deltas, usage


def token_ends(server: llamacpp.LocalServer, text: str) -> list[int]:
    """The character offset where each of the text's tokens ends, by the server's own tokenizer."""
    tokens = server.post("/tokenize", {"content": text, "add_special": False, "with_pieces": True})
    ends, at = [], 0
    for token in tokens["tokens"]:  # type: ignore[index]
        piece = token["piece"]
        at += len(piece) if isinstance(piece, str) else len(bytes(piece).decode("utf-8", "replace"))
        ends.append(min(at, len(text)))
    return ends


def chunked(deltas: list[tuple[float, str]], ends: list[int], seed: int) -> list[tuple[float, str]]:
    """The same text regrouped 2-7 tokens per delta, each arriving when its last token did."""
    rng = random.Random(seed)
    text = "".join(t for _, t in deltas)
    arrival, at = [], 0  # the time each character arrived
    for when, piece in deltas:
        arrival += [when] * len(piece)
        at += len(piece)
    out, start, i = [], 0, 0
    while i < len(ends):
        i = min(len(ends), i + rng.randint(2, 7))
        stop = ends[i - 1]
        if stop > start:
            out.append((arrival[stop - 1], text[start:stop]))
            start = stop
    return out


def accuracy(deltas: list[tuple[float, str]], ends: list[int], *, before: bool = False) -> dict[str, Any]:
    """Share of the stream's duration (first delta to last) with the estimate within ±15% of the truth.

    ``before``: the estimate nbstream had before this benchmark, max(deltas, characters / 4), for comparison.
    """
    snapshot = Snapshot()
    snapshot.apply(BlockStarted(0, "text"))
    samples: list[tuple[float, float]] = []  # (time, relative error) from each delta on
    chars = 0
    for when, text in deltas:
        snapshot.apply(TextDelta(0, text))
        chars += len(text)
        true = sum(1 for end in ends if end <= chars) or 1
        estimate = max(snapshot.output_deltas, round(chars / 4)) if before else snapshot.estimated_output_tokens()
        samples.append((when, estimate / true - 1))
    duration = samples[-1][0] - samples[0][0]
    within = sum(b[0] - a[0] for a, b in zip(samples, samples[1:], strict=False) if abs(a[1]) <= TOLERANCE)
    return {
        "share_within": within / duration if duration > 0 else float(abs(samples[-1][1]) <= TOLERANCE),
        "within": within,
        "duration": duration,
        "final_error": samples[-1][1],
        "worst_error": max((abs(e) for _, e in samples[len(samples) // 10 :]), default=0.0),
        "deltas": len(deltas),
    }


def record(max_tokens: int) -> dict[str, Any]:
    """Stream each prompt from a fresh llama-server and tokenize each reply: what the scores are computed from."""
    streams = {}
    with llamacpp.LocalServer(parallel=1, context=2048) as server:
        for language, prompt in PROMPTS.items():
            deltas, usage = stream(server.base_url, prompt, max_tokens)
            ends = token_ends(server, "".join(t for _, t in deltas))
            streams[language] = {"deltas": deltas, "ends": ends, "usage": usage}
    return streams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.token_estimate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--replay", type=Path, help="re-score the streams saved in a streams.json (no server)")
    args = parser.parse_args(argv)
    if args.replay:
        streams = json.loads(args.replay.read_text())
    else:
        streams = record(args.max_tokens)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "token_estimate_streams.json").write_text(json.dumps(streams, ensure_ascii=False))
    rows = []
    for language, saved in streams.items():
        deltas, ends, usage = [tuple(d) for d in saved["deltas"]], saved["ends"], saved["usage"]
        text = "".join(t for _, t in deltas)
        row = {"language": language, "chars": len(text), "tokens": len(ends),
               "usage_output_tokens": usage.get("output_tokens")}
        regrouped = chunked(deltas, ends, seed=len(text))
        for name, delivery in (("llama.cpp", deltas), ("chunked", regrouped)):
            row[name] = accuracy(delivery, ends)
        row["chunked_before"] = accuracy(regrouped, ends, before=True)
        rows.append(row)
        print(f"{language:12} {len(ends):4} tokens  llama.cpp {row['llama.cpp']['share_within']:6.1%}"
              f"  chunked {row['chunked']['share_within']:6.1%}"
              f"  (final error {row['chunked']['final_error']:+.1%})",
              flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "token_estimate.json").write_text(json.dumps(rows, indent=1))
    lines = [
        "# Live token estimate vs Gemma 3 270M's tokenizer",
        "",
        f"Share of each stream's duration with the estimate within ±{TOLERANCE:.0%} of the true token count so far "
        f"(target: at least {TARGET_SHARE:.0%}). `python -m benchmarks.token_estimate`, max_tokens={args.max_tokens}.",
        "",
        "| language | tokens | usage | llama.cpp deltas | chunked 2-7 tokens | chunked final error "
        "| chunked, chars/4 (before) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['language']} | {r['tokens']} | {r['usage_output_tokens']} "
                     f"| {r['llama.cpp']['share_within']:.1%} | {r['chunked']['share_within']:.1%} "
                     f"| {r['chunked']['final_error']:+.1%} | {r['chunked_before']['share_within']:.1%} |")
    worst = min(min(r["llama.cpp"]["share_within"], r["chunked"]["share_within"]) for r in rows)
    overall = {
        name: sum(r[name]["within"] for r in rows) / sum(r[name]["duration"] for r in rows)
        for name in ("llama.cpp", "chunked", "chunked_before")
    }
    lines += [
        "",
        "All streams together (duration-weighted): " + ", ".join(f"{k} {v:.1%}" for k, v in overall.items())
        + f"; target {TARGET_SHARE:.0%}: {'PASS' if min(overall['llama.cpp'], overall['chunked']) >= TARGET_SHARE else 'FAIL'}.",  # noqa: E501
        f"Worst single stream: {worst:.1%} ({'PASS' if worst >= TARGET_SHARE else 'FAIL'}).",
    ]
    (args.out / "token_estimate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-2:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
