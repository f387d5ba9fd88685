"""Helpers for tests on loopback: a free port, and a real SMTP server (aiosmtpd) that keeps
what it receives."""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message and refuses the addresses in ``refuse``."""

    def __init__(self):
        self.received: list[dict] = []
        self.refuse: set[str] = set()
        self.hang_up: set[str] = set()    # a 421 for their message (the server hangs up)
        self.on_hang_up = lambda: None
        self.greetings = 0                # EHLOs: one a connection (two with STARTTLS)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.greetings += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hang_up & set(envelope.rcpt_tos):
            self.on_hang_up()
            return "421 4.3.2 Service shutting down, closing transmission channel"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from,
                               "message": message,
                               "tls": server.transport.get_extra_info("ssl_object") is not None,
                               "login": session.authenticated})
        return "250 Message accepted for delivery"

    def by_address(self) -> dict[str, email.message.EmailMessage]:
        return {r["to"][0]: r["message"] for r in self.received}


@contextlib.contextmanager
def smtp_server(inbox: Inbox, **options):
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
