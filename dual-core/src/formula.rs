//! Derivatives as readable math, for the documentation of the generated functions:
//! `∂f/∂x = 2·x·y`, `∂f/∂y = x² + 1`.
//!
//! A node is rendered from the simplified IR with the parameters' names, `·` for products,
//! superscript powers, `/` with parentheses only where precedence needs them, `−`, `√(…)`, `|x|`,
//! `sin(x)`, `max(a, b)`, and well-known constants by name (`π`, `ln(2)`). The rendering collects
//! like terms and equal factors (`x·y + x·y` is `2·x·y`, `x·x` is `x²`), identities of real
//! arithmetic; it never cancels (`x/x` stays as it is), so a formula never claims a value where the
//! code has none.
//!
//! What cannot be written down faithfully is not: a value chosen by a branch, carried by a
//! run-time loop, computed by user code (other than a parameter or a constant), or selected by a
//! run-time index or exponent makes the entry "computed by the generated code", with the reason.
//! Long formulas get `where` definitions for their shared subexpressions (`u = x² + y²`); what is
//! still too long is summarised by its number of operations. The output is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

use crate::ir::{BoolVal, CallArg, CallResult, FloatTy, Graph, NodeId, Op, SlotId, Stmt};
use crate::rules::{Binary, Cmp, Unary};
use crate::signature::{FloatShape, Output, Signature};

/// A formula longer than this (in characters) gets `where` definitions for its shared parts.
pub const BUDGET: usize = 80;
/// At most this many `where` definitions.
const MAX_DEFINITIONS: usize = 8;
/// Expressions with more nodes than this are not built (they could not be shown anyway).
const MAX_SIZE: usize = 400;
/// Above this many nodes behind the entries, no formula is attempted (it would not be readable,
/// and building it would cost more than the derivative itself).
const MAX_NODES: usize = 1000;
/// At most this many lines list the entries of a Jacobian or a Hessian.
pub const MAX_LINES: usize = 12;

// ------------------------------------------------------------------------------------- names

/// How the function's names appear in formulas.
#[derive(Clone, Debug)]
pub struct Names {
    /// The function's name (`f` in `∂f/∂x`).
    function: String,
    /// The name of each parameter (receiver excluded), `None` for patterns.
    params: Vec<Option<String>>,
    /// The length of each array parameter.
    lengths: Vec<Option<usize>>,
    /// Parameters that are not differentiated but can be named in a formula: immutable, and
    /// never rebound in the body, so the name means the argument wherever it appears.
    fixed: BTreeSet<String>,
    /// Whether the receiver is `self` or `&self`, whose fields cannot change during a call.
    fixed_self: bool,
    /// The names formulas may show (parameters, the function), which `where` definitions must
    /// not reuse.
    taken: BTreeSet<String>,
}

impl Names {
    /// The names of `func`, analysed as `sig`.
    pub fn new(sig: &Signature, func: &syn::ItemFn) -> Names {
        struct Bound(BTreeSet<String>);
        impl<'a> Visit<'a> for Bound {
            fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
                self.0.insert(p.ident.to_string());
                syn::visit::visit_pat_ident(self, p);
            }
        }
        let mut rebound = Bound(BTreeSet::new());
        rebound.visit_block(&func.block);
        let params: Vec<Option<String>> = sig
            .params
            .iter()
            .map(|p| p.name.as_ref().map(ToString::to_string))
            .collect();
        let lengths = sig
            .params
            .iter()
            .map(|p| match p.float {
                Some(FloatShape::Array(n)) => Some(n),
                _ => None,
            })
            .collect();
        let fixed = sig
            .params
            .iter()
            .filter(|p| !p.differentiated && !p.mutable)
            .filter_map(|p| p.name.as_ref().map(ToString::to_string))
            .filter(|n| !rebound.0.contains(n))
            .collect();
        // Formulas name parameters, constants (in capitals), fields and callees, never locals.
        let mut taken: BTreeSet<String> = params.iter().flatten().cloned().collect();
        let function = func.sig.ident.to_string();
        taken.insert(function.clone());
        // `&self` or `self`, not `&mut self`, `mut self` or `self: &mut Self`.
        let fixed_self = func.sig.receiver().is_some_and(|r| {
            r.mutability.is_none()
                && !matches!(&*r.ty, syn::Type::Reference(t) if t.mutability.is_some())
        });
        Names {
            function,
            params,
            lengths,
            fixed,
            fixed_self,
            taken,
        }
    }

    /// The name of a parameter's scalar: `x`, or `w[2]` for an array's element.
    fn param(&self, param: u32, index: Option<u32>) -> String {
        let name = self
            .params
            .get(param as usize)
            .cloned()
            .flatten()
            .unwrap_or_else(|| format!("arg{}", param + 1));
        match index {
            None => name,
            Some(i) => format!("{name}[{i}]"),
        }
    }

    /// The name of a differentiated scalar (a parameter leaf): `x`, `w[2]`.
    pub fn variable(&self, g: &Graph, leaf: NodeId) -> String {
        match g.op(leaf) {
            Op::Param { param, index } => self.param(*param, *index),
            _ => "?".to_string(),
        }
    }

    /// The function's name.
    pub fn function(&self) -> &str {
        &self.function
    }
}

/// Whether `tokens` has at most `max` tokens (groups included), counted without recursion.
fn small(tokens: &TokenStream, max: usize) -> bool {
    let mut count = 0;
    let mut stack = vec![tokens.clone()];
    while let Some(ts) = stack.pop() {
        for t in ts {
            count += 1;
            if count > max {
                return false;
            }
            if let TokenTree::Group(g) = t {
                stack.push(g.stream());
            }
        }
    }
    true
}

// ------------------------------------------------------------------------------------- results

/// Why an entry is not shown as a formula.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Why {
    /// A value chosen by an `if` at run time.
    Branch,
    /// A value carried by a loop whose trip count is known only at run time.
    Loop,
    /// A float computed by user code (not a parameter or a constant).
    UserValue,
    /// An element chosen by a run-time index.
    Index,
    /// A power with a run-time exponent.
    Exponent,
    /// Too long to be readable: an expression of this many operations.
    Large(usize),
}

impl Why {
    /// The explanation, as it appears in the documentation.
    pub fn describe(self) -> String {
        let because = match self {
            Why::Branch => "it depends on a branch taken at run time",
            Why::Loop => "it is carried by a run-time loop",
            Why::UserValue => "it depends on a value computed by user code",
            Why::Index => "it depends on a run-time index",
            Why::Exponent => "it depends on a run-time exponent",
            Why::Large(n) => return format!("an expression of {n} operations, not shown"),
        };
        format!("computed by the generated code ({because})")
    }
}

/// One rendered entry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Entry {
    /// Readable math (`2·x·y`), possibly naming `where` definitions.
    Formula(String),
    /// No formula, and why.
    Generated(Why),
}

/// Rendered entries, with the definitions they share.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Formulas {
    /// One per requested entry, in order.
    pub entries: Vec<Entry>,
    /// `(name, formula)` of each `where` definition used, a definition before its uses.
    pub definitions: Vec<(String, String)>,
    /// Whether the formulas use Iverson's bracket `[x ≥ y]` (1 when it holds, else 0).
    pub brackets: bool,
}

// ------------------------------------------------------------------------------------- expressions

