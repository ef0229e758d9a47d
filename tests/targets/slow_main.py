"""A target whose only thread runs Python code once a second (it sleeps in between), printing `tick N`."""

import time

print("READY", flush=True)
count = 0
while True:
    time.sleep(1.0)
    count += 1
    print(f"tick {count}", flush=True)
