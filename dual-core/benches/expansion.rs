//! Expansion benchmarks: the whole `#[gradient]` pipeline, `dual_core::expand(args,
//! item)`, on generated function bodies of about 1k, 10k and 100k IR nodes, in two shapes:
//!
//! - `chain`: a long chain of `let`s, each using the previous two with mixed arithmetic and math
//!   calls (`sin`, `exp`, `sqrt`, `ln`, `powi`, `tanh`, `cos`) — deep code, one gradient entry;
//! - `wide_sum`: `s += term` over many independent terms of 32 inputs — wide code whose every
//!   input collects thousands of adjoint contributions;
//! - `method_chain`: a chain of `let`s whose right-hand sides are method calls
//!   (`let a7 = (a6 * x + a5).sin();`) — the statements for which lowering looks ahead at how the
//!   bound name is used later (`lower::calls::usage_hint`).
//!
//! Run with `cargo bench -p dual-core --bench expansion`. After divan's table, a summary times the
//! stages separately (parse and signature, `lower`, `ad::Derivative::new` (the reverse sweep), `Emitter::new`, the rest of
//! `expand`), prints nanoseconds per node and the growth factor from one size to the next (10 for
//! linear growth, 100 for quadratic).

#![allow(missing_docs)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use divan::black_box;
use dual_core::ad::Derivative;
use dual_core::diag::Diagnostics;
use dual_core::pipeline;
use proc_macro2::TokenStream;

fn main() {
    divan::main();
    // Like divan: benchmark mode with `--bench` (which `cargo bench` passes) unless `--test`;
    // otherwise (`cargo test --benches`) each benchmark runs once, and no summary.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        summary();
    }
}

/// The sizes, in IR nodes (approximately: the body generator is scaled to them). The summary runs
/// all three; divan's table the first two (100k nodes once in the summary is enough).
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

#[derive(Clone, Copy, Debug)]
enum Shape {
    Chain,
    WideSum,
    MethodChain,
}

/// The source of a `#[gradient]` function body of the given shape with `units` statements.
fn source(shape: Shape, units: usize) -> String {
    let mut s = String::new();
    match shape {
        Shape::Chain => {
            s.push_str(
                "fn chain(x: f64, y: f64) -> f64 {\n    let a0 = x * y;\n    let a1 = x + y;\n",
            );
            for k in 2..units + 2 {
                let (j, i) = (k - 1, k - 2);
                let c = 1.0 + k as f64 * 1e-4;
                let line = match k % 4 {
                    0 => format!("let a{k} = a{j} * x + a{i}.sin() * {c:?};"),
                    1 => format!("let a{k} = (a{j} - y).exp() / (1.0 + a{i} * a{i});"),
                    2 => format!("let a{k} = a{j}.sqrt().ln() + a{i}.powi(3) - {c:?};"),
                    _ => format!("let a{k} = (a{j} * a{i}).tanh() + x.cos() * {c:?};"),
                };
                let _ = writeln!(s, "    {line}");
            }
            let _ = writeln!(s, "    a{}\n}}", units + 1);
        }
        Shape::MethodChain => {
            s.push_str("fn method_chain(x: f64, y: f64) -> f64 {\n    let a0 = x * y;\n    let a1 = x + y;\n");
            for k in 2..units + 2 {
                let (j, i) = (k - 1, k - 2);
                let c = 1.0 + k as f64 * 1e-4;
                let line = match k % 4 {
                    0 => format!("let a{k} = (a{j} * x + a{i}).sin();"),
                    1 => format!("let a{k} = (a{j} - y * {c:?}).exp();"),
                    2 => format!("let a{k} = (a{j} * a{i}).tanh();"),
                    _ => format!("let a{k} = (a{j} + {c:?}).powi(3);"),
                };
                let _ = writeln!(s, "    {line}");
            }
            let _ = writeln!(s, "    a{}\n}}", units + 1);
        }
        Shape::WideSum => {
            s.push_str("fn wide_sum(x: [f64; 32]) -> f64 {\n    let mut s = 0.0;\n");
            for k in 0..units {
                let (a, b) = (k % 32, (k * 7 + 3) % 32);
                let c = 1.0 + k as f64 * 1e-4;
                let line = match k % 3 {
                    0 => format!("s += x[{a}] * x[{b}] * {c:?};"),
                    1 => format!("s += (x[{a}] * {c:?}).sin();"),
                    _ => format!("s += (x[{a}] - x[{b}] * {c:?}).exp();"),
                };
                let _ = writeln!(s, "    {line}");
            }
            s.push_str("    s\n}\n");
        }
    }
    s
}

