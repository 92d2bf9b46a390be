#!/usr/bin/env python3
"""Runs cargo-mutants' mutants of engine files against tests of the whole workspace.

cargo-mutants tests a mutant with the tests of the package it is in (here `dual-core`); the
code of differentiation and lowering is reached mostly through the macro, by the root crate's
tests (`tests/loops.rs`, `tests/arrays.rs`, …). This script takes the mutants cargo-mutants
generates (`cargo mutants --list --json --diff`), applies each one in a copy of the repository's
committed state under `target/mutants/STAGE/`, and runs `cargo test` with the given targets
(which builds only those), so that each mutant costs one incremental build of the engine and of
those tests.

Usage: scripts/run_mutants.py STAGE [--missed [--only FILE]] [--shard K/N] [--jobs J] [--resume]
           [--macro-tests] FILE... -- CARGO_TEST_ARGS...
CARGO_TEST_ARGS are the engine's own tests. `--macro-tests` adds the root crate's tests, through
the macro, of the files whose expansion the mutant changes (see `run`).
`--missed` reruns only the mutants the stage's last report lists as missed. `--jobs J` tests J
mutants at a time, each in a copy of its own (with a build directory of its own: the first build
of each takes minutes); 2 on a 2-core machine keeps both cores busy while one links.
`--missed --only FILE` reruns only those of them FILE lists (lines of a report). Mutants are
matched without their line and column, which the tests written since may have moved.
`--resume` keeps the results the report already has, of a run cut short, and tests the rest.
Mutants are tested in the order of a hash of their names, so a run cut short has a sample drawn
evenly from every file.
Writes `target/mutants/STAGE/report.txt` (`report-KofN.txt` for a shard, `report-missed.txt`
for `--missed`): one line per mutant (caught, missed, unviable,
timeout) and a summary. scripts/mutants.sh calls it for the `ad` and `lowering` stages.
"""

import json
import os
import re
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent
# A mutant normally takes 5–15 s; one that makes the macro loop forever stops here.
TIMEOUT = 180
# No debug information: it is not needed to see a test fail, and makes each build faster. The
# property tests' inputs fixed, as in CI, so that a mutant is caught or missed on every run.
# A failing property test neither shrinks (the mutant is caught either way) nor writes its case
# into the copy's `*.proptest-regressions`, where every later mutant would replay it.
ENV = dict(os.environ, CARGO_PROFILE_DEV_DEBUG="0", CARGO_PROFILE_TEST_DEBUG="0",
           PROPTEST_RNG_SEED=os.environ.get("PROPTEST_RNG_SEED", "20261128"),
           PROPTEST_MAX_SHRINK_ITERS="0", PROPTEST_DISABLE_FAILURE_PERSISTENCE="1")
# The root crate's tests through the macro (`--macro-tests`): all but the UI tests (trybuild: a
# rustc run per case; `dual-core/tests/messages.rs` checks their messages at the engine) and
# the random sample (500 functions: about a minute to compile).
MACRO_TESTS = []
RESULTS = ("caught", "missed", "unviable", "timeout")
# The root crate's tests with `#[gradient]` functions written by `macro_rules!`, or that expand
# source of their own with `dual_core::expand`: code the snapshots do not see.
MACRO_RULES_TESTS = set()
# Tried first: the tests of the constructs themselves, which catch most mutants.
FIRST = {"constructs", "loops", "arrays", "arrays_regressions", "iterators", "calls"}


def copy_tree(tree):
    """The committed state (HEAD) in `tree`, keeping its build directory: a run tests what is
    committed, whatever is being edited meanwhile."""
    tree.mkdir(parents=True, exist_ok=True)
    for item in tree.iterdir():
        if item.name != "target":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    # `-m`: the files dated now, not at the commit, so that cargo does not take the build
    # directory's artifacts (of the last mutant, say) for up to date.
    subprocess.run(["tar", "-x", "-m", "-C", str(tree)], input=archive, check=True)


