//! Random programs against independent oracles.
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
//!   skipped, not counted. The value `eval` computes is compared first (rtol 1e-12) with the
//!   program evaluated by the standard library's `f64` methods straight from the expression tree
//!   (`Program::value`), which shares nothing with the engine: a lowering or simplification that
//!   changes the function (and so its finite differences too) is caught there.
//!   `RANDOM_PROGRAMS=n` changes the number of programs (default 3000),
//!   `RANDOM_PROGRAMS_SEED=s` the seed.
//! - `random_sample_is_up_to_date`: a fixed sample of programs, built from the same expressions
//!   plus control flow — straight-line ones, and ones with `if` / `else if` / `else` on
//!   comparisons of differentiated values (assigning `let v;` or `let mut v` on every path,
//!   nested once sometimes), early `return`s under such `if`s, unrolled `for k in 0..K` (reading
//!   `k as f64`) and `for t in [a, b, c]`, run-time `for i in 0..n`, `while i < n` and
//!   `loop { if i >= n { break; } .. }` over an extra parameter `n: usize` carrying one or two
//!   floats, `break` / `continue` under comparisons in both kinds of loop, and calls to four
//!   `#[gradient]` helpers (two scalars, an array parameter with a branch, a vector result
//!   destructured with `let [a, b] = …`, a helper calling another) — is written, each as a
//!   `#[dual::gradient]` function and its num-dual twin, with a test comparing the two, to the
//!   root crate's integration test `tests/random_sample.rs`, which compiles them for real through
//!   the proc macro. This test regenerates that file and fails if the committed one differs;
//!   after a change to the generator, rewrite it with
//!   `RANDOM_SAMPLE=overwrite cargo test -p dual-core --test random_programs random_sample`.
//!
//!   After those 400 programs, from a seed of their own, come 100 array programs (loops kept as
//!   loops): float parameters plus some of `a: [f64; LEN]`, `w: [f64; R * C]` and `b: [f64; 40]`
//!   with `n: usize`, where `LEN`, `R`, `C` are module constants of the sample (40, 4, 6) whose
//!   values the macro does not see. Their segments:
//!
//!   - loops `for i in 0..LEN`, `1..LEN`, `0..LEN - 1` reading `a[i]`, `a[i + 1]`, `a[i - 1]`
//!     and `i as f64` in the generator's expressions, carrying one or two floats (sums,
//!     products, `tanh` recurrences, `max` / `min` recurrences, `if` assigning or accumulating);
//!   - local arrays `let mut z = [0.0; LEN];` filled by such a loop (`z[i] = e;`, `z[i] += e;`,
//!     maybe carrying a float as well) and read by a later loop (`z[i]`, `z[i ± 1]`) or as
//!     `z[0]`, `z[LEN - 1]`;
//!   - nested loops `for i in 0..R { let mut s = ..; for j in 0..C { .. w[i * C + j] .. }
//!     y[i] = s; }` whose inner loop carries `s` as a sum, a product, a `tanh` recurrence or a
//!     `max` recurrence, with `y` read by a loop over `0..R` or as `y[0]`, `y[R - 1]`;
//!   - run-time loops `for i in 0..n`, `1..n` (`n` = 0, 1, 17, 40) and `0..b.len()` over `b`;
//!   - iterator chains over `a` (`iter()`, `into_iter()`, `copied()`, `cloned()`, `zip` with
//!     `a`, `a.iter().skip(1)` or a local array, `enumerate()`, `skip(2).step_by(3)`, `a[2..LEN - 2].iter().rev()`,
//!     `take(10)`, `rev().step_by(3)`) reduced by `map(..).sum::<f64>()`, `sum()` into a typed
//!     `let`, `product::<f64>()` of factors `1 + 0.05 tanh(e)`, `fold(init, |acc, ..| ..)` (a
//!     scaled sum or a `tanh` recurrence), `fold(f64::NEG_INFINITY, f64::max)`, or a `for` over
//!     the chain carrying floats; the closures read the parameters and earlier floats. The twins
//!     fold where the `f64` code sums, multiplies or takes maxima; `a.iter().zip(z.iter())` with
//!     a local array `z` filled earlier.
//!   - `let`s, `if`s (`let v;` or `let mut v`, maybe returning in a branch) and early
//!     `return`s under `if`s, between the loops.
//!
//!   In both kinds of program, some `let v = e;` (chosen by the variable's number, so that the
//!   random stream stays the same) are written as a local closure applied to the first variable
//!   `e` reads, capturing the others (`let v_f = |arg: f64| e[x → arg]; let v = v_f(x);`), and
//!   some in the body of a loop over integers as a `match` on its counter
//!   (`match k % 3 { 0 => e, 1 => 0.5 * e, _ => -e }`).
//!
//!   The bodies of the loops read anything in scope: the float parameters, array elements, the
//!   floats they carry, their temporaries (`let v = ..;`, maybe a call to a `#[gradient]`
//!   helper, used or not), and floats computed before the loop — `let`s and the results of
//!   earlier loops — in calls to the helpers (in inner loops too) and in the conditions of their
//!   `if`s, which compare any of these. The `if`s outside loops and the conditions of early
//!   `return`s read array elements too (`z[0]`, `z[LEN - 1]`, `y[0]`, `y[R - 1]`). Sums are
//!   scaled by 0.05 and product factors are `1 + 0.05 tanh(e)`, so that 40 iterations stay in
//!   range. The harness passes the floats and the array elements as one flat point to num-dual,
//!   and joins the parts of the gradient (`(f64, .., [f64; LEN])`) in the same order.
//!
//!   The engine bugs these shapes first found (seven, each a program that did not compile) are
//!   fixed; their reproductions are in `tests/arrays_regressions.rs`.
//!
//!   Local arrays written by a run-time loop are a documented compile error, and not generated.
//! - `random_sample_covers_every_primitive`: the sample uses every primitive, literal form,
//!   compound assignment, control-flow construct and helper of the generator, and every shape
//!   of the array programs (`--nocapture` shows in how many programs each).

mod common;

use common::Rng;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use dual_core::eval::eval;
use dual_core::pipeline::derive_source;

// ---------------------------------------------------------------------------------------------
// Programs as trees
// ---------------------------------------------------------------------------------------------

/// Whether `let var = init;` is written as a local closure applied to a variable it reads
/// (`let v3_f = |arg: f64| …; let v3 = v3_f(x0);`), and which: a choice made from the variable's
/// number, not drawn, so the random stream (and the programs) stay as they were.
fn as_closure(var: &str, init: &Expr) -> Option<String> {
    (number(var)? % 5 == 2).then(|| init.first_var()).flatten()
}

/// Whether `let var = init;` in the body of a loop over integers is written as a `match` on the
/// counter (`match k % 3 { 0 => e, 1 => 0.5 * e, _ => -e }`): chosen like [`as_closure`].
fn as_match(var: &str, init: &Expr) -> bool {
    number(var).is_some_and(|n| n % 4 == 1) && as_closure(var, init).is_none()
}

/// The number of a variable `v12`.
fn number(var: &str) -> Option<usize> {
    var.trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// The value of a literal of [`LITERALS`] (or of the generator's own constants).
fn literal_value(c: &str) -> f64 {
    if c == "std::f64::consts::PI" {
        return std::f64::consts::PI;
    }
    c.trim_end_matches("f64")
        .parse()
        .unwrap_or_else(|_| panic!("literal {c}"))
}

/// The primitive `name` applied to `v` by the standard library's `f64` method.
fn std_method(name: &str, v: &[f64]) -> f64 {
    match (name, v) {
        ("sin", [a]) => a.sin(),
        ("cos", [a]) => a.cos(),
        ("tan", [a]) => a.tan(),
        ("asin", [a]) => a.asin(),
        ("acos", [a]) => a.acos(),
        ("atan", [a]) => a.atan(),
        ("sinh", [a]) => a.sinh(),
        ("cosh", [a]) => a.cosh(),
        ("tanh", [a]) => a.tanh(),
        ("asinh", [a]) => a.asinh(),
        ("acosh", [a]) => a.acosh(),
        ("atanh", [a]) => a.atanh(),
        ("exp", [a]) => a.exp(),
        ("exp2", [a]) => a.exp2(),
        ("exp_m1", [a]) => a.exp_m1(),
        ("ln", [a]) => a.ln(),
        ("log2", [a]) => a.log2(),
        ("log10", [a]) => a.log10(),
        ("ln_1p", [a]) => a.ln_1p(),
        ("sqrt", [a]) => a.sqrt(),
        ("cbrt", [a]) => a.cbrt(),
        ("recip", [a]) => a.recip(),
        ("abs", [a]) => a.abs(),
        ("floor", [a]) => a.floor(),
        ("ceil", [a]) => a.ceil(),
        ("round", [a]) => a.round(),
        ("trunc", [a]) => a.trunc(),
        ("signum", [a]) => a.signum(),
        ("to_degrees", [a]) => a.to_degrees(),
        ("to_radians", [a]) => a.to_radians(),
        ("powf", [a, b]) => a.powf(*b),
        ("hypot", [a, b]) => a.hypot(*b),
        ("atan2", [a, b]) => a.atan2(*b),
        ("log", [a, b]) => a.log(*b),
        ("max", [a, b]) => a.max(*b),
        ("min", [a, b]) => a.min(*b),
        ("mul_add", [a, b, c]) => a.mul_add(*b, *c),
        ("clamp", [a, lo, hi]) => a.clamp(*lo, *hi),
        (name, v) => unreachable!("{name} of {} arguments", v.len()),
    }
}

impl Program {
    /// The program's value at `point`, by [`Expr::value`].
    fn value(&self, point: &[f64]) -> f64 {
        let mut env: std::collections::BTreeMap<String, f64> = point
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("x{i}"), *v))
            .collect();
        for (i, l) in self.lets.iter().enumerate() {
            let mut v = l.init.value(&env);
            if let Some((op, e)) = &l.update {
                let u = e.value(&env);
                match *op {
                    "+=" => v += u,
                    "-=" => v -= u,
                    "*=" => v *= u,
                    other => unreachable!("operator {other}"),
                }
            }
            env.insert(format!("v{i}"), v);
        }
        self.result.value(&env)
    }
}

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
    /// The integer counter `k` of a loop, as `k as f64` (sample programs only).
    Counter(String),
    /// A call `name(args)` (`name([args])` if `array`) to a `#[gradient]` helper of the sample,
    /// whose twin is `name_generic` (sample programs only).
    Helper {
        name: &'static str,
        args: Vec<Expr>,
        array: bool,
    },
    /// An element `array[index]` of an array parameter or local array (sample programs only):
    /// `index` is the text of the index (`i3`, `i3 + 1`, `i2 * C + j3`, `LEN - 1`), `counters`
    /// the loop counters it reads, `form` its shape for the coverage list (`a[i + 1]`, …).
    Index {
        array: String,
        index: String,
        counters: Vec<String>,
        form: &'static str,
    },
}

use Expr::{Bin, Call, Counter, Helper, Index, Lit, Neg, Powi, Var};

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

/// Precedence of the outermost operator of rendered text: `+ -`, `* /`, unary `-`, a primary
/// (casts `k as f64` are always parenthesised).
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const UNARY: u8 = 4;
const PRIMARY: u8 = 5;

fn paren(s: String) -> String {
    format!("({s})")
}

impl Expr {
    /// The value in plain `f64` arithmetic, by Rust's own methods: an oracle that shares nothing
    /// with the engine's lowering and simplification (straight-line programs only).
    fn value(&self, env: &std::collections::BTreeMap<String, f64>) -> f64 {
        match self {
            Var(v) => env[v],
            Lit(c) => literal_value(c),
            Neg(a) => -a.value(env),
            Bin(op, a, b) => {
                let (a, b) = (a.value(env), b.value(env));
                match *op {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" => a / b,
                    other => unreachable!("operator {other}"),
                }
            }
            Powi(a, k) => a.value(env).powi(*k),
            Call { name, args, .. } => {
                let v: Vec<f64> = args.iter().map(|a| a.value(env)).collect();
                std_method(name, &v)
            }
            Counter(_) | Helper { .. } | Index { .. } => {
                unreachable!("not in straight-line programs")
            }
        }
    }

    /// The first float variable the expression reads, left to right.
    fn first_var(&self) -> Option<String> {
        match self {
            Var(v) => Some(v.clone()),
            Lit(_) | Counter(_) | Index { .. } => None,
            Neg(a) | Powi(a, _) => a.first_var(),
            Bin(_, a, b) => a.first_var().or_else(|| b.first_var()),
            Call { args, .. } | Helper { args, .. } => args.iter().find_map(Expr::first_var),
        }
    }

    /// The expression with the variable `from` read as `to`.
    fn renamed(&self, from: &str, to: &str) -> Expr {
        let r = |e: &Expr| e.renamed(from, to);
        match self {
            Var(v) if v == from => Var(to.to_string()),
            Var(_) | Lit(_) | Counter(_) | Index { .. } => self.clone(),
            Neg(a) => Neg(Box::new(r(a))),
            Powi(a, k) => Powi(Box::new(r(a)), *k),
            Bin(op, a, b) => Bin(op, Box::new(r(a)), Box::new(r(b))),
            Call { name, path, args } => Call {
                name,
                path: *path,
                args: args.iter().map(r).collect(),
            },
            Helper { name, args, array } => Helper {
                name,
                args: args.iter().map(r).collect(),
                array: *array,
            },
        }
    }