/// The attribute's arguments and the annotated item, as the proc macro receives them.
fn input(shape: Shape, units: usize) -> (TokenStream, TokenStream) {
    let item: TokenStream = source(shape, units).parse().expect("valid Rust");
    (TokenStream::new(), item)
}

/// The number of IR nodes after lowering (before differentiation).
fn lowered_nodes(shape: Shape, units: usize) -> usize {
    let (args, item) = input(shape, units);
    let mut diag = Diagnostics::new();
    let front = pipeline::read(args, &item, &mut diag).expect("a function");
    let lowered = pipeline::lower(&front, false, &mut diag).expect("lowers");
    lowered.graph.nodes.len()
}

/// The number of statements (`units`) that gives about `nodes` IR nodes.
fn units_for(shape: Shape, nodes: usize) -> usize {
    let per_unit = lowered_nodes(shape, 200) as f64 / 200.0;
    ((nodes as f64 / per_unit).round() as usize).max(1)
}

fn bench_expand(bencher: divan::Bencher, shape: Shape, nodes: usize) {
    let units = units_for(shape, nodes);
    bencher
        .with_inputs(|| input(shape, units))
        .bench_values(|(args, item)| dual_core::expand(args, item));
}

#[divan::bench(args = [SIZES[0], SIZES[1]], sample_count = 5, sample_size = 1)]
fn chain(bencher: divan::Bencher, nodes: usize) {
    bench_expand(bencher, Shape::Chain, nodes);
}

#[divan::bench(args = [SIZES[0], SIZES[1]], sample_count = 5, sample_size = 1)]
fn wide_sum(bencher: divan::Bencher, nodes: usize) {
    bench_expand(bencher, Shape::WideSum, nodes);
}

#[divan::bench(args = [SIZES[0], SIZES[1]], sample_count = 5, sample_size = 1)]
fn method_chain(bencher: divan::Bencher, nodes: usize) {
    bench_expand(bencher, Shape::MethodChain, nodes);
}

// ---------------------------------------------------------------------------------------------
// Summary: stage by stage
// ---------------------------------------------------------------------------------------------

/// Times of one run of each stage.
#[derive(Default, Clone, Copy)]
struct Stages {
    /// `syn` parse of the item, the options and the signature analysis.
    parse: Duration,
    lower: Duration,
    reverse: Duration,
    emitter: Duration,
    /// The whole of `dual_core::expand` (which runs all of the above, some twice).
    expand: Duration,
    /// How many runs the medians are of.
    runs: usize,
}

fn run_stages(shape: Shape, units: usize) -> (Stages, usize) {
    let (args, item) = input(shape, units);
    let mut st = Stages::default();

    let t = Instant::now();
    let out = black_box(dual_core::expand(args.clone(), item.clone()));
    st.expand = t.elapsed();
    drop(out);

    let t = Instant::now();
    let mut diag = Diagnostics::new();
    let front = pipeline::read(args, &item, &mut diag).expect("a function");
    st.parse = t.elapsed();

    let t = Instant::now();
    let lowered = pipeline::lower(&front, false, &mut diag).expect("lowers");
    st.lower = t.elapsed();
    let nodes = lowered.graph.nodes.len();

    let t = Instant::now();
    let d = Derivative::new(lowered, false);
    st.reverse = t.elapsed();

    let mut roots = d.lowered.result.clone();
    roots.extend(d.first.values().copied());
    let t = Instant::now();
    let e = black_box(dual_core::emit::Emitter::new(&d.lowered.graph, &roots));
    st.emitter = t.elapsed();
    drop(e);
    (st, nodes)
}

