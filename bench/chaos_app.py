"""bench/chaos.py's app: gunicorn and the RQ worker, each in a process group of its own."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from bench import servers
from bench.chaos_stack import ROOT, end_group, group_members, spawn
from tests.smtp_server import free_port


class App:
    """gunicorn (deploy/gunicorn.conf.py, sync workers) and one RQ worker, in queue mode.

    A thread stands in for the worker's supervisor (systemd's ``Restart=always``): a worker
    that exits, or is killed, is started again a second later, and counted; unless restarts
    are held (``kill_worker(hold=True)``) until ``release_worker``.
    """

    def __init__(self, env: dict, directory: Path, workers: int) -> None:
        self.env, self.directory, self.workers = env, directory, workers
        self.port = free_port()
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.old_workers: list[subprocess.Popen] = []
        self.stopping = threading.Event()
        self.held = threading.Event()  # the supervisor starts no worker while set
        self.supervisor = threading.Thread(target=self._supervise, daemon=True)

    def start(self) -> None:
        command = [str(servers.BIN / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py")]
        command += ["-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "wsgi:app"]
        self.web = spawn(command, self.directory / "gunicorn.log", self.env)
        self._start_worker()
        self.supervisor.start()
        servers.wait_healthy(self.port, 60)

    def _start_worker(self) -> None:
        command = [str(servers.BIN / "flask"), "--app", "wsgi", "worker"]
        self.worker = spawn(command, self.directory / "worker.log", self.env)

    def _supervise(self) -> None:
        while not self.stopping.wait(0.2):
            if self.held.is_set():
                continue
            if self.worker is not None and self.worker.poll() is not None:
                self.old_workers.append(self.worker)
                if self.stopping.wait(1):
                    return
                self._start_worker()

    @property
    def worker_restarts(self) -> int:
        return len(self.old_workers)

    def web_workers(self) -> list[int]:
        """The gunicorn master's live worker processes."""
        assert self.web is not None
        return [pid for pid in group_members(self.web.pid) if pid != self.web.pid]

    def kill_worker(self, hold: bool = False) -> None:
        """SIGKILL the RQ worker's own process (not its group: its children stay, if they do);
        the supervisor starts a new one (with ``hold``: once ``release_worker`` is called)."""
        assert self.worker is not None
        if hold:
            self.held.set()
        self.worker.kill()

    def release_worker(self) -> None:
        """Let the supervisor start a worker again."""
        self.held.clear()

    def orphans(self) -> int:
        """Processes still alive in the groups of exited RQ workers (e.g. their scheduler)."""
        return sum(len(group_members(proc.pid)) for proc in self.old_workers)

    def stop(self) -> None:
        self.stopping.set()
        if self.supervisor.is_alive():
            self.supervisor.join(5)
        end_group(self.worker)
        for proc in self.old_workers:
            end_group(proc)
        end_group(self.web, grace=30)
