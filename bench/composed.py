#!/usr/bin/env python3
"""How much Terraform configuration text a check of a tree really reads.

tripline checks each directory of `.tf` files as one configuration composed with the local
modules it calls, at any depth (crates/model/src/terraform_modules): a module called from ten
example directories is read, rewritten and evaluated ten times. Throughput per byte of the
tree's own files therefore understates the work; this prints both volumes so that a `.tf`
throughput figure can say which one it divides by.

Usage: bench/composed.py DIR

It follows what `compose` follows: `source` arguments that are local paths (`./x`, `../x`),
at most 8 calls deep, never into a module already on the chain of callers. Installed
(registry) modules are not counted. An estimate: `source` is read with a pattern, not parsed.
"""

import os
import re
import sys

MAX_DEPTH = 8
LOCAL_SOURCE = re.compile(r'\bsource\s*=\s*"(\.{1,2}/[^"]*)"')


def tf_files(d):
    try:
        return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".tf")]
    except (FileNotFoundError, NotADirectoryError):
        return []


def own_bytes(d):
    return sum(os.path.getsize(f) for f in tf_files(d))


def local_calls(d):
    calls = []
    for f in tf_files(d):
        with open(f, errors="replace") as text:
            for m in LOCAL_SOURCE.finditer(text.read()):
                calls.append(os.path.normpath(os.path.join(d, m.group(1))))
    return calls


def composed_bytes(d, depth=1, chain=()):
    """Bytes of module text the calls of `d` bring in, their own calls included."""
    total = 0
    for called in local_calls(d):
        if depth > MAX_DEPTH or called in chain or called == d or not os.path.isdir(called):
            continue
        total += own_bytes(called) + composed_bytes(called, depth + 1, chain + (d,))
    return total


def main():
    root = sys.argv[1]
    dirs = own = composed = 0
    for path, _, files in os.walk(root):
        if any(f.endswith(".tf") for f in files):
            dirs += 1
            own += own_bytes(path)
            composed += composed_bytes(path)
    print(
        f"{dirs} configurations: {own / 1e6:.2f} MB of their own .tf files, "
        f"{composed / 1e6:.2f} MB of local modules composed into them "
        f"({(own + composed) / 1e6:.2f} MB read in all)"
    )


if __name__ == "__main__":
    main()