    /// Source text, with only the parentheses Rust needs (so rustc's `unused_parens` stays quiet
    /// on the compiled sample) and those that keep the tree's association, e.g. `a - (b - c)`.
    fn render(&self, fl: Flavor) -> String {
        self.render_prec(fl).0
    }

    fn render_prec(&self, fl: Flavor) -> (String, u8) {
        match self {
            Var(v) => (v.clone(), PRIMARY),
            Counter(k) if fl == Flavor::Generic => (format!("D::from({k} as f64)"), PRIMARY),
            // Parenthesised: `k as f64 < c` would read as generic arguments.
            Counter(k) => (format!("({k} as f64)"), PRIMARY),
            Helper { name, args, array } => {
                let s: Vec<String> = args.iter().map(|a| a.render(fl)).collect();
                let s = s.join(", ");
                let name = match fl {
                    Flavor::F64 => name.to_string(),
                    Flavor::Generic => format!("{name}_generic"),
                };
                let text = if *array {
                    format!("{name}([{s}])")
                } else {
                    format!("{name}({s})")
                };
                (text, PRIMARY)
            }
            Index { array, index, .. } => (format!("{array}[{index}]"), PRIMARY),
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
            Var(v) | Counter(v) => vars.contains(v),
            Index {
                array, counters, ..
            } => vars.contains(array) || counters.iter().any(|k| vars.contains(k)),
            Lit(_) => false,
            Helper { args, .. } => args.iter().any(|a| a.reads(vars)),
            Neg(a) | Powi(a, _) => a.reads(vars),
            Bin(_, a, b) => a.reads(vars) || b.reads(vars),
            Call { args, .. } => args.iter().any(|a| a.reads(vars)),
        }
    }

    /// Whether the expression calls a `#[gradient]` helper.
    fn calls(&self) -> bool {
        let mut out = BTreeSet::new();
        self.primitives(&mut out);
        out.iter().any(|c| c.starts_with("call "))
    }

    /// Whether the expression reads an array element.
    fn indexes(&self) -> bool {
        match self {
            Index { .. } => true,
            Var(_) | Counter(_) | Lit(_) => false,
            Neg(a) | Powi(a, _) => a.indexes(),
            Bin(_, a, b) => a.indexes() || b.indexes(),
            Helper { args, .. } | Call { args, .. } => args.iter().any(Expr::indexes),
        }
    }

