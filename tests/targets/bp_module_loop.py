"""A target whose work is a loop at module level in __main__: its code is reachable only from the frame."""

import time

print("READY", flush=True)
count = 0
while True:
    count += 1  # @loop
    time.sleep(0.005)
