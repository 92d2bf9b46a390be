#!/usr/bin/env bash
# Compile-time benchmark: a library crate of 100 `#[gradient]` functions against the same
# crate without the attribute.
#
# Generates both crates in a temporary directory, each depending on this checkout of `dual` by
# path and sharing one target directory; builds both once (the warm-up: every dependency, `dual`'s
# proc macro included, is compiled then), and then times `cargo build` of each crate alone
# (`touch src/lib.rs` before each build, so that only the crate itself is rebuilt), RUNS times,
# alternating, and prints the medians and their ratio. Debug (`cargo build`) and release
# (`cargo build --release`) profiles. A third crate, `optimised`, is the annotated one with the
# setting the README recommends, `[profile.*.build-override] opt-level = 3`: Cargo otherwise
# compiles proc macros (and syn) without optimisations, in release builds too, and the
# expansion then runs 10-20 times slower.
#
# Usage: benches/compile_time.sh [RUNS]   (default 5; run from anywhere)
# Crates: plain (no attribute), annotated, optimised (annotated, proc macro built with opt-level
# 3), expanded (the macro's output as source: compiling the generated code alone).
# Environment: KEEP=1 keeps the temporary directory (its path is printed).
set -euo pipefail

RUNS="${1:-5}"
DUAL="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dual-compile-time.XXXXXX")"
if [[ "${KEEP:-0}" != 1 ]]; then
    trap 'rm -rf "$WORK"' EXIT
fi

# Ten kinds of function, ten of each: scalar gradients with math calls, `wrt`, an array product,
# a Jacobian, a Hessian, `if`/`else`, an unrolled loop, a run-time loop over data, more math.
# $1: index k; $2: the attribute line for templates without options ("" for the plain crate);
# $3: 1 for the annotated crate.
function_source() {
    local k=$1 attr=$2 annotated=$3 c
    c="1.$(printf '%03d' "$k")"
    local wrt="" hess=""
    if [[ $annotated == 1 ]]; then
        wrt="#[gradient(wrt(w, b))]"
        hess="#[gradient(hessian)]"
    fi
    case $((k % 10)) in
    0) cat <<EOF
$attr
pub fn f$k(x: f64, y: f64) -> f64 {
    ($c - x).powi(2) + 100.0 * (y - x * x).powi(2)
}
EOF
    ;;
    1) cat <<EOF
$attr
pub fn f$k(x: f64, y: f64) -> f64 {
    let r = (0.5 * (x * x + y * y)).sqrt();
    let c = 0.5 * ((2.0 * std::f64::consts::PI * x).cos() + (2.0 * std::f64::consts::PI * y).cos());
    -20.0 * (-0.2 * r).exp() - c.exp() + std::f64::consts::E + $c
}
EOF
    ;;
    2) cat <<EOF
$wrt
pub fn f$k(w: [f64; 4], b: f64, x: [f64; 4], y: f64) -> f64 {
    let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b * $c;
    let p = 1.0 / (1.0 + (-z).exp());
    -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
}
EOF
    ;;
    3) cat <<EOF
$attr
pub fn f$k(x: [f64; 8]) -> f64 {
    x[0] * x[1] * x[2] * x[3] * x[4] * x[5] * x[6] * x[7] * $c
}
EOF
    ;;
    4) cat <<EOF
$attr
pub fn f$k(x: [f64; 3], w: &[[f64; 3]; 3]) -> [f64; 3] {
    [
        w[0][0] * x[0] + w[0][1] * x[1] + w[0][2] * x[2] + $c,
        w[1][0] * x[0] + w[1][1] * x[1] + w[1][2] * x[2],
        (w[2][0] * x[0] + w[2][1] * x[1] + w[2][2] * x[2]).tanh(),
    ]
}
EOF
    ;;
    5) cat <<EOF
$hess
pub fn f$k(x: f64, y: f64, z: f64) -> f64 {
    let a = x * y - z * $c;
    a * a + (x - 1.0).powi(2) + (y * z).sin()
}
EOF
    ;;
    6) cat <<EOF
$attr
pub fn f$k(x: f64, y: f64) -> f64 {
    let s = x * x + y * y;
    if s > $c {
        let r = s.sqrt();
        r * (x / r).atan2(y)
    } else if x < 0.0 {
        -x * y + s.ln_1p()
    } else {
        x.hypot(y) * $c
    }
}
EOF
    ;;
    7) cat <<EOF
