"""Commands run as a person runs them, in the repository. Long-running ones (`make proxy`, `make
emulator`, ...): their output read line by line as it comes, stopped with Ctrl-C (SIGINT to the
process group). Others (`make plan`, `python -m devtools.plan`): run to their end, their output
captured."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from types import TracebackType

from devtools.mock_runtime import REPO


def make(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`make --no-print-directory ARGS` in the repository, run to its end (at most `timeout`
    seconds); its exit status and output, whatever the status."""
    return _run(["make", "--no-print-directory", *args], timeout)


def module(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m NAME ARGS` with this interpreter in the repository, run to its end (at most
    120 s); its exit status and output, whatever the status."""
    return _run([sys.executable, "-m", name, *args], 120)


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


class Running:
    """A command in its own process group; `stdout`/`stderr` are the lines it wrote so far."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(["stdout:", *self.stdout, "stderr:", *self.stderr])

    def wait_for(self, text: str, stream: str = "stdout", timeout: float = 90) -> str:
        """The first line of `stream` containing `text`; fails if the command exits first."""
        lines = self.stdout if stream == "stdout" else self.stderr
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(lines) if text in line]
            if found:
                return found[0]
            if self.process.poll() is not None:
                for reader in self._readers:
                    reader.join(timeout=5)
                found = [line for line in lines if text in line]
                if found:
                    return found[0]
                raise AssertionError(
                    f"exited with {self.process.returncode} before {text!r}:\n{self.output()}"
                )
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output()}")

    def stop(self) -> int:
        """Ctrl-C to the whole group, as in a terminal; after 15 s, or for whatever outlives the
        command itself, SIGKILL. The command's exit status."""
        self._signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        self._signal(signal.SIGKILL)
        self.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode

    def _signal(self, number: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # every process of the group has exited
            os.killpg(self.process.pid, number)  # the group this command leads

    def __enter__(self) -> Running:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