    /// The primitives and literal forms the expression uses (`+`, `sin`, `f64::cos`, `powi(-2)`,
    /// `powf(expr)`, `1e-1`, …).
    fn primitives(&self, out: &mut BTreeSet<String>) {
        match self {
            Var(_) => {}
            Index { form, .. } => {
                out.insert(form.to_string());
            }
            Counter(_) => {
                out.insert("k as f64".into());
            }
            Helper { name, args, .. } => {
                out.insert(format!("call {name}"));
                for a in args {
                    a.primitives(out);
                }
            }
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
    /// The counters of the enclosing loops, read as `k as f64` (sample programs only).
    counters: Vec<String>,
    /// Whether expressions may call the sample's `#[gradient]` helpers.
    calls: bool,
    /// The variables that may hold a constant (computed from a loop counter only): not
    /// arguments of calls, where a constant of unknown type before a differentiated argument is
    /// ambiguous (README, "How a call's arguments meet the callee's gradient").
    inactive: BTreeSet<String>,
    /// Array elements that may be read here, as atoms: `a[i]`, `a[i + 1]` in a loop over an
    /// array, `z[0]` after a loop filled `z` (array programs of the sample only).
    elems: Vec<Expr>,
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
        // No draw when there are no elements: the programs without arrays stay as they were.
        if !self.elems.is_empty() && self.rng.below(3) == 0 {
            let i = self.rng.below(self.elems.len());
            return self.elems[i].clone();
        }
        if !self.counters.is_empty() && self.rng.below(4) == 0 {
            let i = self.rng.below(self.counters.len());
            Counter(self.counters[i].clone())
        } else if self.rng.below(5) == 0 {
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
        if self.calls && self.rng.below(10) == 0 {
            return self.helper_call(d);
        }
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
            counters: Vec::new(),
            calls: false,
            inactive: BTreeSet::new(),
            elems: Vec::new(),
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
}

// ---------------------------------------------------------------------------------------------
// Sample programs: control flow, loops and calls
// ---------------------------------------------------------------------------------------------

/// A comparison of two float expressions, the condition of an `if`. The twin compares the
/// primal values, with the harness's `lt`/`gt`/`le`/`ge`, so that it takes the same branch.
struct Cond {
    a: Expr,
    op: &'static str,
    b: Expr,
}

impl Cond {
    fn render(&self, fl: Flavor) -> String {
        match fl {
            Flavor::F64 => format!("{} {} {}", self.a.render(fl), self.op, self.b.render(fl)),
            Flavor::Generic => {
                let f = match self.op {
                    "<" => "lt",
                    ">" => "gt",
                    "<=" => "le",
                    _ => "ge",
                };
                format!("{f}({}, {})", self.a.render(fl), self.b.render(fl))
            }
        }
    }
}

/// What a `for` loop iterates over.
enum Iter {
    /// `0..K`, unrolled.
    Range(usize),
    /// `[a, b, c]`, unrolled.
    Array(Vec<Expr>),
    /// `0..n` with the parameter `n: usize`: a run-time loop.
    RunTime,
    /// A range written as is, in the array programs: `0..LEN`, `1..LEN`, `0..LEN - 1`, `0..R`,
    /// `0..C` over module constants, `0..n`, `1..n`, `0..b.len()` over `b: [f64; 40]`.
    Bounds(&'static str),
    /// An iterator chain over arrays, in the array programs (`a.iter().enumerate().skip(2)`),
    /// the same text in both flavors; `src` reads the arrays it iterates over, `binds` are the
    /// floats its pattern binds.
    Chain {
        text: String,
        src: Expr,
        binds: Vec<String>,
    },
}

/// How an iterator chain of the array programs is reduced to a float.
enum Reduce {
    /// `.map(|pat| e).sum::<f64>()`, or `.sum()` with `let s: f64` if not `turbofish`.
    Sum { turbofish: bool },
    /// `.map(|pat| e).product::<f64>()`.
    Product,
    /// `.fold(f64::NEG_INFINITY, f64::max)`, after `.map(|pat| e)` if there is a body.
    Max,
    /// `.fold(init, |acc, pat| e)`.
    Fold { init: Expr, acc: String },
}

/// `let var = chain;`: an iterator chain over arrays reduced to a float (array programs).
struct Chain {
    /// The source and adapters before the closure, the same in both flavors.
    iter: String,
    /// Reads the arrays the chain iterates over (for activity and the parameters).
    src: Expr,
    /// The closure's pattern and body, if there is a closure.
    closure: Option<(String, Expr)>,
    reduce: Reduce,
}

impl Chain {
    /// The expression: the twin folds where the `f64` code sums, multiplies or takes maxima.
    fn render(&self, fl: Flavor) -> String {
        let g = fl == Flavor::Generic;
        let mut t = self.iter.clone();
        let lam = |pat: &str, e: &Expr| format!("|{pat}| {}", e.render(fl));
        match (&self.reduce, &self.closure) {
            (Reduce::Fold { init, acc }, Some((pat, e))) => {
                let _ = write!(
                    t,
                    ".fold({}, |{acc}, {pat}| {})",
                    init.render(fl),
                    e.render(fl)
                );
            }
            (r, c) => {
                if let Some((pat, e)) = c {
                    let _ = write!(t, ".map({})", lam(pat, e));
                }
                t += match (r, g) {
                    (Reduce::Sum { turbofish: true }, false) => ".sum::<f64>()",
                    (Reduce::Sum { .. }, false) => ".sum()",
                    (Reduce::Product, false) => ".product::<f64>()",
                    (Reduce::Max, false) => ".fold(f64::NEG_INFINITY, f64::max)",
                    (Reduce::Sum { .. }, true) => ".fold(D::from(0.0), |t, u| t + u)",
                    (Reduce::Product, true) => ".fold(D::from(1.0), |t, u| t * u)",
                    (Reduce::Max, true) => ".fold(D::from(f64::NEG_INFINITY), max)",
                    (Reduce::Fold { .. }, _) => unreachable!("a fold has a closure"),
                };
            }
        }
        t
    }

    fn exprs(&self) -> Vec<&Expr> {
        let mut out = vec![&self.src];
        if let Some((_, e)) = &self.closure {
            out.push(e);
        }
        if let Reduce::Fold { init, .. } = &self.reduce {
            out.push(init);
        }
        out
    }
}

/// A statement of a sample program.
enum Stmt {
    /// `let v = init;` or `let mut v = init;`.
    Let {
        var: String,
        mutable: bool,
        init: Expr,
    },
    /// `let v;`, assigned on every path of the `if` that follows.
    Decl(String),
    /// `v = e;`, `v += e;`, `v -= e;`, `v *= e;`.
    Assign(String, &'static str, Expr),
    /// `let [a, b] = call;` of the vector-valued helper.
    LetPair(String, String, Expr),
    /// `if c { .. } else if c { .. } else { .. }`.
    If(Vec<(Cond, Vec<Stmt>)>, Option<Vec<Stmt>>),
    Return(Expr),
    Break,
    Continue,
    /// `for var in iter { body }`.
    For {
        var: String,
        iter: Iter,
        body: Vec<Stmt>,
    },
    /// `let mut i = 0; while i < n { i += 1; body }`.
    While {
        counter: String,
        body: Vec<Stmt>,
    },
    /// `let mut i = 0; loop { if i >= n { break; } i += 1; body }`.
    Loop {
        counter: String,
        body: Vec<Stmt>,
    },
    /// `let mut z = [0.0; len];`, a local array.
    LetArray {
        var: String,
        len: &'static str,
    },
    /// `let var = chain;`.
    LetChain {
        var: String,
        chain: Chain,
    },
    /// `z[index] op e;` (`=` or `+=`), the index a loop counter.
    SetIndex {
        array: String,
        index: String,
        op: &'static str,
        e: Expr,
    },
}

impl Stmt {
    /// The source lines of the statement, indented by `indent`.
    fn render(&self, fl: Flavor, indent: &str, out: &mut Vec<String>) {
        let block = |body: &[Stmt], out: &mut Vec<String>| {
            let inner = format!("{indent}    ");
            for s in body {
                s.render(fl, &inner, out);
            }
        };
        match self {
            Stmt::Let { var, mutable, init } => {
                let m = if *mutable { "mut " } else { "" };
                if let (false, Some(arg)) = (*mutable, as_closure(var, init)) {
                    let ty = if fl == Flavor::F64 { "f64" } else { "D" };
                    let body = init.renamed(&arg, "arg").render(fl);
                    out.push(format!("{indent}let {var}_f = |arg: {ty}| {body};"));
                    out.push(format!("{indent}let {var} = {var}_f({arg});"));
                    return;
                }
                // `let v = 2.0;` would leave the type of `v.sin()` ambiguous.
                let ty = if fl == Flavor::F64 && matches!(init, Lit(_)) {
                    ": f64"
                } else {
                    ""
                };
                out.push(format!("{indent}let {m}{var}{ty} = {};", init.render(fl)));
            }
            // Typed, for when every branch returns and nothing assigns it.
            Stmt::Decl(v) => {
                let ty = if fl == Flavor::F64 { "f64" } else { "D" };
                out.push(format!("{indent}let {v}: {ty};"));
            }
            Stmt::Assign(v, op, e) => out.push(format!("{indent}{v} {op} {};", e.render(fl))),
            Stmt::LetPair(a, b, e) => {
                out.push(format!("{indent}let [{a}, {b}] = {};", e.render(fl)))
            }
            Stmt::If(branches, otherwise) => {
                for (i, (c, body)) in branches.iter().enumerate() {
                    let head = if i == 0 {
                        indent.to_string()
                    } else {
                        format!("{indent}}} else ")
                    };
                    out.push(format!("{head}if {} {{", c.render(fl)));
                    block(body, out);
                }
                if let Some(body) = otherwise {
                    out.push(format!("{indent}}} else {{"));
                    block(body, out);
                }
                out.push(format!("{indent}}}"));
            }
            Stmt::Return(e) => out.push(format!("{indent}return {};", e.render(fl))),
            Stmt::Break => out.push(format!("{indent}break;")),
            Stmt::Continue => out.push(format!("{indent}continue;")),
            Stmt::For { var, iter, body } => {
                let it = match iter {
                    Iter::Range(k) => format!("0..{k}"),
                    Iter::RunTime => "0..n".into(),
                    Iter::Bounds(b) => b.to_string(),
                    Iter::Chain { text, .. } => text.clone(),
                    Iter::Array(xs) => {
                        let xs: Vec<String> = xs.iter().map(|x| x.render(fl)).collect();
                        format!("[{}]", xs.join(", "))
                    }
                };
                out.push(format!("{indent}for {var} in {it} {{"));
                let inner = format!("{indent}    ");
                let counts = matches!(iter, Iter::Range(_) | Iter::RunTime | Iter::Bounds(_));
                for s in body {
                    match s {
                        Stmt::Let {
                            var: v,
                            mutable: false,
                            init,
                        } if counts && as_match(v, init) => {
                            let arms = [
                                init.clone(),
                                bin("*", Lit("0.5"), init.clone()),
                                Neg(Box::new(init.clone())),
                            ];
                            let [a, b, c] = arms.map(|e| e.render(fl));
                            out.push(format!("{inner}let {v} = match {var} % 3 {{"));
                            out.push(format!("{inner}    0 => {a},"));
                            out.push(format!("{inner}    1 => {b},"));
                            out.push(format!("{inner}    _ => {c},"));
                            out.push(format!("{inner}}};"));
                        }
                        s => s.render(fl, &inner, out),
                    }
                }
                out.push(format!("{indent}}}"));
            }
            Stmt::While { counter, body } => {
                out.push(format!("{indent}let mut {counter} = 0;"));
                out.push(format!("{indent}while {counter} < n {{"));
                out.push(format!("{indent}    {counter} += 1;"));
                block(body, out);
                out.push(format!("{indent}}}"));
            }
            Stmt::Loop { counter, body } => {
                out.push(format!("{indent}let mut {counter} = 0;"));
                out.push(format!("{indent}loop {{"));
                out.push(format!("{indent}    if {counter} >= n {{"));
                out.push(format!("{indent}        break;"));
                out.push(format!("{indent}    }}"));
                out.push(format!("{indent}    {counter} += 1;"));
                block(body, out);
                out.push(format!("{indent}}}"));
            }
            Stmt::LetArray { var, len } => {
                let zero = match fl {
                    Flavor::F64 => "0.0",
                    Flavor::Generic => "D::from(0.0)",
                };
                out.push(format!("{indent}let mut {var} = [{zero}; {len}];"));
            }
            Stmt::SetIndex {
                array,
                index,
                op,
                e,
            } => out.push(format!("{indent}{array}[{index}] {op} {};", e.render(fl))),
            Stmt::LetChain { var, chain } => {
                let ty = match (fl, &chain.reduce) {
                    (Flavor::F64, Reduce::Sum { turbofish: false }) => ": f64",
                    _ => "",
                };
                out.push(format!("{indent}let {var}{ty} = {};", chain.render(fl)));
            }
        }
    }

    /// The float assignments of the statement and its blocks, as (target, value), with
    /// `"return"` as the target of a `return`: the data flow, for activity.
    fn flows<'a>(&'a self, out: &mut Vec<(&'a str, &'a Expr)>) {
        match self {
            Stmt::Let { var, init, .. } => out.push((var, init)),
            Stmt::Assign(v, _, e) => out.push((v, e)),
            Stmt::LetPair(a, b, e) => {
                out.push((a, e));
                out.push((b, e));
            }
            Stmt::Return(e) => out.push(("return", e)),
            Stmt::Decl(_) | Stmt::Break | Stmt::Continue | Stmt::LetArray { .. } => {}
            Stmt::SetIndex { array, e, .. } => out.push((array, e)),
            Stmt::LetChain { var, chain } => {
                for e in chain.exprs() {
                    out.push((var, e));
                }
            }
            Stmt::If(branches, otherwise) => {
                for s in branches
                    .iter()
                    .flat_map(|b| &b.1)
                    .chain(otherwise.iter().flatten())
                {
                    s.flows(out);
                }
            }
            Stmt::For { var, iter, body } => {
                if let Iter::Array(xs) = iter {
                    for x in xs {
                        out.push((var, x));
                    }
                }
                if let Iter::Chain { src, binds, .. } = iter {
                    for b in binds {
                        out.push((b, src));
                    }
                }
                body.iter().for_each(|s| s.flows(out));
            }
            Stmt::While { body, .. } | Stmt::Loop { body, .. } => {
                body.iter().for_each(|s| s.flows(out))
            }
        }
    }

    /// The constructs (`if`, `else if`, `return`, `for 0..n`, …), primitives and literal forms
    /// the statement uses; `inside` is `"if"` or `"loop"` in the block of one.
    fn constructs(&self, inside: &str, out: &mut BTreeSet<String>) {
        let blocks = |body: &[Stmt], inside: &str, out: &mut BTreeSet<String>| {
            body.iter().for_each(|s| s.constructs(inside, out))
        };
        match self {
            Stmt::Let { var, mutable, init } => {
                if *mutable {
                    out.insert("let mut".into());
                } else if as_closure(var, init).is_some() {
                    out.insert(format!(
                        "closure{}",
                        if inside.is_empty() { "" } else { " in a block" }
                    ));
                }
                init.primitives(out);
            }
            Stmt::Decl(_) => {
                out.insert("let v;".into());
            }
            Stmt::Assign(_, op, e) => {
                out.insert(op.to_string());
                e.primitives(out);
            }
            Stmt::LetPair(_, _, e) => e.primitives(out),
            Stmt::If(branches, otherwise) => {
                out.insert("if".into());
                if !inside.is_empty() {
                    out.insert(format!("if in {inside}"));
                }
                if branches.len() > 1 {
                    out.insert("else if".into());
                }
                if otherwise.is_some() {
                    out.insert("else".into());
                }
                for (c, body) in branches {
                    out.insert(format!("cond {}", c.op));
                    c.a.primitives(out);
                    c.b.primitives(out);
                    blocks(body, "if", out);
                }
                otherwise.iter().for_each(|b| blocks(b, "if", out));
            }
            Stmt::Return(e) => {
                out.insert("return".into());
                e.primitives(out);
            }
            Stmt::Break => {
                out.insert("break".into());
            }
            Stmt::Continue => {
                out.insert("continue".into());
            }
            Stmt::For { iter, body, .. } => {
                let counts = matches!(iter, Iter::Range(_) | Iter::RunTime | Iter::Bounds(_));
                if counts
                    && body.iter().any(|s| {
                        matches!(s, Stmt::Let { var, mutable: false, init } if as_match(var, init))
                    })
                {
                    out.insert("match on a counter".into());
                }
                out.insert(
                    match iter {
                        Iter::Range(_) => "for 0..K",
                        Iter::Array(_) => "for in [..]",
                        Iter::RunTime => "for 0..n",
                        Iter::Bounds(_) => "for over an array",
                        Iter::Chain { .. } => "for over a chain",
                    }
                    .into(),
                );
                if let Iter::Bounds(b) = iter {
                    out.insert(format!("for {b}"));
                }
                if body.iter().any(|s| matches!(s, Stmt::For { .. })) {
                    out.insert("nested for".into());
                }
                if let Iter::Array(xs) = iter {
                    xs.iter().for_each(|x| x.primitives(out));
                }
                blocks(body, "loop", out);
            }
            Stmt::While { body, .. } => {
                out.insert("while".into());
                blocks(body, "loop", out);
            }
            Stmt::Loop { body, .. } => {
                out.insert("loop".into());
                blocks(body, "loop", out);
            }
            Stmt::LetArray { len, .. } => {
                out.insert(format!("let mut z = [0.0; {len}]"));
            }
            Stmt::SetIndex { op, e, .. } => {
                out.insert(format!("z[i] {op}"));
                e.primitives(out);
            }
            Stmt::LetChain { chain, .. } => chain.exprs().iter().for_each(|e| e.primitives(out)),
        }
    }
}

/// An array parameter of a sample program: `name: [f64; len]`, `size` elements.
#[derive(Clone, Copy, PartialEq)]
struct ArrayParam {
    name: &'static str,
    len: &'static str,
    size: usize,
}

/// The module constants of the array programs, emitted once at the top of `mod programs`: the
/// macro does not see their values, so loops over them stay loops.
const SAMPLE_CONSTS: &[(&str, usize)] = &[("LEN", 40), ("R", 4), ("C", 6)];

/// `a: [f64; LEN]`, read in loops over `0..LEN`, `1..LEN`, `0..LEN - 1`.
const ARRAY_A: ArrayParam = ArrayParam {
    name: "a",
    len: "LEN",
    size: 40,
};
/// `w: [f64; R * C]`, the row-major weights of the nested loops.
const ARRAY_W: ArrayParam = ArrayParam {
    name: "w",
    len: "R * C",
    size: 24,
};
/// `b: [f64; 40]`, a literal length, read in run-time loops over `0..n` (`n` ≤ 40).
const ARRAY_B: ArrayParam = ArrayParam {
    name: "b",
    len: "40",
    size: 40,
};

/// A sample program: `fn NAME(x0: f64, .., [arrays], [n: usize]) -> f64 { stmts; result }`.
struct SampleProgram {
    params: usize,
    /// The array parameters, after the float ones: some of `a`, `w`, `b` in this order.
    arrays: Vec<ArrayParam>,
    /// What the generator built that the statements do not show (`carry max`, …), for the
    /// coverage list.
    tags: BTreeSet<String>,
    /// Whether the program has the trailing parameter `n: usize` of its run-time loops.
    run_time: bool,
    stmts: Vec<Stmt>,
    result: Expr,
}

/// The `#[gradient]` helpers the sample programs call, and their twins: two scalars, an array
/// parameter with a branch inside, a vector result, and a helper that calls another.
const SAMPLE_HELPERS: &str = r#"
    #[dual::gradient]
    fn h1(a: f64, b: f64) -> f64 {
        a * b.sin() + a.tanh().exp() * 0.1
    }

    fn h1_generic<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> D {
        a * b.sin() + a.tanh().exp() * D::from(0.1)
    }

    #[dual::gradient]
    fn h2(a: [f64; 3]) -> f64 {
        let mut s = a[0] * a[1];
        if a[2] > a[0] {
            s += a[2].cos();
        } else {
            s -= (a[2] * a[2] + 1.0).ln();
        }
        s
    }

    fn h2_generic<D: DualNum<Primitive = f64> + Copy>(a: [D; 3]) -> D {
        let mut s = a[0] * a[1];
        if gt(a[2], a[0]) {
            s += a[2].cos();
        } else {
            s -= (a[2] * a[2] + D::from(1.0)).ln();
        }
        s
    }

    #[dual::gradient]
    fn h3(a: f64, b: f64) -> [f64; 2] {
        [a * b, (a - b).atan()]
    }

    fn h3_generic<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> [D; 2] {
        [a * b, (a - b).atan()]
    }

    #[dual::gradient]
    fn h4(a: f64) -> f64 {
        h1(a, a * 0.5) + a
    }

    fn h4_generic<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
        h1_generic(a, a * D::from(0.5)) + a
    }
"#;

/// Where a scope of a sample program starts: what leaving it pops.
struct Mark {
    vars: usize,
    mutables: usize,
    counters: usize,
}

/// The generator of sample programs: `Gen` for the expressions, plus statements.
struct SampleGen<'a> {
    g: Gen<'a>,
    /// The number of float parameters.
    params: usize,
    /// The mutable float variables in scope.
    mutables: Vec<String>,
    /// The number of names given out (`v{i}`, `k{i}`, `i{i}`).
    names: usize,
    /// The local arrays `[0.0; LEN]` filled so far (array programs).
    len_arrays: Vec<String>,
    /// The local arrays `[0.0; R]` filled by nested loops so far (array programs).
    row_arrays: Vec<String>,
    /// The array parameters read so far, by name (array programs).
    uses: BTreeSet<&'static str>,
    /// Constructs to list for coverage that the statements do not show (`carry max`, …).
    tags: BTreeSet<String>,
    /// The floats carried by the loops over arrays generated so far (array programs).
    loop_floats: BTreeSet<String>,
}

impl Gen<'_> {
    /// A call to a scalar helper, on expressions of depth `d`.
    fn helper_call(&mut self, d: usize) -> Expr {
        let (name, arity, array) =
            self.rng
                .pick(&[("h1", 2, false), ("h2", 3, true), ("h4", 1, false)]);
        Helper {
            name,
            args: self.call_args(arity, d),
            array,
        }
    }

    /// `k` arguments of a call: differentiated values or literals, never constants of a type the
    /// caller cannot see (loop counters and what is computed from them alone).
    fn call_args(&mut self, k: usize, d: usize) -> Vec<Expr> {
        let hidden: BTreeSet<String> = self
            .counters
            .iter()
            .chain(&self.inactive)
            .cloned()
            .collect();
        // Array elements are left out too: a local array filled with constants only has an
        // element type the caller cannot see either.
        let saved = (
            self.vars.clone(),
            std::mem::take(&mut self.counters),
            self.seen.clone(),
            std::mem::take(&mut self.elems),
        );
        self.vars.retain(|v| !hidden.contains(v));
        self.seen.retain(|e| !e.reads(&hidden) && !e.indexes());
        let visible: BTreeSet<String> = self.vars.iter().cloned().collect();
        let mut args: Vec<Expr> = (0..k)
            .map(|_| {
                // A constant argument that is not a literal (`h4(0.5)`) has a type the caller
                // cannot see: before a differentiated argument it is ambiguous (README, "How a
                // call's arguments meet the callee's gradient"). A literal is a float.
                let arg = self.expr(d);
                if arg.reads(&visible) || matches!(arg, Lit(_)) {
                    arg
                } else {
                    Lit("0.5")
                }
            })
            .collect();
        // A call of constants only (`h4(0.7)`) is a value of user code whose type the caller
        // cannot see either: one argument reads a variable.
        if !args.iter().any(|a| a.reads(&visible)) {
            if let Some(v) = self.vars.first() {
                args[0] = Var(v.clone());
            }
        }
        (self.vars, self.counters, self.seen, self.elems) = saved;
        args
    }
}

impl SampleGen<'_> {
    fn name(&mut self, prefix: &str) -> String {
        self.names += 1;
        format!("{prefix}{}", self.names - 1)
    }

