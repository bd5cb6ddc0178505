"""Servers on this machine that speak the Messages API (llama.cpp's ``llama-server`` and the like).

Pure helpers: whether an endpoint is local (loopback, so a model the price table does not know costs no
API dollars and shows as "local"), and the model's name when a server reports a file path instead.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ._format import LOCAL_COST_LABEL  # noqa: F401  (the label lives with the other formats)


def is_loopback(url: str) -> bool:
    """True for http(s)://localhost, 127.0.0.0/8 and [::1] URLs."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def model_name(reported: str) -> str:
    """The model's name as a server reports it; llama.cpp reports the GGUF file's path, shown as its stem.

    "/home/me/models/gemma-3-270m-q4_k_m.gguf" -> "gemma-3-270m-q4_k_m"; Claude's ids pass unchanged.
    A path is never shown: it would tell a saved notebook's readers about the author's machine.
    """
    if "/" not in reported and "\\" not in reported and not reported.lower().endswith(".gguf"):
        return reported
    stem = reported.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return stem[: -len(".gguf")] if stem.lower().endswith(".gguf") else stem
