//! The digits example's networks (`examples/src/networks.rs`): the gradient of the loss on one
//! image that `#[gradient]` generated from the loss written once with loops over constants,
//! against hand-written backpropagation of the same network:
//!
//! - the single layer, 64 pixels → 10 digits softmax (650 parameters);
//! - two layers, 64 → 32 tanh → 10 softmax (2,410 parameters).
//!
//! Run with `cargo bench --bench digits`. After divan's table, a summary times the variants of
//! each case in alternating batches (so that all see the same machine state) and prints the
//! ratios generated / hand-written. Both sides return the loss and the gradient as a network
//! (the form training uses).

#![allow(missing_docs)]

mod support;

use dual_examples::data::{parse_digits, Sample, Scaler, DIGITS_CSV};
use dual_examples::{softmax_backprop, two_layer_backprop, Network, Softmax, TwoLayer};
use std::hint::black_box;
use std::sync::LazyLock;
use support::{interleaved_ns, Summary};

/// A standardised training image (the first 7) and the networks at their initial parameters.
struct Case {
    sample: Sample,
    softmax: Softmax,
    two_layer: TwoLayer,
}

static CASE: LazyLock<Case> = LazyLock::new(|| {
    let images = parse_digits(DIGITS_CSV).expect("digits.csv parses");
    let scaler = Scaler::fit(&images);
    let image = images.iter().find(|im| im.label == 7).expect("a 7");
    Case {
        sample: scaler.sample(image),
        softmax: Softmax::init(14),
        two_layer: TwoLayer::init(14),
    }
});

fn main() {
    LazyLock::force(&CASE);
    // Also under `cargo test --benches` (CI): the comparisons are only fair if they agree.
    sanity_check(&CASE);
    divan::main();
    // `cargo test --benches` runs each benchmark once with `--test`: no summary then.
    if !std::env::args().any(|a| a == "--test") {
        ratio_summary();
    }
}

#[divan::bench]
fn softmax_function() -> f64 {
    let c = &*CASE;
    black_box(&c.softmax).loss(&c.sample.x, c.sample.label)
}

#[divan::bench]
fn softmax_generated() -> (f64, Softmax) {
    let c = &*CASE;
    black_box(&c.softmax).loss_and_gradient(&c.sample.x, c.sample.label)
}

#[divan::bench]
fn softmax_hand_written() -> (f64, Softmax) {
    let c = &*CASE;
    softmax_backprop(black_box(&c.softmax), &c.sample.x, c.sample.label)
}

#[divan::bench]
fn two_layer_function() -> f64 {
    let c = &*CASE;
    black_box(&c.two_layer).loss(&c.sample.x, c.sample.label)
}

#[divan::bench]
fn two_layer_generated() -> (f64, TwoLayer) {
    let c = &*CASE;
    black_box(&c.two_layer).loss_and_gradient(&c.sample.x, c.sample.label)
}

#[divan::bench]
fn two_layer_hand_written() -> (f64, TwoLayer) {
    let c = &*CASE;
    two_layer_backprop(black_box(&c.two_layer), &c.sample.x, c.sample.label)
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
    let c = &*CASE;
    let (x, label) = (&c.sample.x, c.sample.label);
    println!();
    println!("ns per call, fastest of {ROUNDS} alternating batches of about 0.5 ms each:");
    println!(
        "{:<22} {:>10} {:>12} {:>12}   {:>9}",
        "network", "function", "hand-written", "generated", "gen/hand"
    );
    let ns = interleaved_ns(
        &mut [
            runner!(black_box(&c.softmax).loss(x, label)),
            runner!(softmax_backprop(black_box(&c.softmax), x, label)),
            runner!(black_box(&c.softmax).loss_and_gradient(x, label)),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("single layer 64-10", &ns);
    let ns = interleaved_ns(
        &mut [
            runner!(black_box(&c.two_layer).loss(x, label)),
            runner!(two_layer_backprop(black_box(&c.two_layer), x, label)),
            runner!(black_box(&c.two_layer).loss_and_gradient(x, label)),
        ],
        ROUNDS,
        Summary::Fastest,
    );
    print_case("two layers 64-32-10", &ns);
    println!();
    println!("gen/hand = generated value and gradient (`_value_and_gradient`, through");
    println!("`Network::loss_and_gradient`) / hand-written backpropagation, both returning the");
    println!("loss and the gradient as a network.");
}

fn print_case(name: &str, ns: &[f64]) {
    let [function, hand, generated] = ns else {
        unreachable!()
    };
    println!(
        "{name:<22} {function:>10.1} {hand:>12.1} {generated:>12.1}   {:>9.3}",
        generated / hand
    );
}

/// The generated gradients agree with the hand-written ones (so the comparison is fair; the
/// examples' tests check this on many images).
fn sanity_check(c: &Case) {
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-10 * x.abs().max(y.abs()).max(1.0))
    };
    let (x, label) = (&c.sample.x, c.sample.label);
    let (l1, g1) = c.softmax.loss_and_gradient(x, label);
    let (l2, g2) = softmax_backprop(&c.softmax, x, label);
    assert!(close(&[l1], &[l2]));
    assert!(g1
        .parameters()
        .iter()
        .zip(g2.parameters())
        .all(|(a, b)| close(a, b)));
    let (l1, g1) = c.two_layer.loss_and_gradient(x, label);
    let (l2, g2) = two_layer_backprop(&c.two_layer, x, label);
    assert!(close(&[l1], &[l2]));
    assert!(g1
        .parameters()
        .iter()
        .zip(g2.parameters())
        .all(|(a, b)| close(a, b)));
}