    fn mark(&self) -> Mark {
        Mark {
            vars: self.g.vars.len(),
            mutables: self.mutables.len(),
            counters: self.g.counters.len(),
        }
    }

    /// Leaves a scope: its variables and the remembered subexpressions that read them go.
    fn leave(&mut self, m: Mark) {
        let mut gone: BTreeSet<String> = self.g.vars.drain(m.vars..).collect();
        gone.extend(self.g.counters.drain(m.counters..));
        self.mutables.truncate(m.mutables);
        self.g.seen.retain(|e| !e.reads(&gone));
    }

    /// An expression that is not a bare literal (whose type would be ambiguous).
    fn expr(&mut self, depth: usize) -> Expr {
        match self.g.expr(depth) {
            Lit(c) => bin("*", Lit(c), Var(self.g.vars[0].clone())),
            e => e,
        }
    }

    /// A comparison of differentiated values; no loop counter (`k as f64 < x` does not parse).
    fn cond(&mut self) -> Cond {
        let counters = std::mem::take(&mut self.g.counters);
        let a = self.expr(2);
        let b = if self.g.rng.below(2) == 0 {
            bin(
                "*",
                self.g.atom(),
                Lit(self.g.rng.pick(&["0.5", "-0.3", "1.2"])),
            )
        } else {
            self.g.expr(1)
        };
        self.g.counters = counters;
        let op = self.g.rng.pick(&["<", ">", "<=", ">="]);
        Cond { a, op, b }
    }

    /// `let v = e;` or `let mut v = e; v op= e;`, a helper call, or `let [a, b] = h3(..);`.
    fn let_stmt(&mut self, out: &mut Vec<Stmt>) {
        let var = self.name("v");
        match self.g.rng.below(12) {
            0 if self.g.calls => {
                let args = self.g.call_args(2, 2);
                let w = self.name("v");
                out.push(Stmt::LetPair(
                    var.clone(),
                    w.clone(),
                    Helper {
                        name: "h3",
                        args,
                        array: false,
                    },
                ));
                self.g.vars.push(w);
            }
            1..=4 => {
                let init = self.g.expr(3);
                let op = self.g.rng.pick(&["+=", "-=", "*="]);
                let e = self.g.expr(2);
                out.push(Stmt::Let {
                    var: var.clone(),
                    mutable: true,
                    init,
                });
                out.push(Stmt::Assign(var.clone(), op, e));
                self.mutables.push(var.clone());
            }
            _ => {
                let init = self.g.expr(3);
                out.push(Stmt::Let {
                    var: var.clone(),
                    mutable: false,
                    init,
                });
            }
        }
        self.g.vars.push(var);
    }

    /// The body of a branch that gives `target` its value (`decl`: it has none yet), maybe
    /// through a nested `if` (when `nest`), maybe returning instead.
    fn branch_body(&mut self, target: &str, decl: bool, nest: bool) -> Vec<Stmt> {
        let mark = self.mark();
        let mut body = Vec::new();
        if self.g.rng.below(3) == 0 {
            self.let_stmt(&mut body);
        }
        match self.g.rng.below(8) {
            0 => body.push(Stmt::Return(self.g.expr(2))),
            1 | 2 if nest => body.push(self.branches(target, decl, false)),
            3 if !decl => {
                let op = self.g.rng.pick(&["+=", "-=", "*="]);
                body.push(Stmt::Assign(target.into(), op, self.expr(2)));
            }
            _ => body.push(assign(target, "=", self.expr(2))),
        }
        self.leave(mark);
        body
    }

    /// `if c { .. } [else if c { .. }] [else { .. }]`, each branch assigning `target`; with an
    /// `else` when `target` has no value yet (`decl`).
    fn branches(&mut self, target: &str, decl: bool, nest: bool) -> Stmt {
        let mut bs = Vec::new();
        for _ in 0..1 + self.g.rng.below(3) / 2 + self.g.rng.below(3) / 2 {
            let c = self.cond();
            bs.push((c, self.branch_body(target, decl, nest)));
        }
        let otherwise = if decl || self.g.rng.below(2) == 0 {
            Some(self.branch_body(target, decl, nest))
        } else {
            None
        };
        Stmt::If(bs, otherwise)
    }

    /// A variable given its value by an `if` / `else if` / `else`: `let v;` or `let mut v = e;`.
    fn if_stmt(&mut self, out: &mut Vec<Stmt>) {
        let var = self.name("v");
        let decl = self.g.rng.below(2) == 0;
        if decl {
            out.push(Stmt::Decl(var.clone()));
        } else {
            let init = self.g.expr(2);
            out.push(Stmt::Let {
                var: var.clone(),
                mutable: true,
                init,
            });
            self.g.vars.push(var.clone());
            self.mutables.push(var.clone());
        }
        let nest = self.g.rng.below(3) == 0;
        out.push(self.branches(&var, decl, nest));
        if decl {
            self.g.vars.push(var);
        }
    }

    /// `if c { return e; }`, sometimes with an `else if` that returns too.
    fn early_return(&mut self, out: &mut Vec<Stmt>) {
        let mut bs = Vec::new();
        for _ in 0..1 + self.g.rng.below(3) / 2 {
            let c = self.cond();
            let mark = self.mark();
            let mut body = Vec::new();
            if self.g.rng.below(3) == 0 {
                self.let_stmt(&mut body);
            }
            body.push(Stmt::Return(self.g.expr(2)));
            self.leave(mark);
            bs.push((c, body));
        }
        out.push(Stmt::If(bs, None));
    }

    /// The body of a loop that updates `acc`: maybe a temporary, maybe `break` or `continue`
    /// under a comparison, an update (maybe under an `if`).
    fn loop_body(&mut self, acc: &[String], jumps: bool) -> Vec<Stmt> {
        let mark = self.mark();
        let mut body = Vec::new();
        if self.g.rng.below(3) == 0 {
            let var = self.name("v");
            let init = self.g.expr(2);
            let vars: BTreeSet<String> = self.g.vars.iter().cloned().collect();
            if !init.reads(&vars) {
                self.g.inactive.insert(var.clone());
            }
            body.push(Stmt::Let {
                var: var.clone(),
                mutable: false,
                init,
            });
            self.g.vars.push(var);
        }
        let mut jump = if jumps && self.g.rng.below(2) == 0 {
            let c = self.cond();
            let j = if self.g.rng.below(2) == 0 {
                Stmt::Break
            } else {
                Stmt::Continue
            };
            Some(Stmt::If(vec![(c, vec![j])], None))
        } else {
            None
        };
        let jump_first = self.g.rng.below(2) == 0;
        if jump_first {
            body.extend(jump.take());
        }
        for a in acc {
            if self.g.rng.below(5) == 0 {
                let c = self.cond();
                let (e1, e2) = (self.expr(2), self.expr(2));
                body.push(Stmt::If(
                    vec![(c, vec![assign(a, "=", e1)])],
                    Some(vec![Stmt::Assign(a.clone(), "+=", e2)]),
                ));
            } else {
                let op = self.g.rng.pick(&["=", "+=", "-=", "*=", "+="]);
                let e = self.expr(2);
                // A product over iterations by a factor in (−1, 1): no overflow, and no
                // ill-conditioned values where the twins' rounding would differ visibly.
                let e = if op == "*=" { m("tanh", e) } else { e };
                body.push(assign(a, op, e));
            }
        }
        if !jump_first {
            body.extend(jump.take());
        }
        self.leave(mark);
        body
    }

    /// `let mut acc = e;` and an unrolled `for k in 0..K` or `for t in [a, b, c]` updating it.
    fn unrolled(&mut self, out: &mut Vec<Stmt>) {
        let acc = self.name("v");
        let init = self.g.expr(2);
        out.push(Stmt::Let {
            var: acc.clone(),
            mutable: true,
            init,
        });
        self.g.vars.push(acc.clone());
        self.mutables.push(acc.clone());
        let mark = self.mark();
        let (var, iter) = if self.g.rng.below(3) == 0 {
            let xs = (0..2 + self.g.rng.below(2)).map(|_| self.expr(1)).collect();
            let t = self.name("v");
            self.g.vars.push(t.clone());
            (t, Iter::Array(xs))
        } else {
            let k = self.name("k");
            self.g.counters.push(k.clone());
            (k, Iter::Range(2 + self.g.rng.below(3)))
        };
        let body = self.loop_body(std::slice::from_ref(&acc), true);
        self.leave(mark);
        out.push(Stmt::For { var, iter, body });
    }

    /// One or two `let mut s = e;` carried by a run-time `for 0..n`, `while` or `loop`.
    fn run_time(&mut self, out: &mut Vec<Stmt>) {
        let mut acc = Vec::new();
        for _ in 0..1 + self.g.rng.below(3) / 2 {
            let s = self.name("v");
            // The start reads a parameter, or (a third of the time) only constants: a float
            // that user code computes, which the loop carries as a value all the same.
            let init = if self.g.rng.below(3) == 0 {
                bin("+", path("sin", vec![Lit("0.7")]), Lit("2.0"))
            } else {
                let x = Var(format!("x{}", self.g.rng.below(self.params)));
                bin("+", x, self.g.expr(1))
            };
            out.push(Stmt::Let {
                var: s.clone(),
                mutable: true,
                init,
            });
            self.g.vars.push(s.clone());
            self.mutables.push(s.clone());
            acc.push(s);
        }
        let mark = self.mark();
        let counter = self.name("i");
        let kind = self.g.rng.below(4);
        if kind < 2 {
            self.g.counters.push(counter.clone());
        }
        let body = self.loop_body(&acc, true);
        self.leave(mark);
        out.push(match kind {
            0 | 1 => Stmt::For {
                var: counter,
                iter: Iter::RunTime,
                body,
            },
            2 => Stmt::While { counter, body },
            _ => Stmt::Loop { counter, body },
        });
    }
}

/// `v op e;`, but not `v = v;` (rustc warns).
fn assign(v: &str, op: &'static str, e: Expr) -> Stmt {
    let e = match e {
        Var(w) if w == v && op == "=" => bin("*", Var(w), Lit("0.5")),
        e => e,
    };
    Stmt::Assign(v.into(), op, e)
}

impl SampleProgram {
    /// A random sample program of 2 to 4 parameters: a straight-line one (a quarter of them) or
    /// one with branches, early returns, loops and calls.
    fn random(rng: &mut Rng) -> SampleProgram {
        let params = 2 + rng.below(3);
        let straight = rng.below(4) == 0;
        let run_time = !straight && rng.below(2) == 0;
        let mut s = SampleGen {
            g: Gen {
                rng,
                vars: (0..params).map(|i| format!("x{i}")).collect(),
                seen: Vec::new(),
                counters: Vec::new(),
                calls: !straight,
                inactive: BTreeSet::new(),
                elems: Vec::new(),
            },
            params,
            mutables: Vec::new(),
            names: 0,
            len_arrays: Vec::new(),
            row_arrays: Vec::new(),
            uses: BTreeSet::new(),
            tags: BTreeSet::new(),
            loop_floats: BTreeSet::new(),
        };
        let mut stmts = Vec::new();
        if straight {
            for _ in 0..1 + s.g.rng.below(5) {
                s.let_stmt(&mut stmts);
            }
        } else {
            let segments = 2 + s.g.rng.below(3);
            let forced = if run_time {
                s.g.rng.below(segments)
            } else {
                segments
            };
            for i in 0..segments {
                if i == forced {
                    s.run_time(&mut stmts);
                    continue;
                }
                match s.g.rng.below(if run_time { 9 } else { 8 }) {
                    0..=1 => s.let_stmt(&mut stmts),
                    2..=3 => s.if_stmt(&mut stmts),
                    4 => s.early_return(&mut stmts),
                    5..=6 => s.unrolled(&mut stmts),
                    7 => {
                        // A call on its own, so that every such program has one.
                        let var = s.name("v");
                        let call = s.g.helper_call(2);
                        stmts.push(Stmt::Let {
                            var: var.clone(),
                            mutable: false,
                            init: call,
                        });
                        s.g.vars.push(var);
                    }
                    _ => s.run_time(&mut stmts),
                }
            }
        }
        let result = s.g.expr(3);
        SampleProgram {
            params,
            arrays: Vec::new(),
            tags: BTreeSet::new(),
            run_time,
            stmts,
            result,
        }
    }

    /// `x0: TY, x1: TY, ..`, the arrays `a: [TY; LEN], ..` and `n: usize`.
    fn params(&self, ty: &str) -> String {
        let mut p: Vec<String> = (0..self.params).map(|i| format!("x{i}: {ty}")).collect();
        for a in &self.arrays {
            p.push(format!("{}: [{ty}; {}]", a.name, a.len));
        }
        if self.run_time {
            p.push("n: usize".into());
        }
        p.join(", ")
    }

