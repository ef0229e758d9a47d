"""A small order-processing service: the process the demo attaches to.

Two worker threads take orders from a queue and price them while the main thread feeds the queue and
reports progress, so the demo can show several threads with real stacks and values.
"""

import queue
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Order:
    number: int
    customer: str
    items: dict[str, int] = field(default_factory=dict)


PRICES = {"apple": 0.5, "bread": 2.25, "cheese": 4.0, "coffee": 7.5}


def price(order: Order) -> float:
    subtotal = sum(PRICES[name] * count for name, count in order.items.items())
    discount = 0.1 if subtotal > 20 else 0.0
    total = round(subtotal * (1 - discount), 2)  # demo breakpoint
    return total


def worker(orders: queue.Queue[Order], done: list[float]) -> None:
    while True:
        order = orders.get()
        done.append(price(order))
        time.sleep(0.05)


def main() -> None:
    orders: queue.Queue[Order] = queue.Queue(maxsize=8)
    done: list[float] = []
    for name in ("worker-1", "worker-2"):
        threading.Thread(target=worker, args=(orders, done), name=name, daemon=True).start()
    print("orders service ready", flush=True)
    number = 0
    customers = ["Ada", "Grace", "Linus", "Guido"]
    while True:
        number += 1
        items = {"apple": number % 5, "bread": 1 + number % 3, "coffee": number % 4}
        orders.put(Order(number, customers[number % len(customers)], items))
        if number % 20 == 0:
            print(f"processed {len(done)} orders", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
