#!/usr/bin/env python3
"""CPU per event of `mesh demo inventory-to-charge` across every process of the run (mesh, its sidecars, the apps, their
`dotnet run` launchers, redis-server and the demo itself), from the moment the events are sent to the last case settled,
so start-up is left out. Counted from /proc, so it holds on a busy machine; with the cores it bounds the rate.

Run from the repository root after a Release build:
    python3 bench/demo_cpu_per_event.py [events]          (default 1000)
"""
import os
import re
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root):
    """utime + stime in seconds of the live processes descended from root, by process name. By descent, not by
    session: mesh starts each app's `dotnet run` in a session of its own."""
    stats = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                line = f.read()
        except OSError:
            continue
        # The name is between the parentheses; after it, state is field 3, ppid 4, utime 14, stime 15 (1-based).
        name, rest = line.split("(", 1)[1].rsplit(")", 1)
        fields = rest.split()
        stats[int(pid)] = (int(fields[1]), int(fields[11]) + int(fields[12]), name)

    def descends(pid):
        while pid > 1:
            if pid == root:
                return True
            pid = stats[pid][0] if pid in stats else 0
        return False

    by_name = {}
    for pid, (_, ticks, name) in stats.items():
        if descends(pid):
            by_name[name] = by_name.get(name, 0) + ticks / TICKS
    return by_name


def main():
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    demo = subprocess.Popen(
        ["dotnet", "run", "-c", "Release", "--no-build", "--project", "runtime/Mesh.Cli", "--",
         "demo", "inventory-to-charge", "--events", str(events)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    root = demo.pid
    start = None
    for line in demo.stdout:
        print(line, end="")
        if start is None and re.search(r"seeded \d+ items", line):
            start = (tree_cpu_seconds(root), time.monotonic())
        if start is not None and re.search(rf"{events}/{events} cases settled", line):
            end, elapsed = tree_cpu_seconds(root), time.monotonic() - start[1]
            spent = {name: seconds - start[0].get(name, 0) for name, seconds in end.items()}
            cpu = sum(spent.values())
            cores = os.cpu_count()
            per_event = cpu * 1000 / events
            print(f"\nCPU per event, every process of the run, from the send to the last case settled: {per_event:.1f} ms "
                  f"({cpu:.1f} s over {elapsed:.1f} s); {cores} cores at that cost: at most {cores * 1000 / per_event:.0f} "
                  f"events/s; cores busy {cpu / elapsed / cores:.0%}")
            for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
                if seconds * 1000 / events >= 0.05:
                    print(f"  {seconds * 1000 / events:6.1f} ms  {name}")
    sys.exit(demo.wait())


if __name__ == "__main__":
    main()
