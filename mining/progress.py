"""One helper for progress and per-step timings, used by every step of a run.

Usage::

    from mining.progress import Progress
    progress = Progress(enabled=True)                 # or Progress.off()
    with progress.stage("embed", "Embedding 16,948 units"):
        ...                                           # timed into progress.timings["embed"]
    with progress.task("Embedding (all-MiniLM-L6-v2)", total=len(texts)) as task:
        for batch in batches:
            ...
            task.advance(len(batch))
    with progress.status("Finding objection themes (812 units)…"):
        ...                                           # a spinner for work of unknown length
    progress.timings                                  # {"embed": 12.345, ...} seconds

What the user sees depends on where stderr goes:

- **a terminal**: a Rich display on stderr: a transient spinner per stage or status, a bar with
  count and time left per task, and one ``✓ name 1.2 s`` line per finished stage;
- **not a terminal** (a log file, CI): log lines on the ``mining.progress`` logger at INFO: one
  when a stage starts, one when it ends (with its seconds), and for a task at most one every
  :data:`LOG_INTERVAL` seconds with the count done, the rate and the estimated time left; work
  without a count (fitting themes, scoring) logs its status when it starts and, while nothing
  else was logged for :data:`LOG_INTERVAL` seconds, a ``still running`` line with the seconds so
  far, or the open task's count, rate and time left (a heartbeat thread), so a log never stays
  silent for long;
- **off** (``enabled=False``, ``journeymine --no-progress``, ``--quiet``): nothing; timings are
  still recorded.

Descriptions name the work and counts only, never message text (the corpus is private).
Only one live Rich display exists at a time: a stage prints lines rather than holding a live
display, and a task started inside a status pauses the status's spinner.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.progress import Progress as Bar

log = logging.getLogger("mining.progress")

#: Seconds between two progress log lines of a task when stderr is not a terminal.
LOG_INTERVAL = 30.0


def stderr_is_terminal() -> bool:
    """Return True when Rich would treat stderr as a terminal (honours ``TTY_COMPATIBLE``)."""
    return bool(Console(stderr=True).is_terminal)


class Task:
    """A counted piece of work inside :meth:`Progress.task`; call :meth:`advance` as it goes.

    Attributes:
        description: What is being done (counts allowed, never message text).
        total: Number of items, or None when unknown.
        done: Items done so far.
    """

    def __init__(self, owner: Progress, description: str, total: int | None) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self._owner = owner
        self._t0 = time.perf_counter()
        self._last_log = self._t0
        self._bar: Any = None
        self._bar_task: Any = None

    def advance(self, n: int = 1) -> None:
        """Mark ``n`` more items done (updates the bar, or logs when the interval has passed)."""
        self.done += int(n)
        if self._bar is not None:
            self._bar.advance(self._bar_task, int(n))
            return
        if self._owner.mode == "log":
            now = time.perf_counter()
            if now - self._last_log >= self._owner.interval:
                self._last_log = now
                self._owner._log("%s", self.summary(now))

    def summary(self, now: float | None = None) -> str:
        """Return ``description: done/total (rate/s, ~N s left)`` for a log line."""
        elapsed = max((now or time.perf_counter()) - self._t0, 1e-9)
        rate = self.done / elapsed
        text = f"{self.description}: {self.done:,}" + (f"/{self.total:,}" if self.total else "")
        text += f" ({rate:,.1f}/s"
        if self.total and rate > 0:
            text += f", ~{max(self.total - self.done, 0) / rate:,.0f} s left"
        return text + ")"


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far, in MB (None where ``resource`` is missing)."""
    try:
        import resource  # posix-only: not on Windows
    except ImportError:
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / 2**20 if sys.platform == "darwin" else rss / 1024, 1)  # bytes / KiB


