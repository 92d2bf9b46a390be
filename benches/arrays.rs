//! Arrays and loops at scale: the three functions of `benches/support/arrays.rs`, written the way
//! users write them (loops over module constants, indexing) and annotated with `#[gradient]`,
//! against an expert's hand-written value and gradient (fused loops, adjoint arrays):
//!
//! - the extended Rosenbrock function over `[f64; 1000]`, also written as iterator chains
//!   (`x.windows(2)`, `x.iter().zip(x.iter().skip(1))`);
//! - the softmax cross-entropy of one sample, 64 features × 10 classes (650 parameters);
//! - a two-layer network, 16 inputs → 16 tanh → 4 softmax (340 parameters), loss of one sample.
//!
//! Run with `cargo bench --bench arrays`. After divan's table, a summary times the variants of
//! each case in alternating batches (so that all see the same machine state) and prints the
//! ratios generated / hand-written.

#![allow(missing_docs)]

#[path = "support/arrays.rs"]
mod arrays;
mod support;

use arrays::*;
use std::hint::black_box;
use std::sync::LazyLock;
use support::{interleaved_ns, Summary};

static ROSENBROCK: LazyLock<[f64; N]> = LazyLock::new(|| ext_rosenbrock_input(1));
static SOFTMAX: LazyLock<SoftmaxXentInputs> = LazyLock::new(|| softmax_xent_inputs(1));
static MLP: LazyLock<MlpInputs> = LazyLock::new(|| mlp_inputs(1));

fn main() {
    LazyLock::force(&ROSENBROCK);
    LazyLock::force(&SOFTMAX);
    LazyLock::force(&MLP);
    // Also under `cargo test --benches` (CI): the comparisons are only fair if they agree.
    sanity_check();
    divan::main();
    // `cargo test --benches` runs each benchmark once with `--test`: no summary then.
    if !std::env::args().any(|a| a == "--test") {
        ratio_summary();
    }
}

#[divan::bench]
fn ext_rosenbrock_generated_gradient() -> [f64; N] {
    ext_rosenbrock_gradient(black_box(*ROSENBROCK))
}

#[divan::bench]
fn ext_rosenbrock_generated_value_and_gradient() -> (f64, [f64; N]) {
    ext_rosenbrock_value_and_gradient(black_box(*ROSENBROCK))
}

#[divan::bench]
fn ext_rosenbrock_hand_written() -> (f64, [f64; N]) {
    ext_rosenbrock_expert(black_box(&ROSENBROCK))
}

#[divan::bench]
fn softmax_generated_value_and_gradient() -> f64 {
    let s = &*SOFTMAX;
    softmax_xent_value_and_gradient(black_box(s.w), s.b, &s.x, s.label).0
}

#[divan::bench]
fn softmax_hand_written() -> f64 {
    let s = &*SOFTMAX;
    softmax_xent_expert(black_box(&s.w), &s.b, &s.x, s.label).0
}

#[divan::bench]
fn mlp_generated_value_and_gradient() -> f64 {
    let m = &*MLP;
    mlp_loss_value_and_gradient(black_box(m.w1), m.b1, m.w2, m.b2, &m.x, m.label).0
}

#[divan::bench]
fn mlp_hand_written() -> f64 {
    let m = &*MLP;
    mlp_loss_expert(black_box(&m.w1), &m.b1, &m.w2, &m.b2, &m.x, m.label).0
}

macro_rules! runner {
    ($call:expr) => {
        &mut |n: u32| {
            for _ in 0..n {
                black_box($call);
            }
        }
    };
}

