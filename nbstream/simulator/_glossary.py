"""A small glossary of the terms the project's notebooks ask about, so offline answers can be true.

Each entry has three sentences (an answer of one, two or three sentences takes the first ones), a tip, and
for acronyms what they stand for. :func:`find_term` finds the entry a prompt is about: the longest name
that appears in it as a whole word.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["Term", "find_term"]


@dataclasses.dataclass(frozen=True)
class Term:
    names: tuple[str, ...]  # lower-case names and aliases, matched as whole words
    sentences: tuple[str, str, str]
    tip: str
    expansion: str | None = None  # what an acronym stands for

    @property
    def title(self) -> str:
        """The term as written in prose: the acronym or name the first sentence starts with."""
        return self.sentences[0].split(" (")[0].split(" is ")[0]


_TERMS = [
    Term(
        ("tcp handshake", "three-way handshake", "handshake"),
        (
            "The TCP handshake is the three-message greeting that opens a TCP connection: SYN, SYN-ACK, ACK.",
            "The client proposes a starting sequence number, the server acknowledges it and proposes its own, "
            "and the client acknowledges that.",
            "Only then does data flow, which is why every new connection costs one round trip before the "
            "first byte.",
        ),
        "Reuse connections (keep-alive, connection pools) so you pay for the handshake once, not per request.",
    ),
    Term(
        ("tcp",),
        (
            "TCP (Transmission Control Protocol) is the Internet's reliable, ordered byte-stream protocol.",
            "It numbers every byte, resends what gets lost and slows down when the network is congested.",
            "HTTP/1.1, HTTP/2, SSH and most database connections run on top of it.",
        ),
        "Turn on TCP keep-alive for long-lived connections so dead peers are noticed.",
        "Transmission Control Protocol",
    ),
    Term(
        ("udp",),
        (
            "UDP (User Datagram Protocol) sends independent datagrams with no connection, ordering or "
            "retransmission.",
            "That makes it lightweight and fast to start, but the application must cope with loss itself.",
            "DNS lookups, games, voice calls and QUIC all use it.",
        ),
        "Keep UDP datagrams under about 1,200 bytes to avoid fragmentation.",
        "User Datagram Protocol",
    ),
    Term(
        ("quic",),
        (
            "QUIC is a transport protocol that runs over UDP and builds in encryption and multiplexed streams.",
            "It combines the transport and TLS handshakes, so a new connection often needs just one round "
            "trip, and a lost packet stalls only its own stream.",
            "HTTP/3 is HTTP carried over QUIC.",
        ),
        "Make sure UDP port 443 is open, or clients fall back to TCP.",
    ),
    Term(
        ("socket", "sockets"),
        (
            "A socket is one endpoint of a network conversation, identified by an IP address, a port and a "
            "protocol.",
            "Programs read from and write to a socket much like a file, and the operating system does the "
            "networking.",
            "A server listens on one socket and gets a new one for every client it accepts.",
        ),
        "Always set a timeout on sockets, so a silent peer cannot block your program forever.",
    ),
    Term(
        ("port", "ports"),
        (
            "A port is a 16-bit number that tells the operating system which program on a host should receive "
            "a connection or datagram.",
            "Well-known services have fixed ports, such as 443 for HTTPS and 22 for SSH.",
            "Together with an IP address, a port identifies one endpoint.",
        ),
        "Bind development servers to 127.0.0.1 so they are not reachable from the network.",
    ),
    Term(
        ("dns",),
        (
            "DNS (Domain Name System) is the Internet's phone book: it turns names like example.com into IP "
            "addresses.",
            "Resolvers ask a chain of servers, from the root to the domain's own name servers, and cache the "
            "answers for their time-to-live.",
            "A slow or failing lookup delays every connection that depends on it.",
        ),
        "Keep TTLs short before a migration, so changed records take effect quickly.",
        "Domain Name System",
    ),
    Term(
        ("tls", "ssl"),
        (
            "TLS (Transport Layer Security) encrypts and authenticates a connection, so nobody in between can "
            "read or change it.",
            "Its handshake checks the server's certificate and agrees on session keys.",
            "HTTPS is HTTP over TLS.",
        ),
        "Use TLS 1.3: its handshake needs one round trip instead of two.",
        "Transport Layer Security",
    ),
    Term(
        ("http/2", "http2"),
        (
            "HTTP/2 is the second major version of HTTP, which sends many requests at once over one connection "
            "as interleaved streams.",
            "It compresses headers and lets a server prioritise what matters.",
            "It removed the need for tricks such as opening six connections per site.",
        ),
        "Serve many small files over one HTTP/2 connection instead of bundling everything into one.",
    ),
    Term(
        ("proxy", "proxies"),
        (
            "A proxy is a server that sits between a client and the servers it talks to and forwards requests "
            "on its behalf.",
            "It can cache, filter, log or hide who is asking.",
            "A reverse proxy does the same in front of servers, for load balancing and TLS.",
        ),
        "Pass the client's address on in a header such as X-Forwarded-For, or your logs lose it.",
    ),
    Term(
        ("cdn",),
        (
            "A CDN (content delivery network) is a set of servers around the world that keep copies of a "
            "site's content close to its users.",
            "Requests go to the nearest copy, which cuts latency and load on the origin.",
            "Static files, images and video are its classic use.",
        ),
        "Give static files long cache lifetimes and versioned names, so the CDN can keep them.",
        "Content Delivery Network",
    ),
    Term(
        ("nat",),
        (
            "NAT (network address translation) lets many devices share one public IP address by rewriting "
            "addresses and ports as packets pass a router.",
            "It is why most home devices have private addresses like 192.168.1.20.",
            "Connections from outside cannot reach a device behind NAT unless a port is forwarded.",
        ),
        "For peer-to-peer apps, plan for NAT traversal (STUN/TURN) from the start.",
        "Network Address Translation",
    ),
    Term(
        ("subnet", "subnets"),
        (
            "A subnet is a range of IP addresses that share a prefix, such as 10.0.1.0/24.",
            "Devices in the same subnet reach each other directly; traffic to other subnets goes through a "
            "router.",
            "Subnets split a network into smaller parts for order and security.",
        ),
        "Leave room to grow: a /24 holds only 254 hosts.",
    ),
    Term(
        ("bgp",),
        (
            "BGP (Border Gateway Protocol) is how the networks that make up the Internet tell each other which "
            "addresses they can reach.",
            "Each network announces its prefixes, and routers pick paths by policy.",
            "A wrong announcement can send a large part of the Internet's traffic the wrong way.",
        ),
        "Sign your route origins with RPKI so others can reject bogus announcements.",
        "Border Gateway Protocol",
    ),
    Term(
        ("arp",),
        (
            "ARP (Address Resolution Protocol) finds the hardware (MAC) address that belongs to an IP address "
            "on a local network.",
            "A host broadcasts who has this IP, and the owner replies.",
            "The answers are cached for a short while.",
        ),
        "If two machines claim the same IP address, look at the ARP cache first.",
        "Address Resolution Protocol",
    ),
    Term(
        ("latency",),
        (
            "Latency is the time between asking for something and the first sign of an answer.",
            "For a language model that is the time to the first token, which grows with the prompt and the "
            "model's size.",
            "It is what makes an interface feel fast or slow, whatever the total time.",
        ),
        "Stream the output: the reader starts at the first token instead of waiting for the last.",
    ),
    Term(
        ("throughput",),
        (
            "Throughput is how much work gets done per unit of time, such as requests per second or tokens per "
            "second.",
            "It is about volume, where latency is about waiting.",
            "Batching and parallel calls raise throughput even when each call stays as slow as before.",
        ),
        "Run independent calls in parallel: the total time becomes that of the slowest call.",
    ),
    Term(
        ("jitter",),
        (
            "Jitter is the variation in latency from one packet or request to the next.",
            "A link with steady 50 ms delays feels better than one that swings between 10 and 200 ms.",
            "Voice and video use buffers to hide it.",
        ),
        "Report latency percentiles (p50, p95), not only the average, so jitter shows.",
    ),
    Term(
        ("mutex", "mutexes"),
        (
            "A mutex (mutual exclusion lock) lets only one thread at a time enter a critical section of code.",
            "A thread locks it before touching the shared data and unlocks it afterwards, and any other thread "
            "that tries meanwhile waits.",
            "Holding it too long, or locking two of them in opposite orders, leads to contention or deadlock.",
        ),
        "Keep the locked section as short as possible, and always release the mutex in a finally block.",
    ),
]


def find_term(text: str) -> Term | None:
    """The entry whose longest name appears in `text` as a whole word (None: none does)."""
    lowered = text.lower()
    best: tuple[int, Term] | None = None
    for term in _TERMS:
        for name in term.names:
            if re.search(rf"(?<![\w/]){re.escape(name)}(?![\w/])", lowered) and (best is None or len(name) > best[0]):
                best = (len(name), term)
    return best[1] if best else None
