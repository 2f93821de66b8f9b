"""Work handed to a forked child process while this one goes on: its answer is read when needed.

The build uses it for passes of system calls over files the rest of the build does not touch
(the last build's output, the media folders), so on two cores they overlap with reading the
content. Answers travel as :mod:`marshal` data (plain values only).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
from collections.abc import Callable
from typing import Any


class Forked:
    """``func(*args)`` in a forked child, started now; :meth:`result` waits for it.

    Without fork, or with ``jobs`` 1, the call runs here when the result is first asked for.
    A child that fails (its answer cut short or unreadable) gives ``failed``.
    """

    def __init__(self, func: Callable[..., Any], *args: Any, jobs: int = 2, failed: Any = None) -> None:
        self.call = (func, args)
        self.failed = failed
        self.pid = 0
        self.fd = -1
        self._result: Any = failed
        self._done = False
        if jobs > 1 and hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: the call, its answer down the pipe, and out without cleanup
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
                os.close(read)
                for fd in (0, 1, 2):  # a killed parent's callers wait for its pipes' end, not ours
                    with contextlib.suppress(OSError):
                        os.close(fd)
                func, args = self.call
                view = memoryview(marshal.dumps(func(*args)))
                while view:
                    view = view[os.write(write, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.fd = pid, read

    def result(self) -> Any:
        """The call's result (waiting for the child if it still runs)."""
        if self._done:
            return self._result
        self._done = True
        if not self.pid:
            func, args = self.call
            self._result = func(*args)
            return self._result
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            self.close()
        with contextlib.suppress(ValueError, EOFError, TypeError):
            self._result = marshal.loads(b"".join(chunks))
        return self._result

    def close(self) -> None:
        """Stop the child if it still runs, and reap it (its result, if not read yet: ``failed``)."""
        if self.pid:
            self._done = True
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