    /// The body's lines, indented by `indent`.
    fn body(&self, fl: Flavor, indent: &str) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.stmts {
            s.render(fl, indent, &mut out);
        }
        out.push(format!("{indent}{}", self.result.render(fl)));
        out
    }

    /// The length of the `f64` source, without indentation: the measure of its compile time.
    fn len(&self) -> usize {
        self.body(Flavor::F64, "").iter().map(|l| l.len() + 1).sum()
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
            let _ = writeln!(out, "\n{indent}{head} {{");
            for l in self.body(fl, &format!("{indent}    ")) {
                let _ = writeln!(out, "{l}");
            }
            let _ = writeln!(out, "{indent}}}");
        }
        out
    }

    /// Whether the result or a `return` depends on a parameter (else `#[gradient]` has nothing
    /// to do), following every assignment regardless of order.
    fn active(&self) -> bool {
        let mut flows = Vec::new();
        for s in &self.stmts {
            s.flows(&mut flows);
        }
        let mut active: BTreeSet<String> = (0..self.params).map(|i| format!("x{i}")).collect();
        active.extend(self.arrays.iter().map(|a| a.name.to_string()));
        loop {
            let before = active.len();
            for (target, e) in &flows {
                if e.reads(&active) {
                    active.insert(target.to_string());
                }
            }
            if active.len() == before {
                break;
            }
        }
        active.contains("return") || self.result.reads(&active)
    }

    /// The constructs, primitives, compound assignments and literal forms the program uses.
    fn constructs(&self, out: &mut BTreeSet<String>) {
        for s in &self.stmts {
            s.constructs("", out);
        }
        self.result.primitives(out);
        out.extend(self.tags.iter().cloned());
        for a in &self.arrays {
            out.insert(format!("param [f64; {}]", a.len));
        }
        if self
            .stmts
            .iter()
            .all(|s| matches!(s, Stmt::Let { .. } | Stmt::Assign(..)))
        {
            out.insert("straight-line".into());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Array programs of the sample: loops kept as loops
// ---------------------------------------------------------------------------------------------

/// How a loop over arrays updates a float it carries. Every form stays bounded over 40
/// iterations: sums are scaled by 0.05 and add terms that do not read the carried floats,
/// products multiply by factors in (0.95, 1.05), recurrences go through `tanh`.
#[derive(Clone, Copy)]
enum Carry {
    /// `s += 0.05 * e;` or `s -= 0.05 * e;`.
    Sum,
    /// `s *= 1.0 + 0.05 * e.tanh();`.
    Product,
    /// `s = (s * 0.9 + e).tanh();`, `e` reading anything: a recurrence.
    Update,
    /// `s = s.max(e);`.
    Max,
    /// `s = f64::min(s, e);`.
    Min,
    /// `if c { s = e.tanh(); } else { s += 0.05 * e; }`, the condition on differentiated values.
    Branch,
}

impl Carry {
    fn tag(self) -> &'static str {
        match self {
            Carry::Sum => "carry sum",
            Carry::Product => "carry product",
            Carry::Update => "carry recurrence",
            Carry::Max => "carry max",
            Carry::Min => "carry min",
            Carry::Branch => "carry if",
        }
    }
}

/// `name[index]`, its counters and its form.
fn index(array: &str, index: String, counters: &[&str], form: &'static str) -> Expr {
    Index {
        array: array.to_string(),
        index,
        counters: counters.iter().map(|k| k.to_string()).collect(),
        form,
    }
}

/// `0.05 * e`.
fn scaled(e: Expr) -> Expr {
    bin("*", Lit("0.05"), e)
}

impl SampleGen<'_> {
    /// An expression (not a bare literal) that does not read `hidden` (the floats a loop
    /// carries).
    fn expr_hiding(&mut self, hidden: &[String], depth: usize) -> Expr {
        let hidden: BTreeSet<String> = hidden.iter().cloned().collect();
        let saved = (self.g.vars.clone(), self.g.seen.clone());
        self.g.vars.retain(|v| !hidden.contains(v));
        self.g.seen.retain(|e| !e.reads(&hidden));
        let e = self.expr(depth);
        (self.g.vars, self.g.seen) = saved;
        e
    }

    /// `e`, made to read `must` if it does not (`must * e` or `must + e`).
    fn reading(&mut self, e: Expr, must: Option<Expr>) -> Expr {
        match must {
            Some(x) if !e.reads(&x.arrays()) && !e.reads(&x.vars()) => {
                bin(self.g.rng.pick(&["*", "+"]), x, e)
            }
            _ => e,
        }
    }

    /// The update of the carried float `s` of the given kind; the floats the loop carries are
    /// `carried`; the update reads `must`.
    fn carry_update(
        &mut self,
        s: &str,
        kind: Carry,
        carried: &[String],
        temps: &[String],
        must: Option<Expr>,
    ) -> Stmt {
        let v = || Var(s.to_string());
        match kind {
            Carry::Sum => {
                let e = self.expr_hiding(carried, 2);
                let e = self.reading(e, must);
                let op = self.g.rng.pick(&["+=", "+=", "-="]);
                Stmt::Assign(s.into(), op, scaled(e))
            }
            Carry::Product => {
                // Not reading the carried floats: `p.powi(4)` of a product grown to 100 would
                // be beyond where num-dual's `tanh` (`sinh / cosh`) is NaN.
                let e = self.expr_hiding(carried, 2);
                let e = self.reading(e, must);
                Stmt::Assign(s.into(), "*=", bin("+", Lit("1.0"), scaled(m("tanh", e))))
            }
            Carry::Update => {
                let e = self.expr(2);
                let e = self.reading(e, must);
                let e = m("tanh", bin("+", bin("*", v(), Lit("0.9")), e));
                Stmt::Assign(s.into(), "=", e)
            }
            Carry::Max => {
                let e = self.expr_hiding(carried, 2);
                let e = self.reading(e, must);
                Stmt::Assign(s.into(), "=", method("max", v(), vec![e]))
            }
            Carry::Min => {
                let e = self.expr_hiding(carried, 2);
                let e = self.reading(e, must);
                Stmt::Assign(s.into(), "=", path("min", vec![v(), e]))
            }
            Carry::Branch => {
                // On anything in scope: parameters, array elements, the carried floats, the
                // body's temporaries, floats computed before the loop.
                let c = self.cond();
                let reads = |vars: &[String]| {
                    let vars: BTreeSet<String> = vars.iter().cloned().collect();
                    c.a.reads(&vars) || c.b.reads(&vars)
                };
                if reads(carried) {
                    self.tags.insert("if in loop on a carried float".into());
                }
                if reads(temps) {
                    self.tags.insert("if in loop on a temporary".into());
                }
                let e1 = self.expr(2);
                let e1 = self.reading(e1, must);
                let e2 = self.expr_hiding(carried, 2);
                Stmt::If(
                    vec![(c, vec![Stmt::Assign(s.into(), "=", m("tanh", e1))])],
                    Some(vec![Stmt::Assign(s.into(), "+=", scaled(e2))]),
                )
            }
        }
    }

    /// Tags what the statements of the body of a loop carrying `carried` read from before the
    /// loop: floats computed in the function (not parameters), and among them floats carried by
    /// earlier loops.
    fn tag_outer_reads(&mut self, body: &[Stmt], carried: &[String]) {
        let before: BTreeSet<String> = self
            .g
            .vars
            .iter()
            .filter(|v| !v.starts_with('x') && !carried.contains(v))
            .cloned()
            .collect();
        let earlier: BTreeSet<String> = self
            .loop_floats
            .iter()
            .filter(|v| before.contains(*v))
            .cloned()
            .collect();
        if body.iter().any(|s| s.reads(&before)) {
            self.tags
                .insert("loop reading a float computed before it".into());
        }
        if body.iter().any(|s| s.reads(&earlier)) {
            self.tags
                .insert("loop reading an earlier loop's float".into());
        }
    }

    /// The body of a loop over arrays: maybe a temporary (not reading the carried floats, maybe
    /// calling a helper), then the update of each carried float; the first update reads `must`.
    /// The bodies read anything in scope besides: floats computed before the loop, earlier
    /// loops' results among them.
    fn array_body(&mut self, acc: &[(String, Carry)], must: Option<Expr>) -> Vec<Stmt> {
        let carried: Vec<String> = acc.iter().map(|a| a.0.clone()).collect();
        let body = self.array_body_inner(acc, must);
        self.tag_outer_reads(&body, &carried);
        body
    }

    fn array_body_inner(&mut self, acc: &[(String, Carry)], must: Option<Expr>) -> Vec<Stmt> {
        let mark = self.mark();
        let carried: Vec<String> = acc.iter().map(|a| a.0.clone()).collect();
        let mut body = Vec::new();
        let mut temps = Vec::new();
        let mut must = must;
        if self.g.rng.below(3) == 0 {
            let var = self.name("v");
            let init = self.expr_hiding(&carried, 2);
            let init = self.reading(init, must.take());
            if init.calls() {
                self.tags.insert("call in a loop temporary".into());
            }
            let vars: BTreeSet<String> = self.g.vars.iter().cloned().collect();
            if !init.reads(&vars) {
                self.g.inactive.insert(var.clone());
            }
            body.push(Stmt::Let {
                var: var.clone(),
                mutable: false,
                init,
            });
            self.g.vars.push(var.clone());
            temps.push(var);
        }
        for (s, kind) in acc {
            let u = self.carry_update(s, *kind, &carried, &temps, must.take());
            body.push(u);
        }
        self.leave(mark);
        body
    }

    /// The elements a loop with counter `i` over `range` may read: the arrays of that length at
    /// `i` (and `i + 1`, `i - 1` where the range allows), and `i as f64` scaled down.
    fn loop_elems(&mut self, i: &str, range: &str) -> Vec<Expr> {
        let mut out = vec![bin("*", Counter(i.into()), Lit("0.05"))];
        let (arrays, param_forms, local_forms): (
            Vec<String>,
            [&'static str; 3],
            [&'static str; 3],
        ) = match range {
            "0..LEN" | "1..LEN" | "0..LEN - 1" => (
                std::iter::once("a".to_string())
                    .chain(self.len_arrays.iter().cloned())
                    .collect(),
                ["a[i]", "a[i - 1]", "a[i + 1]"],
                ["z[i]", "z[i - 1]", "z[i + 1]"],
            ),
            "0..R" => (
                self.row_arrays.clone(),
                ["", "", ""],
                ["y[i]", "y[i - 1]", "y[i + 1]"],
            ),
            _ => (
                vec!["b".to_string()],
                ["b[i]", "b[i - 1]", "b[i + 1]"],
                ["", "", ""],
            ),
        };
        for arr in arrays {
            let forms = if arr.len() == 1 {
                param_forms
            } else {
                local_forms
            };
            out.push(index(&arr, i.into(), &[i], forms[0]));
            if range.starts_with("1..") {
                out.push(index(&arr, format!("{i} - 1"), &[i], forms[1]));
            }
            if range.ends_with(" - 1") {
                out.push(index(&arr, format!("{i} + 1"), &[i], forms[2]));
            }
        }
        out
    }

    /// The start of a carried float of the given kind.
    fn carry_init(&mut self, kind: Carry) -> Expr {
        let x = Var(format!("x{}", self.g.rng.below(self.params)));
        match (kind, self.g.rng.below(3)) {
            (Carry::Product, 0) => Lit("1.0"),
            (Carry::Max | Carry::Min, 0) if self.uses.contains("a") || self.g.rng.below(2) == 0 => {
                self.uses.insert("a");
                index("a", "0".into(), &[], "a[0]")
            }
            (_, 0) => Lit("0.0"),
            (_, 1) => bin("*", x, Lit("0.5")),
            _ => self.g.expr(1),
        }
    }

    /// One or two `let mut s = ..;` and a loop `for i in range` updating them, reading an
    /// element of `must` (an array name) in the first update. The carried floats, as results.
    fn reduce(&mut self, out: &mut Vec<Stmt>, range: &'static str, must: &str) -> Vec<Expr> {
        let mut acc = Vec::new();
        let kinds = [
            Carry::Sum,
            Carry::Sum,
            Carry::Product,
            Carry::Update,
            Carry::Max,
            Carry::Min,
            Carry::Branch,
        ];
        for _ in 0..1 + self.g.rng.below(3) / 2 {
            let kind = self.g.rng.pick(&kinds);
            let s = self.name("v");
            let init = self.carry_init(kind);
            out.push(Stmt::Let {
                var: s.clone(),
                mutable: true,
                init,
            });
            self.g.vars.push(s.clone());
            self.mutables.push(s.clone());
            self.tags.insert(kind.tag().into());
            acc.push((s, kind));
        }
        if acc.len() == 2 {
            self.tags.insert("carry two floats".into());
        }
        let body = self.array_loop(range, &acc, must);
        let i = body.0;
        out.push(Stmt::For {
            var: i,
            iter: Iter::Bounds(range),
            body: body.1,
        });
        self.loop_floats.extend(acc.iter().map(|a| a.0.clone()));
        acc.into_iter().map(|(s, _)| Var(s)).collect()
    }

    /// The counter and body of a loop over `range` updating `acc`, its first update reading an
    /// element of the array `must`.
    fn array_loop(
        &mut self,
        range: &'static str,
        acc: &[(String, Carry)],
        must: &str,
    ) -> (String, Vec<Stmt>) {
        let i = self.name("i");
        let elems = self.loop_elems(&i, range);
        let must = self.pick_elem(&elems, must);
        let before = self.g.elems.len();
        self.g.elems.extend(elems);
        let body = self.array_body(acc, must);
        self.g.elems.truncate(before);
        self.forget(&i);
        (i, body)
    }

    /// One of `elems` that reads the array `array` (marked as used if a parameter).
    fn pick_elem(&mut self, elems: &[Expr], array: &str) -> Option<Expr> {
        let set = BTreeSet::from([array.to_string()]);
        let of: Vec<&Expr> = elems.iter().filter(|e| e.reads(&set)).collect();
        if of.is_empty() {
            return None;
        }
        for p in [ARRAY_A, ARRAY_W, ARRAY_B] {
            if p.name == array {
                self.uses.insert(p.name);
            }
        }
        Some(of[self.g.rng.below(of.len())].clone())
    }

    /// Forgets the remembered subexpressions that read the counter `i` of a finished loop.
    fn forget(&mut self, i: &str) {
        let gone = BTreeSet::from([i.to_string()]);
        self.g.seen.retain(|e| !e.reads(&gone));
    }

    /// `let mut z = [0.0; LEN];` filled by a loop (`z[i] = e;` or `z[i] += e;`, maybe carrying a
    /// float too), then read: by a loop over it, or as `z[0]` and `z[LEN - 1]`.
    fn fill(&mut self, out: &mut Vec<Stmt>) -> Vec<Expr> {
        let z = self.name("z");
        out.push(Stmt::LetArray {
            var: z.clone(),
            len: "LEN",
        });
        let range = self
            .g
            .rng
            .pick(&["0..LEN", "0..LEN", "1..LEN", "0..LEN - 1"]);
        let mut results = Vec::new();
        let acc = if self.g.rng.below(3) == 0 {
            let s = self.name("v");
            let init = self.carry_init(Carry::Sum);
            out.push(Stmt::Let {
                var: s.clone(),
                mutable: true,
                init,
            });
            self.g.vars.push(s.clone());
            self.mutables.push(s.clone());
            self.tags.insert("fill carrying a float".into());
            vec![(s, Carry::Sum)]
        } else {
            Vec::new()
        };
        let i = self.name("i");
        let elems = self.loop_elems(&i, range);
        let before = self.g.elems.len();
        self.g.elems.extend(elems.clone());
        let must = self.pick_elem(&elems, "a");
        let e = self.expr(2);
        let e = self.reading(e, must);
        let op = self.g.rng.pick(&["=", "=", "+="]);
        let mut body = self.array_body(&acc, None);
        body.insert(
            if body.is_empty() {
                0
            } else {
                self.g.rng.below(body.len() + 1)
            },
            Stmt::SetIndex {
                array: z.clone(),
                index: i.clone(),
                op,
                e,
            },
        );
        let carried: Vec<String> = acc.iter().map(|a| a.0.clone()).collect();
        self.tag_outer_reads(&body, &carried);
        self.loop_floats.extend(carried);
        self.g.elems.truncate(before);
        self.forget(&i);
        out.push(Stmt::For {
            var: i,
            iter: Iter::Bounds(range),
            body,
        });
        results.extend(acc.into_iter().map(|(s, _)| Var(s)));
        self.len_arrays.push(z.clone());
        let first = index(&z, "0".into(), &[], "z[0]");
        let last = index(&z, "LEN - 1".into(), &[], "z[LEN - 1]");
        self.g.elems.push(first.clone());
        self.g.elems.push(last.clone());
        if self.g.rng.below(3) == 0 {
            results.push(first);
            results.push(last);
        } else {
            let range = self.g.rng.pick(&["0..LEN", "1..LEN", "0..LEN - 1"]);
            self.tags.insert("loop reading a local array".into());
            results.extend(self.reduce(out, range, &z));
        }
        results
    }

    /// `let mut y = [0.0; R]; for i in 0..R { let mut s = ..; for j in 0..C { s += w[i * C + j]
    /// * ..; } y[i] = s; }`, then `y` read: by a loop over `0..R`, or as `y[0]` and `y[R - 1]`.
    fn nested(&mut self, out: &mut Vec<Stmt>) -> Vec<Expr> {
        let y = self.name("y");
        out.push(Stmt::LetArray {
            var: y.clone(),
            len: "R",
        });
        let i = self.name("i");
        let mark = self.mark();
        let s = self.name("v");
        let init = match self.g.rng.below(3) {
            0 => Lit("0.0"),
            1 => bin(
                "*",
                Var(format!("x{}", self.g.rng.below(self.params))),
                Lit("0.5"),
            ),
            _ => {
                self.uses.insert("a");
                index("a", i.clone(), &[&i], "a[i]")
            }
        };
        let mut outer = vec![Stmt::Let {
            var: s.clone(),
            mutable: true,
            init,
        }];
        self.g.vars.push(s.clone());
        let kind = self.g.rng.pick(&[
            Carry::Sum,
            Carry::Sum,
            Carry::Product,
            Carry::Update,
            Carry::Max,
        ]);
        self.tags.insert(format!("nested {}", kind.tag()));
        let j = self.name("j");
        let w = index("w", format!("{i} * C + {j}"), &[&i, &j], "w[i * C + j]");
        self.uses.insert("w");
        let elems = vec![
            w.clone(),
            bin("*", Counter(i.clone()), Lit("0.05")),
            bin("*", Counter(j.clone()), Lit("0.05")),
        ];
        let before = self.g.elems.len();
        self.g.elems.extend(elems);
        let inner = self.array_body(&[(s.clone(), kind)], Some(w));
        if inner.iter().any(Stmt::calls) {
            self.tags.insert("call in a nested loop".into());
        }
        self.g.elems.truncate(before);
        self.forget(&j);
        outer.push(Stmt::For {
            var: j,
            iter: Iter::Bounds("0..C"),
            body: inner,
        });
        let v = if self.g.rng.below(2) == 0 {
            Var(s.clone())
        } else {
            m("tanh", Var(s.clone()))
        };
        outer.push(Stmt::SetIndex {
            array: y.clone(),
            index: i.clone(),
            op: "=",
            e: v,
        });
        self.leave(mark);
        self.forget(&i);
        out.push(Stmt::For {
            var: i,
            iter: Iter::Bounds("0..R"),
            body: outer,
        });
        self.row_arrays.push(y.clone());
        let first = index(&y, "0".into(), &[], "y[0]");
        let last = index(&y, "R - 1".into(), &[], "y[R - 1]");
        self.g.elems.push(first.clone());
        self.g.elems.push(last.clone());
        if self.g.rng.below(3) == 0 {
            vec![first, last]
        } else {
            self.tags.insert("loop reading a local array".into());
            self.reduce(out, "0..R", &y)
        }
    }

    /// One or two floats carried by a run-time loop over `b: [f64; 40]`: `0..n`, `1..n` (`n` ≤
    /// 40, a trailing parameter) or `0..b.len()`.
    fn run_time_array(&mut self, out: &mut Vec<Stmt>) -> Vec<Expr> {
        let range = self.g.rng.pick(&["0..n", "0..n", "1..n", "0..b.len()"]);
        self.reduce(out, range, "b")
    }
}

impl SampleGen<'_> {
    /// A source and adapters over `a` (maybe zipped with `a` or a local array): the text, the
    /// closure's pattern, the floats it binds, the index `enumerate` binds, the tag, and the
    /// arrays read (as an expression, for the flow of values).
    fn chain_source(&mut self) -> (String, String, Vec<String>, Option<String>, String, Expr) {
        self.uses.insert("a");
        let v = self.name("e");
        let shapes = [
            "a.iter()",
            "a.into_iter()",
            "a.iter().copied()",
            "a.iter().cloned()",
            "a.iter().zip(a.iter().skip(1))",
            "a.iter().zip(a.iter())",
            "a.iter().enumerate()",
            "a.iter().enumerate().skip(2).step_by(3)",
            "a[2..LEN - 2].iter().rev()",
            "a.iter().take(10)",
            "a.iter().rev().step_by(3)",
        ];
        if !self.len_arrays.is_empty() && self.names % 5 == 0 {
            // Zipped with a local array filled earlier (chosen without drawing from the random
            // stream, so the programs before this shape was added stay as they were).
            let z = self.len_arrays[self.names % self.len_arrays.len()].clone();
            let q = self.name("e");
            return (
                format!("a.iter().zip({z}.iter())"),
                format!("(&{v}, &{q})"),
                vec![v, q],
                None,
                "chain a.iter().zip(z.iter())".into(),
                bin("+", Var("a".into()), Var(z)),
            );
        }
        let shape = self.g.rng.pick(&shapes);
        let tag = format!("chain {shape}");
        let (text, pat, binds, index, tag) = match shape {
            "a.iter().zip(a.iter().skip(1))" | "a.iter().zip(a.iter())" => {
                let q = self.name("e");
                (shape.into(), format!("(&{v}, &{q})"), vec![v, q], None, tag)
            }
            "a.iter().enumerate()" | "a.iter().enumerate().skip(2).step_by(3)" => {
                let i = self.name("i");
                (shape.into(), format!("({i}, &{v})"), vec![v], Some(i), tag)
            }
            "a.into_iter()" | "a.iter().copied()" | "a.iter().cloned()" => {
                (shape.into(), v.clone(), vec![v], None, tag)
            }
            _ => (shape.into(), format!("&{v}"), vec![v], None, tag),
        };
        (text, pat, binds, index, tag, Var("a".into()))
    }

    /// An expression of the closure's floats `binds` (reading the first), the index `index`,
    /// and anything in scope (parameters, earlier floats, helper calls).
    fn closure_body(
        &mut self,
        binds: &[String],
        index: &Option<String>,
        hidden: &[String],
    ) -> Expr {
        let mark = self.mark();
        let before = self.g.elems.len();
        for b in binds {
            self.g.vars.push(b.clone());
            self.g.elems.push(Var(b.clone()));
        }
        if let Some(i) = index {
            self.g.counters.push(i.clone());
            self.g.elems.push(bin("*", Counter(i.clone()), Lit("0.05")));
        }
        let e = self.expr_hiding(hidden, 2);
        let e = self.reading(e, Some(Var(binds[0].clone())));
        self.g.elems.truncate(before);
        self.leave(mark);
        let outer: BTreeSet<String> = self
            .g
            .vars
            .iter()
            .filter(|v| !v.starts_with('x'))
            .cloned()
            .collect();
        let params: BTreeSet<String> = (0..self.params).map(|i| format!("x{i}")).collect();
        if e.reads(&outer) {
            self.tags
                .insert("chain reading a float computed before it".into());
        }
        if e.reads(&params) {
            self.tags.insert("chain reading a float parameter".into());
        }
        if e.calls() {
            self.tags.insert("call in a chain".into());
        }
        e
    }

    /// An iterator chain over `a`: `let s = <chain>.<reduction>;`, or a `for` over a chain
    /// carrying floats. The floats computed, as results.
    fn chain(&mut self, out: &mut Vec<Stmt>) -> Vec<Expr> {
        let (iter, pat, binds, index, tag, src) = self.chain_source();
        self.tags.insert(tag);
        let var = self.name("v");
        let kind = self.g.rng.below(8);
        let reduce = match kind {
            0 | 1 => Reduce::Sum {
                turbofish: kind == 0,
            },
            2 => Reduce::Product,
            3 => Reduce::Max,
            4 | 5 => {
                let init = self.carry_init(Carry::Sum);
                Reduce::Fold {
                    init,
                    acc: self.name("s"),
                }
            }
            _ => {
                // `for pat in chain { .. }` carrying one or two floats.
                let kinds = [
                    Carry::Sum,
                    Carry::Product,
                    Carry::Update,
                    Carry::Max,
                    Carry::Branch,
                ];
                let mut acc = Vec::new();
                for _ in 0..1 + self.g.rng.below(3) / 2 {
                    let kind = self.g.rng.pick(&kinds);
                    let s = self.name("v");
                    let init = self.carry_init(kind);
                    out.push(Stmt::Let {
                        var: s.clone(),
                        mutable: true,
                        init,
                    });
                    self.g.vars.push(s.clone());
                    self.mutables.push(s.clone());
                    self.tags.insert(format!("chain for {}", kind.tag()));
                    acc.push((s, kind));
                }
                let mark = self.mark();
                let before = self.g.elems.len();
                for b in &binds {
                    self.g.vars.push(b.clone());
                    self.g.elems.push(Var(b.clone()));
                }
                if let Some(i) = &index {
                    self.g.counters.push(i.clone());
                    self.g.elems.push(bin("*", Counter(i.clone()), Lit("0.05")));
                }
                let body = self.array_body(&acc, Some(Var(binds[0].clone())));
                self.g.elems.truncate(before);
                self.leave(mark);
                if let Some(i) = &index {
                    self.forget(i);
                }
                out.push(Stmt::For {
                    var: pat,
                    iter: Iter::Chain {
                        text: iter,
                        src,
                        binds,
                    },
                    body,
                });
                self.loop_floats.extend(acc.iter().map(|a| a.0.clone()));
                return acc.into_iter().map(|(s, _)| Var(s)).collect();
            }
        };
        let closure = match &reduce {
            // `a.iter().copied().fold(f64::NEG_INFINITY, f64::max)`, or the maximum of a map.
            Reduce::Max if pat == binds[0] && self.g.rng.below(3) != 0 => None,
            Reduce::Fold { acc, .. } => {
                let acc = acc.clone();
                self.g.vars.push(acc.clone());
                let recurrence = self.g.rng.below(3) == 0;
                let hidden = if recurrence {
                    vec![]
                } else {
                    vec![acc.clone()]
                };
                let e = self.closure_body(&binds, &index, &hidden);
                self.g.vars.pop();
                self.forget(&acc);
                let a = Var(acc);
                let e = if recurrence {
                    self.tags.insert("chain fold recurrence".into());
                    m("tanh", bin("+", bin("*", a, Lit("0.9")), e))
                } else {
                    bin("+", a, scaled(e))
                };
                Some((pat.clone(), e))
            }
            Reduce::Product => {
                let e = self.closure_body(&binds, &index, &[]);
                Some((pat.clone(), bin("+", Lit("1.0"), scaled(m("tanh", e)))))
            }
            Reduce::Max => Some((pat.clone(), self.closure_body(&binds, &index, &[]))),
            Reduce::Sum { .. } => {
                Some((pat.clone(), scaled(self.closure_body(&binds, &index, &[]))))
            }
        };
        if let Some(i) = &index {
            self.forget(i);
        }
        self.tags.insert(
            match (&reduce, &closure) {
                (Reduce::Sum { turbofish: true }, _) => "chain sum::<f64>()",
                (Reduce::Sum { .. }, _) => "chain sum() typed",
                (Reduce::Product, _) => "chain product::<f64>()",
                (Reduce::Max, None) => "chain fold(NEG_INFINITY, f64::max)",
                (Reduce::Max, Some(_)) => "chain map fold(NEG_INFINITY, f64::max)",
                (Reduce::Fold { .. }, _) => "chain fold(init, |acc, ..| ..)",
            }
            .into(),
        );
        out.push(Stmt::LetChain {
            var: var.clone(),
            chain: Chain {
                iter,
                src,
                closure,
                reduce,
            },
        });
        self.g.vars.push(var.clone());
        vec![Var(var)]
    }
}

/// Values of `n` for the array programs with run-time loops over `b: [f64; 40]`.
const SAMPLE_N_ARRAYS: &str = "&[0, 1, 17, 40]";

impl SampleProgram {
    /// A random array program: 1 to 3 float parameters and some of `a: [f64; LEN]`,
    /// `w: [f64; R * C]`, `b: [f64; 40]` (with `n: usize`), two to four segments, at least one a
    /// loop over arrays: a reduction over `a`, a local array filled and read, nested loops over
    /// `w`, a run-time loop over `b`; or a `let`, an `if`, an early `return`. The result reads
    /// what the loops computed.
    fn random_arrays(rng: &mut Rng) -> SampleProgram {
        let params = 1 + rng.below(3);
        let calls = rng.below(2) == 0;
        let mut s = SampleGen {
            g: Gen {
                rng,
                vars: (0..params).map(|i| format!("x{i}")).collect(),
                seen: Vec::new(),
                counters: Vec::new(),
                calls,
                inactive: BTreeSet::new(),
                elems: Vec::new(),
            },
            params,
            mutables: Vec::new(),
            names: 0,
            len_arrays: Vec::new(),
            row_arrays: Vec::new(),
            uses: BTreeSet::new(),
            tags: BTreeSet::new(),
            loop_floats: BTreeSet::new(),
        };
        let mut stmts = Vec::new();
        let mut results = Vec::new();
        let segments = 2 + s.g.rng.below(3);
        let forced = s.g.rng.below(segments);
        let mut run_time = false;
        for i in 0..segments {
            let kind = if i == forced {
                s.g.rng.below(4)
            } else {
                s.g.rng.below(15)
            };
            match kind {
                0 => {
                    let range = s.g.rng.pick(&["0..LEN", "1..LEN", "0..LEN - 1"]);
                    results.extend(s.reduce(&mut stmts, range, "a"));
                }
                1 => results.extend(s.fill(&mut stmts)),
                2 => results.extend(s.nested(&mut stmts)),
                3 if !run_time => {
                    run_time = true;
                    results.extend(s.run_time_array(&mut stmts));
                }
                3 | 4 => results.extend(s.fill(&mut stmts)),
                5 => {
                    let range = s.g.rng.pick(&["0..LEN", "1..LEN", "0..LEN - 1"]);
                    results.extend(s.reduce(&mut stmts, range, "a"));
                }
                6 => s.let_stmt(&mut stmts),
                10..=14 => results.extend(s.chain(&mut stmts)),
                7 | 8 => {
                    if kind == 7 {
                        s.if_stmt(&mut stmts);
                    } else {
                        s.early_return(&mut stmts);
                    }
                }
                _ => results.extend(s.nested(&mut stmts)),
            }
        }
        // Shapes of the whole program, for coverage: an `if` outside loops reading an array
        // element, a `return` (under an `if`) before a loop over arrays.
        let ifs_index = |st: &Stmt| match st {
            Stmt::If(branches, _) => branches.iter().any(|(c, _)| c.a.indexes() || c.b.indexes()),
            _ => false,
        };
        if stmts.iter().any(ifs_index) {
            s.tags
                .insert("if outside loops reading an array element".into());
        }
        if let Some(r) = stmts.iter().position(Stmt::returns) {
            if stmts[r..].iter().any(|st| matches!(st, Stmt::For { .. })) {
                s.tags.insert("return before a loop over arrays".into());
            }
        }
        let mut result = s.g.expr(2);
        for r in results {
            result = bin(s.g.rng.pick(&["+", "-"]), result, r);
        }
        // The array parameters: those the program reads an element of (`0..b.len()` reads `b`).
        let mut read = result.arrays();
        for st in &stmts {
            st.arrays(&mut read);
        }
        let arrays = [ARRAY_A, ARRAY_W, ARRAY_B]
            .into_iter()
            .filter(|a| read.contains(a.name))
            .collect();
        // `0..b.len()` alone needs no `n`.
        let run_time = run_time && stmts.iter().any(|st| st.reads_n());
        SampleProgram {
            params,
            arrays,
            tags: s.tags,
            run_time,
            stmts,
            result,
        }
    }

    /// The values of `n` the program is called with.
    fn ns(&self) -> &'static str {
        match (self.run_time, self.arrays.contains(&ARRAY_B)) {
            (false, _) => "&[0]",
            (true, false) => SAMPLE_N,
            (true, true) => SAMPLE_N_ARRAYS,
        }
    }

    /// The number of `f64`s the harness passes: the floats and the elements of the arrays.
    fn flat_len(&self) -> usize {
        self.params + self.arrays.iter().map(|a| a.size).sum::<usize>()
    }
}

