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
# Extra arguments go to cargo-mutants (e.g. `--shard 0/8`). The test command is scoped: first
# the engine's own fast tests, which need no proc-macro rebuild of the root crate — the rule
# table against exact derivatives and the code the rules' shortcuts give
# (`dual-core/tests/engine.rs`), the UI cases' error messages (`dual-core/tests/messages.rs`),
# random programs whose values are checked against the standard library and whose gradients
# against finite differences (`dual-core/tests/random_programs.rs`), and the unit tests. For
# differentiation and lowering, a mutant these miss is then tried on the root crate's tests
# through the macro (all but the UI tests and the random sample): only those of the source
# files whose generated code the mutant changes, as the expansion snapshots show, and of the
# files whose functions `macro_rules!` writes (the snapshots do not see those). A file whose
# generated code the mutant does not change compiles the same code, so its tests are not built. The snapshots never count as catching a mutant by themselves: they fail on any
# change of the emitted code, without checking a derivative. Results: cargo-mutants' in
# `target/mutants/STAGE/mutants.out/` (`caught.txt`, `missed.txt`, …); run_mutants.py's in
# `target/mutants/STAGE/report.txt`. `docs/mutants.md` keeps the latest figures.
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
# The engine's own tests: fast, no proc-macro rebuild of the root crate's tests.
tests=(--lib --test engine --test messages --test random_programs)
case "$stage" in
    ad|lowering|all)
        # cargo-mutants tests a mutant with its own package's tests only; these stages need the
        # root crate's, through the macro, so run_mutants.py applies cargo-mutants' mutants and
        # runs the tests (`--macro-tests`: those of the files whose expansion the mutant changes).
        # 1,000 of the 3,000 random programs for lowering: they take most of the engine tests'
        # time, and lowering has most of the mutants. `--missed [--only FILE]`, `--shard K/N`,
        # `--jobs J` and `--resume` are passed on.
        [ "$stage" = lowering ] && export RANDOM_PROGRAMS=1000
        exec python3 scripts/run_mutants.py "$stage" --macro-tests "$@" "${files[@]}" -- \
            -p dual-core "${tests[@]}" ;;
esac
exec cargo mutants -p dual-core "${args[@]}" --output "target/mutants/$stage" "$@" -- "${tests[@]}"
