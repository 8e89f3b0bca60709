"""Run a command and print its wall time, user and system CPU seconds and peak RSS in KiB, as
GNU time's `%e %U %S %M` would, but with times precise enough for the ratios of runs that
take tens of milliseconds (GNU time rounds them to 10 ms).

    python3 bench/measure.py OUT CMD [ARG...]

writes the line to OUT; the command's output goes to /dev/null. Times come from the operating
system's accounting of the child, to the microsecond. The peak still comes from GNU time,
which runs the command: a child forked from Python would count Python's own memory (about
10 MiB) in its peak until it runs the command.
"""

import os
import subprocess
import sys
import tempfile
import time


def main(out, cmd):
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name] + cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The usage of GNU time and of the command it waited for.
        _, _, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        kib = int(peak.read().split()[-1])
    with open(out, "w") as f:
        f.write("%.4f %.4f %.4f %d\n" % (wall, usage.ru_utime, usage.ru_stime, kib))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
