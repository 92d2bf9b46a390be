//! Random straight-line programs against an independent oracle.
//!
//! A seeded generator writes random function bodies as source text — chains of `let`s and
//! `let mut` with compound assignment, shared subexpressions (earlier variables reused, identical
//! subexpressions repeated textually), every math primitive of the support matrix in method and
//! path form, kept inside its domain by construction (`(e * e + c).ln()`, `(0.9 * e.tanh()).asin()`,
//! …). Each program goes through the engine (`lower` → `reverse`), and at random points the
//! gradient that `eval` computes from the derivative nodes is compared with Richardson-extrapolated
//! central differences of `eval` of the value node, at rtol 1e-8. Points where the function is
//! not smooth enough for finite differences (kinks of `abs`/`max`/`clamp`, jumps of `floor`,
//! near-singularities, huge values) are detected — two extrapolations with different steps
//! disagree, or a value is not finite — and skipped, not counted.
//!
//! `RANDOM_PROGRAMS=n` changes the number of programs (default 3000), `RANDOM_PROGRAMS_SEED=s`
//! the seed.

mod common;

use common::Rng;
use std::fmt::Write as _;

use dual_core::diff::reverse;
use dual_core::eval::eval;
use dual_core::ir::BlockId;
use dual_core::lower::lower;
use dual_core::options::Options;
use dual_core::signature::analyse;

struct Gen<'a> {
    rng: &'a mut Rng,
    vars: Vec<String>,
    /// Subexpressions written so far, to repeat some textually (hash-consing must share them).
    seen: Vec<String>,
}

impl Gen<'_> {
    fn atom(&mut self) -> String {
        if self.rng.below(5) == 0 {
            self.rng
                .pick(&[
                    "0.7",
                    "2.0",
                    "-1.3",
                    "3.",
                    "1e-1",
                    "0.5f64",
                    "std::f64::consts::PI",
                ])
                .to_string()
        } else {
            let i = self.rng.below(self.vars.len());
            self.vars[i].clone()
        }
    }

    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.below(4) == 0 {
            return self.atom();
        }
        if !self.seen.is_empty() && self.rng.below(8) == 0 {
            let i = self.rng.below(self.seen.len());
            return self.seen[i].clone();
        }
        let d = depth - 1;
        let mut a = self.expr(d);
        if !a.starts_with(['x', 'v', '(', 'f']) {
            // A literal receiver (`2.0.sin()`) is not valid Rust.
            let i = self.rng.below(self.vars.len());
            a = format!("({a} * {})", self.vars[i]);
        }
        let e = match self.rng.below(46) {
            0..=2 => format!("({a} + {})", self.expr(d)),
            3..=4 => format!("({a} - {})", self.expr(d)),
            5..=7 => format!("({a} * {})", self.expr(d)),
            8..=9 => {
                let b = self.expr(d);
                format!("({a} / ({b} * {b} + 0.5))")
            }
            10 => format!("(-{a})"),
            11 => format!("{a}.sin()"),
            12 => format!("f64::cos({a})"),
            13 => format!("(0.5 * {a}.tanh()).tan()"),
            14 => format!("(0.9 * {a}.tanh()).asin()"),
            15 => format!("(0.9 * {a}.tanh()).acos()"),
            16 => format!("{a}.atan()"),
            17 => format!("{a}.tanh().sinh()"),
            18 => format!("{a}.tanh().cosh()"),
            19 => format!("{a}.tanh()"),
            20 => format!("{a}.asinh()"),
            21 => format!("({a} * {a} + 1.5).acosh()"),
            22 => format!("(0.9 * {a}.tanh()).atanh()"),
            23 => format!("{a}.tanh().exp()"),
            24 => format!("f64::exp2({a}.sin())"),
            25 => format!("{a}.tanh().exp_m1()"),
            26 => format!("({a} * {a} + 0.25).ln()"),
            27 => format!("({a} * {a} + 0.25).log2()"),
            28 => format!("({a} * {a} + 0.25).log10()"),
            29 => format!("({a} * {a}).ln_1p()"),
            30 => format!("({a} * {a} + 0.25).sqrt()"),
            31 => format!("({a} * {a} + 0.5).cbrt()"),
            32 => format!("({a} * {a} + 0.5).recip()"),
            33 => {
                let k = self.rng.pick(&[-2, -1, 0, 1, 2, 3, 4]);
                if k < 0 {
                    format!("({a} * {a} + 0.5).powi({k})")
                } else {
                    format!("{a}.powi({k})")
                }
            }
            34 => {
                let b = self.expr(d);
                format!("({a} * {a} + 0.5).powf({b}.sin())")
            }
            35 => format!("({a} * {a} + 0.5).powf(1.7)"),
            36 => {
                let b = self.expr(d);
                format!("({a} * {a} + 0.5).hypot({b})")
            }
            37 => {
                let b = self.expr(d);
                format!("{a}.atan2({b} * {b} + 0.5)")
            }
            38 => {
                let b = self.expr(d);
                format!("({a} * {a} + 0.5).log({b} * {b} + 1.5)")
            }
            39 => {
                let (b, c) = (self.expr(d), self.expr(d));
                format!("{a}.mul_add({b}, {c})")
            }
            40 => format!("{a}.to_degrees().to_radians()"),
            41 => format!("{a}.abs()"),
            42 => format!("{a}.max({})", self.expr(d)),
            43 => format!("f64::min({a}, {})", self.expr(d)),
            44 => format!("{a}.clamp(-0.5, 0.5)"),
            _ => format!(
                "({a}.{}() + {a})",
                self.rng
                    .pick(&["floor", "ceil", "round", "trunc", "signum"])
            ),
        };
        if e.len() < 200 {
            self.seen.push(e.clone());
        }
        e
    }
}

