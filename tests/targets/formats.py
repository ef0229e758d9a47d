"""A target for value formatting: a thread waits in `compute` with integers in its parameters and locals.

`compute(count, label, *rest, scale=1.5, **extra)` is called as `compute(255, "bytes", 1, 2, scale=2.5,
unit="kB")` on the thread `formatter`, and holds `number = 255`, `numbers = [10, 255]`,
`mapping = {16: 255}`, `flag = True` and `negative = -42`.
"""

import threading
import time

stop = threading.Event()


def compute(count, label, *rest, scale=1.5, **extra):
    number = count
    numbers = [10, count]
    mapping = {16: count}
    flag = True
    negative = -42
    while not stop.is_set():
        time.sleep(0.005)
    return number, numbers, mapping, flag, negative


def main():
    worker = threading.Thread(
        target=compute, args=(255, "bytes", 1, 2), kwargs={"scale": 2.5, "unit": "kB"}, name="formatter"
    )
    worker.daemon = True
    worker.start()
    print("READY", flush=True)
    while not stop.is_set():
        time.sleep(0.01)


main()
