//! Random straight-line programs against independent oracles.
//!
//! A seeded generator builds random function bodies — chains of `let`s and `let mut` with
//! compound assignment, shared subexpressions (earlier variables reused, identical subexpressions
//! repeated textually), every math primitive of the support matrix in method and path form, kept
//! inside its domain by construction (`(e * e + c).ln()`, `(0.9 * e.tanh()).asin()`, …) — as a
//! tiny expression tree, which renders two ways: as the `f64` source the engine reads, and as a
//! generic twin over num-dual's `DualNum`.
//!
//! - `random_programs_against_finite_differences`: each program goes through the engine (`lower`
//!   → `reverse`), and at random points the gradient that `eval` computes from the derivative
//!   nodes is compared with Richardson-extrapolated central differences of `eval` of the value
//!   node, at rtol 1e-8. Points where the function is not smooth enough for finite differences
//!   (kinks of `abs`/`max`/`clamp`, jumps of `floor`, near-singularities, huge values) are
//!   detected — two extrapolations with different steps disagree, or a value is not finite — and
//!   skipped, not counted. `RANDOM_PROGRAMS=n` changes the number of programs (default 3000),
//!   `RANDOM_PROGRAMS_SEED=s` the seed.
//! - `random_sample_is_up_to_date`: a fixed sample of programs is written, each as a
//!   `#[dual::gradient]` function and its num-dual twin, with a test comparing the two, to the
//!   root crate's integration test `tests/random_sample.rs`, which compiles them for real through
//!   the proc macro. This test regenerates that file and fails if the committed one differs;
//!   after a change to the generator, rewrite it with
//!   `RANDOM_SAMPLE=overwrite cargo test -p dual-core --test random_programs random_sample`.
//! - `random_sample_covers_every_primitive`: the sample uses every primitive, literal form and
//!   compound assignment of the generator.

mod common;

use common::Rng;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use dual_core::diff::reverse;
use dual_core::eval::eval;
use dual_core::ir::BlockId;
use dual_core::lower::lower;
use dual_core::options::Options;
use dual_core::signature::analyse;

// ---------------------------------------------------------------------------------------------
// Programs as trees
// ---------------------------------------------------------------------------------------------

/// A float expression of a random program.
#[derive(Clone)]
enum Expr {
    /// A parameter `x{i}` or a variable `v{i}`.
    Var(String),
    /// A float literal as written (`-1.3`, `3.`, `0.5f64`, `std::f64::consts::PI`).
    Lit(&'static str),
    /// Unary minus.
    Neg(Box<Expr>),
    /// `+`, `-`, `*` or `/`.
    Bin(&'static str, Box<Expr>, Box<Expr>),
    /// The float method `name` on `args[0]` with the other arguments: `args[0].name(args[1..])`,
    /// or `f64::name(args..)` in path form. The bounds of `clamp` and a constant exponent of
    /// `powf` are literals.
    Call {
        name: &'static str,
        path: bool,
        args: Vec<Expr>,
    },
    /// `a.powi(k)`.
    Powi(Box<Expr>, i32),
}

use Expr::{Bin, Call, Lit, Neg, Powi, Var};

fn bin(op: &'static str, a: Expr, b: Expr) -> Expr {
    Bin(op, Box::new(a), Box::new(b))
}

/// `a.name(args..)`.
fn method(name: &'static str, a: Expr, args: Vec<Expr>) -> Expr {
    let mut all = vec![a];
    all.extend(args);
    Call {
        name,
        path: false,
        args: all,
    }
}

/// `a.name()`.
fn m(name: &'static str, a: Expr) -> Expr {
    method(name, a, Vec::new())
}

/// `f64::name(args..)`.
fn path(name: &'static str, args: Vec<Expr>) -> Expr {
    Call {
        name,
        path: true,
        args,
    }
}

/// `a * a + c`: positive for every `a` when `c` is.
fn square_plus(a: Expr, c: &'static str) -> Expr {
    bin("+", bin("*", a.clone(), a), Lit(c))
}

/// `c * a.tanh()`: inside (−c, c).
fn squashed(c: &'static str, a: Expr) -> Expr {
    bin("*", Lit(c), m("tanh", a))
}

/// What a program is written for.
#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    /// Plain `f64` code, what the engine and `#[gradient]` read.
    F64,
    /// The twin generic over `D: DualNum<Primitive = f64>`: literals become `D::from(c)`, and the
    /// primitives num-dual lacks call helpers of `tests/random_sample.rs` (`max(a, b)`, …).
    Generic,
}

/// Precedence of the outermost operator of rendered text: `+ -`, `* /`, unary `-`, a primary.
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const UNARY: u8 = 3;
const PRIMARY: u8 = 4;

fn paren(s: String) -> String {
    format!("({s})")
}

impl Expr {
    /// Source text, with only the parentheses Rust needs (so rustc's `unused_parens` stays quiet
    /// on the compiled sample) and those that keep the tree's association, e.g. `a - (b - c)`.
    fn render(&self, fl: Flavor) -> String {
        self.render_prec(fl).0
    }