/// A display expression: normalised only by identities of real arithmetic.
#[derive(Clone, PartialEq, Debug)]
enum Expr {
    Num(f64),
    /// A name or a symbolic constant (an atom).
    Sym(String),
    /// Terms, in order (a term's sign is that of its coefficient).
    Sum(Vec<Expr>),
    /// `num/den · Π factorᵉ`; negative exponents form the denominator.
    Prod {
        num: f64,
        den: f64,
        factors: Vec<(Expr, i32)>,
    },
    /// `prefix(args)suffix`: `sin(x)`, `max(a, b)`, `g(x, y)[1]`.
    Call(String, Vec<Expr>, String),
    /// `|x|`, `⌊x⌋`, `⌈x⌉`.
    Wrap(&'static str, Box<Expr>, &'static str),
    /// `√x`, `∛x`.
    Root(&'static str, Box<Expr>),
    /// `x^y` (non-integer or symbolic exponent).
    Pow(Box<Expr>, Box<Expr>),
    /// `(then if lhs cmp rhs else other)`.
    Select(Box<[Expr; 4]>, &'static str),
    /// `[a, b, c]`.
    List(Vec<Expr>),
    /// `items[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `[lhs cmp rhs]`: 1 when the comparison holds, else 0.
    Iverson(Box<[Expr; 2]>, &'static str),
}

impl Expr {
    fn size(&self) -> usize {
        1 + match self {
            Expr::Num(_) | Expr::Sym(_) => 0,
            Expr::Sum(ts) | Expr::Call(_, ts, _) | Expr::List(ts) => {
                ts.iter().map(Expr::size).sum()
            }
            Expr::Prod { factors, .. } => factors.iter().map(|(f, _)| f.size()).sum(),
            Expr::Wrap(_, x, _) | Expr::Root(_, x) => x.size(),
            Expr::Pow(a, b) | Expr::Index(a, b) => a.size() + b.size(),
            Expr::Select(parts, _) => parts.iter().map(Expr::size).sum(),
            Expr::Iverson(parts, _) => parts.iter().map(Expr::size).sum(),
        }
    }

    fn has_iverson(&self) -> bool {
        match self {
            Expr::Num(_) | Expr::Sym(_) => false,
            Expr::Iverson(..) => true,
            Expr::Sum(ts) | Expr::Call(_, ts, _) | Expr::List(ts) => {
                ts.iter().any(Expr::has_iverson)
            }
            Expr::Prod { factors, .. } => factors.iter().any(|(f, _)| f.has_iverson()),
            Expr::Wrap(_, x, _) | Expr::Root(_, x) => x.has_iverson(),
            Expr::Pow(a, b) | Expr::Index(a, b) => a.has_iverson() || b.has_iverson(),
            Expr::Select(parts, _) => parts.iter().any(Expr::has_iverson),
        }
    }

    fn is_negative(&self) -> bool {
        match self {
            Expr::Num(v) => *v < 0.0,
            Expr::Prod { num, .. } => *num < 0.0,
            _ => false,
        }
    }

    /// Atoms need no parentheses anywhere.
    fn is_atom(&self) -> bool {
        match self {
            Expr::Num(v) => *v >= 0.0,
            Expr::Sym(_)
            | Expr::Call(..)
            | Expr::Wrap(..)
            | Expr::Select(..)
            | Expr::List(_)
            | Expr::Index(..)
            | Expr::Iverson(..) => true,
            _ => false,
        }
    }
}

fn exact_mul(a: f64, b: f64) -> Option<f64> {
    let p = a * b;
    (p.is_finite() && a.mul_add(b, -p) == 0.0).then_some(p)
}

fn small_integer(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() < 1e15
}

fn negate(e: Expr) -> Expr {
    match e {
        Expr::Num(v) => Expr::Num(-v),
        Expr::Prod { num, den, factors } => Expr::Prod {
            num: -num,
            den,
            factors,
        },
        Expr::Sum(ts) => Expr::Sum(ts.into_iter().map(negate).collect()),
        other => Expr::Prod {
            num: -1.0,
            den: 1.0,
            factors: vec![(other, 1)],
        },
    }
}

/// A term as coefficient × rest (the rest is `Num(1)` for a constant).
fn split_coefficient(t: Expr) -> (f64, Expr) {
    match t {
        Expr::Num(v) => (v, Expr::Num(1.0)),
        Expr::Prod { num, den, factors } => (
            num,
            Expr::Prod {
                num: 1.0,
                den,
                factors,
            },
        ),
        other => (1.0, other),
    }
}

fn with_coefficient(c: f64, rest: Expr) -> Expr {
    match rest {
        Expr::Num(_) => Expr::Num(c),
        Expr::Prod { den, factors, .. } => finish_product(c, den, factors),
        other if c == 1.0 => other,
        other => Expr::Prod {
            num: c,
            den: 1.0,
            factors: vec![(other, 1)],
        },
    }
}

fn add(a: Expr, b: Expr) -> Expr {
    let mut terms: Vec<Expr> = Vec::new();
    for e in [a, b] {
        match e {
            Expr::Sum(ts) => ts.into_iter().for_each(|t| push_term(&mut terms, t)),
            t => push_term(&mut terms, t),
        }
    }
    match terms.len() {
        1 => terms.pop().expect("one term"),
        _ => Expr::Sum(terms),
    }
}

/// Adds a term, collecting it with a like term of the same sign (so nothing cancels but
/// constants).
fn push_term(terms: &mut Vec<Expr>, t: Expr) {
    if let Expr::Num(b) = t {
        if let Some(k) = terms.iter().position(|e| matches!(e, Expr::Num(_))) {
            let Expr::Num(a) = terms[k] else {
                unreachable!("a number")
            };
            if let Some(s) = exact_add(a, b) {
                if s == 0.0 {
                    terms.remove(k);
                } else {
                    terms[k] = Expr::Num(s);
                }
                return;
            }
        }
        if b == 0.0 {
            return;
        }
    }
    let (c, rest) = split_coefficient(t);
    for existing in terms.iter_mut() {
        let (c0, rest0) = split_coefficient(existing.clone());
        if like(&rest0, &rest) && c0 * c > 0.0 {
            if let Some(sum) = exact_add(c0, c) {
                *existing = with_coefficient(sum, rest0);
                return;
            }
        }
    }
    terms.push(with_coefficient(c, rest));
}

/// Whether two terms without coefficients are equal up to the order of their factors.
fn like(a: &Expr, b: &Expr) -> bool {
    match (a, b) {
        (
            Expr::Prod {
                num: n1,
                den: d1,
                factors: f1,
            },
            Expr::Prod {
                num: n2,
                den: d2,
                factors: f2,
            },
        ) => {
            if n1 != n2 || d1 != d2 || f1.len() != f2.len() {
                return false;
            }
            let mut used = vec![false; f2.len()];
            f1.iter().all(|f| {
                let hit = f2.iter().enumerate().position(|(i, g)| !used[i] && g == f);
                hit.map(|i| used[i] = true).is_some()
            })
        }
        _ => a == b,
    }
}

fn exact_add(a: f64, b: f64) -> Option<f64> {
    // Knuth's two-sum: the rounding error of a + b.
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    (s.is_finite() && err == 0.0).then_some(s)
}

/// A product under construction.
struct Product {
    num: f64,
    den: f64,
    factors: Vec<(Expr, i32)>,
}

impl Product {
    fn new() -> Self {
        Product {
            num: 1.0,
            den: 1.0,
            factors: Vec::new(),
        }
    }

    /// Multiplies by `eᵏ`.
    fn push(&mut self, e: Expr, k: i32) {
        match e {
            Expr::Num(v) if k == 1 || k == -1 => {
                let slot = if k == 1 { &mut self.num } else { &mut self.den };
                match exact_mul(*slot, v) {
                    Some(p) => *slot = p,
                    None => self.factor(Expr::Num(v), k),
                }
            }
            Expr::Prod { num, den, factors }
                if (k == 1 || k == -1 || (num == 1.0 && den == 1.0))
                    && factors.iter().all(|(_, j)| j.checked_mul(k).is_some()) =>
            {
                if k < 0 {
                    self.push(Expr::Num(den), 1);
                    self.push(Expr::Num(num), -1);
                } else if k == 1 {
                    self.push(Expr::Num(num), 1);
                    self.push(Expr::Num(den), -1);
                }
                for (f, j) in factors {
                    self.factor(f, j * k);
                }
            }
            other => self.factor(other, k),
        }
    }

    /// Multiplies by `fᵏ`, merging with an equal factor whose exponent has the same sign.
    fn factor(&mut self, f: Expr, k: i32) {
        for (g, j) in &mut self.factors {
            if *g == f && *j * k > 0 {
                if let Some(s) = j.checked_add(k) {
                    *j = s;
                    return;
                }
            }
        }
        self.factors.push((f, k));
    }

    fn finish(self) -> Expr {
        finish_product(self.num, self.den, self.factors)
    }
}

fn finish_product(mut num: f64, mut den: f64, mut factors: Vec<(Expr, i32)>) -> Expr {
    if den < 0.0 {
        num = -num;
        den = -den;
    }
    // One form per value: `num/den` as a single number where that is exact (1/2 is 0.5).
    let q = num / den;
    if den != 1.0 && q.is_finite() && exact_mul(q, den) == Some(num) {
        (num, den) = (q, 1.0);
    }
    // The numerator's factors first; within each, names (variables in alphabetical order, then
    // constants) before compound factors (so `2·x·y`, not `2·y·x`, however the chain rule met
    // them). A stable sort: compound factors keep their order.
    let rank = |e: &Expr| match e {
        Expr::Sym(s) if s.starts_with(char::is_uppercase) => 1,
        Expr::Sym(_) => 0,
        _ => 2,
    };
    factors.sort_by(|(a, j), (b, k)| {
        (*j < 0, rank(a))
            .cmp(&(*k < 0, rank(b)))
            .then_with(|| match (a, b) {
                (Expr::Sym(a), Expr::Sym(b)) => a.cmp(b),
                _ => std::cmp::Ordering::Equal,
            })
    });
    if factors.is_empty() && den == 1.0 {
        return Expr::Num(num);
    }
    if num == 1.0 && den == 1.0 && factors.len() == 1 && factors[0].1 == 1 {
        return factors.into_iter().next().expect("one factor").0;
    }
    Expr::Prod { num, den, factors }
}

fn mul(a: Expr, b: Expr) -> Expr {
    let mut p = Product::new();
    p.push(a, 1);
    p.push(b, 1);
    p.finish()
}

fn div(a: Expr, b: Expr) -> Expr {
    let mut p = Product::new();
    p.push(a, 1);
    p.push(b, -1);
    p.finish()
}

fn power(x: Expr, n: i32) -> Expr {
    if n == 0 {
        return Expr::Num(1.0);
    }
    let mut p = Product::new();
    p.push(x, n);
    p.finish()
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(name.to_string(), args, String::new())
}

fn unary(u: Unary, x: Expr) -> Expr {
    use Unary as U;
    let root = |sym, x| Expr::Root(sym, Box::new(x));
    let wrap = |l, x, r| Expr::Wrap(l, Box::new(x), r);
    match u {
        U::Neg => negate(x),
        U::Sqrt => root("√", x),
        U::Cbrt => root("∛", x),
        U::Exp => call("exp", vec![x]),
        U::Exp2 => Expr::Pow(Box::new(Expr::Num(2.0)), Box::new(x)),
        U::ExpM1 => add(call("exp", vec![x]), Expr::Num(-1.0)),
        U::Ln => call("ln", vec![x]),
        U::Log2 => call("log₂", vec![x]),
        U::Log10 => call("log₁₀", vec![x]),
        U::Ln1p => call("ln", vec![add(Expr::Num(1.0), x)]),
        U::Recip => div(Expr::Num(1.0), x),
        U::Abs => wrap("|", x, "|"),
        U::Floor => wrap("⌊", x, "⌋"),
        U::Ceil => wrap("⌈", x, "⌉"),
        U::ToDegrees => div(mul(Expr::Num(180.0), x), Expr::Sym("π".into())),
        U::ToRadians => div(mul(Expr::Sym("π".into()), x), Expr::Num(180.0)),
        other => call(other.method(), vec![x]),
    }
}

fn binary(b: Binary, x: Expr, y: Expr) -> Expr {
    match b {
        Binary::Add => add(x, y),
        Binary::Sub => add(x, negate(y)),
        Binary::Mul => mul(x, y),
        Binary::Div => div(x, y),
        Binary::Powf => match y {
            Expr::Num(k) if small_integer(k) && k.abs() <= 99.0 => power(x, k as i32),
            y => Expr::Pow(Box::new(x), Box::new(y)),
        },
        Binary::Log => div(call("ln", vec![x]), call("ln", vec![y])),
        other => call(other.method(), vec![x, y]),
    }
}

/// `if lhs cmp rhs { then } else { other }`: `[lhs cmp rhs]` (Iverson's bracket) when it
/// selects 1 or 0, `1 − [lhs cmp rhs]` when it selects 0 or 1.
fn select(lhs: Expr, cmp: &'static str, rhs: Expr, then: Expr, other: Expr) -> Expr {
    let bracket = |l, r| Expr::Iverson(Box::new([l, r]), cmp);
    match (&then, &other) {
        (Expr::Num(t), Expr::Num(o)) if *t == 1.0 && *o == 0.0 => bracket(lhs, rhs),
        (Expr::Num(t), Expr::Num(o)) if *t == 0.0 && *o == 1.0 => {
            add(Expr::Num(1.0), negate(bracket(lhs, rhs)))
        }
        _ => Expr::Select(Box::new([lhs, rhs, then, other]), cmp),
    }
}

// ------------------------------------------------------------------------------------- rendering

const TOP: u8 = 0;
const TERM: u8 = 1;
const FACTOR: u8 = 2;
const BASE: u8 = 3;

fn superscript(n: i32) -> String {
    n.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

fn subscript(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or('?'))
        .collect()
}

struct Printer {
    float: FloatTy,
}

impl Printer {
    /// The shortest decimal that reads back as `v` in the function's float type.
    fn number(&self, v: f64) -> String {
        if v.is_nan() {
            return "NaN".into();
        }
        let sign = if v < 0.0 { "−" } else { "" };
        let a = v.abs();
        let digits = if a.is_infinite() {
            "∞".to_string()
        } else {
            match self.float {
                FloatTy::F64 => format!("{a:?}"),
                FloatTy::F32 => format!("{:?}", a as f32),
            }
        };
        let digits = digits.strip_suffix(".0").unwrap_or(&digits).to_string();
        format!("{sign}{digits}")
    }

    fn show(&self, e: &Expr, prec: u8) -> String {
        match e {
            Expr::Num(v) => {
                let s = self.number(*v);
                if *v < 0.0 && prec >= FACTOR {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::Sym(s) => s.clone(),
            Expr::Sum(terms) => {
                let mut s = String::new();
                for (i, t) in terms.iter().enumerate() {
                    let neg = t.is_negative();
                    s.push_str(match (i, neg) {
                        (0, false) => "",
                        (0, true) => "−",
                        (_, false) => " + ",
                        (_, true) => " − ",
                    });
                    let shown = if neg {
                        self.show(&negate(t.clone()), TERM)
                    } else {
                        self.show(t, TERM)
                    };
                    s.push_str(&shown);
                }
                if prec >= FACTOR {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::Prod { num, den, factors } => self.product(*num, *den, factors, prec),
            Expr::Call(name, args, suffix) => {
                let args: Vec<String> = args.iter().map(|a| self.show(a, TOP)).collect();
                format!("{name}({}){suffix}", args.join(", "))
            }
            Expr::Wrap(l, x, r) => format!("{l}{}{r}", self.show(x, TOP)),
            Expr::Root(sym, x) => {
                let inner = if x.is_atom() {
                    self.show(x, TOP)
                } else {
                    format!("({})", self.show(x, TOP))
                };
                if prec >= BASE {
                    format!("({sym}{inner})")
                } else {
                    format!("{sym}{inner}")
                }
            }
            Expr::Pow(b, x) => {
                let exp = if x.is_atom() {
                    self.show(x, TOP)
                } else {
                    format!("({})", self.show(x, TOP))
                };
                let s = format!("{}^{exp}", self.show(b, BASE));
                if prec >= BASE {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::Select(parts, cmp) => {
                let [l, r, t, o] = &**parts;
                format!(
                    "({} if {} {cmp} {} else {})",
                    self.show(t, TOP),
                    self.show(l, TOP),
                    self.show(r, TOP),
                    self.show(o, TOP)
                )
            }
            Expr::List(items) => {
                let items: Vec<String> = items.iter().map(|a| self.show(a, TOP)).collect();
                format!("[{}]", items.join(", "))
            }
            Expr::Index(items, i) => format!("{}[{}]", self.show(items, BASE), self.show(i, TOP)),
            Expr::Iverson(parts, cmp) => {
                let [l, r] = &**parts;
                format!("[{} {cmp} {}]", self.show(l, TOP), self.show(r, TOP))
            }
        }
    }

    fn factor(&self, f: &Expr, k: i32) -> String {
        if k == 1 {
            self.show(f, FACTOR)
        } else {
            format!("{}{}", self.show(f, BASE), superscript(k))
        }
    }

    fn product(&self, num: f64, den: f64, factors: &[(Expr, i32)], prec: u8) -> String {
        let neg = num < 0.0;
        let (mut n, mut d) = (num.abs(), den);
        // 0.5·x reads better as x/2.
        if d == 1.0 && n > 0.0 && n < 1.0 {
            // In the function's float type: 1/3 in `f32` is 0.33333334.
            let recip = |v: f64| match self.float {
                FloatTy::F64 => 1.0 / v,
                FloatTy::F32 => f64::from(1.0 / v as f32),
            };
            let k = recip(n);
            if small_integer(k) && k <= 1e6 && recip(k) == n {
                (n, d) = (1.0, k);
            }
        }
        let ups: Vec<String> = factors
            .iter()
            .filter(|(_, k)| *k > 0)
            .map(|(f, k)| self.factor(f, *k))
            .collect();
        let mut downs: Vec<String> = factors
            .iter()
            .filter(|(_, k)| *k < 0)
            .map(|(f, k)| self.factor(f, -k))
            .collect();
        let mut top = Vec::new();
        if n != 1.0 || ups.is_empty() {
            top.push(self.number(n));
        }
        top.extend(ups);
        if d != 1.0 {
            downs.insert(0, self.number(d));
        }
        let mut s = top.join("·");
        match downs.len() {
            0 => {}
            1 => s = format!("{s}/{}", downs[0]),
            _ => s = format!("{s}/({})", downs.join("·")),
        }
        if neg {
            s = format!("−{s}");
        }
        let over = !downs.is_empty();
        if prec >= BASE || (prec == FACTOR && (neg || over)) {
            format!("({s})")
        } else {
            s
        }
    }
}

// ------------------------------------------------------------------------------------- the graph

/// What a call node refers to.
struct Site {
    name: String,
    args: Vec<CallArg>,
    result: CallResult,
}

struct Renderer<'g> {
    g: &'g Graph,
    names: &'g Names,
    /// Calls to other functions, by call id (run-time loops are calls without a site).
    sites: BTreeMap<u32, Site>,
    /// φs of unconditional scopes and constant conditions: the value they stand for.
    transparent: BTreeMap<NodeId, NodeId>,
    /// Run-time indices that mean the same wherever they appear (a parameter, a constant).
    indices: BTreeMap<SlotId, Expr>,
    /// Floats from user code that mean the same wherever they appear.
    values: BTreeMap<NodeId, Expr>,
    /// The names formulas may show.
    taken: BTreeSet<String>,
}

fn callee_name(callee: &TokenStream) -> String {
    let last = callee
        .clone()
        .into_iter()
        .filter_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .last()
        .unwrap_or_default();
    for suffix in [
        "_value_gradient_and_hessian",
        "_value_and_gradient",
        "_value_and_jacobian",
    ] {
        if let Some(base) = last.strip_suffix(suffix) {
            return base.to_string();
        }
    }
    last
}

fn cmp_symbol(c: Cmp) -> &'static str {
    match c {
        Cmp::Ge => "≥",
        Cmp::Le => "≤",
        Cmp::Lt => "<",
        Cmp::Gt => ">",
        Cmp::Ne => "≠",
    }
}

impl<'g> Renderer<'g> {
    fn new(g: &'g Graph, names: &'g Names) -> Self {
        let mut sites = BTreeMap::new();
        let mut transparent = BTreeMap::new();
        let mut index_exprs = Vec::new();
        let mut binds = Vec::new();
        for block in &g.blocks {
            for stmt in &block.stmts {
                match stmt {
                    Stmt::Index { slot, expr, .. } => index_exprs.push((*slot, expr.clone())),
                    Stmt::Bind { node, expr } => binds.push((*node, expr.clone())),
                    Stmt::Call(c) => {
                        if let Some(Op::Call { call, .. }) = c.outputs.first().map(|n| g.op(*n)) {
                            sites.insert(
                                *call,
                                Site {
                                    name: callee_name(&c.callee),
                                    args: c.args.clone(),
                                    result: c.result,
                                },
                            );
                        }
                    }
                    Stmt::If(ifs) => {
                        for fo in &ifs.floats {
                            let value = match ifs.cond {
                                None | Some(BoolVal::Const(true)) => fo.then,
                                Some(BoolVal::Const(false)) => fo.other,
                                Some(BoolVal::Slot { .. }) => continue,
                            };
                            transparent.insert(fo.node, value);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut r = Renderer {
            g,
            names,
            sites,
            transparent,
            indices: BTreeMap::new(),
            values: BTreeMap::new(),
            taken: names.taken.clone(),
        };
        let callees: Vec<String> = r.sites.values().map(|s| s.name.clone()).collect();
        r.taken.extend(callees);
        for (slot, expr) in index_exprs {
            if let Some(e) = r.user_value(&expr) {
                r.indices.insert(slot, e);
            }
        }
        for (node, expr) in binds {
            if let Some(e) = r.user_value(&expr) {
                r.values.insert(node, e);
            }
        }
        r
    }

    /// The nodes a node's rendering reads.
    fn children(&self, n: NodeId) -> Vec<NodeId> {
        match self.g.op(n) {
            Op::Out => self.transparent.get(&n).copied().into_iter().collect(),
            Op::Call { call, .. } | Op::CallGrad { call, .. } | Op::CallHess { call, .. } => {
                match self.sites.get(call) {
                    Some(site) => site
                        .args
                        .iter()
                        .flat_map(|a| match a {
                            CallArg::Scalar(n) => vec![*n],
                            CallArg::Array(ns) => ns.clone(),
                            CallArg::Tokens(_) => vec![],
                        })
                        .collect(),
                    None => vec![],
                }
            }
            Op::DynIndex { index, .. } | Op::IndexIs { index, .. }
                if !self.indices.contains_key(index) =>
            {
                vec![]
            }
            op => op.children(),
        }
    }

    /// The nodes reachable from `roots`, children before parents.
    fn postorder(&self, roots: &[NodeId]) -> Vec<NodeId> {
        let mut seen = vec![false; self.g.nodes.len()];
        let mut order = Vec::new();
        for &root in roots {
            if seen[root.0 as usize] {
                continue;
            }
            seen[root.0 as usize] = true;
            let mut stack = vec![(root, self.children(root), 0usize)];
            while let Some((n, kids, i)) = stack.last_mut() {
                if let Some(&c) = kids.get(*i) {
                    *i += 1;
                    if !seen[c.0 as usize] {
                        seen[c.0 as usize] = true;
                        let kids = self.children(c);
                        stack.push((c, kids, 0));
                    }
                } else {
                    order.push(*n);
                    stack.pop();
                }
            }
        }
        order
    }

    /// Number of operations (non-leaf nodes) that `root` is computed from.
    fn operations(&self, root: NodeId) -> usize {
        self.postorder(&[root])
            .into_iter()
            .filter(|n| !matches!(self.g.op(*n), Op::Const(_) | Op::Param { .. } | Op::Opaque))
            .count()
    }

    fn constant(&self, v: f64) -> Expr {
        use std::f64::consts as c;
        let r = |x: f64| self.g.float.round(x);
        let a = v.abs();
        let pi = || Expr::Sym("π".into());
        let sym = if a.is_finite() && !small_integer(a) {
            let e_name = if self.taken.contains("e") {
                call("exp", vec![Expr::Num(1.0)])
            } else {
                Expr::Sym("e".into())
            };
            let table: [(f64, Box<dyn Fn() -> Expr>); 16] = [
                (c::PI, Box::new(pi)),
                (c::TAU, Box::new(|| mul(Expr::Num(2.0), pi()))),
                (c::FRAC_PI_2, Box::new(|| div(pi(), Expr::Num(2.0)))),
                (c::FRAC_PI_3, Box::new(|| div(pi(), Expr::Num(3.0)))),
                (c::FRAC_PI_4, Box::new(|| div(pi(), Expr::Num(4.0)))),
                (c::FRAC_PI_6, Box::new(|| div(pi(), Expr::Num(6.0)))),
                (c::FRAC_1_PI, Box::new(|| div(Expr::Num(1.0), pi()))),
                (c::FRAC_2_PI, Box::new(|| div(Expr::Num(2.0), pi()))),
                (180.0 / c::PI, Box::new(|| div(Expr::Num(180.0), pi()))),
                (c::PI / 180.0, Box::new(|| div(pi(), Expr::Num(180.0)))),
                (c::E, Box::new(move || e_name.clone())),
                (c::LN_2, Box::new(|| call("ln", vec![Expr::Num(2.0)]))),
                (c::LN_10, Box::new(|| call("ln", vec![Expr::Num(10.0)]))),
                (
                    c::SQRT_2,
                    Box::new(|| Expr::Root("√", Box::new(Expr::Num(2.0)))),
                ),
                (
                    c::FRAC_1_SQRT_2,
                    Box::new(|| div(Expr::Num(1.0), Expr::Root("√", Box::new(Expr::Num(2.0))))),
                ),
                (
                    c::FRAC_2_SQRT_PI,
                    Box::new(|| div(Expr::Num(2.0), Expr::Root("√", Box::new(pi())))),
                ),
            ];
            table
                .iter()
                .find(|(k, _)| r(*k).to_bits() == a.to_bits())
                .map(|(_, f)| f())
        } else {
            None
        };
        match sym {
            Some(s) if v < 0.0 => negate(s),
            Some(s) => s,
            None => Expr::Num(v),
        }
    }

    /// A float written by user code, when its text means the same wherever it appears: a
    /// parameter that is never rebound, a constant, a literal.
    fn user_value(&self, tokens: &TokenStream) -> Option<Expr> {
        fn go(r: &Renderer, e: &syn::Expr) -> Option<Expr> {
            match e {
                syn::Expr::Paren(p) => go(r, &p.expr),
                syn::Expr::Group(g) => go(r, &g.expr),
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
                    go(r, &u.expr).map(negate)
                }
                syn::Expr::Lit(l) => match &l.lit {
                    syn::Lit::Float(f) => f.base10_parse::<f64>().ok().map(|v| r.constant(v)),
                    syn::Lit::Int(i) => i.base10_parse::<f64>().ok().map(Expr::Num),
                    _ => None,
                },
                syn::Expr::Path(_) | syn::Expr::Field(_) | syn::Expr::Index(_) => {
                    place(r, e).map(Expr::Sym)
                }
                // A conversion to a float of a name or a literal (not of integer arithmetic,
                // which may truncate).
                syn::Expr::Cast(c) => {
                    let to_float = matches!(&*c.ty, syn::Type::Path(t)
                        if t.path.is_ident("f64") || t.path.is_ident("f32"));
                    let mut inner = &*c.expr;
                    while let syn::Expr::Paren(p) = inner {
                        inner = &p.expr;
                    }
                    let plain = matches!(inner, syn::Expr::Path(_) | syn::Expr::Lit(_));
                    if to_float && plain {
                        go(r, inner)
                    } else {
                        None
                    }
                }
                syn::Expr::Binary(b) => {
                    let (x, y) = (go(r, &b.left)?, go(r, &b.right)?);
                    match b.op {
                        syn::BinOp::Add(_) => Some(add(x, y)),
                        syn::BinOp::Sub(_) => Some(add(x, negate(y))),
                        syn::BinOp::Mul(_) => Some(mul(x, y)),
                        syn::BinOp::Div(_) => Some(div(x, y)),
                        _ => None,
                    }
                }
                syn::Expr::MethodCall(m) if m.turbofish.is_none() => {
                    let x = go(r, &m.receiver)?;
                    let name = m.method.to_string();
                    let args: Vec<&syn::Expr> = m.args.iter().collect();
                    match (name.as_str(), args.as_slice()) {
                        ("powi", [k]) => {
                            let syn::Expr::Lit(syn::ExprLit {
                                lit: syn::Lit::Int(k),
                                ..
                            }) = k
                            else {
                                return None;
                            };
                            Some(power(x, k.base10_parse().ok()?))
                        }
                        ("mul_add", [a, b]) => Some(add(mul(x, go(r, a)?), go(r, b)?)),
                        (_, []) => Unary::from_method(&name).map(|u| unary(u, x)),
                        (_, [y]) => Binary::from_method(&name)
                            .filter(|b| {
                                !matches!(b, Binary::Add | Binary::Sub | Binary::Mul | Binary::Div)
                            })
                            .and_then(|b| Some(binary(b, x, go(r, y)?))),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        /// A name whose value cannot change: a fixed parameter, a constant, a field of either
        /// (or of an immutable `self`), an element at a literal index.
        fn place(r: &Renderer, e: &syn::Expr) -> Option<String> {
            match e {
                syn::Expr::Paren(p) => place(r, &p.expr),
                syn::Expr::Group(g) => place(r, &g.expr),
                syn::Expr::Path(p) if p.qself.is_none() => {
                    let segs: Vec<String> = p
                        .path
                        .segments
                        .iter()
                        .map(|s| s.arguments.is_none().then(|| s.ident.to_string()))
                        .collect::<Option<_>>()?;
                    let last = segs.last()?;
                    let fixed = segs.len() == 1 && r.names.fixed.contains(last);
                    (fixed || is_const_name(last)).then(|| segs.join("::"))
                }
                syn::Expr::Field(f) => {
                    let base = match &*f.base {
                        syn::Expr::Path(p) if p.path.is_ident("self") && r.names.fixed_self => {
                            "self".to_string()
                        }
                        base => place(r, base)?,
                    };
                    let member = match &f.member {
                        syn::Member::Named(n) => n.to_string(),
                        syn::Member::Unnamed(i) => i.index.to_string(),
                    };
                    Some(format!("{base}.{member}"))
                }
                syn::Expr::Index(ix) => {
                    let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Int(i),
                        ..
                    }) = &*ix.index
                    else {
                        return None;
                    };
                    let i: usize = i.base10_parse().ok()?;
                    Some(format!("{}[{i}]", place(r, &ix.expr)?))
                }
                _ => None,
            }
        }
        if !small(tokens, 64) {
            return None;
        }
        go(self, &syn::parse2::<syn::Expr>(tokens.clone()).ok()?)
    }

    /// The expression of node `n`, given those of the nodes it reads.
    fn build(&self, n: NodeId, get: &dyn Fn(NodeId) -> Result<Expr, Why>) -> Result<Expr, Why> {
        Ok(match self.g.op(n).clone() {
            Op::Const(bits) => self.constant(f64::from_bits(bits)),
            Op::Param { param, index } => Expr::Sym(self.names.param(param, index)),
            Op::Opaque => self.values.get(&n).cloned().ok_or(Why::UserValue)?,
            Op::Out => match self.transparent.get(&n) {
                Some(&v) => get(v)?,
                None => return Err(Why::Branch),
            },
            Op::Call { call, row, .. } => {
                let site = self.sites.get(&call).ok_or(Why::Loop)?;
                self.call_expr(site, site.name.clone(), row, get)?
            }
            Op::CallGrad { call, row, col, .. } => {
                let site = self.sites.get(&call).ok_or(Why::Loop)?;
                let name = self.partial_name(site, &[col]);
                self.call_expr(site, name, row, get)?
            }
            Op::CallHess { call, row, col } => {
                let site = self.sites.get(&call).ok_or(Why::Loop)?;
                let name = self.partial_name(site, &[row, col]);
                self.call_expr(site, name, 0, get)?
            }
            Op::Unary(u, a) => unary(u, get(a)?),
            Op::Binary(b, a, c) => binary(b, get(a)?, get(c)?),
            Op::MulAdd(a, b, c) => add(mul(get(a)?, get(b)?), get(c)?),
            Op::Clamp(x, lo, hi) => call("clamp", vec![get(x)?, get(lo)?, get(hi)?]),
            Op::Powi(x, e) => match e.slot {
                None => power(get(x)?, e.offset),
                Some(_) => return Err(Why::Exponent),
            },
            Op::Select {
                cmp,
                lhs,
                rhs,
                then,
                other,
            } => select(
                get(lhs)?,
                cmp_symbol(cmp),
                get(rhs)?,
                get(then)?,
                get(other)?,
            ),
            Op::Sign0(x) => call("sgn", vec![get(x)?]),
            Op::IntAsFloat(e) => match e.slot {
                None => Expr::Num(f64::from(e.offset)),
                Some(_) => return Err(Why::Exponent),
            },
            Op::DynIndex { index, items } => {
                let i = self.indices.get(&index).ok_or(Why::Index)?.clone();
                let items = match self.whole_array(&items) {
                    Some(name) => Expr::Sym(name),
                    None => Expr::List(items.iter().map(|n| get(*n)).collect::<Result<_, _>>()?),
                };
                Expr::Index(Box::new(items), Box::new(i))
            }
            Op::IndexIs { index, at } => {
                let i = self.indices.get(&index).ok_or(Why::Index)?.clone();
                Expr::Iverson(Box::new([i, Expr::Num(f64::from(at))]), "=")
            }
        })
    }

    /// `f(a, b)`, `f(a, b)[1]` or `f(a, b).1` for output `row` (and its partials).
    fn call_expr(
        &self,
        site: &Site,
        name: String,
        row: u32,
        get: &dyn Fn(NodeId) -> Result<Expr, Why>,
    ) -> Result<Expr, Why> {
        // An argument that cannot be shown is elided; the formula stays true.
        let arg = |n: NodeId| match get(n) {
            Err(Why::UserValue) => Ok(Expr::Sym("…".into())),
            other => other,
        };
        let mut args = Vec::new();
        for a in &site.args {
            args.push(match a {
                CallArg::Scalar(n) => arg(*n)?,
                CallArg::Array(ns) => match self.whole_array(ns) {
                    Some(name) => Expr::Sym(name),
                    None => Expr::List(ns.iter().map(|n| arg(*n)).collect::<Result<_, _>>()?),
                },
                CallArg::Tokens(t) => self.user_value(t).unwrap_or(Expr::Sym("…".into())),
            });
        }
        let suffix = match site.result {
            CallResult::Scalar => String::new(),
            CallResult::Array => format!("[{row}]"),
            CallResult::Tuple => format!(".{row}"),
        };
        Ok(Expr::Call(name, args, suffix))
    }

    /// The name of a whole array parameter, when `items` are its elements in order.
    fn whole_array(&self, items: &[NodeId]) -> Option<String> {
        let Some(Op::Param { param, .. }) = items.first().map(|n| self.g.op(*n)) else {
            return None;
        };
        let whole = self.names.lengths.get(*param as usize).copied().flatten() == Some(items.len())
            && items.iter().enumerate().all(|(j, n)| {
                *self.g.op(*n)
                    == Op::Param {
                        param: *param,
                        index: Some(j as u32),
                    }
            });
        whole.then(|| self.names.param(*param, None))
    }

    /// `g′`, `g″`, `∂₂g`, `∂₁∂₂g`, `∂₂[3]g` (element 3 of the array argument 2).
    fn partial_name(&self, site: &Site, cols: &[u32]) -> String {
        let single = site.args.len() == 1 && matches!(site.args[0], CallArg::Scalar(_));
        if single {
            let primes = if cols.len() == 1 { "′" } else { "″" };
            return format!("{}{primes}", site.name);
        }
        // Flat argument `col` → (position, element).
        let mut flat = Vec::new();
        for (pos, a) in site.args.iter().enumerate() {
            match a {
                CallArg::Scalar(_) => flat.push((pos + 1, None)),
                CallArg::Array(ns) => flat.extend((0..ns.len()).map(|j| (pos + 1, Some(j)))),
                CallArg::Tokens(_) => {}
            }
        }
        let mut s = String::new();
        for &c in cols {
            match flat.get(c as usize) {
                Some((pos, None)) => s.push_str(&format!("∂{}", subscript(*pos))),
                Some((pos, Some(j))) => s.push_str(&format!("∂{}[{j}]", subscript(*pos))),
                None => s.push_str(&format!("∂{}", subscript(c as usize + 1))),
            }
        }
        format!("{s}{}", site.name)
    }
}

fn is_const_name(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

// ------------------------------------------------------------------------------------- layout

/// The `where` names: short letters the function does not use, then `u₁`, `u₂`, ….
fn fresh_names(taken: &BTreeSet<String>) -> impl Iterator<Item = String> + '_ {
    const LETTERS: [&str; 16] = [
        "u", "v", "s", "t", "p", "q", "r", "a", "b", "c", "d", "g", "h", "k", "m", "n",
    ];
    LETTERS
        .iter()
        .map(|s| s.to_string())
        .chain((1..).map(|i| format!("u{}", subscript(i))))
        .filter(|s| !taken.contains(s))
}

type Built = Vec<Option<Result<Expr, Why>>>;

impl Renderer<'_> {
    /// The expression of every node of `order`, with the `named` nodes as symbols inside others.
    fn build_all(&self, order: &[NodeId], named: &BTreeMap<NodeId, String>) -> Built {
        let mut full: Built = vec![None; self.g.nodes.len()];
        for &n in order {
            // Structural reasons win over size: naming cannot help them.
            let structural = self
                .children(n)
                .into_iter()
                .filter(|c| !named.contains_key(c))
                .find_map(|c| match &full[c.0 as usize] {
                    Some(Err(w)) if !matches!(w, Why::Large(_) | Why::UserValue) => Some(*w),
                    _ => None,
                });
            let res = match structural {
                Some(w) => Err(w),
                None => {
                    let get = |c: NodeId| -> Result<Expr, Why> {
                        match named.get(&c) {
                            Some(name) => Ok(Expr::Sym(name.clone())),
                            None => full[c.0 as usize].clone().unwrap_or(Err(Why::Large(0))),
                        }
                    };
                    self.build(n, &get).and_then(|e| {
                        if e.size() > MAX_SIZE {
                            Err(Why::Large(0))
                        } else {
                            Ok(e)
                        }
                    })
                }
            };
            full[n.0 as usize] = Some(res);
        }
        full
    }

    /// The named nodes that the formula of `root` mentions.
    fn mentions(&self, root: NodeId, named: &BTreeMap<NodeId, String>) -> BTreeSet<NodeId> {
        let mut seen = BTreeSet::from([root]);
        let mut stack = vec![root];
        let mut out = BTreeSet::new();
        while let Some(n) = stack.pop() {
            for c in self.children(n) {
                if named.contains_key(&c) {
                    out.insert(c);
                } else if seen.insert(c) {
                    stack.push(c);
                }
            }
        }
        out
    }

    /// The shared node whose naming shortens the over-long lines most.
    fn candidate(
        &self,
        order: &[NodeId],
        lines: &[NodeId],
        over: &[NodeId],
        entries: &BTreeSet<NodeId>,
        named: &BTreeMap<NodeId, String>,
        built: &Built,
    ) -> Option<NodeId> {
        let len = self.g.nodes.len();
        let mut size = vec![0u64; len];
        for &n in order {
            size[n.0 as usize] = self.children(n).iter().fold(1u64, |acc, c| {
                let s = if named.contains_key(c) {
                    1
                } else {
                    size[c.0 as usize]
                };
                acc.saturating_add(s)
            });
        }
        // Occurrences in the formulas as written out (each line expands its root once).
        let mut rooted = vec![0u64; len];
        for l in lines {
            rooted[l.0 as usize] += 1;
        }
        let mut refs = vec![0u64; len];
        let mut reach = vec![false; len];
        for o in over {
            reach[o.0 as usize] = true;
        }
        for &n in order.iter().rev() {
            let i = n.0 as usize;
            let expand = if named.contains_key(&n) {
                rooted[i]
            } else {
                rooted[i].saturating_add(refs[i])
            };
            let spread = reach[i] && (over.contains(&n) || !named.contains_key(&n));
            for c in self.children(n) {
                refs[c.0 as usize] = refs[c.0 as usize].saturating_add(expand);
                if spread {
                    reach[c.0 as usize] = true;
                }
            }
        }
        order
            .iter()
            .copied()
            .filter(|n| {
                let i = n.0 as usize;
                reach[i]
                    && !named.contains_key(n)
                    && !entries.contains(n)
                    && refs[i] >= 2
                    && match &built[i] {
                        Some(Ok(e)) => e.size() >= 3,
                        Some(Err(Why::Large(_))) => true,
                        _ => false,
                    }
            })
            .max_by_key(|n| {
                let i = n.0 as usize;
                ((refs[i] - 1).saturating_mul(size[i]), std::cmp::Reverse(*n))
            })
    }
}

/// Renders `entries` (`None`: identically zero) of graph `g` as readable math. Formulas longer
/// than `budget` characters get `where` definitions for their shared subexpressions; those still
/// longer than twice the budget are summarised.
pub fn render(g: &Graph, names: &Names, entries: &[Option<NodeId>], budget: usize) -> Formulas {
    let r = Renderer::new(g, names);
    let p = Printer { float: g.float };
    let mut roots: Vec<NodeId> = Vec::new();
    for n in entries.iter().flatten() {
        if !roots.contains(n) {
            roots.push(*n);
        }
    }
    let entry_set: BTreeSet<NodeId> = roots.iter().copied().collect();
    let order = r.postorder(&roots);
    if order.len() > MAX_NODES {
        // Far beyond anything readable: say so without building the expressions.
        let operations = order
            .iter()
            .filter(|n| !matches!(g.op(**n), Op::Const(_) | Op::Param { .. } | Op::Opaque))
            .count();
        return Formulas {
            entries: entries
                .iter()
                .map(|n| match n {
                    Some(_) => Entry::Generated(Why::Large(operations)),
                    None => Entry::Formula("0".into()),
                })
                .collect(),
            ..Formulas::default()
        };
    }
    let mut position = vec![usize::MAX; g.nodes.len()];
    for (i, n) in order.iter().enumerate() {
        position[n.0 as usize] = i;
    }
    let mut fresh = fresh_names(&r.taken);
    let mut named: BTreeMap<NodeId, String> = BTreeMap::new();
    let text = |built: &Built, n: NodeId| -> Result<String, Why> {
        match &built[n.0 as usize] {
            Some(Ok(e)) => Ok(p.show(e, TOP)),
            Some(Err(w)) => Err(*w),
            None => Err(Why::Large(0)),
        }
    };
    // The text of each line of the last round (reused when no name was needed).
    let mut texts: BTreeMap<NodeId, Result<String, Why>>;
    let built = loop {
        let built = r.build_all(&order, &named);
        let lines: Vec<NodeId> = roots.iter().chain(named.keys()).copied().collect();
        texts = lines.iter().map(|n| (*n, text(&built, *n))).collect();
        let over: Vec<NodeId> = lines
            .iter()
            .copied()
            .filter(|n| match &texts[n] {
                Ok(s) => s.chars().count() > budget,
                Err(w) => matches!(w, Why::Large(_)),
            })
            .collect();
        let distinct: BTreeSet<&String> = named.values().collect();
        if over.is_empty() || distinct.len() >= MAX_DEFINITIONS {
            break built;
        }
        match r.candidate(&order, &lines, &over, &entry_set, &named, &built) {
            Some(c) => {
                // Nodes that read the same (`v[i]` indexed twice) share the name.
                let name = fresh.next().expect("endless names");
                let same: Vec<NodeId> = order
                    .iter()
                    .copied()
                    .filter(|n| !named.contains_key(n) && !entry_set.contains(n))
                    .filter(|n| match (&built[n.0 as usize], &built[c.0 as usize]) {
                        (Some(Ok(a)), Some(Ok(b))) => a == b,
                        _ => *n == c,
                    })
                    .collect();
                for n in same {
                    named.insert(n, name.clone());
                }
            }
            None => break built,
        }
    };
    // Each line, definitions first (a definition only mentions earlier ones), named in the order
    // they are defined.
    let mut defs: Vec<NodeId> = named.keys().copied().collect();
    defs.sort_by_key(|n| position[n.0 as usize]);
    let mut fresh = fresh_names(&r.taken);
    let mut renamed: BTreeMap<&String, String> = BTreeMap::new();
    for d in &defs {
        renamed
            .entry(&named[d])
            .or_insert_with(|| fresh.next().expect("endless names"));
    }
    let named: BTreeMap<NodeId, String> = named
        .iter()
        .map(|(n, old)| (*n, renamed[old].clone()))
        .collect();
    let built = if named.is_empty() {
        built
    } else {
        texts.clear();
        r.build_all(&order, &named)
    };
    let mut shown: BTreeMap<NodeId, Result<String, Why>> = BTreeMap::new();
    for &n in defs.iter().chain(&roots) {
        let own = texts.remove(&n).unwrap_or_else(|| text(&built, n));
        let own = own.and_then(|s| {
            if s.chars().count() > 2 * budget {
                Err(Why::Large(0))
            } else {
                Ok(s)
            }
        });
        let ok = r
            .mentions(n, &named)
            .iter()
            .all(|m| shown.get(m).is_some_and(Result::is_ok));
        shown.insert(n, if ok { own } else { Err(Why::Large(0)) });
    }
    let mut used = BTreeSet::new();
    let rendered = entries
        .iter()
        .map(|e| match e {
            None => Entry::Formula("0".into()),
            Some(n) => match &shown[n] {
                Ok(s) => {
                    let mut stack = vec![*n];
                    while let Some(m) = stack.pop() {
                        for d in r.mentions(m, &named) {
                            if used.insert(d) {
                                stack.push(d);
                            }
                        }
                    }
                    Entry::Formula(s.clone())
                }
                Err(Why::Large(_)) => Entry::Generated(Why::Large(r.operations(*n))),
                Err(w) => Entry::Generated(*w),
            },
        })
        .collect();
    let mut defined = BTreeSet::new();
    let definitions: Vec<(String, String)> = defs
        .iter()
        .filter(|d| used.contains(*d) && defined.insert(named[*d].clone()))
        .map(|d| {
            let s = shown[d].clone().expect("a used definition is shown");
            (named[d].clone(), s)
        })
        .collect();
    let brackets = entries
        .iter()
        .flatten()
        .filter(|n| shown[*n].is_ok())
        .chain(defs.iter().filter(|d| used.contains(*d)))
        .any(|n| matches!(&built[n.0 as usize], Some(Ok(e)) if e.has_iverson()));
    Formulas {
        entries: rendered,
        definitions,
        brackets,
    }
}

// ------------------------------------------------------------------------------------- docs

/// At most this many lines list a gradient.
const MAX_GRADIENT_LINES: usize = 16;

/// `a, b, c`, or `a, b, …, z` for long lists.
fn abbreviate(items: &[String], keep: usize) -> String {
    if items.len() <= keep + 1 {
        items.join(", ")
    } else {
        format!(
            "{}, …, {}",
            items[..keep].join(", "),
            items.last().expect("non-empty")
        )
    }
}

/// The documentation of the generated functions of one function: what they return, the order of
/// the variables, and the derivatives as formulas.
pub struct Doc<'a> {
    g: &'a Graph,
    names: &'a Names,
    sig: &'a Signature,
    /// `x`, `w[0]`, …: the differentiated scalars in order.
    vars: Vec<String>,
    /// The formulas rendered so far, by their entries: the companions with and without the value
    /// show the same ones.
    rendered: std::cell::RefCell<Vec<(Vec<Option<NodeId>>, Formulas)>>,
}

/// A labelled entry of a list.
struct Item {
    label: String,
    node: Option<NodeId>,
}

impl<'a> Doc<'a> {
    /// The documentation of derivatives in graph `g`, whose differentiated scalars are `leaves`.
    pub fn new(g: &'a Graph, names: &'a Names, sig: &'a Signature, leaves: &[NodeId]) -> Self {
        let vars = leaves.iter().map(|l| names.variable(g, *l)).collect();
        Doc {
            g,
            names,
            sig,
            vars,
            rendered: std::cell::RefCell::default(),
        }
    }

    fn f(&self) -> &str {
        self.names.function()
    }

    /// Output `row` of the function: `f`, `f[1]` or `f.1`.
    fn output(&self, row: usize) -> String {
        match self.sig.output {
            Output::Scalar => self.f().to_string(),
            Output::Array(_) => format!("{}[{row}]", self.f()),
            Output::Tuple(_) => format!("{}.{row}", self.f()),
        }
    }

    /// `[∂f/∂x, ∂f/∂y]`: the derivatives of `of` in the order of the variables, in the shape of
    /// the gradient's type (a tuple when there are array parameters and others) unless `flat`.
    fn shape(&self, of: &str, flat: bool) -> String {
        let labels: Vec<String> = self.vars.iter().map(|v| format!("∂{of}/∂{v}")).collect();
        let shapes: Vec<FloatShape> = self.sig.differentiated().map(|(_, _, s)| s).collect();
        let all_scalar = shapes.iter().all(|s| *s == FloatShape::Scalar);
        if flat || all_scalar || shapes.len() == 1 {
            return format!("[{}]", abbreviate(&labels, 3));
        }
        let mut it = labels.into_iter();
        let parts: Vec<String> = shapes
            .iter()
            .map(|s| match s {
                FloatShape::Scalar => it.next().unwrap_or_default(),
                FloatShape::Array(n) => {
                    let part: Vec<String> = it.by_ref().take(*n).collect();
                    format!("[{}]", abbreviate(&part, 2))
                }
            })
            .collect();
        format!("({})", parts.join(", "))
    }

    fn gradient_items(&self, row: &[Option<NodeId>]) -> Vec<Item> {
        self.vars
            .iter()
            .zip(row)
            .map(|(v, n)| Item {
                label: format!("∂{}/∂{v}", self.f()),
                node: *n,
            })
            .collect()
    }

    /// The nonzero entries, and whether some are zero.
    fn nonzero(entries: impl Iterator<Item = (String, Option<NodeId>)>) -> (Vec<Item>, bool) {
        let mut zeros = false;
        let mut items = Vec::new();
        for (label, node) in entries {
            match node {
                Some(_) => items.push(Item { label, node }),
                None => zeros = true,
            }
        }
        (items, zeros)
    }

    /// Markdown lists of `(items, at most this many lines)`, rendered together so that they share
    /// their `where` definitions; returns the lists and what follows them (the definitions).
    fn lists(&self, lists: &[(&[Item], usize)]) -> (Vec<String>, String) {
        // A run of entries computed for the same reason takes one line, so more entries than
        // lines are rendered.
        let taken: Vec<&[Item]> = lists
            .iter()
            .map(|(items, cap)| &items[..items.len().min(cap * 3)])
            .collect();
        let nodes: Vec<Option<NodeId>> = taken
            .iter()
            .flat_map(|l| l.iter().map(|i| i.node))
            .collect();
        let cached = self
            .rendered
            .borrow()
            .iter()
            .find(|(n, _)| *n == nodes)
            .map(|(_, f)| f.clone());
        let formulas = cached.unwrap_or_else(|| {
            let f = render(self.g, self.names, &nodes, BUDGET);
            self.rendered.borrow_mut().push((nodes.clone(), f.clone()));
            f
        });
        let mut rendered = formulas.entries.into_iter();
        let mut out = Vec::new();
        for (items, (all, cap)) in taken.iter().zip(lists) {
            let entries: Vec<(&str, Entry)> = items
                .iter()
                .map(|i| {
                    (
                        i.label.as_str(),
                        rendered.next().expect("an entry per item"),
                    )
                })
                .collect();
            let mut lines = Vec::new();
            let mut k = 0;
            while k < entries.len() && lines.len() < *cap {
                let (label, entry) = &entries[k];
                let run = entries[k..].iter().take_while(|(_, e)| e == entry).count();
                match entry {
                    Entry::Formula(s) => lines.push(format!("- `{label} = {s}`")),
                    Entry::Generated(w) if run >= 3 && !matches!(w, Why::Large(_)) => {
                        let last = entries[k + run - 1].0;
                        lines.push(format!("- `{label}` to `{last}`: {}", w.describe()));
                        k += run;
                        continue;
                    }
                    Entry::Generated(w) => lines.push(format!("- `{label}`: {}", w.describe())),
                }
                k += 1;
            }
            if all.len() > k {
                lines.push(format!("- … ({} more)", all.len() - k));
            }
            out.push(lines.join("\n"));
        }
        let mut after = String::new();
        if !formulas.definitions.is_empty() {
            let lines: Vec<String> = formulas
                .definitions
                .iter()
                .map(|(name, s)| format!("- `{name} = {s}`"))
                .collect();
            after = format!("\n\nwhere\n\n{}", lines.join("\n"));
        }
        if formulas.brackets {
            after.push_str("\n\n(A bracket `[c]` is 1 when the condition `c` holds, else 0.)");
        }
        (out, after)
    }

    /// The documentation of `NAME_gradient` or, `with_value`, `NAME_value_and_gradient`.
    pub fn gradient(&self, row: &[Option<NodeId>], with_value: bool) -> String {
        let shape = self.shape(self.f(), false);
        let returns = if with_value {
            format!("Returns `(value, {shape})` at the given point, with")
        } else {
            format!("Returns `{shape}` at the given point:")
        };
        let items = self.gradient_items(row);
        let (lists, after) = self.lists(&[(&items, MAX_GRADIENT_LINES)]);
        format!("{returns}\n\n{}{after}", lists[0])
    }

    /// The documentation of `NAME_jacobian` or, `with_value`, `NAME_value_and_jacobian`.
    pub fn jacobian(&self, rows: &[Vec<Option<NodeId>>], with_value: bool) -> String {
        let (m, n) = (rows.len(), self.vars.len());
        let template = match self.sig.output {
            Output::Tuple(_) => format!("{}.i", self.f()),
            _ => format!("{}[i]", self.f()),
        };
        let what = format!(
            "the {m} × {n} Jacobian, whose row `i` is `{}`",
            self.shape(&template, true)
        );
        let returns = if with_value {
            format!("Returns `(value, J)` with `J` {what}.")
        } else {
            format!("Returns {what}.")
        };
        let (items, zeros) = Self::nonzero(rows.iter().enumerate().flat_map(|(i, row)| {
            let out = self.output(i);
            self.vars
                .iter()
                .zip(row)
                .map(move |(v, node)| (format!("∂{out}/∂{v}"), *node))
        }));
        if items.is_empty() {
            return format!("{returns} All its entries are 0.");
        }
        let (lists, after) = self.lists(&[(&items, MAX_LINES)]);
        let rest = if zeros {
            "\n\nAll other entries are 0."
        } else {
            ""
        };
        format!(
            "{returns} Its nonzero entries:\n\n{}{after}{rest}",
            lists[0]
        )
    }

    /// The documentation of `NAME_hessian` or, with the gradient's entries,
    /// `NAME_value_gradient_and_hessian`; `upper[i][j]` for `j ≥ i` are the entries on and above
    /// the diagonal.
    pub fn hessian(
        &self,
        gradient: Option<&[Option<NodeId>]>,
        upper: &[Vec<Option<NodeId>>],
    ) -> String {
        let n = self.vars.len();
        let f = self.f();
        let second = |i: usize, j: usize| {
            if i == j {
                format!("∂²{f}/∂{}²", self.vars[i])
            } else {
                format!("∂²{f}/∂{}∂{}", self.vars[i], self.vars[j])
            }
        };
        let matrix = if n <= 2 {
            let rows: Vec<String> = (0..n)
                .map(|i| {
                    let row: Vec<String> = (0..n).map(|j| second(i, j)).collect();
                    format!("[{}]", row.join(", "))
                })
                .collect();
            format!("`[{}]`", rows.join(", "))
        } else {
            "whose entry `[i][j]` is the second derivative with respect to the `i`-th and the \
             `j`-th variable"
                .to_string()
        };
        let pairs = (0..n).flat_map(|i| (i..n).map(move |j| (i, j)));
        let (items, zeros) = Self::nonzero(pairs.map(|(i, j)| {
            let node = upper.get(i).and_then(|r| r.get(j)).copied().flatten();
            (second(i, j), node)
        }));
        let grad_items = gradient.map(|row| self.gradient_items(row));
        let mut all: Vec<(&[Item], usize)> = Vec::new();
        if let Some(g) = &grad_items {
            all.push((g, MAX_GRADIENT_LINES));
        }
        all.push((&items, MAX_LINES));
        let (lists, after) = self.lists(&all);
        let entries = if items.is_empty() {
            format!(". All its entries are 0.{after}")
        } else {
            let rest = if zeros {
                "\n\nAll other entries on and above the diagonal are 0."
            } else {
                ""
            };
            let list = lists.last().expect("the Hessian's list");
            format!(", with nonzero entries on and above the diagonal:\n\n{list}{after}{rest}")
        };
        match gradient {
            None => format!("Returns the symmetric {n} × {n} matrix {matrix}{entries}"),
            Some(_) => format!(
                "Returns `(value, {}, H)` at the given point: the gradient\n\n{}\n\nand the \
                 Hessian `H`, the symmetric {n} × {n} matrix {matrix}{entries}",
                self.shape(f, false),
                lists[0]
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::derive_source;

    /// The gradient of `#[gradient(<args>)] fn f(<params>) -> f64 { <body> }`, rendered: the
    /// entries separated by ` | `, then the `where` definitions.
    fn grad_with(args: &str, params: &str, body: &str) -> String {
        let src = format!("fn f({params}) -> f64 {{ {body} }}");
        let (front, d) = derive_source(args, &src);
        let names = Names::new(&front.sig, &front.func);
        let f = render(&d.lowered.graph, &names, &d.gradient_row(0), BUDGET);
        let mut parts: Vec<String> = f
            .entries
            .iter()
            .map(|e| match e {
                Entry::Formula(s) => s.clone(),
                Entry::Generated(w) => w.describe(),
            })
            .collect();
        parts.extend(
            f.definitions
                .iter()
                .map(|(n, s)| format!("where {n} = {s}")),
        );
        parts.join(" | ")
    }

    fn grad(params: &str, body: &str) -> String {
        grad_with("", params, body)
    }

    const XY: &str = "x: f64, y: f64";

    #[test]
    #[rustfmt::skip]
    fn lecture() {
        assert_eq!(grad(XY, "x * x * y + y"), "2·x·y | x² + 1");
        assert_eq!(grad("x: f64", "3.0 * x"), "3");
        assert_eq!(grad("x: f64", "x * x"), "2·x");
    }

    #[test]
    #[rustfmt::skip]
    fn chains() {
        assert_eq!(grad("x: f64", "(x * x).sin().exp()"), "2·x·exp(sin(x²))·cos(x²)");
        assert_eq!(grad("x: f64", "x.sin() * x.cos()"), "cos(x)² − sin(x)²");
        assert_eq!(grad("x: f64", "x.exp().ln()"), "exp(x)/exp(x)"); // nothing cancels
        assert_eq!(grad(XY, "(x * y).sin() + (y * x).cos()"), "y·(cos(x·y) − sin(x·y)) | x·(cos(x·y) − sin(x·y))");
        assert_eq!(grad("x: f64", "f(g(x), h(x))"), "h′(x)·∂₂f(g(x), h(x)) + g′(x)·∂₁f(g(x), h(x))");
    }

    #[test]
    #[rustfmt::skip]
    fn quotients_and_powers() {
        assert_eq!(grad(XY, "x / y"), "1/y | −x/y²");
        assert_eq!(grad("x: f64", "x / 4.0"), "0.25");
        assert_eq!(grad("x: f64", "3.0 / x"), "−3/x²");
        assert_eq!(grad("x: f64", "x.recip()"), "−1/x²");
        assert_eq!(grad("x: f64", "x.sqrt()"), "1/(2·√x)");
        assert_eq!(grad("x: f64", "x.cbrt()"), "1/(3·(∛x)²)");
        assert_eq!(grad("x: f64", "x.powi(3)"), "3·x²");
        assert_eq!(grad("x: f64", "x.powi(-2)"), "−2/x³");
        assert_eq!(grad("x: f64", "x.powf(2.5)"), "2.5·x^1.5");
        assert_eq!(grad(XY, "x.powf(y)"), "y·x^(y − 1) | x^y·ln(x)");
        assert_eq!(grad(XY, "x.atan2(y)"), "y/(x² + y²) | −x/(x² + y²)");
    }

    #[test]
    #[rustfmt::skip]
    fn functions_and_constants() {
        assert_eq!(grad("x: f64", "x.tanh()"), "1 − tanh(x)²");
        assert_eq!(grad("x: f64", "x.atan()"), "1/(x² + 1)");
        assert_eq!(grad("x: f64", "x.asinh()"), "1/√(x² + 1)");
        assert_eq!(grad("x: f64", "x.exp_m1()"), "exp(x)");
        assert_eq!(grad("x: f64", "x.exp2()"), "2^x·ln(2)");
        assert_eq!(grad("x: f64", "x.ln() + x.log2()"), "1/(x·ln(2)) + 1/x");
        assert_eq!(grad("x: f64", "x * std::f64::consts::PI"), "π");
        assert_eq!(grad("x: f64", "x.to_degrees()"), "180/π");
        assert_eq!(grad("x: f64", "0.1 * x * x"), "x/5");
        assert_eq!(grad("x: f64", "x.abs()"), "sgn(x)");
        assert_eq!(grad(XY, "x.hypot(y)"), "x/hypot(x, y) | y/hypot(x, y)");
        assert_eq!(grad(XY, "x.max(y)"), "(0 if x < y else 1 − [x ≠ x]) | (1 if x < y else [x ≠ x])");
        assert_eq!(grad(XY, "x.clamp(y, 3.0)"), "(0 if x > 3 else 1 − [x < y]) | [x < y]");
        assert_eq!(grad("x: f64", "x.floor() + x"), "1");
    }

    #[test]
    #[rustfmt::skip]
    fn shared_subexpressions_get_where_definitions() {
        let body = "let r = (x * x + y * y + 1.0).sqrt(); r.sin() / r";
        assert_eq!(grad(XY, body), "x·(cos(u)/u − sin(u)/u²)/u | y·(cos(u)/u − sin(u)/u²)/u | where u = √(x² + y² + 1)");
        // Short formulas keep their repetitions.
        assert!(!grad(XY, "let r = (x * x + y * y).sqrt(); r.sin() / r").contains("where"));
        // A `where` name is never one of the function's names.
        assert_eq!(grad("x: f64, y: f64, u: f64", &format!("u * {{ {body} }}")).matches("where v = ").count(), 1);
    }

    #[test]
    fn too_large_is_summarised() {
        let body = "(x + 1.0).sin() * (x + 2.0).cos() * (x + 3.0).exp() * (x + 4.0).ln() \
                    * (x + 5.0).sqrt() * (x + 6.0).tanh() * (x + 7.0).atan() * (x + 8.0).asinh()";
        assert_eq!(
            grad("x: f64", body),
            "an expression of 59 operations, not shown"
        );
    }

    #[test]
    #[rustfmt::skip]
    fn arrays_and_indices() {
        assert_eq!(grad("w: [f64; 3]", "w[0] * w[1] + w[2] * w[2]"), "w[1] | w[0] | 2·w[2]");
        assert_eq!(grad("w: [f64; 2], x: [f64; 2]", "w[0] * x[0] + w[1] * x[1]"), "x[0] | x[1] | w[0] | w[1]");
        assert_eq!(grad_with("wrt(w)", "w: [f64; 2], x: [f64; 2]", "w[0] * x[0] + w[1] * x[1]"), "x[0] | x[1]");
        assert_eq!(grad("w: [f64; 3], i: usize", "w[i] * w[i]"), "2·w[i]·[i = 0] | 2·w[i]·[i = 1] | 2·w[i]·[i = 2]");
    }

    #[test]
    #[rustfmt::skip]
    fn values_from_user_code() {
        assert_eq!(grad_with("wrt(x)", "x: f64, c: f64", "c * x * x"), "2·c·x");
        assert_eq!(grad_with("wrt(x)", "x: f64, c: f64", "x * c.sin() * (c * 2.0).max(1.0)"), "sin(c)·max(2·c, 1)");
        assert_eq!(grad("x: f64, n: usize", "x * n as f64"), "n");
        assert_eq!(grad("x: f64", "OFFSETS[1] * x * x"), "2·x·OFFSETS[1]");
        // A rebound parameter or a call's result could mean something else elsewhere.
        let user = "computed by the generated code (it depends on a value computed by user code)";
        assert_eq!(grad_with("wrt(x)", "x: f64, c: f64", "let c = c + 1.0; c * x"), user);
        assert_eq!(grad("x: f64", "helper(2.0) * x"), user);
        assert_eq!(grad("x: f64, n: usize", "x * (n / 2) as f64"), user);
    }

    #[test]
    #[rustfmt::skip]
    fn what_cannot_be_written_is_said() {
        let branch = "computed by the generated code (it depends on a branch taken at run time)";
        assert_eq!(grad("x: f64", "if x > 0.0 { x * x } else { -x }"), branch);
        assert_eq!(grad(XY, "if x > y { x * y } else { y }"), format!("{branch} | {branch}"));
        assert_eq!(grad("x: f64", "{ let t = x * x; t }"), "2·x"); // a scope is not a branch
        let looped = "computed by the generated code (it is carried by a run-time loop)";
        assert_eq!(grad("x: f64, n: usize", "let mut s = x; for _k in 0..n { s = s * x; } s"), looped);
        let exponent = "computed by the generated code (it depends on a run-time exponent)";
        assert_eq!(grad("x: f64, i: i32", "x.powi(i)"), exponent);
        assert_eq!(grad("x: f64, w: [f64; 2], i: usize", "x * w[i]"), "w[i] | x·[i = 0] | x·[i = 1]");
    }

    #[test]
    fn deterministic() {
        let body = "let r = (x * x + y * y + 1.0).ln(); r.sin() * r.cos() * (x - y).exp()";
        assert_eq!(grad(XY, body), grad(XY, body));
    }

    /// The documentation of each companion that `#[gradient(<args>)]` generates for `src`.
    fn docs(args: &str, src: &str) -> Vec<String> {
        let out = crate::expand(args.parse().expect("tokens"), src.parse().expect("tokens"));
        let file: syn::File = syn::parse2(out).expect("items");
        file.items
            .iter()
            .skip(1)
            .map(|item| {
                let syn::Item::Fn(f) = item else {
                    panic!("a companion function")
                };
                let doc = f
                    .attrs
                    .iter()
                    .find(|a| a.path().is_ident("doc"))
                    .expect("a doc");
                let syn::Meta::NameValue(nv) = &doc.meta else {
                    panic!("#[doc = ...]")
                };
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                else {
                    panic!("a string")
                };
                s.value()
            })
            .collect()
    }

    #[test]
    #[rustfmt::skip]
    fn gradient_docs() {
        let d = docs("", "fn f(x: f64, y: f64) -> f64 { x * x * y + y }");
        let formulas = "- `∂f/∂x = 2·x·y`\n- `∂f/∂y = x² + 1`";
        assert_eq!(d[0], format!("The gradient of `f` with respect to `x`, `y` (in this order).\n\nReturns `[∂f/∂x, ∂f/∂y]` at the given point:\n\n{formulas}\n\nGenerated by `#[gradient]` from `f`."));
        assert!(d[1].contains(&format!("Returns `(value, [∂f/∂x, ∂f/∂y])` at the given point, with\n\n{formulas}\n\n")));
        let d = docs("", "fn g(w: [f64; 2], b: f64) -> f64 { w[0] * w[1] + b.max(0.0) }");
        assert!(d[0].contains("Returns `([∂g/∂w[0], ∂g/∂w[1]], ∂g/∂b)` at the given point:\n\n- `∂g/∂w[0] = w[1]`\n- `∂g/∂w[1] = w[0]`\n- `∂g/∂b = (0 if b < 0 else 1 − [b ≠ b])`\n\n(A bracket `[c]` is 1 when the condition `c` holds, else 0.)"));
    }

    #[test]
    #[rustfmt::skip]
    fn jacobian_docs() {
        let src = "fn layer(w: [f64; 6], b: [f64; 3], x: [f64; 2]) -> [f64; 3] {
            [w[0] * x[0] + w[1] * x[1] + b[0], w[2] * x[0] + w[3] * x[1] + b[1], w[4] * x[0] + w[5] * x[1] + b[2]]
        }";
        let d = docs("", src);
        assert!(d[0].contains("Returns the 3 × 11 Jacobian, whose row `i` is `[∂layer[i]/∂w[0], ∂layer[i]/∂w[1], ∂layer[i]/∂w[2], …, ∂layer[i]/∂x[1]]`. Its nonzero entries:\n\n- `∂layer[0]/∂w[0] = x[0]`\n"));
        assert!(d[0].contains("- `∂layer[2]/∂w[5] = x[1]`\n- … (3 more)\n\nAll other entries are 0."));
        assert_eq!(d[0].matches("\n- `").count(), 12);
        let d = docs("", "fn polar(r: f64, t: f64) -> (f64, f64) { (r * t.cos(), r * t.sin()) }");
        assert!(d[1].contains("Returns `(value, J)` with `J` the 2 × 2 Jacobian, whose row `i` is `[∂polar.i/∂r, ∂polar.i/∂t]`. Its nonzero entries:\n\n- `∂polar.0/∂r = cos(t)`\n- `∂polar.0/∂t = −r·sin(t)`\n- `∂polar.1/∂r = sin(t)`\n- `∂polar.1/∂t = r·cos(t)`\n\nGenerated"));
    }

    #[test]
    #[rustfmt::skip]
    fn hessian_docs() {
        let src = "fn rosenbrock(x: f64, y: f64) -> f64 { (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2) }";
        let d = docs("hessian", src);
        let hessian = "the symmetric 2 × 2 matrix `[[∂²rosenbrock/∂x², ∂²rosenbrock/∂x∂y], [∂²rosenbrock/∂y∂x, ∂²rosenbrock/∂y²]]`, with nonzero entries on and above the diagonal:\n\n- `∂²rosenbrock/∂x² = −400·(y − x²) + 800·x² + 2`\n- `∂²rosenbrock/∂x∂y = −400·x`\n- `∂²rosenbrock/∂y² = 200`\n\nGenerated";
        assert!(d[2].contains(&format!("Returns {hessian}")));
        assert!(d[3].contains(&format!("Returns `(value, [∂rosenbrock/∂x, ∂rosenbrock/∂y], H)` at the given point: the gradient\n\n- `∂rosenbrock/∂x = −400·x·(y − x²) − 2·(1 − x)`\n- `∂rosenbrock/∂y = 200·(y − x²)`\n\nand the Hessian `H`, {hessian}")));
        let d = docs("hessian", "fn sum3(v: [f64; 3]) -> f64 { v[0] * v[0] + v[1] + v[2] }");
        assert!(d[2].contains("whose entry `[i][j]` is the second derivative with respect to the `i`-th and the `j`-th variable, with nonzero entries on and above the diagonal:\n\n- `∂²sum3/∂v[0]² = 2`\n\nAll other entries on and above the diagonal are 0."));
    }
}
