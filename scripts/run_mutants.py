#!/usr/bin/env python3
"""Runs cargo-mutants' mutants of engine files against tests of the whole workspace.

cargo-mutants tests a mutant with the tests of the package it is in (here `dual-core`); the
code of differentiation and lowering is reached mostly through the macro, by the root crate's
tests (`tests/loops.rs`, `tests/arrays.rs`, …). This script takes the mutants cargo-mutants
generates (`cargo mutants --list --json --diff`), applies each one in a copy of the repository
under `target/mutants/STAGE/`, and runs `cargo test` with the given targets (which builds only
those), so that each mutant costs one incremental build of the engine and of those tests.

Usage: scripts/run_mutants.py STAGE [--missed] [--shard K/N] [--jobs J] FILE... -- CARGO_TEST_ARGS...
`--missed` reruns only the mutants the stage's last report lists as missed. `--jobs J` tests J
mutants at a time, each in a copy of its own (with a build directory of its own: the first build
of each takes minutes); 2 on a 2-core machine keeps both cores busy while one links.
Writes `target/mutants/STAGE/report.txt`: one line per mutant (caught, missed, unviable,
timeout) and a summary. scripts/mutants.sh calls it for the `ad` and `lowering` stages.
"""

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent
# A mutant normally takes 5–15 s; one that makes the macro loop forever stops here.
TIMEOUT = 180


def copy_tree(tree):
    tree.mkdir(parents=True, exist_ok=True)
    for item in ROOT.iterdir():
        if item.name in ("target", ".git"):
            continue
        dest = tree / item.name
        if item.is_dir():
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(item, dest)
        else:
            shutil.copy2(item, dest)


def run(tree, test_args):
    try:
        p = subprocess.run(["cargo", "test", "-q", *test_args], cwd=tree,
                           capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout"
    if p.returncode == 0:
        return "missed"
    # The engine itself does not compile: unviable. Tests that do not compile because the
    # mutated macro emits wrong code (or reports an error) have caught it.
    if "could not compile `dual-core`" in p.stderr:
        return "unviable"
    return "caught"


def patch(tree, mutant, reverse=False):
    path = mutant["file"]
    lines = mutant["diff"].splitlines(keepends=True)
    # cargo-mutants names the mutation in the `+++` line; patch wants the file.
    lines[1] = f"+++ {path}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".diff", delete=False) as f:
        f.writelines(lines)
        name = f.name
    args = ["patch", "-s", "-p0", "-d", str(tree), "-i", name] + (["-R"] if reverse else [])
    ok = subprocess.run(args, capture_output=True).returncode == 0
    pathlib.Path(name).unlink()
    return ok


def main():
    argv = sys.argv[1:]
    split = argv.index("--")
    head, test_args = argv[:split], argv[split + 1:]
    stage, rest = head[0], head[1:]
    shard, jobs, missed_only = None, 1, False
    while rest and rest[0].startswith("--"):
        if rest[0] == "--missed":
            missed_only, rest = True, rest[1:]
        elif rest[0] == "--shard":
            shard, rest = tuple(int(v) for v in rest[1].split("/")), rest[2:]
        elif rest[0] == "--jobs":
            jobs, rest = int(rest[1]), rest[2:]
        else:
            sys.exit(f"unknown option {rest[0]}")
    files = [a for f in rest for a in ("--file", f)]
    listed = subprocess.run(["cargo", "mutants", "-p", "dual-core", *files, "--list", "--json",
                             "--diff"], cwd=ROOT, capture_output=True, text=True, check=True)
    mutants = json.loads(listed.stdout)
    if shard:
        k, n = shard
        mutants = mutants[k::n]
    out = ROOT / "target/mutants" / stage
    report = "report.txt"
    if missed_only:
        # Only those the last report lists as missed (after adding tests that should kill them).
        last = (out / "report.txt").read_text().splitlines()
        names = {l.split(": ", 1)[1] for l in last if l.startswith("missed")}
        mutants = [m for m in mutants if m["name"] in names]
        report = "report-missed.txt"
    trees = [out / ("tree" if j == 0 else f"tree-{j}") for j in range(jobs)]
    start = time.time()
    with ThreadPoolExecutor(jobs) as pool:
        for tree in trees:
            copy_tree(tree)
        baselines = list(pool.map(lambda tree: run(tree, test_args), trees))
    if any(b != "missed" for b in baselines):
        sys.exit("the unmutated tree fails its tests")
    free = list(trees)
    lock = threading.Lock()
    counts = {"caught": 0, "missed": 0, "unviable": 0, "timeout": 0}
    lines = [None] * len(mutants)
    done = 0

    def test(i):
        nonlocal done
        m = mutants[i]
        with lock:
            tree = free.pop()
        where = f'{m["file"]}:{m["span"]["start"]["line"]}'
        try:
            if not patch(tree, m):
                line = f"unapplied {where}: {m['name']}"
            else:
                try:
                    outcome = run(tree, test_args)
                finally:
                    patch(tree, m, reverse=True)
                line = f"{outcome:9} {where}: {m['name']}"
        finally:
            with lock:
                free.append(tree)
        with lock:
            if not line.startswith("unapplied"):
                counts[line.split()[0]] += 1
            lines[i] = line
            done += 1
            print(f"[{done}/{len(mutants)}] {line}", flush=True)
            # Written as it goes, so that a run cut short still reports what it did.
            (out / report).write_text("\n".join(l for l in lines if l) + "\n")

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(test, range(len(mutants))))
    summary = (f"{len(mutants)} mutants in {time.time() - start:.0f}s: "
               + ", ".join(f"{v} {k}" for k, v in counts.items()))
    (out / report).write_text("\n".join(lines + [summary]) + "\n")
    print(summary)


if __name__ == "__main__":
    main()