    fn render_prec(&self, fl: Flavor) -> (String, u8) {
        match self {
            Var(v) => (v.clone(), PRIMARY),
            Lit(c) if fl == Flavor::Generic => (format!("D::from({c})"), PRIMARY),
            Lit(c) if c.starts_with('-') => (c.to_string(), UNARY),
            Lit(c) => (c.to_string(), PRIMARY),
            Neg(a) => {
                let (s, p) = a.render_prec(fl);
                let s = if p < UNARY || s.starts_with('-') {
                    paren(s)
                } else {
                    s
                };
                (format!("-{s}"), UNARY)
            }
            Bin(op, a, b) => {
                let p = if matches!(*op, "+" | "-") {
                    SUM
                } else {
                    PRODUCT
                };
                let (l, lp) = a.render_prec(fl);
                let (r, rp) = b.render_prec(fl);
                let l = if lp < p { paren(l) } else { l };
                let r = if rp <= p || r.starts_with('-') {
                    paren(r)
                } else {
                    r
                };
                (format!("{l} {op} {r}"), p)
            }
            Powi(a, k) => (format!("{}.powi({k})", a.receiver(fl)), PRIMARY),
            Call { name, path, args } => {
                let all = |args: &[Expr]| {
                    let s: Vec<String> = args.iter().map(|a| a.render(fl)).collect();
                    s.join(", ")
                };
                let text = match (fl, *name) {
                    (Flavor::F64, _) if *path => format!("f64::{name}({})", all(args)),
                    (Flavor::F64, _) => {
                        format!("{}.{name}({})", args[0].receiver(fl), all(&args[1..]))
                    }
                    // `a.max(a)`: a tie everywhere but no kink; the twin of `a` is exact.
                    (Flavor::Generic, "max" | "min") if args[0].same(&args[1]) => {
                        return args[0].render_prec(fl);
                    }
                    // num-dual has no such method: a helper of the sample, mirroring `f64`.
                    (
                        Flavor::Generic,
                        "abs" | "signum" | "floor" | "ceil" | "round" | "trunc" | "max" | "min"
                        | "hypot" | "log" | "to_degrees" | "to_radians",
                    ) => format!("{name}({})", all(args)),
                    (Flavor::Generic, "clamp") => {
                        let (Lit(lo), Lit(hi)) = (&args[1], &args[2]) else {
                            unreachable!("clamp bounds are literals")
                        };
                        format!("clamp({}, {lo}, {hi})", args[0].render(fl))
                    }
                    (Flavor::Generic, "powf") => match &args[1] {
                        Lit(c) => format!("{}.powf({c})", args[0].receiver(fl)),
                        b => format!("{}.powd({})", args[0].receiver(fl), b.render(fl)),
                    },
                    (Flavor::Generic, _) => {
                        format!("{}.{name}({})", args[0].receiver(fl), all(&args[1..]))
                    }
                };
                (text, PRIMARY)
            }
        }
    }

