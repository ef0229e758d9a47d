"""Target processes: start one of `targets/*.py`, read what it reports, read its memory, stop it."""

import asyncio
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGETS = Path(__file__).resolve().parent / "targets"


class TargetError(Exception):
    """The target did not start, died, or did not report in time."""


def marker_line(script: str, marker: str) -> int:
    """The 1-based line carrying `# bench:<marker>`, so targets can be edited without breaking the bench."""
    for number, text in enumerate((TARGETS / script).read_text().splitlines(), start=1):
        if f"# bench:{marker}" in text:
            return number
    raise LookupError(f"no '# bench:{marker}' line in {script}")


@dataclasses.dataclass(frozen=True)
class Call:
    """One call of the target's hot function: when it began, and its speed by wall clock and CPU time."""

    start: int
    end: int
    ips: float
    cpu_ips: float


class Target:
    """A target program on its own CPU; its stdout lines are collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process, script: str) -> None:
        self.process = process
        self.script = script
        self.pid = process.pid
        self.calls: list[Call] = []
        self.windows: list[tuple[int, float, float]] = []
        """(end, wall speed, CPU speed) of windows a target that reports windows (`printer.py`) printed."""
        self.hooked_ns: int | None = None
        self.notes: list[dict[str, Any]] = []
        """Other JSON lines the target printed (e.g. when it started a child), in order."""
        self._changed = asyncio.Event()
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    @property
    def path(self) -> str:
        return str(TARGETS / self.script)

    @classmethod
    async def start(
        cls,
        python: str,
        script: str,
        args: list[str],
        timeout: float = 20.0,
        env: dict[str, str] | None = None,
    ) -> Target:
        """Start `script`; `env` is added to this process's environment."""
        process = await asyncio.create_subprocess_exec(
            python,
            str(TARGETS / script),
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        target = cls(process, script)
        try:
            await asyncio.wait_for(asyncio.shield(target._ready), timeout)
        except TimeoutError:
            await target.stop()
            raise TargetError(
                f"{script} (pid {process.pid}) did not say ready within {timeout:g} s"
            ) from None
        except BaseException:
            await target.stop()
            raise
        return target

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message: dict[str, Any]
            try:
                message = json.loads(line)
            except ValueError:
                continue
            match message:
                case {"ready": int()}:
                    if not self._ready.done():
                        self._ready.set_result(None)
                case {
                    "ips": float(ips) | int(ips),
                    "cpu_ips": float(cpu) | int(cpu),
                    "start": int(start),
                    "t": int(end),
                }:
                    self.calls.append(Call(start, end, float(ips), float(cpu)))
                    self._changed.set()
                case {"ips": float(ips) | int(ips), "cpu_ips": float(cpu) | int(cpu), "t": int(t)}:
                    self.windows.append((t, float(ips), float(cpu)))
                    self._changed.set()
                case {"hooked": int(when)}:
                    self.hooked_ns = when
                    self._changed.set()
                case dict():
                    self.notes.append(message)
                    self._changed.set()
        if not self._ready.done():
            self._ready.set_exception(TargetError(f"{self.script} exited before it was ready"))
        self._changed.set()

    async def calls_after(self, start_ns: int, count: int, timeout: float) -> list[Call]:
        """The first `count` calls of the hot function that began at or after `start_ns`.

        The target stamps calls with `perf_counter_ns`, the same monotonic clock as ours.
        """
        deadline = time.monotonic() + timeout
        while True:
            chosen = [call for call in self.calls if call.start >= start_ns]
            if len(chosen) >= count:
                return chosen[:count]
            if self.process.returncode is not None or self._reader.done():
                raise TargetError(f"{self.script} (pid {self.pid}) exited while being measured")
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetError(
                    f"{self.script} finished {len(chosen)} of {count} hot calls in {timeout:g} s "
                    "(stopped, or slowed down that much, by the debugger?)"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def wait_for(self, condition: Callable[[], bool], timeout: float) -> None:
        """Until `condition()` holds after something the target printed."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.returncode is not None or self._reader.done():
                raise TargetError(f"{self.script} (pid {self.pid}) exited")
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetError(f"{self.script} did not report what was expected within {timeout:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def windows_after(
        self, start_ns: int, count: int, window_ns: int, timeout: float
    ) -> list[tuple[float, float]]:
        """(wall, CPU) speeds of the first `count` windows that began at or after `start_ns`.

        The target stamps windows with `perf_counter_ns`, the same monotonic clock as ours.
        """
        deadline = time.monotonic() + timeout
        while True:
            chosen = [(ips, cpu) for t, ips, cpu in self.windows if t - window_ns >= start_ns]
            if len(chosen) >= count:
                return chosen[:count]
            if self.process.returncode is not None or self._reader.done():
                raise TargetError(f"{self.script} (pid {self.pid}) exited while being measured")
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetError(
                    f"{self.script} reported {len(chosen)} of {count} windows in {timeout:g} s "
                    "(stopped by the debugger?)"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def note(self, key: str, timeout: float) -> Any:
        """The value of the next note carrying `key` (notes are taken in order)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, note in enumerate(self.notes):
                if key in note:
                    del self.notes[index]
                    return note[key]
            if self.process.returncode is not None or self._reader.done():
                raise TargetError(f"{self.script} (pid {self.pid}) exited before saying {key!r}")
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetError(f"{self.script} did not say {key!r} within {timeout:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def thread_count(self) -> int:
        return len(list(Path(f"/proc/{self.pid}/task").iterdir()))

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise TargetError(f"no VmRSS for pid {self.pid}")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        self._reader.cancel()