class Progress:
    """Progress display and per-step timings for one run (see the module docstring).

    Args:
        enabled: Show progress at all; False records timings only.
        interval: Seconds between a task's log lines when stderr is not a terminal.
        terminal: Force terminal (True) or log (False) mode; None asks Rich about stderr.
    """

    def __init__(self, enabled: bool = True, *, interval: float = LOG_INTERVAL,
                 terminal: bool | None = None) -> None:
        self.enabled = bool(enabled)
        self.interval = float(interval)
        self.timings: dict[str, float] = {}
        #: Step name -> the process's peak memory (MB) when the step ended: the first step
        #: whose value reaches the run's peak is the one that set it.
        self.peaks: dict[str, float] = {}
        self._terminal = terminal
        self._console: Any = None
        self._live: Any = None  # the running status spinner, paused while a task bar runs
        self._doing: list[tuple[str, float]] = []  # log mode: open stages and statuses
        self._last_line = time.perf_counter()
        self._beat: threading.Thread | None = None
        self._tasks: list[Task] = []  # log mode: open counted tasks (the heartbeat shows them)
        self._lock = threading.Lock()

    def _log(self, fmt: str, *args: Any) -> None:
        """Log one progress line (log mode) and note when, for the heartbeat."""
        self._last_line = time.perf_counter()
        log.info(fmt, *args)

    @contextlib.contextmanager
    def _open(self, what: str) -> Iterator[None]:
        """Log mode: keep ``what`` on the stack the heartbeat reports while the block runs."""
        with self._lock:
            self._doing.append((what, time.perf_counter()))
            if self.interval >= 1.0 and (self._beat is None or not self._beat.is_alive()):
                self._beat = threading.Thread(target=self._heartbeat, name="progress-heartbeat",
                                              daemon=True)
                self._beat.start()
        try:
            yield
        finally:
            with self._lock:
                self._doing.pop()

    def _heartbeat(self) -> None:
        """While a stage is open, log ``still running`` after ``interval`` s without a line."""
        while True:
            time.sleep(min(self.interval, 5.0))
            with self._lock:
                if not self._doing:
                    self._beat = None
                    return
                what, t0 = self._doing[-1]
                task = self._tasks[-1] if self._tasks else None
            now = time.perf_counter()
            if now - self._last_line >= self.interval:
                if task is not None and task._t0 >= t0:  # counted work: count, rate, time left
                    self._log("%s", task.summary(now))
                else:
                    self._log("%s: still running (%.0f s so far)", what.replace("\n", "; "),
                              now - t0)

    @classmethod
    def off(cls) -> Progress:
        """Return a helper that only records timings."""
        return cls(enabled=False)

    @classmethod
    def coerce(cls, progress: bool | Progress | None) -> Progress:
        """Return ``progress`` when it is a :class:`Progress`, else a new one (bool: enabled)."""
        if isinstance(progress, Progress):
            return progress
        return cls(enabled=progress is None or bool(progress))

    @property
    def mode(self) -> str:
        """``"off"``, ``"terminal"`` (Rich on stderr) or ``"log"`` (log lines)."""
        if not self.enabled:
            return "off"
        if self._terminal is None:
            self._terminal = stderr_is_terminal()
        return "terminal" if self._terminal else "log"

    def __bool__(self) -> bool:
        return self.enabled

    def _console_(self) -> Any:
        if self._console is None:
            self._console = Console(stderr=True, force_terminal=self._terminal or None)
        return self._console

    @contextlib.contextmanager
    def stage(self, name: str, what: str) -> Iterator[None]:
        """Time a named step; say ``what`` when it starts and its seconds when it ends.

        On a terminal this prints ``» what…`` and ``✓ name 1.2 s`` lines (no live display, so a
        step can show its own bars and spinners); otherwise it logs a start and an end line.

        Args:
            name: Short step name, the key in :attr:`timings`.
            what: What the step does, for the user (counts allowed, never message text).
        """
        mode = self.mode
        if mode == "log":
            self._log("start %s: %s", name, what)
        elif mode == "terminal":
            self._console_().print(f"[bold]»[/bold] {what}…", highlight=False, markup=True)
        t0 = time.perf_counter()
        with self._open(name) if mode == "log" else contextlib.nullcontext():
            yield
        self.timings[name] = round(time.perf_counter() - t0, 3)
        peak = peak_rss_mb()
        if peak is not None:
            self.peaks[name] = peak
        if mode == "terminal":
            self._console_().print(f"  [green]✓[/green] {name} {self.timings[name]:.1f} s",
                                   highlight=False)
        elif mode == "log":
            self._log("done %s in %.1f s", name, self.timings[name])

    def note(self, what: str) -> None:
        """Say ``what`` once, a line per line, from any thread (no spinner, no heartbeat).

        For work running beside the current step (the background theme fits): a log line, or a
        printed line on a terminal.
        """
        if self.mode == "log":
            for line in what.splitlines():
                self._log("%s", line)
        elif self.mode == "terminal":
            for line in what.splitlines():
                self._console_().print(f"  {line}", highlight=False, markup=False)

    @contextlib.contextmanager
    def status(self, what: str) -> Iterator[None]:
        """A transient spinner showing ``what`` on a terminal; nothing otherwise.

        Inside another status, the running spinner shows ``what`` until the block ends. In log
        mode ``what`` is logged once (a line per line of ``what``: several pieces of work run
        side by side), and the heartbeat names it while it runs.
        """
        if self.mode == "log":
            self.note(what)
            with self._open(what):
                yield
            return
        if self.mode != "terminal":
            yield
            return
        if self._live is not None:
            outer, before = self._live, self._live.status
            outer.update(what)
            try:
                yield
            finally:
                outer.update(before)
            return
        with self._console_().status(what) as live:
            self._live = live
            try:
                yield
            finally:
                self._live = None

    @contextlib.contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Task]:
        """A counted piece of work: a bar on a terminal, a log line every ``interval`` s else.

        Args:
            description: What is being done (counts allowed, never message text).
            total: Number of items, or None when unknown.

        Yields:
            The :class:`Task`; call ``task.advance(n)``.
        """
        task = Task(self, description, total)
        if self.mode == "log":
            self._tasks.append(task)
            try:
                yield task
            finally:
                self._tasks.remove(task)
            if time.perf_counter() - task._t0 >= self.interval:
                self._log("%s", task.summary())
            return
        if self.mode != "terminal":
            yield task
            return

        live, self._live = self._live, None
        if live is not None:
            live.stop()
        bar = Bar("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=self._console_(), transient=True)
        task._bar, task._bar_task = bar, bar.add_task(description, total=total)
        try:
            with bar:
                yield task
        finally:
            if live is not None:
                live.start()
                self._live = live


def status(progress: bool | Progress, what: str) -> Any:
    """A transient spinner on stderr while ``what`` runs (terminal only; see :class:`Progress`).

    Args:
        progress: A :class:`Progress`, or a bool (True: show on a terminal).
        what: What runs (counts allowed, never message text).
    """
    return Progress.coerce(progress).status(what)