/// A random program: `(source, number of parameters)`.
fn program(rng: &mut Rng) -> (String, usize) {
    let n = 1 + rng.below(4);
    let params: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    let mut g = Gen {
        rng,
        vars: params.clone(),
        seen: Vec::new(),
    };
    let mut body = String::new();
    let lets = g.rng.below(6);
    for i in 0..lets {
        let e = g.expr(3);
        if g.rng.below(3) == 0 {
            let op = g.rng.pick(&["+=", "-=", "*="]);
            let f = g.expr(2);
            let _ = write!(body, "let mut v{i} = {e}; v{i} {op} {f}; ");
        } else {
            let _ = write!(body, "let v{i} = {e}; ");
        }
        g.vars.push(format!("v{i}"));
    }
    let result = g.expr(3);
    let sig: Vec<String> = params.iter().map(|p| format!("{p}: f64")).collect();
    (
        format!("fn f({}) -> f64 {{ {body}{result} }}", sig.join(", ")),
        n,
    )
}

/// Richardson-extrapolated central difference of `f` at `x` with first step `h` (error O(h⁶)).
fn richardson(f: &mut impl FnMut(f64) -> Option<f64>, x: f64, h: f64) -> Option<f64> {
    let mut d = |h: f64| Some((f(x + h)? - f(x - h)?) / (2.0 * h));
    let (d1, d2, d3) = (d(h)?, d(h / 2.0)?, d(h / 4.0)?);
    let (r1, r2) = ((4.0 * d2 - d1) / 3.0, (4.0 * d3 - d2) / 3.0);
    Some((16.0 * r2 - r1) / 15.0)
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_programs_against_finite_differences() {
    const POINTS: usize = 4;
    const RTOL: f64 = 1e-8;
    let programs = env_u64("RANDOM_PROGRAMS", 3000);
    let seed = env_u64("RANDOM_PROGRAMS_SEED", 0x0dd_ba11);
    let mut rng = Rng(seed);
    let start = std::time::Instant::now();
    let (mut checked, mut skipped, mut partials, mut inactive) = (0usize, 0usize, 0usize, 0usize);
    let mut mismatches = Vec::new();
    for p in 0..programs {
        let (src, n) = program(&mut rng);
        let f: syn::ItemFn =
            syn::parse_str(&src).unwrap_or_else(|e| panic!("generated bad Rust ({e}): {src}"));
        let mut errors = Vec::new();
        let sig = analyse(&f.sig, &Options::default(), &mut errors).expect("signature");
        let mut low = lower(&sig, &f.sig, &f.block, false)
            .unwrap_or_else(|e| panic!("program {p} does not lower ({}): {src}", e[0]));
        let rev = reverse(&mut low.graph, &[BlockId(0)], &low.result);
        let (graph, out) = (&low.graph, low.result[0]);
        for _ in 0..POINTS {
            let point: Vec<f64> = (0..n).map(|_| rng.unit() * 4.0 - 2.0).collect();
            let params = |pt: &[f64]| pt.iter().map(|v| vec![*v]).collect::<Vec<_>>();
            let Some(value) = eval(graph, out, &params(&point)) else {
                // A constant result (inactive: user code computes it).
                inactive += 1;
                break;
            };
            if !value.is_finite() || value.abs() > 1e6 {
                skipped += 1;
                continue;
            }
            let grad: Vec<f64> = low
                .inputs
                .iter()
                .map(|leaves| match rev.adjoints.get(&(leaves[0], 0)) {
                    Some(&a) => eval(graph, a, &params(&point)).unwrap_or_else(|| {
                        panic!(
                            "eval cannot evaluate the derivative ({:?}) of {src}",
                            graph.op(a)
                        )
                    }),
                    None => 0.0,
                })
                .collect();
            let mut fds = Vec::new();
            let mut smooth = true;
            for (i, &xi) in point.iter().enumerate() {
                let mut fi = |t: f64| {
                    let mut q = point.clone();
                    q[i] = t;
                    eval(graph, out, &params(&q)).filter(|v| v.is_finite())
                };
                let h = 1e-2;
                match (richardson(&mut fi, xi, h), richardson(&mut fi, xi, 2.0 * h)) {
                    (Some(a), Some(b)) if (a - b).abs() <= 1e-9 * (1.0 + a.abs()) => fds.push(a),
                    _ => smooth = false,
                }
            }
            if !smooth || grad.iter().any(|g| !g.is_finite()) {
                skipped += 1;
                continue;
            }
            checked += 1;
            partials += n;
            for (i, (g, fd)) in grad.iter().zip(&fds).enumerate() {
                if (g - fd).abs() > RTOL * (1.0 + g.abs().max(fd.abs())) {
                    mismatches.push(format!(
                        "program {p}: {src}\n  at {point:?}: ∂/∂x{i} = {g}, finite differences {fd}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "random_programs: {programs} programs, {checked} points checked ({partials} partials), \
         {skipped} points skipped as non-smooth, {inactive} constant programs, in {:.2?}",
        start.elapsed()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
    assert!(
        checked * 2 > programs as usize * POINTS,
        "too many points skipped: {skipped}"
    );
}
