"""Bench target for `variables`: a frame holding a list of 1,000,000 ints and a dict of 100,000.

`data.py [CPU]` builds both, prints {"ready": pid}, then passes the marked line every 10 ms.
"""

import json
import os
import sys
import time


def hold():
    big_list = list(range(1_000_000))
    big_dict = {i: i * 2 for i in range(100_000)}
    print(json.dumps({"ready": os.getpid()}), flush=True)
    while True:
        time.sleep(0.01)
        seen = len(big_list) + len(big_dict)  # bench:data-line
        del seen


if len(sys.argv) > 1:
    os.sched_setaffinity(0, {int(sys.argv[1])})
hold()
