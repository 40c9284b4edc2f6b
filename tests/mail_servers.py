"""Real mail servers on loopback for the mail intake tests: Debian's dovecot (IMAP) and aiosmtpd (SMTP).

dovecot runs from a throwaway configuration: a passwd-file user, maildirs under a temporary folder,
plain login on a free loopback port, no TLS. Run as root (the tests here are), it drops its login
processes to ``dovenull`` and keeps the mail as ``dovecot``. Messages are put in by IMAP APPEND.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.ports import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "intake", "intake-test-password"
START_SECONDS = 20

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = swdw-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    root: Path

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as imap:
            typ, data = imap.append(folder, None, None, raw)
            assert typ == "OK", data

    def uids(self, folder: str) -> list[int]:
        with self.client() as imap:
            typ, _ = imap.select(folder, readonly=True)
            if typ != "OK":
                return []
            return [int(u) for u in imap.uid("SEARCH", None, "ALL")[1][0].split()]


def _wait_for_port(port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), imaplib.IMAP4("127.0.0.1", port, timeout=2):  # exit logs out
            return
        time.sleep(0.2)
    raise RuntimeError(f"dovecot did not listen on {port}:\n" + (log.read_text() if log.exists() else ""))


@contextlib.contextmanager
def dovecot_server():
    """A dovecot IMAP server with one user and an empty INBOX; stopped and removed afterwards."""
    mail_owner = pwd.getpwnam("dovecot")
    root = Path(tempfile.mkdtemp(prefix="swdw-dovecot-"))
    os.chmod(root, 0o755)  # not under pytest's 0700 temp root: dovecot's users must cross it
    for folder in ("mail", "home"):
        (root / folder).mkdir()
        os.chown(root / folder, mail_owner.pw_uid, mail_owner.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, uid=mail_owner.pw_uid, gid=mail_owner.pw_gid))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, root / "dovecot.log")
        yield ImapServer("127.0.0.1", port, USER, PASSWORD, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpCapture:
    host: str
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The value of AIRFLOW_CONN_SWDW_SMTP that sends here."""
        return f"smtp://{self.host}:{self.port}?from=swdw%40example.gov.cn&to=ops%40example.gov.cn"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextlib.contextmanager
def smtp_capture():
    """An SMTP server (aiosmtpd) on loopback that keeps every message it is sent."""
    from aiosmtpd.controller import Controller

    capture = SmtpCapture("127.0.0.1", free_port())
    controller = Controller(capture, hostname=capture.host, port=capture.port)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()