    /// Rendered as the receiver of a method call.
    fn receiver(&self, fl: Flavor) -> String {
        assert!(
            fl == Flavor::Generic || !matches!(self, Lit(_)),
            "a literal receiver is not valid Rust: its type is ambiguous (`2.0.sin()`)"
        );
        let (s, p) = self.render_prec(fl);
        if p < PRIMARY {
            paren(s)
        } else {
            s
        }
    }

    /// Whether `self` and `other` are the same expression.
    fn same(&self, other: &Expr) -> bool {
        self.render(Flavor::F64) == other.render(Flavor::F64)
    }

    /// Whether the expression reads one of `vars`.
    fn reads(&self, vars: &BTreeSet<String>) -> bool {
        match self {
            Var(v) => vars.contains(v),
            Lit(_) => false,
            Neg(a) | Powi(a, _) => a.reads(vars),
            Bin(_, a, b) => a.reads(vars) || b.reads(vars),
            Call { args, .. } => args.iter().any(|a| a.reads(vars)),
        }
    }

    /// The primitives and literal forms the expression uses (`+`, `sin`, `f64::cos`, `powi(-2)`,
    /// `powf(expr)`, `1e-1`, …).
    fn primitives(&self, out: &mut BTreeSet<String>) {
        match self {
            Var(_) => {}
            Lit(c) => {
                out.insert(c.to_string());
            }
            Neg(a) => {
                out.insert("neg".into());
                a.primitives(out);
            }
            Bin(op, a, b) => {
                out.insert(op.to_string());
                a.primitives(out);
                b.primitives(out);
            }
            Powi(a, k) => {
                out.insert(format!("powi({k})"));
                a.primitives(out);
            }
            Call { name, path, args } => {
                out.insert(match (*name, *path, &args[..]) {
                    ("max" | "min", _, [a, b]) if a.same(b) => format!("{name}(a, a)"),
                    (_, true, _) => format!("f64::{name}"),
                    ("powf", _, [_, Lit(_)]) => "powf(const)".into(),
                    ("powf", _, _) => "powf(expr)".into(),
                    _ => name.to_string(),
                });
                for a in args {
                    a.primitives(out);
                }
            }
        }
    }
}

/// A `let` of a program: `let v{i} = init;`, or `let mut v{i} = init; v{i} op= update;`.
struct Let {
    init: Expr,
    update: Option<(&'static str, Expr)>,
}

/// A random program: `fn NAME(x0: f64, ..) -> f64 { lets; result }`.
struct Program {
    params: usize,
    lets: Vec<Let>,
    result: Expr,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    vars: Vec<String>,
    /// Subexpressions built so far, to repeat some (hash-consing must share them).
    seen: Vec<Expr>,
}

/// The literal forms the generator writes.
const LITERALS: &[&str] = &[
    "0.7",
    "2.0",
    "-1.3",
    "3.",
    "1e-1",
    "0.5f64",
    "std::f64::consts::PI",
];

impl Gen<'_> {
    fn atom(&mut self) -> Expr {
        if self.rng.below(5) == 0 {
            Lit(self.rng.pick(LITERALS))
        } else {
            let i = self.rng.below(self.vars.len());
            Var(self.vars[i].clone())
        }
    }

