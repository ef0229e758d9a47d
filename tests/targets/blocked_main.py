"""A target whose main thread sleeps for argv[1] seconds after READY, then prints AWAKE and runs Python."""

import sys
import time

print("READY", flush=True)
time.sleep(float(sys.argv[1]))
print("AWAKE", flush=True)
while True:
    time.sleep(0.01)
