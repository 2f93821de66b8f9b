"""Work handed to a forked child process while this one goes on: its answer is read when needed.

The build uses it for passes of system calls over files the rest of the build does not touch
(the last build's output, the media folders), so on two cores they overlap with reading the
content. Answers travel as :mod:`marshal` data (plain values only) through a temporary file.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import tempfile
from collections.abc import Callable
from typing import Any

from sitegen.files import remove_in_flight, write_all


class Forked:
    """``func(*args)`` in a forked child, started now; :meth:`result` waits for it.

    The child writes its answer into an unnamed temporary file and ends at once (it never waits
    for this process to read it). Without fork, or with ``jobs`` 1, the call runs here when the
    result is first asked for. A child that fails gives ``failed``; one stopped by :meth:`close`
    removes the temp files it was writing.
    """

    def __init__(self, func: Callable[..., Any], *args: Any, jobs: int = 2, failed: Any = None) -> None:
        self.call = (func, args)
        self.failed = failed
        self.pid = 0
        self.file: Any = None
        self._result: Any = failed
        self._done = False
        if jobs > 1 and hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        try:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - read and closed in result()/close()
            pid = os.fork()
        except OSError:
            if self.file is not None:
                self.file.close()
                self.file = None
            return
        if pid == 0:  # the child: the call, its answer into the file, and out without cleanup
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
                signal.signal(signal.SIGTERM, _stopped)
                for fd in (0, 1, 2):  # a killed parent's callers wait for its pipes' end, not ours
                    with contextlib.suppress(OSError):
                        os.close(fd)
                func, args = self.call
                write_all(self.file.fileno(), marshal.dumps(func(*args)))
                code = 0
            finally:
                os._exit(code)
        self.pid = pid

    def result(self) -> Any:
        """The call's result (waiting for the child if it still runs)."""
        if self._done:
            return self._result
        self._done = True
        if not self.pid:
            func, args = self.call
            self._result = func(*args)
            return self._result
        try:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            if os.waitstatus_to_exitcode(status) == 0:
                self.file.seek(0)
                with contextlib.suppress(ValueError, EOFError, TypeError):
                    self._result = marshal.loads(self.file.read())
        finally:
            self.close()
        return self._result

    def close(self) -> None:
        """Stop the child if it still runs, and reap it (its result, if not read yet: ``failed``)."""
        if self.pid:
            self._done = True
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGTERM)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.file is not None:
            self.file.close()
            self.file = None


def _stopped(signum: int, frame: Any) -> None:
    """In a child, on SIGTERM from :meth:`Forked.close`: out, without a half-written file."""
    remove_in_flight()
    os._exit(1)