def cargo_test(tree, args, timeout=TIMEOUT):
    """`cargo test -q ARGS` in `tree`: (passed, output), or None after the timeout."""
    # A session of its own, so that a timeout stops the test binary too, not only cargo: a
    # mutant that makes a test loop forever otherwise keeps a core busy for the rest of the run.
    p = subprocess.Popen(["cargo", "test", "-q", *args], cwd=tree, env=ENV, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None
    return p.returncode == 0, output


def changed_snapshots(output):
    """The source files whose expansion snapshot the expansions test reports as changed, or
    None if it failed otherwise (a panic while expanding, say)."""
    if "expansions differ from their snapshots in:" not in output:
        return None
    tail = output.split("expansions differ from their snapshots in:", 1)[1]
    return {line.split()[0] for line in tail.splitlines()[1:] if line.startswith("  ")
            and line.split()[0].endswith(".txt")}


def run(tree, test_args):
    """Tests one tree: "caught", "missed", "unviable" or "timeout".

    First the engine's own tests (`test_args`). If they pass, the expansion snapshots tell which
    generated code the mutant changed, and the root crate's tests of those files are built and
    run, with those of the files whose `#[gradient]` functions `macro_rules!` writes or that
    expand source of their own (code the snapshots do not see). A file whose snapshot did not change compiles the same code as
    without the mutant, so none of its tests can notice it. This gives what running all of them
    gives, at a fraction of the builds (each mutant changes the proc macro, which rebuilds every
    test crate that uses it).
    """
    own = cargo_test(tree, test_args)
    if own is None:
        return "timeout"
    passed, output = own
    if not passed:
        # The engine itself does not compile: unviable. Tests that do not compile because the
        # mutated macro emits wrong code (or reports an error) have caught it.
        return "unviable" if "could not compile `dual-core`" in output else "caught"
    if not MACRO_TESTS:
        return "missed"
    snapshots = cargo_test(tree, ["-p", "dual-core", "--test", "expansions"])
    if snapshots is None:
        return "timeout"
    passed, output = snapshots
    changed = set() if passed else changed_snapshots(output)
    if changed is None or any(name.startswith("tests__common__") for name in changed):
        targets = MACRO_TESTS
    else:
        # The snapshots do not see functions that `macro_rules!` writes: the files that have
        # some are always tested.
        targets = [t for t in MACRO_TESTS
                   if f"tests__{t}.txt" in changed or t in MACRO_RULES_TESTS]
    # One test crate at a time, stopping at the first that fails: a caught mutant then costs the
    # build of one or two crates, not of every one whose code changed.
    for target in sorted(targets, key=lambda t: (t not in FIRST, t)):
        result = cargo_test(tree, ["-p", "dual", "--test", target])
        if result is None:
            return "timeout"
        if not result[0]:
            return "caught"
    return "missed"


def baseline(tree, test_args):
    """Whether the unmutated tree passes every test a mutant may run (building them all)."""
    # The first builds of a fresh copy take many minutes.
    macro = ["-p", "dual", *(a for t in MACRO_TESTS for a in ("--test", t))]
    for args in [test_args] + ([macro] if MACRO_TESTS else []):
        result = cargo_test(tree, args, timeout=3600)
        if not result or not result[0]:
            print(f"{tree}: `cargo test {' '.join(args)}` fails without a mutant:\n"
                  + (result[1][-4000:] if result else "timeout"), file=sys.stderr)
            return False
    return run(tree, test_args) == "missed"


def lineless(name):
    """A mutant's name without its line and column, which edits elsewhere move."""
    return re.sub(r":\d+:\d+:", ":", name)


def stable_hash(mutant):
    """A hash of the mutant's name without its line and column."""
    return zlib.crc32(lineless(mutant["name"]).encode())


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
    shard, jobs, missed_only, resume, only = None, 1, False, False, None
    while rest and rest[0].startswith("--"):
        if rest[0] == "--missed":
            missed_only, rest = True, rest[1:]
        elif rest[0] == "--only":
            only, rest = rest[1], rest[2:]
        elif rest[0] == "--resume":
            resume, rest = True, rest[1:]
        elif rest[0] == "--shard":
            shard, rest = tuple(int(v) for v in rest[1].split("/")), rest[2:]
        elif rest[0] == "--jobs":
            jobs, rest = int(rest[1]), rest[2:]
        elif rest[0] == "--macro-tests":
            MACRO_TESTS.extend(sorted(p.stem for p in (ROOT / "tests").glob("*.rs")
                                      if p.stem not in ("ui", "random_sample")))
            MACRO_RULES_TESTS.update(
                t for t in MACRO_TESTS
                if any(s in (ROOT / "tests" / f"{t}.rs").read_text()
                       for s in ("macro_rules!", "dual_core::expand")))
            rest = rest[1:]
        else:
            sys.exit(f"unknown option {rest[0]}")
    files = [a for f in rest for a in ("--file", f)]
    listed = subprocess.run(["cargo", "mutants", "-p", "dual-core", *files, "--list", "--json",
                             "--diff"], cwd=ROOT, capture_output=True, text=True, check=True)
    mutants = json.loads(listed.stdout)
    # By a hash of the mutant without its line and column, not by its place in the list: a
    # shard then keeps its mutants while the code around them changes (cargo-mutants' own `k::n`
    # split moved a sixth of them into the next shard after a day of edits), and a run cut short
    # has tested a sample drawn evenly from every file, not the first files.
    mutants.sort(key=lambda m: (stable_hash(m), m["name"]))
    if shard:
        k, n = shard
        mutants = [m for m in mutants if stable_hash(m) % n == k]
    out = ROOT / "target/mutants" / stage
    out.mkdir(parents=True, exist_ok=True)
    # One report per shard, so that shards run one after another add up.
    report = f"report-{shard[0]}of{shard[1]}.txt" if shard else "report.txt"
    if missed_only:
        # Only those the last reports list as missed (after adding tests that should kill them).
        last = [l for f in sorted(out.glob("report*.txt")) if "missed" not in f.name
                for l in f.read_text().splitlines()]
        names = {lineless(l.split(": ", 1)[1]) for l in last if l.startswith("missed")}
        if only:
            # Of those, the ones FILE lists (`file:line: mutation`, as in a report).
            listed = {lineless(l.split(": ", 1)[1]) for l in pathlib.Path(only).read_text()
                      .splitlines() if ": " in l}
            names &= listed
        # Without line and column: the tests written since may have moved the code.
        mutants = [m for m in mutants if lineless(m["name"]) in names]
        report = "report-missed.txt"
    # `--resume`: the results the report already has (of a run cut short) are kept, and only the
    # other mutants tested. A mutant whose line moved since is tested again.
    lines = [None] * len(mutants)
    if resume and (out / report).exists():
        known = {l.split(": ", 1)[1]: l for l in (out / report).read_text().splitlines()
                 if ": " in l and l.split()[0] in RESULTS}
        lines = [known.get(m["name"]) for m in mutants]
    counts = dict.fromkeys(RESULTS, 0)
    for line in lines:
        if line:
            counts[line.split()[0]] += 1
    todo = [i for i, line in enumerate(lines) if line is None]
    trees = [out / ("tree" if j == 0 else f"tree-{j}") for j in range(jobs)]
    start = time.time()
    with ThreadPoolExecutor(jobs) as pool:
        for tree in trees:
            copy_tree(tree)
        baselines = list(pool.map(lambda tree: baseline(tree, test_args), trees))
    if not all(baselines):
        sys.exit("the unmutated tree fails its tests")
    free = list(trees)
    lock = threading.Lock()
    done = len(mutants) - len(todo)

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
        list(pool.map(test, todo))
    summary = (f"{len(mutants)} mutants in {time.time() - start:.0f}s: "
               + ", ".join(f"{v} {k}" for k, v in counts.items()))
    (out / report).write_text("\n".join([l for l in lines if l] + [summary]) + "\n")
    print(summary)


if __name__ == "__main__":
    main()