fn ratio_summary() {
    const ROUNDS: usize = 41;
    println!();
    println!("ns per call, fastest of {ROUNDS} alternating batches of about 0.5 ms each:");
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10}   {:>7} {:>7}",
        "case", "function", "hand v+g", "gen g", "gen v+g", "g/hand", "vg/hand"
    );
    let x = *ROSENBROCK;
    let ns = interleaved_ns(
        &mut [
            runner!(ext_rosenbrock(black_box(x))),
            runner!(ext_rosenbrock_expert(black_box(&x))),
            runner!(ext_rosenbrock_gradient(black_box(x))),
            runner!(ext_rosenbrock_value_and_gradient(black_box(x))),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("ext_rosenbrock_1000", &ns);
    let ns = interleaved_ns(
        &mut [
            runner!(rosenbrock_windows(black_box(x))),
            runner!(ext_rosenbrock_expert(black_box(&x))),
            runner!(rosenbrock_windows_gradient(black_box(x))),
            runner!(rosenbrock_windows_value_and_gradient(black_box(x))),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("  as x.windows(2)", &ns);
    let ns = interleaved_ns(
        &mut [
            runner!(rosenbrock_zip(black_box(x))),
            runner!(ext_rosenbrock_expert(black_box(&x))),
            runner!(rosenbrock_zip_gradient(black_box(x))),
            runner!(rosenbrock_zip_value_and_gradient(black_box(x))),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("  as zip(skip(1))", &ns);
    let s = &*SOFTMAX;
    let ns = interleaved_ns(
        &mut [
            runner!(softmax_xent(black_box(s.w), s.b, &s.x, s.label)),
            runner!(softmax_xent_expert(black_box(&s.w), &s.b, &s.x, s.label)),
            runner!(softmax_xent_gradient(black_box(s.w), s.b, &s.x, s.label)),
            runner!(softmax_xent_value_and_gradient(
                black_box(s.w),
                s.b,
                &s.x,
                s.label
            )),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("softmax_64x10", &ns);
    let m = &*MLP;
    let ns = interleaved_ns(
        &mut [
            runner!(mlp_loss(black_box(m.w1), m.b1, m.w2, m.b2, &m.x, m.label)),
            runner!(mlp_loss_expert(
                black_box(&m.w1),
                &m.b1,
                &m.w2,
                &m.b2,
                &m.x,
                m.label
            )),
            runner!(mlp_loss_gradient(
                black_box(m.w1),
                m.b1,
                m.w2,
                m.b2,
                &m.x,
                m.label
            )),
            runner!(mlp_loss_value_and_gradient(
                black_box(m.w1),
                m.b1,
                m.w2,
                m.b2,
                &m.x,
                m.label
            )),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("mlp_16_16_4", &ns);
    println!();
    println!("g/hand = generated _gradient / hand-written value and gradient; vg/hand = generated");
    println!("_value_and_gradient / hand-written value and gradient (target: <= 1.25).");
}

fn print_case(name: &str, ns: &[f64]) {
    let [function, hand, gen_g, gen_vg] = ns else {
        unreachable!()
    };
    println!(
        "{name:<22} {function:>10.1} {hand:>10.1} {gen_g:>10.1} {gen_vg:>10.1}   {:>7.3} {:>7.3}",
        gen_g / hand,
        gen_vg / hand,
    );
}

/// The generated companions agree with the hand-written ones (so the comparison is fair).
fn sanity_check() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * a.abs().max(b.abs()).max(1.0);
    let x = *ROSENBROCK;
    let (v, g) = ext_rosenbrock_value_and_gradient(x);
    let (hv, hg) = ext_rosenbrock_expert(&x);
    assert!(close(v, hv) && g.iter().zip(hg).all(|(&a, b)| close(a, b)));
    for (v, g) in [
        rosenbrock_windows_value_and_gradient(x),
        rosenbrock_zip_value_and_gradient(x),
    ] {
        assert!(close(v, hv) && g.iter().zip(hg).all(|(&a, b)| close(a, b)));
    }
    let s = &*SOFTMAX;
    let (v, (gw, gb)) = softmax_xent_value_and_gradient(s.w, s.b, &s.x, s.label);
    let (hv, (hw, hb)) = softmax_xent_expert(&s.w, &s.b, &s.x, s.label);
    assert!(close(v, hv));
    assert!(gw
        .iter()
        .zip(hw)
        .chain(gb.iter().zip(hb))
        .all(|(&a, b)| close(a, b)));
    let m = &*MLP;
    let (v, (g1, gb1, g2, gb2)) =
        mlp_loss_value_and_gradient(m.w1, m.b1, m.w2, m.b2, &m.x, m.label);
    let (hv, (h1, hb1, h2, hb2)) = mlp_loss_expert(&m.w1, &m.b1, &m.w2, &m.b2, &m.x, m.label);
    assert!(close(v, hv));
    let pairs = g1
        .iter()
        .zip(h1)
        .chain(gb1.iter().zip(hb1))
        .chain(g2.iter().zip(h2))
        .chain(gb2.iter().zip(hb2));
    assert!(pairs.into_iter().all(|(&a, b)| close(a, b)));
}
