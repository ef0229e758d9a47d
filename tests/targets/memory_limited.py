"""A service whose address space may grow by only 12 MiB (`RLIMIT_AS`), whose new threads each want a
32 MiB stack: the agent's modules fit, its thread does not. Prints READY, then `tick N` every 50 ms."""

import resource
import threading

from ticking import ready_then_tick

threading.stack_size(32 * 1024 * 1024)
with open("/proc/self/status") as status:
    size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + 12 * 1024 * 1024, resource.RLIM_INFINITY))
ready_then_tick()
