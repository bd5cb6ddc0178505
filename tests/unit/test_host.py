"""Reading a kernel's queued messages (nbstream._host): only signed comm messages to the given comms."""

from __future__ import annotations

import uuid

import zmq
from jupyter_client.session import Session

from nbstream import _host


def frames(session: Session, msg_type: str, content: dict) -> list[zmq.Frame]:
    # What a kernel's shell stream receives (copy=False): identities, the delimiter, then the signed parts.
    msg = session.msg(msg_type, content)
    return [zmq.Frame(part) for part in [b"client-id", *session.serialize(msg)]]


def cancel(comm_id: str) -> dict:
    return {"comm_id": comm_id, "data": {"method": "custom", "content": {"type": "cancel"}}}


def test_a_signed_comm_message_to_a_watched_comm_is_read_with_its_id_and_content():
    session = Session(key=b"secret")
    comm = uuid.uuid4().hex
    msg = _host._comm_msg(session, frames(session, "comm_msg", cancel(comm)), {comm})
    assert msg is not None
    assert msg["content"]["data"]["content"] == {"type": "cancel"}
    assert msg["header"]["msg_id"] == msg["msg_id"] and msg["buffers"] == []


def test_other_comms_other_message_types_and_bad_signatures_are_left_alone():
    session = Session(key=b"secret")
    comm = uuid.uuid4().hex
    assert _host._comm_msg(session, frames(session, "comm_msg", cancel("another")), {comm}) is None
    assert _host._comm_msg(session, frames(session, "execute_request", {"code": "1"}), {comm}) is None
    forged = Session(key=b"not the kernel's key")
    assert _host._comm_msg(session, frames(forged, "comm_msg", cancel(comm)), {comm}) is None


def test_reading_does_not_spend_the_signature_the_kernel_checks_later():
    session = Session(key=b"secret")
    comm = uuid.uuid4().hex
    queued = frames(session, "comm_msg", cancel(comm))
    assert _host._comm_msg(session, queued, {comm}) is not None
    idents, parts = session.feed_identities(queued, copy=False)
    assert session.deserialize(parts, copy=False)["content"]["comm_id"] == comm  # no "Duplicate Signature"
