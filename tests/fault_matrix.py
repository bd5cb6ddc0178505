"""The faults the API can throw and what a user must see for each: one table for every surface.

Each entry: (name, simulator directive, options, expected status, words the error must contain,
how many HTTP requests the simulator must have seen).
"""

FAULTS = [
    ("429 then ok", "status=429 retry_after=0.2 times=1 tokens=20", {}, "done", [], 2),
    ("529 then ok", "status=529 retry_after=0.1 times=1 tokens=20", {}, "done", [], 2),
    ("500 then ok", "status=500 retry_after=0.1 times=1 tokens=20", {}, "done", [], 2),
    ("429 every time", "status=429 retry_after=0.05", {"max_retries": 2}, "failed",
     ["429 rate_limit_error", "gave up after 3 attempts"], 3),
    ("401", "status=401", {}, "failed", ["authentication_error", "ANTHROPIC_API_KEY"], 1),
    ("403", "status=403", {}, "failed", ["permission_error", "not allowed"], 1),
    ("400", "status=400", {}, "failed", ["invalid_request_error"], 1),
    ("404", "status=404", {}, "failed", ["not_found_error", "Check the model name"], 1),
    ("413", "status=413", {}, "failed", ["request_too_large", "Shorten the prompt"], 1),
    ("overloaded mid-stream", "tokens=200 fault=error_event after=30 error=overloaded_error", {}, "cut_off",
     ["overloaded_error", "mid-stream"], 1),
    ("api_error mid-stream", "tokens=200 fault=error_event after=30 error=api_error", {}, "cut_off",
     ["api_error", "mid-stream"], 1),
    ("connection dropped", "tokens=200 fault=drop after=30", {}, "cut_off", ["Connection lost"], 1),
    ("stall", "tokens=200 fault=stall after=30", {"idle_timeout": 0.4}, "cut_off",
     ["Stalled", "connection was closed"], 1),
    ("end without message_stop", "tokens=200 fault=eof after=30", {}, "cut_off", ["ended before"], 1),
    ("malformed event", "tokens=200 fault=malformed after=30", {}, "cut_off", ["malformed"], 1),
    ("unknown event type", "tokens=60 fault=unknown_event after=10", {}, "done", [], 1),
]
IDS = [f[0] for f in FAULTS]
