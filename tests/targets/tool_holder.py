"""A target where other tools already hold sys.monitoring tool ids: argv names which ("0" or "0,3,4")."""

import sys
import time

for tool in sys.argv[1].split(","):
    sys.monitoring.use_tool_id(int(tool), f"other-profiler-{tool}")
print("READY", flush=True)
while True:
    time.sleep(0.01)
