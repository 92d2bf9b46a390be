#!/usr/bin/env python3
"""Mutation testing of the derivative rules: the rows of `dual-core/src/ir/prim/table.rs`.

cargo-mutants (scripts/mutants.sh) does not look inside macro invocations, and every rule of
the primitive table is written inside the `primitives!` invocation, as a closure over a
`Builder` (`g.mul(y, pow)`, `g.unary(Unary::Cos, x)`): it sees none of them. This script makes
the mutants cargo-mutants would make there, one at a time, in the `derivative:` closures and in
the helper functions after the table, and runs the same test command as scripts/mutants.sh:

- an operation swapped for its opposite: `g.add` <-> `g.sub`, `g.mul` <-> `g.div`;
- an operation dropped: `g.neg(x)` and `g.recip(x)` -> `x`;
- a constant changed: `g.num(c)` -> `g.num(c + 1.0)`, a whole exponent `e as i32` -> `+ 1`;
- a primitive swapped: `Unary::Sin` <-> `Unary::Cos`, `Sinh` <-> `Cosh`, `Sqrt` <-> `Ln`;
- a comparison reversed: `Cmp::Lt` <-> `Cmp::Gt`, `Cmp::Le` <-> `Cmp::Ge`, `==` -> `!=`,
  `<` <-> `>`;
- a partial dropped: `Some(e)` -> `None`; the two partials of `both(a, b)` swapped.

Usage: scripts/mutate_rules.py [--list | --missed]. `--missed` reruns only the mutants the last
report lists as missed. It works in a copy of the repository under
`target/mutants/rule-table/` (so the working tree is never changed) and writes `report.txt`
there: every mutant with its line, what changed, and the outcome (caught, missed, unviable, or
timeout).
"""

import pathlib
import re
import sys
import time

from run_mutants import copy_tree, run

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLE = pathlib.Path("dual-core/src/ir/prim/table.rs")
OUT = ROOT / "target/mutants/rule-table"
TREE = OUT / "tree"
TEST = ["-p", "dual-core", "--lib", "--test", "engine", "--test", "messages", "--test", "random_programs"]

SWAPS = {
    r"g\.add\(": "g.sub(", r"g\.sub\(": "g.add(",
    r"g\.mul\(": "g.div(", r"g\.div\(": "g.mul(",
    r"g\.neg\(": "::core::convert::identity(", r"g\.recip\(": "::core::convert::identity(",
    r"Unary::Sin\b": "Unary::Cos", r"Unary::Cos\b": "Unary::Sin",
    r"Unary::Sinh\b": "Unary::Cosh", r"Unary::Cosh\b": "Unary::Sinh",
    r"Unary::Sqrt\b": "Unary::Ln", r"Unary::Ln\b": "Unary::Sqrt",
    r"Cmp::Lt\b": "Cmp::Gt", r"Cmp::Gt\b": "Cmp::Lt",
    r"Cmp::Le\b": "Cmp::Ge", r"Cmp::Ge\b": "Cmp::Le",
    r" == ": " != ", r" < ": " > ", r" > ": " < ",
    r"as i32\b": "as i32 + 1",
}


def regions(text):
    """(start, end) of the derivative closures and of the helper functions after the table."""
    out = []
    for m in re.finditer(r"derivative:", text):
        end = text.index("notation:", m.end())
        out.append((m.start(), end))
    helpers = text.index("\nfn ", text.index("primitives! {"))
    out.append((helpers, len(text)))
    return out


def matching_paren(text, open_at):
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced")


def split_args(inner):
    depth, parts, start = 0, [], 0
    for i, c in enumerate(inner):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p.strip() for p in parts]


def mutants(text):
    """(line, description, mutated text) for every mutant."""
    found = []
    line_of = lambda i: text.count("\n", 0, i) + 1
    for start, end in regions(text):
        seg = text[start:end]
        for pattern, repl in SWAPS.items():
            for m in re.finditer(pattern, seg):
                a, b = start + m.start(), start + m.end()
                new = text[:a] + repl + text[b:]
                found.append((line_of(a), f"{text[a:b].strip()} -> {repl.strip()}", new))
        for m in re.finditer(r"g\.num\(([^()]*(?:\([^()]*\))?[^()]*)\)", seg):
            a, b = start + m.start(), start + m.end()
            new = text[:a] + f"g.num({m.group(1)} + 1.0)" + text[b:]
            found.append((line_of(a), f"{m.group(0)} -> g.num({m.group(1)} + 1.0)", new))
        for m in re.finditer(r"\bSome\(", seg):
            a = start + m.start()
            close = matching_paren(text, start + m.end() - 1)
            if close >= end:
                continue
            new = text[:a] + "None" + text[close + 1:]
            found.append((line_of(a), f"{text[a:close + 1]} -> None", new))
        for m in re.finditer(r"\bboth\(", seg):
            a = start + m.start()
            close = matching_paren(text, start + m.end() - 1)
            args = split_args(text[start + m.end():close])
            if len(args) != 2 or close >= end:
                continue
            new = text[:a] + f"both({args[1]}, {args[0]})" + text[close + 1:]
            found.append((line_of(a), f"both({args[0]}, {args[1]}) -> swapped", new))
    return found


def main():
    original = (ROOT / TABLE).read_text()
    found = mutants(original)
    if "--missed" in sys.argv:
        # Only those the last report lists as missed (after adding tests that should kill them).
        last = (OUT / "report.txt").read_text().splitlines()
        missed = {l.split(None, 1)[1] for l in last if l.startswith("missed")}
        found = [m for m in found if f"{TABLE}:{m[0]}: {m[1]}" in missed]
    if "--list" in sys.argv:
        for line, what, _ in found:
            print(f"{TABLE}:{line}: {what}")
        print(f"{len(found)} mutants")
        return
    copy_tree(TREE)
    start = time.time()
    if run(TREE, TEST) != "missed":
        sys.exit("the unmutated tree fails its tests")
    counts = {"caught": 0, "missed": 0, "unviable": 0, "timeout": 0}
    lines = []
    try:
        for i, (line, what, text) in enumerate(found):
            (TREE / TABLE).write_text(text)
            outcome = run(TREE, TEST)
            counts[outcome] += 1
            lines.append(f"{outcome:9} {TABLE}:{line}: {what}")
            print(f"[{i + 1}/{len(found)}] {lines[-1]}", flush=True)
    finally:
        (TREE / TABLE).write_text(original)
    summary = (f"{len(found)} mutants in {time.time() - start:.0f}s: "
               + ", ".join(f"{v} {k}" for k, v in counts.items()))
    report = "report-missed.txt" if "--missed" in sys.argv else "report.txt"
    (OUT / report).write_text("\n".join(lines + [summary]) + "\n")
    print(summary)


if __name__ == "__main__":
    main()