impl Stmt {
    /// Adds the arrays the statement reads an element of (`b` for `0..b.len()`).
    fn arrays(&self, out: &mut BTreeSet<String>) {
        let blocks =
            |body: &[Stmt], out: &mut BTreeSet<String>| body.iter().for_each(|s| s.arrays(out));
        match self {
            Stmt::Let { init: e, .. }
            | Stmt::Assign(_, _, e)
            | Stmt::LetPair(_, _, e)
            | Stmt::Return(e)
            | Stmt::SetIndex { e, .. } => out.extend(e.arrays()),
            Stmt::LetChain { chain, .. } => {
                out.extend(chain.src.vars());
                chain.exprs().iter().for_each(|e| out.extend(e.arrays()));
            }
            Stmt::Decl(_) | Stmt::Break | Stmt::Continue | Stmt::LetArray { .. } => {}
            Stmt::If(branches, otherwise) => {
                for (c, body) in branches {
                    out.extend(c.a.arrays());
                    out.extend(c.b.arrays());
                    blocks(body, out);
                }
                otherwise.iter().for_each(|b| blocks(b, out));
            }
            Stmt::For { iter, body, .. } => {
                match iter {
                    Iter::Bounds("0..b.len()") => {
                        out.insert("b".into());
                    }
                    Iter::Array(xs) => xs.iter().for_each(|x| out.extend(x.arrays())),
                    Iter::Chain { src, .. } => out.extend(src.vars()),
                    _ => {}
                }
                blocks(body, out);
            }
            Stmt::While { body, .. } | Stmt::Loop { body, .. } => blocks(body, out),
        }
    }

