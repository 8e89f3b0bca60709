#!/usr/bin/env python3
"""Verdict parity: tripline check --rules against cfn-guard validate, rule by rule, file by file.

Usage: compare.py RULES_DIR TREE [--tripline BIN] [--cfn-guard BIN] [--jobs N]

For every file under TREE that cfn-guard reads (.yaml .yml .json .jsn .template) and every
rule of RULES_DIR, the verdict is FAIL when the rule is in the file's not_compliant list. Both
tools' FAIL sets are compared; every disagreement is printed with its reason where known:
  - tripline did not check the file as a template (not CloudFormation/Terraform, or invalid)
  - cfn-guard could not read the file (exit 5)
Rules files are never copied into the project: pass a scratch checkout of the rule registry.
"""
import argparse, concurrent.futures, json, os, re, subprocess, sys
from collections import Counter

EXTS = (".yaml", ".yml", ".json", ".jsn", ".template")

def guard_verdicts(guard, rules, path):
    p = subprocess.run([guard, "validate", "-r", rules, "-d", path, "-o", "json", "--structured", "-S", "none"],
                       capture_output=True, text=True)
    if p.returncode == 5 or not p.stdout.strip():
        return None
    failed = set()
    for report in json.loads(p.stdout):
        for nc in report.get("not_compliant", []):
            failed.add(nc["Rule"]["name"])
    return failed

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rules"); ap.add_argument("tree")
    ap.add_argument("--tripline", default="target/release/tripline")
    ap.add_argument("--cfn-guard", default="cfn-guard")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.tree) for f in fs if f.endswith(EXTS))
    # Rule names by file stem, as tripline names them.
    names = {}
    for f in sorted(os.listdir(a.rules)):
        if f.endswith(".guard"):
            for n in re.findall(r"(?m)^\s*rule\s+(\w+)\s*(?:when|\{)", open(os.path.join(a.rules, f)).read()):
                names[n] = f"GUARD/{f[:-6]}/{n}"
    t = subprocess.run([a.tripline, "check", "--no-config", "--hidden", "--no-ignore", "--verbose", "--select", "GUARD",
                        "--rules", a.rules, "--format", "json", "--exit-zero", a.tree], capture_output=True, text=True)
    if t.returncode != 0:
        sys.exit(f"tripline failed: {t.stderr[-2000:]}")
    root = a.tree.rstrip("/") + "/"
    checked = set()
    for line in t.stderr.splitlines():
        m = re.match(r"checked (.*) \(", line)
        if m:
            checked.add(m.group(1) if m.group(1).startswith("/") else os.path.join(a.tree, m.group(1)))
    trip = {}
    internal = Counter()
    for f in json.loads(t.stdout)["findings"]:
        p = f["path"] if f["path"].startswith("/") else os.path.join(a.tree, f["path"])
        if f["policy"].startswith("GUARD/"):
            trip.setdefault(os.path.normpath(p), set()).add(f["policy"])
        elif f["policy"] == "INTERNAL001":
            internal[f["message"][:120]] += 1
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        guard = dict(zip(files, ex.map(lambda p: guard_verdicts(a.cfn_guard, a.rules, p), files)))
    agree = Counter(); disagree = []
    for p in files:
        g = guard[p]; n = os.path.normpath(p)
        tset = trip.get(n, set())
        if g is None:
            agree["guard cannot read"] += 1 if not tset else 0
            if tset: disagree.append((p, "cfn-guard cannot read the file", sorted(tset), []))
            continue
        gset = {names.get(r, r) for r in g}
        for rule in names.values():
            if (rule in gset) == (rule in tset):
                agree["FAIL" if rule in gset else "not FAIL"] += 1
            else:
                why = "" if n in {os.path.normpath(c) for c in [n] if n in checked_norm(checked)} else "tripline did not check it as a template"
                disagree.append((p, why, sorted(tset & {rule}), sorted(gset & {rule})))
    total = sum(v for k, v in agree.items() if k != "guard cannot read")
    print(f"files: {len(files)}; rules: {len(names)}; verdicts compared: {total + len(disagree)}")
    print(f"agreeing: {total} (FAIL {agree['FAIL']}, not FAIL {agree['not FAIL']}); files cfn-guard cannot read: {sum(1 for g in guard.values() if g is None)}")
    print(f"disagreeing: {len(disagree)}")
    for reason, n in Counter(d[1] or "unexplained" for d in disagree).most_common():
        print(f"  {n:6} {reason}")
    for p, why, tr, gu in disagree[:40]:
        print(f"  {p}: tripline {tr} cfn-guard {gu} {why}")
    if internal:
        print("tripline INTERNAL001:", dict(internal))

_cache = {}
def checked_norm(checked):
    key = id(checked)
    if key not in _cache:
        _cache[key] = {os.path.normpath(c) for c in checked}
    return _cache[key]

if __name__ == "__main__":
    main()
