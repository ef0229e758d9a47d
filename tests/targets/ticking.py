"""The running part of a target that stands for a service: `ready_then_tick()` prints READY, then
`tick N` every `every` seconds for ever, so a test can tell that the program still runs its own code.
Targets import it from their own folder (a script's folder is the first entry of `sys.path`)."""

import time


def ready_then_tick(every=0.05):
    print("READY", flush=True)
    count = 0
    while True:
        count += 1
        print(f"tick {count}", flush=True)
        time.sleep(every)