    /// Whether the statement has a run-time loop over `n`.
    /// Whether the statement reads one of `vars`, in an expression or a condition.
    fn reads(&self, vars: &BTreeSet<String>) -> bool {
        let block = |body: &[Stmt]| body.iter().any(|s| s.reads(vars));
        match self {
            Stmt::Let { init: e, .. }
            | Stmt::Assign(_, _, e)
            | Stmt::LetPair(_, _, e)
            | Stmt::Return(e)
            | Stmt::SetIndex { e, .. } => e.reads(vars),
            Stmt::LetChain { chain, .. } => chain.exprs().iter().any(|e| e.reads(vars)),
            Stmt::Decl(_) | Stmt::Break | Stmt::Continue | Stmt::LetArray { .. } => false,
            Stmt::If(branches, otherwise) => {
                branches
                    .iter()
                    .any(|(c, body)| c.a.reads(vars) || c.b.reads(vars) || block(body))
                    || otherwise.as_deref().is_some_and(block)
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body, .. } => {
                block(body)
            }
        }
    }

    /// Whether the statement calls a `#[gradient]` helper.
    fn calls(&self) -> bool {
        let mut out = BTreeSet::new();
        self.constructs("", &mut out);
        out.iter().any(|c| c.starts_with("call "))
    }

    /// Whether the statement has a `return`.
    fn returns(&self) -> bool {
        let mut out = BTreeSet::new();
        self.constructs("", &mut out);
        out.contains("return")
    }

    fn reads_n(&self) -> bool {
        match self {
            Stmt::For { iter, body, .. } => {
                matches!(iter, Iter::RunTime | Iter::Bounds("0..n" | "1..n"))
                    || body.iter().any(Stmt::reads_n)
            }
            Stmt::While { .. } | Stmt::Loop { .. } => true,
            _ => false,
        }
    }
}

impl Expr {
    /// The variables the expression reads, by name (the arrays a chain's `src` iterates over).
    fn vars(&self) -> BTreeSet<String> {
        match self {
            Var(v) => BTreeSet::from([v.clone()]),
            Bin(_, a, b) => a.vars().union(&b.vars()).cloned().collect(),
            _ => BTreeSet::new(),
        }
    }

    /// The arrays the expression reads an element of.
    fn arrays(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_arrays(&mut out);
        out
    }

