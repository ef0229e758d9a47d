"""A module whose attributes come from `__getattr__` (PEP 562): listing modules must not call it."""

asked = []


def __getattr__(name):
    asked.append(name)
    print(f"module __getattr__ ran for {name}", flush=True)
    raise AttributeError(name)
