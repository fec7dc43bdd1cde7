"""A real SMTP server for the tests (aiosmtpd, from PyPI; pinned in .ci/run).

Usage: server.py PORT DIR

Every message accepted is written to DIR as one file, <n>.eml (written under a temporary
name, then renamed, so a reader never sees half a message), with two header lines added
at the top: X-Test-Rcpt-To (the envelope recipients) and X-Test-Mail-From. A recipient
whose address starts with "reject" is refused with "550 5.1.1 mailbox unavailable", the
way a real server refuses an unknown mailbox. The server prints "ready" once it listens.
"""

import os
import signal
import sys

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.directory, "%06d-%d.eml" % (self.count, os.getpid()))
        head = "X-Test-Rcpt-To: %s\r\nX-Test-Mail-From: %s\r\n" % (
            ",".join(envelope.rcpt_tos),
            envelope.mail_from,
        )
        content = envelope.original_content or b""
        with open(name + ".part", "wb") as f:
            f.write(head.encode("utf-8") + content)
        os.rename(name + ".part", name)
        return "250 Message accepted for delivery"


def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Keep(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    # Until the test kills it (SIGTERM or SIGKILL: a mail server that goes down).
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