$attr
pub fn f$k(x: [f64; 8]) -> f64 {
    let mut s = 0.0;
    for i in 0..7 {
        s += $c * 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}
EOF
    ;;
    8) cat <<EOF
$wrt
pub fn f$k(w: [f64; 2], b: f64, xs: &[[f64; 2]], ys: &[f64]) -> f64 {
    let mut l = 0.0;
    for i in 0..xs.len() {
        let z = w[0] * xs[i][0] + w[1] * xs[i][1] + b;
        l += (z - ys[i]).powi(2);
    }
    l * $c / xs.len() as f64
}
EOF
    ;;
    9) cat <<EOF
$attr
pub fn f$k(x: f64, y: f64, z: f64) -> f64 {
    let u = (x * y).tanh() + z.exp_m1() / (1.0 + y * y);
    let v = u.mul_add(x, $c).abs().max(z.cbrt());
    v * (u - z).atan() + (x * x + 1.0).log10()
}
EOF
    ;;
    esac
}

# $1: crate name; $2: 1 for the annotated crate; $3: 1 to optimise the proc macro.
make_crate() {
    local name=$1 annotated=$2 optimised=${3:-0} dir="$WORK/$1" attr=""
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$name"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
dual = { path = "$DUAL" }

[workspace]
EOF
    if [[ $optimised == 1 ]]; then
        printf '\n[profile.dev.build-override]\nopt-level = 3\n\n[profile.release.build-override]\nopt-level = 3\n' >>"$dir/Cargo.toml"
    fi
    # The same versions of syn, quote, proc-macro2 as this checkout (cargo drops the rest).
    if [[ -f "$DUAL/Cargo.lock" ]]; then cp "$DUAL/Cargo.lock" "$dir/Cargo.lock"; fi
    {
        echo "//! 100 functions, generated by dual's benches/compile_time.sh."
        echo "#![allow(missing_docs, clippy::all)]"
        if [[ $annotated == 1 ]]; then
            echo "use dual::gradient;"
            attr="#[gradient]"
        fi
        for k in $(seq 0 99); do
            function_source "$k" "$attr" "$annotated"
        done
    } >"$dir/src/lib.rs"
}

make_crate plain 0
make_crate annotated 1
make_crate optimised 1 1

# `expanded`: the annotated crate with every function replaced by the macro's output, written out
# as source (printed by dual-core's `show` test), so that compiling what the macro emits is
# measured apart from running the macro.
make_crate expanded 0
{
    echo "//! The annotated crate's expansion, generated by dual's benches/compile_time.sh."
    echo "#![allow(missing_docs, clippy::all)]"
    (cd "$DUAL" && DUAL_SHOW="$WORK/annotated/src/lib.rs" cargo test -q -p dual-core --test show -- \
        --nocapture 2>/dev/null) | sed -e '/^running [0-9]* test/d' -e '/^test result/d' -e '/^\.$/d'
} >"$WORK/expanded/src/lib.rs"
CRATES=(plain annotated optimised expanded)

export CARGO_TARGET_DIR="$WORK/target"
build() { # $1: crate, $2: profile flag ("" or --release); prints seconds
    local start end
    touch "$WORK/$1/src/lib.rs"
    start=$(date +%s.%N)
    cargo build -q $2 --manifest-path "$WORK/$1/Cargo.toml"
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "dual: $DUAL"
echo "crates: $WORK/{${CRATES[*]}}; target: $CARGO_TARGET_DIR; $RUNS timed builds each"
for profile in "" --release; do
    label=${profile:-(debug)}
    # Warm-up: dependencies, the proc macro, and one build of each crate.
    for c in "${CRATES[@]}"; do
        cargo build -q $profile --manifest-path "$WORK/$c/Cargo.toml"
    done
    declare -A runs=()
    for _ in $(seq "$RUNS"); do
        for c in "${CRATES[@]}"; do
            runs[$c]+="$(build "$c" "$profile") "
        done
    done
    p=$(printf '%s\n' ${runs[plain]} | median)
    printf 'cargo build %s (median of %s):\n' "$label" "$RUNS"
    for c in "${CRATES[@]}"; do
        m=$(printf '%s\n' ${runs[$c]} | median)
        printf '  %-10s %6.2f s  %5.2fx plain   runs: %s\n' "$c" "$m" \
            "$(awk -v a="$m" -v p="$p" 'BEGIN { print a / p }')" "${runs[$c]}"
    done
    unset runs
done
