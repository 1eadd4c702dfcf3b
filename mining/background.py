"""Work on a daemon thread, for work that runs beside the caller's (theme fits, lead models).

Daemon threads rather than a ``ThreadPoolExecutor``: the interpreter joins an executor's threads
at exit, so a run stopped with Ctrl-C would wait for the work to finish before exiting.
"""

from __future__ import annotations

import threading
from typing import Any


class Background:
    """``fn(*args)`` on a daemon thread; :meth:`result` waits and returns it or re-raises.

    Daemonic, so that a run stopped by an error or Ctrl-C elsewhere exits without waiting.
    """

    def __init__(self, fn: Any, *args: Any) -> None:
        self._out: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True,
                                        name=f"journeymine-{getattr(fn, '__name__', 'work')}")
        self._thread.start()

    def _run(self, fn: Any, args: tuple[Any, ...]) -> None:
        try:
            self._out = fn(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            self._error = error

    def result(self) -> Any:
        """Wait for the work; its return value, or its exception raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._out
