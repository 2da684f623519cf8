#!/usr/bin/env python3
"""Thread-state sampler for `bench/run.sh --threads`.

    threads.py OUTFILE STOPFILE INTERVAL_S PID:label ...

Every INTERVAL_S it reads /proc/<pid>/task/*/stat (and wchan) of each daemon and
counts, per thread, how often it was running (R), sleeping (S, with the kernel
function it waits in) or in uninterruptible I/O wait (D). Stops when STOPFILE
exists, then writes one line per thread (busiest first) to OUTFILE, and prints
the busiest thread of each daemon as `<label> <busy%> <thread>` on stdout. A thread
at R close to 100% is the bottleneck of the step. Threads that exist only during
the job (the FD's backup thread) are counted against all samples of the step.
"""
import collections
import os
import sys
import time


def main() -> None:
    out, stop, interval = sys.argv[1], sys.argv[2], float(sys.argv[3])
    targets = [a.split(":") for a in sys.argv[4:]]
    tally = collections.defaultdict(collections.Counter)
    n = 0
    while not os.path.exists(stop):
        for pid, label in targets:
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except FileNotFoundError:
                continue
            for t in tids:
                try:
                    s = open(f"/proc/{pid}/task/{t}/stat").read()
                    comm = s[s.index("(") + 1 : s.rindex(")")]
                    st = s[s.rindex(")") + 2]
                    wchan = open(f"/proc/{pid}/task/{t}/wchan").read().strip() if st != "R" else ""
                except (FileNotFoundError, ProcessLookupError):
                    continue
                key = (label, f"{comm}/{t}")
                tally[key][st + (":" + wchan if wchan and wchan != "0" else "")] += 1
        n += 1
        time.sleep(interval)
    rows = sorted(tally.items(), key=lambda kv: -kv[1]["R"])
    best = {}
    with open(out, "w") as f:
        f.write(f"samples {n} every {interval} s\n")
        for (label, thread), c in rows:
            busy = 100.0 * c["R"] / max(n, 1)
            best.setdefault(label, (busy, thread))
            f.write(f"{label}/{thread} R={busy:.0f}% " + ", ".join(f"{s}={v}" for s, v in c.most_common(6)) + "\n")
    for label, (busy, thread) in sorted(best.items()):
        print(label, f"{busy:.0f}", thread)


if __name__ == "__main__":
    main()