    fn expr(&mut self, depth: usize) -> Expr {
        if depth == 0 || self.rng.below(4) == 0 {
            return self.atom();
        }
        if !self.seen.is_empty() && self.rng.below(8) == 0 {
            let i = self.rng.below(self.seen.len());
            return self.seen[i].clone();
        }
        let d = depth - 1;
        let mut a = self.expr(d);
        if matches!(a, Lit(_)) {
            // A literal receiver (`2.0.sin()`) is not valid Rust.
            let i = self.rng.below(self.vars.len());
            a = bin("*", a, Var(self.vars[i].clone()));
        }
        let e = match self.rng.below(46) {
            0..=2 => bin("+", a, self.expr(d)),
            3..=4 => bin("-", a, self.expr(d)),
            5..=7 => bin("*", a, self.expr(d)),
            8..=9 => {
                let b = self.expr(d);
                bin("/", a, square_plus(b, "0.5"))
            }
            10 => Neg(Box::new(a)),
            11 => m("sin", a),
            12 => path("cos", vec![a]),
            13 => m("tan", squashed("0.5", a)),
            14 => m("asin", squashed("0.9", a)),
            15 => m("acos", squashed("0.9", a)),
            16 => m("atan", a),
            17 => m("sinh", m("tanh", a)),
            18 => m("cosh", m("tanh", a)),
            19 => m("tanh", a),
            20 => m("asinh", a),
            21 => m("acosh", square_plus(a, "1.5")),
            22 => m("atanh", squashed("0.9", a)),
            23 => m("exp", m("tanh", a)),
            24 => path("exp2", vec![m("sin", a)]),
            25 => m("exp_m1", m("tanh", a)),
            26 => m("ln", square_plus(a, "0.25")),
            27 => m("log2", square_plus(a, "0.25")),
            28 => m("log10", square_plus(a, "0.25")),
            29 => m("ln_1p", bin("*", a.clone(), a)),
            30 => m("sqrt", square_plus(a, "0.25")),
            31 => m("cbrt", square_plus(a, "0.5")),
            32 => m("recip", square_plus(a, "0.5")),
            33 => {
                let k = self.rng.pick(&[-2, -1, 0, 1, 2, 3, 4]);
                if k < 0 {
                    Powi(Box::new(square_plus(a, "0.5")), k)
                } else {
                    Powi(Box::new(a), k)
                }
            }
            34 => {
                let b = self.expr(d);
                // A literal receiver (`2.0.sin()`, `3..sin()`): path form instead.
                let sin_b = if matches!(b, Lit(_)) {
                    path("sin", vec![b])
                } else {
                    m("sin", b)
                };
                method("powf", square_plus(a, "0.5"), vec![sin_b])
            }
            35 => method("powf", square_plus(a, "0.5"), vec![Lit("1.7")]),
            36 => {
                let b = self.expr(d);
                method("hypot", square_plus(a, "0.5"), vec![b])
            }
            37 => {
                let b = self.expr(d);
                method("atan2", a, vec![square_plus(b, "0.5")])
            }
            38 => {
                let b = self.expr(d);
                method("log", square_plus(a, "0.5"), vec![square_plus(b, "1.5")])
            }
            39 => {
                let (b, c) = (self.expr(d), self.expr(d));
                method("mul_add", a, vec![b, c])
            }
            40 => m("to_radians", m("to_degrees", a)),
            41 => m("abs", a),
            42 => {
                let b = self.expr(d);
                method("max", a, vec![b])
            }
            43 => {
                let b = self.expr(d);
                path("min", vec![a, b])
            }
            44 => method("clamp", a, vec![Lit("-0.5"), Lit("0.5")]),
            _ => {
                let step = self
                    .rng
                    .pick(&["floor", "ceil", "round", "trunc", "signum"]);
                bin("+", m(step, a.clone()), a)
            }
        };
        if e.render(Flavor::F64).len() < 200 {
            self.seen.push(e.clone());
        }
        e
    }
}

impl Program {
    /// A random program of `min_params..=4` parameters.
    fn random(rng: &mut Rng, min_params: usize) -> Program {
        let params = min_params + rng.below(5 - min_params);
        let mut g = Gen {
            rng,
            vars: (0..params).map(|i| format!("x{i}")).collect(),
            seen: Vec::new(),
        };
        let mut lets = Vec::new();
        for i in 0..g.rng.below(6) {
            let init = g.expr(3);
            let update = if g.rng.below(3) == 0 {
                let op = g.rng.pick(&["+=", "-=", "*="]);
                Some((op, g.expr(2)))
            } else {
                None
            };
            lets.push(Let { init, update });
            g.vars.push(format!("v{i}"));
        }
        let result = g.expr(3);
        Program {
            params,
            lets,
            result,
        }
    }

