"""bench/chaos.py's SMTP sink: bench/smtp_sink.py in a process of its own, every message kept."""

from __future__ import annotations

import subprocess
import sys
import threading

from bench.chaos_stack import ROOT
from tests.smtp_server import free_port


class Sink:
    """bench/smtp_sink.py in a process of its own; every message it takes is kept here."""

    def __init__(self, hold: float = 0.0) -> None:
        self.port, self.hold = free_port(), hold
        self.mails: dict[str, list[str]] = {}  # recipient -> codes, in arrival order
        self.taken: dict[str, int] = {}  # recipient -> codes handed to the client
        self.ready = threading.Condition()
        self.proc: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None

    def start(self) -> None:
        code = f"from bench.smtp_sink import serve; serve({self.port}, {self.hold})"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        if self.proc.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            raise SystemExit("chaos: the SMTP sink did not start")
        self.reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self.reader.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            recipient, _, code = line.strip().partition(" ")
            with self.ready:
                self.mails.setdefault(recipient, []).append(code)
                self.ready.notify_all()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            if self.reader is not None:
                self.reader.join(timeout=5)
            self.proc.stdout.close()  # type: ignore[union-attr]
            self.proc = None

    def wait_mail(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for the next message; whether one came."""
        with self.ready:
            before = sum(len(v) for v in self.mails.values())
            return self.ready.wait_for(
                lambda: sum(len(v) for v in self.mails.values()) > before, timeout
            )

    def code_for(self, contact: str, timeout: float) -> str | None:
        """The next code not yet handed out for ``contact``, waiting up to ``timeout``."""

        def arrived() -> bool:
            return len(self.mails.get(contact, ())) > self.taken.get(contact, 0)

        with self.ready:
            if not self.ready.wait_for(arrived, timeout):
                return None
            index = self.taken.get(contact, 0)
            self.taken[contact] = index + 1
            return self.mails[contact][index]

    def delivered(self) -> dict[str, int]:
        with self.ready:
            return {k: len(v) for k, v in self.mails.items()}