    fn collect_arrays(&self, out: &mut BTreeSet<String>) {
        match self {
            Index { array, .. } => {
                out.insert(array.clone());
            }
            Var(_) | Counter(_) | Lit(_) => {}
            Neg(a) | Powi(a, _) => a.collect_arrays(out),
            Bin(_, a, b) => {
                a.collect_arrays(out);
                b.collect_arrays(out);
            }
            Helper { args, .. } | Call { args, .. } => {
                args.iter().for_each(|a| a.collect_arrays(out))
            }
        }
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
        let d = std::panic::catch_unwind(|| derive_source("", &src).1)
            .unwrap_or_else(|_| panic!("program {p} does not lower: {src}"));
        let (low, adjoints) = (&d.lowered, &d.first);
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
            // The value against the program evaluated by the standard library: a lowering or a
            // simplification that changes the function changes value and derivative alike, which
            // finite differences of the engine's own value cannot see.
            let expected = program.value(&point);
            if (value - expected).abs() > 1e-12 * (1.0 + expected.abs()) {
                mismatches.push(format!(
                    "program {p}: {src}\n  at {point:?}: value {value}, std evaluates {expected}"
                ));
            }
            let grad: Vec<f64> = low
                .inputs
                .iter()
                .map(|leaves| match adjoints.get(&(leaves[0], 0)) {
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
const SAMPLE_PROGRAMS: usize = 400;
/// Longer programs (their `f64` source) are left out of the sample, for compile time.
const SAMPLE_MAX_LEN: usize = 800;
/// The values of `n` the programs with run-time loops are called with, one per point in turn.
const SAMPLE_N: &str = "&[0, 1, 3]";

/// The seed of the array programs of the sample.
const SAMPLE_ARRAY_SEED: u64 = 0xa77a_5eed;
/// The number of array programs, after the others.
const SAMPLE_ARRAY_PROGRAMS: usize = 100;
/// Longer array programs are left out of the sample, for compile time.
const SAMPLE_ARRAY_MAX_LEN: usize = 1600;

/// The programs of the sample: 2 to 4 parameters, a result that depends on a parameter; then the
/// array programs (from their own seed, so that the others stay as they were).
fn sample() -> Vec<SampleProgram> {
    let mut rng = Rng(SAMPLE_SEED);
    let mut programs = Vec::new();
    while programs.len() < SAMPLE_PROGRAMS {
        let p = SampleProgram::random(&mut rng);
        if p.active() && p.len() <= SAMPLE_MAX_LEN {
            programs.push(p);
        }
    }
    let mut rng = Rng(SAMPLE_ARRAY_SEED);
    while programs.len() < SAMPLE_PROGRAMS + SAMPLE_ARRAY_PROGRAMS {
        let p = SampleProgram::random_arrays(&mut rng);
        if p.active() && p.len() <= SAMPLE_ARRAY_MAX_LEN {
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
//! Each program `pK` is an `f64` function annotated with `#[dual::gradient]`: straight-line code
//! (`let`, `let mut` with compound assignment, every math primitive), or also `if` / `else if` /
//! `else` on comparisons of differentiated values (nested once sometimes), early `return`,
//! unrolled loops (`for k in 0..3`, `for t in [a, b]`), run-time loops over a trailing parameter
//! `n: usize` (`for i in 0..n`, `while`, `loop` with `break`), `break` / `continue` under
//! comparisons, and calls to the `#[gradient]` helpers `h1`..`h4` at the top of `mod programs`.
//! The last hundred programs take arrays too (`a: [f64; LEN]`, `w: [f64; R * C]` with the
//! module constants of `mod programs`, `b: [f64; 40]` with `n` = 0, 1, 17, 40), read in loops
//! that the macro keeps as loops: reductions, local arrays filled and read, nested loops; the
//! harness passes their floats and array elements as one flat point (`part`, `join`).
//! `pK_generic` is the
//! same program generic over num-dual's `DualNum`, where the primitives num-dual lacks (`abs`,
//! `signum`, `max`, `min`, `clamp`, `floor`, `ceil`, `round`, `trunc`, `hypot`, `log` with a
//! differentiated base, `to_degrees`, `to_radians`) are the helpers below, which branch on
//! `.re()` as `f64` does and follow `#[gradient]`'s conventions at kinks; its conditions compare
//! primal values (`gt(a, b)` for `a > b`) so that it takes the branches `pK` takes, and it calls
//! the helpers' twins `hK_generic`. At `POINTS` seeded random points of [−2, 2)ⁿ per program
//! (`ARRAY_POINTS` for the array programs; with `n` = 0, 1, 3 in turn for the programs with
//! run-time loops):
//!
//! - the value of `pK_value_and_gradient` equals `pK` bit for bit (NaN = NaN);
//! - `pK_gradient` and `pK_value_and_gradient` agree with `num_dual::gradient` of `pK_generic`
//!   to rtol 1e-8 wherever num-dual's value agrees with `pK` (to the same tolerance).
//!
//! The second check skips, and counts, the points where num-dual's value or gradient is not
//! finite, where num-dual's value is not `pK`'s (its primitives are computed differently at
//! extreme arguments — `tanh` as `sinh / cosh` is NaN beyond about 710 — and then it
//! differentiates another function; at most one point in a hundred may), and those where the two
//! disagree while a piecewise primitive or a condition was evaluated within 1e-7 (relative) of a
//! kink, jump or tie, where rounding can send the two computations different ways. The test
//! fails if more than a twentieth of all points, or half of the points of a program, are
//! skipped.

use nalgebra::SVector;
use num_dual::{DualNum, DualSVec64};
use std::cell::Cell;

/// Seeded random points per program.
const POINTS: usize = 100;
/// Seeded random points per array program (num-dual's gradient over 40 to 120 inputs is slow
/// in a debug build).
const ARRAY_POINTS: usize = 25;
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

// The conditions of `if`s in the twins: `a < b` on the primal values, so that the twin takes the
// branch the `f64` program takes.

fn lt<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> bool {
    near(a.re(), b.re());
    a.re() < b.re()
}

fn gt<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> bool {
    near(a.re(), b.re());
    a.re() > b.re()
}

fn le<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> bool {
    near(a.re(), b.re());
    a.re() <= b.re()
}

fn ge<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> bool {
    near(a.re(), b.re());
    a.re() >= b.re()
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
    /// Points where num-dual's value is not the function's: its primitives are computed
    /// differently at extreme arguments (`tanh` as `sinh / cosh` is NaN beyond ~710, `powf`
    /// rounds differently and flips a later branch), so its derivative is of another function.
    oracle_differs: usize,
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

/// The `L` elements of `x` from `at`: an array argument cut from the flat point.
fn part<T: Copy, const L: usize>(x: &[T], at: usize) -> [T; L] {
    std::array::from_fn(|i| x[at + i])
}

/// The parts of a gradient (one per parameter, in order) as one flat array.
fn join<const N: usize>(parts: &[&[f64]]) -> [f64; N] {
    let flat: Vec<f64> = parts.concat();
    flat.try_into().expect("N elements in all")
}

/// Agreement to `RTOL`; NaN never agrees, an infinity only with itself.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= RTOL * a.abs().max(b.abs()).max(1.0)
}

/// Checks program `name` at `points` random points, the `i`-th with `n = ns[i % ns.len()]` (the
/// trip count of its run-time loops; programs without ignore it).
#[allow(clippy::too_many_arguments)]
fn check<const N: usize>(
    s: &mut Stats,
    name: &str,
    points: usize,
    ns: &[usize],
    f: fn([f64; N], usize) -> f64,
    gradient: fn([f64; N], usize) -> [f64; N],
    value_and_gradient: fn([f64; N], usize) -> (f64, [f64; N]),
    generic: fn(SVector<DualSVec64<N>, N>, usize) -> DualSVec64<N>,
) {
    s.programs += 1;
    let checked = s.checked;
    for point in 0..points {
        let x: [f64; N] = std::array::from_fn(|_| s.coordinate());
        let n = ns[point % ns.len()];
        let name = &if ns.len() > 1 {
            format!("{name} (n = {n})")
        } else {
            name.to_string()
        };
        s.points += 1;
        let value = f(x, n);
        let (v, g) = value_and_gradient(x, n);
        if v.to_bits() != value.to_bits() && !(v.is_nan() && value.is_nan()) {
            s.failures.push(format!(
                "{name} at {x:?}: {name}_value_and_gradient gives the value {v:?}, {name} {value:?}"
            ));
        }
        NEAR_KINK.set(false);
        let (nv, ng) = num_dual::gradient(|x| generic(x, n), &SVector::from(x));
        if !nv.is_finite() || ng.iter().any(|d| !d.is_finite()) {
            s.not_finite += 1;
            continue;
        }
        if !close(nv, value) {
            s.oracle_differs += 1;
            continue;
        }
        let mut differences = Vec::new();
        let g2 = gradient(x, n);
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
    if (s.checked - checked) * 2 < points {
        s.failures.push(format!(
            "{name}: only {} of {points} points checked",
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
         {} as not finite, {} where num-dual's value is not the function's",
        s.programs, s.points, s.checked, s.near_kink, s.not_finite, s.oracle_differs
    );
    // The oracle must agree with the function almost everywhere for the check to mean anything.
    assert!(
        s.oracle_differs * 100 <= s.points,
        "num-dual's value differs too often"
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
         // unused values, `x - x`, `let v = ..; v`, `v += v + v`, identical branches, code after\n\
         // a `return` in every branch, and so on, on purpose: no lint applies to them.\n\
         #[rustfmt::skip]\n\
         #[allow(\n    \
             unused_variables,\n    \
             unused_assignments,\n    \
             unused_mut,\n    \
             unreachable_code,\n    \
             unused_parens,\n    \
             clippy::all\n\
         )]\n\
         mod programs {{\n    use super::*;\n\n    pub const PROGRAMS: usize = {};\n",
        programs.len()
    );
    out += "\n    // The lengths of the array programs' arrays: module constants, whose values the macro does\n    \
            // not see, so that the loops over them stay loops.\n";
    for (name, value) in SAMPLE_CONSTS {
        let _ = writeln!(out, "    const {name}: usize = {value};");
    }
    out += SAMPLE_HELPERS;
    for (k, p) in programs.iter().enumerate() {
        out += &p.sample_items(&format!("p{k}"), "    ");
    }
    out += "\n    pub fn run(s: &mut Stats) {\n";
    for (k, p) in programs.iter().enumerate() {
        if !p.arrays.is_empty() {
            out += &p.array_check(k);
            continue;
        }
        let n = p.params;
        let xs: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
        let mut xs = xs.join(", ");
        let mut idx: Vec<String> = (0..n).map(|i| format!("x[{i}]")).collect();
        let (ns, arg) = if p.run_time {
            idx.push("n".into());
            xs += ", n";
            (SAMPLE_N, "n")
        } else {
            ("&[0]", "_")
        };
        let ps = xs.replace(", n", "");
        let idx = idx.join(", ");
        let _ = writeln!(
            out,
            "        check::<{n}>(\n            \
             s,\n            \
             \"p{k}\",\n            \
             POINTS,\n            \
             {ns},\n            \
             |[{ps}], {arg}| p{k}({xs}),\n            \
             |[{ps}], {arg}| p{k}_gradient({xs}),\n            \
             |[{ps}], {arg}| p{k}_value_and_gradient({xs}),\n            \
             |x, {arg}| p{k}_generic({idx}),\n        \
             );"
        );
    }
    out += "    }\n}\n";
    out
}

impl SampleProgram {
    /// The call of `check` on array program `pK`: the harness passes the floats and the
    /// elements of the arrays as one flat point, which `part` cuts into the arguments, and `join`
    /// puts the parts of the gradient (`(f64, .., [f64; LEN], ..)`) back together in that order.
    fn array_check(&self, k: usize) -> String {
        let n = self.flat_len();
        let mut args = Vec::new();
        let mut generic = Vec::new();
        let mut parts = Vec::new();
        let mut gs = Vec::new();
        for i in 0..self.params {
            args.push(format!("x[{i}]"));
            generic.push(format!("x[{i}]"));
            gs.push(format!("g{i}"));
            parts.push(format!("&[g{i}]"));
        }
        let mut at = self.params;
        for (j, a) in self.arrays.iter().enumerate() {
            args.push(format!("part(&x, {at})"));
            generic.push(format!("part(x.as_slice(), {at})"));
            gs.push(format!("g{}", self.params + j));
            parts.push(format!("&g{}", self.params + j));
            at += a.size;
        }
        let arg = if self.run_time {
            args.push("n".into());
            generic.push("n".into());
            "n"
        } else {
            "_"
        };
        let (args, generic, gs, parts) = (
            args.join(", "),
            generic.join(", "),
            gs.join(", "),
            parts.join(", "),
        );
        let i = "            ";
        format!(
            "        check::<{n}>(\n{i}s,\n{i}\"p{k}\",\n{i}ARRAY_POINTS,\n{i}{ns},\n\
             {i}|x, {arg}| p{k}({args}),\n\
             {i}|x, {arg}| {{\n{i}    let ({gs}) = p{k}_gradient({args});\n{i}    join(&[{parts}])\n{i}}},\n\
             {i}|x, {arg}| {{\n{i}    let (v, ({gs})) = p{k}_value_and_gradient({args});\n{i}    (v, join(&[{parts}]))\n{i}}},\n\
             {i}|x, {arg}| p{k}_generic({generic}),\n        );\n",
            ns = self.ns(),
        )
    }
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
    // The number of programs using each construct, shown with `--nocapture`.
    let mut programs = std::collections::BTreeMap::<String, usize>::new();
    for p in sample() {
        let mut here = BTreeSet::new();
        p.constructs(&mut here);
        if p.run_time {
            here.insert("n: usize".into());
        }
        for c in &here {
            *programs.entry(c.clone()).or_default() += 1;
        }
        used.extend(here);
    }
    eprintln!("random_sample: programs per construct: {programs:?}");
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
        // Control flow and calls.
        "straight-line",
        "let mut",
        "let v;",
        "=",
        "if",
        "else if",
        "else",
        "if in if",
        "if in loop",
        "cond <",
        "cond >",
        "cond <=",
        "cond >=",
        "return",
        "for 0..K",
        "for in [..]",
        "k as f64",
        "break",
        "continue",
        "for 0..n",
        "while",
        "loop",
        "call h1",
        "call h2",
        "call h3",
        "call h4",
        // Array programs: loops kept as loops.
        "param [f64; LEN]",
        "param [f64; R * C]",
        "param [f64; 40]",
        "for over an array",
        "for 0..LEN",
        "for 1..LEN",
        "for 0..LEN - 1",
        "for 0..R",
        "for 0..C",
        "nested for",
        "for 1..n",
        "for 0..b.len()",
        "a[i]",
        "a[i + 1]",
        "a[i - 1]",
        "a[0]",
        "b[i]",
        "b[i - 1]",
        "w[i * C + j]",
        "let mut z = [0.0; LEN]",
        "let mut z = [0.0; R]",
        "z[i] =",
        "z[i] +=",
        "z[i]",
        "z[i + 1]",
        "z[i - 1]",
        "z[0]",
        "z[LEN - 1]",
        "y[i]",
        "y[0]",
        "y[R - 1]",
        "loop reading a local array",
        "fill carrying a float",
        "carry sum",
        "carry product",
        "carry recurrence",
        "carry max",
        "carry min",
        "carry if",
        "carry two floats",
        "nested carry sum",
        "nested carry product",
        "nested carry recurrence",
        "nested carry max",
        "call in a nested loop",
        "call in a loop temporary",
        "if in loop on a carried float",
        "if in loop on a temporary",
        "loop reading a float computed before it",
        "loop reading an earlier loop's float",
        "if outside loops reading an array element",
        "return before a loop over arrays",
        // Iterator chains over arrays.
        "chain a.iter()",
        "chain a.into_iter()",
        "chain a.iter().copied()",
        "chain a.iter().cloned()",
        "chain a.iter().zip(a.iter().skip(1))",
        "chain a.iter().zip(a.iter())",
        "chain a.iter().zip(z.iter())",
        "chain a.iter().enumerate()",
        "chain a.iter().enumerate().skip(2).step_by(3)",
        "chain a[2..LEN - 2].iter().rev()",
        "chain a.iter().take(10)",
        "chain a.iter().rev().step_by(3)",
        "chain sum::<f64>()",
        "chain sum() typed",
        "chain product::<f64>()",
        "chain fold(NEG_INFINITY, f64::max)",
        "chain map fold(NEG_INFINITY, f64::max)",
        "chain fold(init, |acc, ..| ..)",
        "chain fold recurrence",
        "for over a chain",
        "chain for carry sum",
        "chain for carry product",
        "chain for carry recurrence",
        "chain for carry max",
        "chain for carry if",
        "chain reading a float parameter",
        "chain reading a float computed before it",
        "call in a chain",
        // Closures and `match` (written so in place of some `let`s).
        "closure",
        "closure in a block",
        "match on a counter",
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