    /// The statements and the result expression of the body.
    fn body(&self, fl: Flavor) -> (Vec<String>, String) {
        let mut stmts = Vec::new();
        for (i, l) in self.lets.iter().enumerate() {
            let init = l.init.render(fl);
            // `let v = 2.0;` would leave the type of `v.sin()` ambiguous.
            let ty = if fl == Flavor::F64 && matches!(l.init, Lit(_)) {
                ": f64"
            } else {
                ""
            };
            match &l.update {
                Some((op, e)) => {
                    stmts.push(format!("let mut v{i}{ty} = {init};"));
                    stmts.push(format!("v{i} {op} {};", e.render(fl)));
                }
                None => stmts.push(format!("let v{i}{ty} = {init};")),
            }
        }
        (stmts, self.result.render(fl))
    }

    /// `x0: TY, x1: TY, ..`.
    fn params(&self, ty: &str) -> String {
        let p: Vec<String> = (0..self.params).map(|i| format!("x{i}: {ty}")).collect();
        p.join(", ")
    }

    /// The `f64` function on one line, named `f`, as the engine reads it.
    fn source(&self) -> String {
        let (stmts, result) = self.body(Flavor::F64);
        let mut body = String::new();
        for s in stmts {
            body += &s;
            body.push(' ');
        }
        format!("fn f({}) -> f64 {{ {body}{result} }}", self.params("f64"))
    }

    /// The annotated function `NAME` and its num-dual twin `NAME_generic`, indented by `indent`.
    fn sample_items(&self, name: &str, indent: &str) -> String {
        let mut out = String::new();
        for (fl, head) in [
            (
                Flavor::F64,
                format!(
                    "#[dual::gradient]\n{indent}fn {name}({}) -> f64",
                    self.params("f64")
                ),
            ),
            (
                Flavor::Generic,
                format!(
                    "fn {name}_generic<D: DualNum<Primitive = f64> + Copy>({}) -> D",
                    self.params("D")
                ),
            ),
        ] {
            let (stmts, result) = self.body(fl);
            let _ = writeln!(out, "\n{indent}{head} {{");
            for s in stmts {
                let _ = writeln!(out, "{indent}    {s}");
            }
            let _ = writeln!(out, "{indent}    {result}\n{indent}}}");
        }
        out
    }

    /// Whether the result depends on a parameter (else `#[gradient]` has nothing to do).
    fn active(&self) -> bool {
        let mut active: BTreeSet<String> = (0..self.params).map(|i| format!("x{i}")).collect();
        for (i, l) in self.lets.iter().enumerate() {
            if l.init.reads(&active) || l.update.as_ref().is_some_and(|(_, e)| e.reads(&active)) {
                active.insert(format!("v{i}"));
            }
        }
        self.result.reads(&active)
    }

