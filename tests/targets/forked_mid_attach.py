"""A parent that forks while an attach to it is half done, as `multiprocessing`'s forkserver may.

Before forking, the parent holds what an attach bootstrap leaves while the agent package is loading (the
claim in `sys.modules` naming adapter PID 4242, and one of the package's modules half imported), and no
agent thread or at-fork hook yet: a fork copies exactly that into the child. Both then print their PID
(`PARENT pid`, `CHILD pid`) and run Python every 10 ms; the child ends when its parent does.
"""

import os
import sys
import time

claim = type(sys)("_dapattach_agent")
claim.adapter_pid = 4242
claim.owner_pid = os.getpid()
sys.modules["_dapattach_agent"] = claim
sys.modules["_dapattach_agent.core"] = type(sys)("_dapattach_agent.core")  # half imported: no Agent yet

print("READY", flush=True)
parent = os.getpid()
child = os.fork()
# One write per line: parent and child share the pipe, and `print` may write a line in pieces.
os.write(1, f"{'CHILD' if child == 0 else 'PARENT'} {os.getpid()}\n".encode())
while os.getppid() == parent or child != 0:
    time.sleep(0.01)
