"""A target whose main thread runs a hot loop, for logpoints on a hot line.

`hot_logpoint.py` prints `READY`, then calls `work(i)` as fast as it can and prints `done N` after every
20,000 calls, so a test can see the loop go on. A logpoint goes on the line marked `HOT-LINE`.
"""


def work(number):
    return number * 2  # HOT-LINE


def main():
    print("READY", flush=True)
    number = 0
    while True:
        for _ in range(20_000):
            number = work(number) % 1_000_003
            number += 1
        print(f"done {number}", flush=True)


main()