    fn primitives(&self, out: &mut BTreeSet<String>) {
        for l in &self.lets {
            l.init.primitives(out);
            if let Some((op, e)) = &l.update {
                out.insert(op.to_string());
                e.primitives(out);
            }
        }
        self.result.primitives(out);
    }
}

// ---------------------------------------------------------------------------------------------
// The engine against finite differences
// ---------------------------------------------------------------------------------------------

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
        let program = Program::random(&mut rng, 1);
        let (src, n) = (program.source(), program.params);
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

// ---------------------------------------------------------------------------------------------
// The sample compiled through `#[dual::gradient]`: tests/random_sample.rs
// ---------------------------------------------------------------------------------------------

/// The seed of the sample.
const SAMPLE_SEED: u64 = 0x5a_4d91e;
/// The number of programs in the sample.
const SAMPLE_PROGRAMS: usize = 100;
/// Longer programs (their one-line `f64` source) are left out of the sample, for compile time.
const SAMPLE_MAX_LEN: usize = 600;

/// The programs of the sample: 2 to 4 parameters, at least one `let`, a result that depends on a
/// parameter.
fn sample() -> Vec<Program> {
    let mut rng = Rng(SAMPLE_SEED);
    let mut programs = Vec::new();
    while programs.len() < SAMPLE_PROGRAMS {
        let p = Program::random(&mut rng, 2);
        if !p.lets.is_empty() && p.active() && p.source().len() <= SAMPLE_MAX_LEN {
            programs.push(p);
        }
    }
    programs
}

/// The text of `tests/random_sample.rs`: this header and harness, then the programs.
const SAMPLE_HARNESS: &str = r##"//! A fixed sample of random programs, compiled for real through `#[dual::gradient]` and checked
//! against num-dual.
//!
//! GENERATED by `dual-core/tests/random_programs.rs`: do not edit by hand. A test there checks
//! that this file is exactly what its generator writes; after a change to the generator,
//! regenerate it with
//!
//! ```text
//! RANDOM_SAMPLE=overwrite cargo test -p dual-core --test random_programs random_sample
//! ```
//!
//! Each program `pK` is an `f64` function annotated with `#[dual::gradient]`; `pK_generic` is the
//! same program generic over num-dual's `DualNum`, where the primitives num-dual lacks (`abs`,
//! `signum`, `max`, `min`, `clamp`, `floor`, `ceil`, `round`, `trunc`, `hypot`, `log` with a
//! differentiated base, `to_degrees`, `to_radians`) are the helpers below, which branch on
//! `.re()` as `f64` does and follow `#[gradient]`'s conventions at kinks. At `POINTS` seeded
//! random points of [−2, 2)ⁿ per program:
//!
//! - the value of `pK_value_and_gradient` equals `pK` bit for bit (NaN = NaN);
//! - `pK_gradient` and `pK_value_and_gradient` agree with `num_dual::gradient` of `pK_generic`
//!   to rtol 1e-8, and num-dual's value agrees with `pK`.
//!
//! The second check skips, and counts, the points where num-dual's value or gradient is not
//! finite, and those where the two disagree while a piecewise primitive was evaluated within
//! 1e-7 (relative) of a kink or jump, where rounding can send the two computations different
//! ways. The test fails if more than a twentieth of all points, or half of the points of a
//! program, are skipped.

use nalgebra::SVector;
use num_dual::{DualNum, DualSVec64};
use std::cell::Cell;

/// Seeded random points per program.
const POINTS: usize = 100;
/// Tolerance of the gradients, relative to the larger magnitude with a floor of 1.
const RTOL: f64 = 1e-8;

thread_local! {
    /// Set when a piecewise primitive is evaluated close to a kink or jump.
    static NEAR_KINK: Cell<bool> = const { Cell::new(false) };
}

/// Notes a branch between `a` and `b` that is too close to call.
fn near(a: f64, b: f64) {
    if (a - b).abs() <= 1e-7 * (1.0 + a.abs() + b.abs()) {
        NEAR_KINK.set(true);
    }
}

// The primitives num-dual lacks: the value of `f64`, the derivative of `#[gradient]`'s conventions
// (docs/conventions.md).

fn abs<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    near(a.re(), 0.0);
    if a.re() < 0.0 {
        -a
    } else {
        a
    }
}

fn signum<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    near(a.re(), 0.0);
    D::from(a.re().signum())
}

fn floor<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    near(a.re(), a.re().round());
    D::from(a.re().floor())
}

fn ceil<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    near(a.re(), a.re().round());
    D::from(a.re().ceil())
}

fn trunc<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    near(a.re(), a.re().round());
    D::from(a.re().trunc())
}

fn round<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    near(a.re(), a.re().floor() + 0.5);
    D::from(a.re().round())
}

/// At a tie, the receiver `a`; with a NaN operand, the other one.
fn max<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> D {
    near(a.re(), b.re());
    if a.re() >= b.re() || b.re().is_nan() {
        a
    } else {
        b
    }
}

/// At a tie, the receiver `a`; with a NaN operand, the other one.
fn min<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> D {
    near(a.re(), b.re());
    if a.re() <= b.re() || b.re().is_nan() {
        a
    } else {
        b
    }
}

