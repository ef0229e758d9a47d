"""Start the adapter over stdio, do DAP's `initialize` handshake, print what it answered, disconnect.

The smallest end-to-end check that the installed adapter speaks DAP; `./dev demo` runs it until the real
demo exists. Stdlib only, so it can tell a broken install apart from a broken adapter.
"""

import json
import selectors
import subprocess
import sys
import time

TIMEOUT = 10.0


def _frame(seq: int, command: str, arguments: dict[str, object]) -> bytes:
    body = json.dumps({"seq": seq, "type": "request", "command": command, "arguments": arguments}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(adapter: subprocess.Popen[bytes], buffer: bytearray) -> dict[str, object]:
    assert adapter.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(adapter.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + TIMEOUT
    while True:
        header_end = buffer.find(b"\r\n\r\n")
        if header_end >= 0:
            headers = dict(
                line.split(b":", 1) for line in bytes(buffer[:header_end]).split(b"\r\n") if b":" in line
            )
            length = int(headers[b"Content-Length"].strip())
            start = header_end + 4
            if len(buffer) >= start + length:
                message: dict[str, object] = json.loads(buffer[start : start + length])
                del buffer[: start + length]
                return message
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(remaining):
            raise TimeoutError(f"the adapter sent no complete message within {TIMEOUT:.0f} s")
        chunk = adapter.stdout.read1(65536)  # type: ignore[attr-defined]
        if not chunk:
            raise EOFError("the adapter closed its output (it exited; see its messages above)")
        buffer += chunk


def main() -> int:
    command = [sys.executable, "-m", "dapattach"]
    print(f"$ {' '.join(command)}   (DAP over stdio)")
    adapter = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert adapter.stdin is not None
    buffer = bytearray()
    try:
        adapter.stdin.write(_frame(1, "initialize", {"clientID": "dev-handshake", "adapterID": "dapattach"}))
        adapter.stdin.flush()
        while (message := _read_message(adapter, buffer)).get("type") != "response":
            print("event:", json.dumps(message))
        print("initialize response:", json.dumps(message, indent=1))
        adapter.stdin.write(_frame(2, "disconnect", {}))
        adapter.stdin.flush()
        adapter.stdin.close()
        adapter.wait(TIMEOUT)
    except (TimeoutError, EOFError, BrokenPipeError) as error:
        print(f"handshake failed: {error}", file=sys.stderr)
        return 1
    finally:
        if adapter.poll() is None:
            adapter.kill()
            adapter.wait()
    return 0 if message.get("success") else 1


if __name__ == "__main__":
    sys.exit(main())
