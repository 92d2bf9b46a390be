#!/usr/bin/env bash
# Mutation testing of the engine with cargo-mutants (https://mutants.rs): each mutant (a small
# change to the engine's code: an operator flipped, a body replaced by a default value, a match
# arm deleted) is built and tested; one that no test notices has "survived".
#
#   scripts/mutants.sh rules      # derivative rules and primitives (ir/prim, ad/rules.rs)
#   scripts/mutants.sh simplifier # smart constructors that simplify as they build (ir/build.rs)
#   scripts/mutants.sh ad         # reverse mode, derivative, unrolled and rolled loops (ad/)
#   scripts/mutants.sh lowering   # syn → IR (lower/), the slowest: about 1,200 mutants
#   scripts/mutants.sh all        # all of the above
#
# cargo-mutants does not enter macro invocations, so it does not see the rows of the primitive
# table (`dual-core/src/ir/prim/table.rs`, inside `primitives! { … }`): scripts/mutate_rules.py
# makes the same kinds of mutants there, with the same test command as the `rules` stage.
#
# Extra arguments go to cargo-mutants (e.g. `--shard 0/8`). The test command is scoped: for the
# rules and the simplifier, the engine's own fast tests, which need no proc-macro rebuild of the
# root crate — the rule table against exact derivatives and the code the rules' shortcuts give
# (`dual-core/tests/engine.rs`), 3,000 random programs whose values are checked against the
# standard library and whose gradients against finite differences
# (`dual-core/tests/random_programs.rs`), and the unit tests; for differentiation and lowering,
# also the root crate's tests of loops, arrays, iterator chains, branches, calls, closures,
# `match`, Hessians and the math primitives, through the macro. The expansion snapshots are left
# out on purpose: they fail on any change of the emitted code, so they would count every mutant
# as caught without checking a derivative. Results are in `target/mutants/STAGE/mutants.out/`
# (`caught.txt`, `missed.txt`, `unviable.txt`, `timeout.txt`); `docs/mutants.md` keeps the
# latest figures.
#
# Run it after changing rules, the simplifier, differentiation or lowering. Not part of
# `.ci/run`: it takes from about 20 minutes (rules) to hours (lowering) on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
    cargo install cargo-mutants --locked --version 27.1.0
fi

stage="${1:-}"
files=()
case "$stage" in
    rules) files=(dual-core/src/ir/prim/mod.rs dual-core/src/ir/prim/table.rs dual-core/src/ad/rules.rs) ;;
    simplifier) files=(dual-core/src/ir/build.rs) ;;
    ad) files=(dual-core/src/ad/reverse.rs dual-core/src/ad/derivative.rs dual-core/src/ad/rolled.rs dual-core/src/ad/loops.rs) ;;
    lowering) files=('dual-core/src/lower/*.rs' 'dual-core/src/lower/*/*.rs') ;;
    all) files=(dual-core/src/ir/prim/mod.rs dual-core/src/ir/prim/table.rs dual-core/src/ad/rules.rs
                dual-core/src/ir/build.rs 'dual-core/src/ad/*.rs' 'dual-core/src/lower/*.rs'
                'dual-core/src/lower/*/*.rs') ;;
    *) echo "usage: $0 rules|simplifier|ad|lowering|all [cargo-mutants arguments]" >&2; exit 2 ;;
esac
shift

args=()
for f in "${files[@]}"; do
    args+=(--file "$f")
done

mkdir -p "target/mutants/$stage"
# The engine's own tests; for the stages whose code only the macro's users reach (arrays, loops,
# branches, calls), also the root crate's tests of those, through the proc macro.
tests=(--lib --test engine --test messages --test random_programs)
case "$stage" in
    ad|lowering|all)
        tests+=(--test loops --test arrays --test arrays_regressions --test array_references
                --test iterators --test constructs --test calls --test matching --test closures
                --test hessian --test math --test conventions) ;;
esac
case "$stage" in
    ad|lowering|all)
        # cargo-mutants tests a mutant with its own package's tests only; these stages need the
        # root crate's, so run_mutants.py applies cargo-mutants' mutants and runs the tests.
        # `--missed` and `--shard K/N` are passed on.
        # 1,000 of the 3,000 random programs: they take most of a mutant's test time, and lowering
        # is most of the mutants (the rules, simplifier and differentiation stages run all).
        [ "$stage" = lowering ] && export RANDOM_PROGRAMS=1000
        exec python3 scripts/run_mutants.py "$stage" "$@" "${files[@]}" -- \
            -p dual-core -p dual "${tests[@]}" ;;
esac
exec cargo mutants -p dual-core "${args[@]}" --output "target/mutants/$stage" "$@" -- "${tests[@]}"
