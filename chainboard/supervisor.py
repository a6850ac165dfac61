"""``chainboard serve``'s supervisor: the web server, the task worker and the scheduler as child processes,
kept running.

- The worker and the scheduler are restarted when they exit (killed, out of memory, a bug), with the exit
  logged; after quick repeated deaths the pause before a restart grows (``restart_delays``, counted for
  each child). The web server's exit ends the supervisor (and the others): a web server that cannot start
  (its port taken) must be seen.
- SIGTERM, SIGINT (Ctrl-C) and SIGHUP stop every child the same way: the signal is forwarded to each,
  each is given ``grace`` seconds to finish (the worker ends its current task; an import interrupted
  here rolls back and is settled by the next worker), then killed.
- The children run in process groups of their own, so a Ctrl-C in the terminal reaches them once,
  through the supervisor, rather than twice (the worker takes a second signal as "stop now"). Each is
  asked by the kernel to receive SIGTERM if the supervisor itself dies (``PR_SET_PDEATHSIG``), so a
  ``kill -9`` of the supervisor leaves no orphan holding the port.

No Django here: the supervisor only starts commands.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
NAMES = {"web": "the web server", "worker": "the task worker", "scheduler": "the scheduler"}
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the child outlives a killed supervisor
        pass


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # noqa: T201


class Supervisor:
    def __init__(
        self,
        web: Sequence[str],
        worker: Sequence[str],
        *,
        scheduler: Sequence[str] | None = None,
        log: Callable[[str], None] = _stderr,
        grace: float = 10.0,
        restart_delays: Sequence[float] = (1, 2, 5, 10, 30),
        stable_seconds: float = 60.0,
    ):
        self.commands = {"web": list(web), "worker": list(worker)}
        if scheduler is not None:
            self.commands["scheduler"] = list(scheduler)
        self.kept = [role for role in self.commands if role != "web"]  # restarted when they die
        self.log = log
        self.grace = grace
        self.restart_delays = tuple(restart_delays)
        self.stable_seconds = stable_seconds
        self.children: dict[str, subprocess.Popen] = {}
        self.started: dict[str, float] = {}
        self.quick_deaths = dict.fromkeys(self.kept, 0)
        self.stop_signal: int | None = None
        self.wake = threading.Event()  # a child exited, or a stop signal came
        self.stopping = threading.Event()

    def _start(self, role: str) -> subprocess.Popen:
        child = subprocess.Popen(  # noqa: S603 - our own commands
            self.commands[role], process_group=0, preexec_fn=_die_with_parent
        )
        self.children[role] = child
        self.started[role] = time.monotonic()
        return child

    def _on_signal(self, signum, frame) -> None:
        if signum == signal.SIGCHLD:
            self.wake.set()
            return
        self.stop_signal = signum
        self.stopping.set()
        self.wake.set()

    def run(self) -> int:
        """Run until a stop signal or the web server's exit; returns the exit status to end with."""
        handled = (*STOP_SIGNALS, signal.SIGCHLD)
        previous = {s: signal.signal(s, self._on_signal) for s in handled}
        status = 0
        try:
            for role in self.kept:
                self._start(role)
            web = self._start("web")
            self.log(
                f"web server pid {web.pid}, task worker pid {self.children['worker'].pid}"
                + (
                    f", scheduler pid {self.children['scheduler'].pid}"
                    if "scheduler" in self.children
                    else ""
                )
            )
            while not self.stopping.is_set():
                self.wake.wait(timeout=5.0)  # signals wake it at once; the timeout is a safety net
                self.wake.clear()
                if self.stopping.is_set():
                    break
                if web.poll() is not None:
                    self.log(f"the web server stopped (exit status {web.returncode}); stopping the others")
                    status = web.returncode or 1
                    break
                for role in self.kept:
                    if self.children[role].poll() is not None and not self.stopping.is_set():
                        self._restart(role)
        finally:
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return status

    def _restart(self, role: str) -> None:
        dead = self.children[role]
        lived = time.monotonic() - self.started[role]
        self.quick_deaths[role] = self.quick_deaths[role] + 1 if lived < self.stable_seconds else 1
        delay = self.restart_delays[min(self.quick_deaths[role], len(self.restart_delays)) - 1]
        self.log(
            f"{NAMES[role]} (pid {dead.pid}) exited with status {dead.returncode} after {lived:.0f} s; "
            f"restarting it in {delay:g} s"
        )
        if self.stopping.wait(delay):
            return
        child = self._start(role)
        self.log(f"{NAMES[role]} restarted, pid {child.pid}")

    def _stop_children(self) -> None:
        sig = self.stop_signal or signal.SIGTERM
        alive = [c for c in self.children.values() if c.poll() is None]
        for child in alive:
            child.send_signal(sig)
        deadline = time.monotonic() + self.grace
        for child in alive:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"pid {child.pid} did not stop within {self.grace:g} s; killing it")
                child.kill()
                child.wait()
