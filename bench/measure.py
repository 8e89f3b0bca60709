"""Run a command and print its wall time, user and system CPU seconds (to the microsecond,
from the operating system's accounting of the child) and peak RSS in KiB, as GNU time's
`%e %U %S %M` would, but precise enough for the ratios of runs that take tens of
milliseconds (GNU time rounds to 10 ms).

    python3 bench/measure.py OUT CMD [ARG...]

writes the line to OUT; the command's output goes to /dev/null.
"""

import os
import subprocess
import sys
import time


def main(out, cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    with open(out, "w") as f:
        f.write("%.4f %.4f %.4f %d\n" % (wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