/// `a` when `lo <= a <= hi` (bounds included).
fn clamp<D: DualNum<Primitive = f64> + Copy>(a: D, lo: f64, hi: f64) -> D {
    near(a.re(), lo);
    near(a.re(), hi);
    if a.re() < lo {
        D::from(lo)
    } else if a.re() > hi {
        D::from(hi)
    } else {
        a
    }
}

fn hypot<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> D {
    (a * a + b * b).sqrt()
}

/// `a.log(b)` with a differentiated base (`f64::log` is `a.ln() / b.ln()` too).
fn log<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> D {
    a.ln() / b.ln()
}

fn to_degrees<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    a * D::from(1f64.to_degrees())
}

fn to_radians<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    a * D::from(1f64.to_radians())
}

/// The counts of a run and its failures.
#[derive(Default)]
struct Stats {
    /// The state of the SplitMix64 generator of the points (as in dual-core/tests/common).
    rng: u64,
    programs: usize,
    points: usize,
    checked: usize,
    near_kink: usize,
    not_finite: usize,
    failures: Vec<String>,
}

impl Stats {
    /// A random coordinate in [−2, 2).
    fn coordinate(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    }
}

/// Agreement to `RTOL`; NaN never agrees, an infinity only with itself.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= RTOL * a.abs().max(b.abs()).max(1.0)
}

/// Checks program `name` at `POINTS` random points.
fn check<const N: usize>(
    s: &mut Stats,
    name: &str,
    f: fn([f64; N]) -> f64,
    gradient: fn([f64; N]) -> [f64; N],
    value_and_gradient: fn([f64; N]) -> (f64, [f64; N]),
    generic: fn(SVector<DualSVec64<N>, N>) -> DualSVec64<N>,
) {
    s.programs += 1;
    let checked = s.checked;
    for _ in 0..POINTS {
        let x: [f64; N] = std::array::from_fn(|_| s.coordinate());
        s.points += 1;
        let value = f(x);
        let (v, g) = value_and_gradient(x);
        if v.to_bits() != value.to_bits() && !(v.is_nan() && value.is_nan()) {
            s.failures.push(format!(
                "{name} at {x:?}: {name}_value_and_gradient gives the value {v:?}, {name} {value:?}"
            ));
        }
        NEAR_KINK.set(false);
        let (nv, ng) = num_dual::gradient(generic, &SVector::from(x));
        if !nv.is_finite() || ng.iter().any(|d| !d.is_finite()) {
            s.not_finite += 1;
            continue;
        }
        let mut differences = Vec::new();
        if !close(nv, value) {
            differences.push(format!(
                "{name} at {x:?}: the num-dual twin gives the value {nv:?}, {name} {value:?}"
            ));
        }
        let g2 = gradient(x);
        for (i, ((a, b), nd)) in g.iter().zip(&g2).zip(ng.iter()).enumerate() {
            if !close(*a, *nd) || !close(*b, *nd) {
                differences.push(format!(
                    "{name} at {x:?}: ∂/∂x{i} is {a:?} ({name}_value_and_gradient), \
                     {b:?} ({name}_gradient), num-dual {nd:?}"
                ));
            }
        }
        if !differences.is_empty() && NEAR_KINK.get() {
            s.near_kink += 1;
        } else {
            s.checked += 1;
            s.failures.extend(differences);
        }
    }
    if (s.checked - checked) * 2 < POINTS {
        s.failures.push(format!(
            "{name}: only {} of {POINTS} points checked",
            s.checked - checked
        ));
    }
}

#[test]
fn random_sample_against_num_dual() {
    let mut s = Stats {
        rng: 0x5a3_9e1e,
        ..Stats::default()
    };
    programs::run(&mut s);
    eprintln!(
        "random_sample: {} programs, {} points: {} checked, {} skipped as different near a kink, \
         {} as not finite",
        s.programs, s.points, s.checked, s.near_kink, s.not_finite
    );
    assert_eq!(s.programs, programs::PROGRAMS);
    assert!(
        s.failures.is_empty(),
        "{} failures:\n{}",
        s.failures.len(),
        s.failures[..s.failures.len().min(20)].join("\n")
    );
    assert!(
        s.checked * 20 >= s.points * 19,
        "too many points skipped: {} of {}",
        s.points - s.checked,
        s.points
    );
}
"##;