/// The median of each stage over up to `max_runs` runs, as many as fit in `budget` (at least one).
fn median_stages(shape: Shape, units: usize, max_runs: usize, budget: Duration) -> (Stages, usize) {
    let mut all = Vec::with_capacity(max_runs);
    let mut nodes = 0;
    let start = Instant::now();
    while all.len() < max_runs && (all.is_empty() || start.elapsed() < budget) {
        let (s, n) = run_stages(shape, units);
        all.push(s);
        nodes = n;
    }
    let med = |f: fn(&Stages) -> Duration| {
        let mut v: Vec<Duration> = all.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    (
        Stages {
            parse: med(|s| s.parse),
            lower: med(|s| s.lower),
            reverse: med(|s| s.reverse),
            emitter: med(|s| s.emitter),
            expand: med(|s| s.expand),
            runs: all.len(),
        },
        nodes,
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Seconds from the environment variable `name`, or `default`.
fn seconds_from_env(name: &str, default: f64) -> Duration {
    let s = std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(default);
    Duration::from_secs_f64(s)
}

fn summary() {
    // A size is measured when one run of it is projected (from the previous size, at the growth
    // observed so far) to take at most this long; otherwise the projection is printed.
    let skip_over = seconds_from_env("DUAL_EXPANSION_MAX_SECONDS", 120.0);
    // Repeated runs of one size stop after this long (at least one run, at most 11).
    let per_size = seconds_from_env("DUAL_EXPANSION_SECONDS_PER_SIZE", 20.0);
    println!();
    println!("Stage times (ms, median of the runs), the whole expand in ns per lowered node, and");
    println!(
        "its growth from the previous size (for 10x the nodes: 10 = linear, 100 = quadratic):"
    );
    println!(
        "{:<12} {:>7} {:>6} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9} {:>7} {:>5}",
        "shape",
        "nodes",
        "lines",
        "parse+sig",
        "lower",
        "reverse",
        "Emitter",
        "rest",
        "expand",
        "ns/node",
        "growth",
        "runs",
    );
    for shape in [Shape::Chain, Shape::WideSum, Shape::MethodChain] {
        // (expand seconds, nodes) of the previous two sizes.
        let mut history: Vec<(f64, usize)> = Vec::new();
        for nodes in SIZES {
            let units = units_for(shape, nodes);
            if let [.., (t1, n1), (t2, n2)] = history[..] {
                let exponent = (t2 / t1).ln() / (n2 as f64 / n1 as f64).ln();
                let projected = t2 * (nodes as f64 / n2 as f64).powf(exponent.max(1.0));
                if projected > skip_over.as_secs_f64() {
                    println!(
                        "{:<12} {:>7} {:>6}   not run: one expand is projected to take {:.0} s \
                         (time ~ nodes^{:.2}); DUAL_EXPANSION_MAX_SECONDS={:.0}",
                        format!("{shape:?}"),
                        nodes,
                        units,
                        projected,
                        exponent,
                        skip_over.as_secs_f64(),
                    );
                    continue;
                }
            }
            let (st, n) = median_stages(shape, units, 11, per_size);
            let growth = history.last().map_or(String::new(), |&(t, pn)| {
                let per_ten = (n as f64 / pn as f64).log10();
                format!(
                    "{:.1}",
                    10f64.powf((st.expand.as_secs_f64() / t).log10() / per_ten)
                )
            });
            let staged = st.parse + st.lower + st.reverse + st.emitter;
            println!(
                "{:<12} {:>7} {:>6} {:>9.2} {:>9.2} {:>8.2} {:>8.2} {:>9.2} {:>9.2} {:>9.0} {:>7} {:>5}",
                format!("{shape:?}"),
                n,
                units,
                ms(st.parse),
                ms(st.lower),
                ms(st.reverse),
                ms(st.emitter),
                ms(st.expand.saturating_sub(staged)),
                ms(st.expand),
                st.expand.as_secs_f64() * 1e9 / n as f64,
                growth,
                st.runs,
            );
            history.push((st.expand.as_secs_f64(), n));
        }
    }
    println!();
    println!("parse+sig: syn's parse of the item, the options and the signature (dual_core::pipeline::read);");
    println!(
        "lower: dual_core::pipeline::lower; reverse: dual_core::ad::Derivative::new; Emitter:"
    );
    println!("dual_core::emit::Emitter::new (each timed alone, once); expand: the whole of");
    println!("dual_core::expand (no `hessian`: one lowering, one sweep, two companions);");
    println!("rest = expand - the four stages (emission of the companions' tokens, their docs).");
    println!("growth is normalised to exactly 10x the nodes.");
}