fn sample_file() -> String {
    let programs = sample();
    let mut out = SAMPLE_HARNESS.to_string();
    let _ = write!(
        out,
        "\n// Generated programs: `pK` and its num-dual twin `pK_generic`. Random programs compute\n\
         // unused values, `x - x` and `let v = ..; v`, on purpose.\n\
         #[rustfmt::skip]\n\
         #[allow(unused_variables, unused_assignments, clippy::eq_op, clippy::let_and_return)]\n\
         mod programs {{\n    use super::*;\n\n    pub const PROGRAMS: usize = {};\n",
        programs.len()
    );
    for (k, p) in programs.iter().enumerate() {
        out += &p.sample_items(&format!("p{k}"), "    ");
    }
    out += "\n    pub fn run(s: &mut Stats) {\n";
    for (k, p) in programs.iter().enumerate() {
        let n = p.params;
        let xs: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
        let xs = xs.join(", ");
        let idx: Vec<String> = (0..n).map(|i| format!("x[{i}]")).collect();
        let idx = idx.join(", ");
        let _ = writeln!(
            out,
            "        check::<{n}>(\n            \
             s,\n            \
             \"p{k}\",\n            \
             |[{xs}]| p{k}({xs}),\n            \
             |[{xs}]| p{k}_gradient({xs}),\n            \
             |[{xs}]| p{k}_value_and_gradient({xs}),\n            \
             |x| p{k}_generic({idx}),\n        \
             );"
        );
    }
    out += "    }\n}\n";
    out
}

/// The sample file's path.
fn sample_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/random_sample.rs")
}

const REGENERATE: &str =
    "RANDOM_SAMPLE=overwrite cargo test -p dual-core --test random_programs random_sample";

#[test]
fn random_sample_is_up_to_date() {
    let text = sample_file();
    let path = sample_path();
    if std::env::var("RANDOM_SAMPLE").is_ok_and(|v| v == "overwrite") {
        std::fs::write(&path, &text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("random_sample: wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != text {
        let line = committed
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(text.lines().count()));
        panic!(
            "{} is not what the generator writes (first difference at line {}); regenerate it \
             with `{REGENERATE}`",
            path.display(),
            line + 1
        );
    }
}

#[test]
fn random_sample_covers_every_primitive() {
    let mut used = BTreeSet::new();
    for p in sample() {
        p.primitives(&mut used);
    }
    let missing: Vec<&str> = [
        "+",
        "-",
        "*",
        "/",
        "neg",
        "+=",
        "-=",
        "*=",
        "sin",
        "f64::cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "asinh",
        "acosh",
        "atanh",
        "exp",
        "f64::exp2",
        "exp_m1",
        "ln",
        "log2",
        "log10",
        "ln_1p",
        "sqrt",
        "cbrt",
        "recip",
        "powi(-2)",
        "powi(-1)",
        "powi(0)",
        "powi(1)",
        "powi(2)",
        "powi(3)",
        "powi(4)",
        "powf(const)",
        "powf(expr)",
        "hypot",
        "atan2",
        "log",
        "mul_add",
        "to_degrees",
        "to_radians",
        "abs",
        "max",
        "f64::min",
        "clamp",
        "floor",
        "ceil",
        "round",
        "trunc",
        "signum",
    ]
    .into_iter()
    .chain(LITERALS.iter().copied())
    .filter(|p| !used.contains(*p))
    .collect();
    assert!(
        missing.is_empty(),
        "the sample never uses {missing:?}: change SAMPLE_SEED or SAMPLE_PROGRAMS, then \
         `{REGENERATE}`"
    );
}
