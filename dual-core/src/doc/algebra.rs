//! The formula type and its simplifying constructors: a formula is normalised only by identities
//! of real arithmetic (like terms and equal factors are collected, nothing cancels), so it never
//! claims a value where the code has none.

use crate::ir::prim::{Notation, Ternary};
use crate::ir::{Binary, Unary};

/// Math as it is displayed in the documentation.
#[derive(Clone, PartialEq, Debug)]
pub(super) enum Formula {
    /// A number.
    Num(f64),
    /// A name or a symbolic constant (an atom).
    Sym(String),
    /// Terms, in order (a term's sign is that of its coefficient).
    Sum(Vec<Formula>),
    /// `num/den · Π factorᵉ`; negative exponents form the denominator.
    Prod {
        /// The numerator's number.
        num: f64,
        /// The denominator's number.
        den: f64,
        /// Each factor with its exponent.
        factors: Vec<(Formula, i32)>,
    },
    /// `prefix(args)suffix`: `sin(x)`, `max(a, b)`, `g(x, y)[1]`.
    Call(String, Vec<Formula>, String),
    /// `|x|`, `⌊x⌋`, `⌈x⌉`.
    Wrap(&'static str, Box<Formula>, &'static str),
    /// `√x`, `∛x`.
    Root(&'static str, Box<Formula>),
    /// `x^y` (non-integer or symbolic exponent).
    Pow(Box<Formula>, Box<Formula>),
    /// `(then if lhs cmp rhs else other)`.
    Select(Box<[Formula; 4]>, &'static str),
    /// `[a, b, c]`.
    List(Vec<Formula>),
    /// `items[index]`.
    Index(Box<Formula>, Box<Formula>),
    /// `[lhs cmp rhs]`: 1 when the comparison holds, else 0.
    Iverson(Box<[Formula; 2]>, &'static str),
}

impl Formula {
    /// The formulas this one is made of, in order.
    fn parts(&self) -> Vec<&Formula> {
        match self {
            Formula::Num(_) | Formula::Sym(_) => vec![],
            Formula::Sum(ts) | Formula::Call(_, ts, _) | Formula::List(ts) => ts.iter().collect(),
            Formula::Prod { factors, .. } => factors.iter().map(|(f, _)| f).collect(),
            Formula::Wrap(_, x, _) | Formula::Root(_, x) => vec![x],
            Formula::Pow(a, b) | Formula::Index(a, b) => vec![a, b],
            Formula::Select(parts, _) => parts.iter().collect(),
            Formula::Iverson(parts, _) => parts.iter().collect(),
        }
    }

    /// The number of nodes of the formula.
    pub(super) fn size(&self) -> usize {
        1 + self.parts().into_iter().map(Formula::size).sum::<usize>()
    }

    /// Whether the formula contains an Iverson bracket.
    pub(super) fn has_iverson(&self) -> bool {
        matches!(self, Formula::Iverson(..)) || self.parts().into_iter().any(Formula::has_iverson)
    }

    /// Whether the formula is written with a leading minus.
    pub(super) fn is_negative(&self) -> bool {
        match self {
            Formula::Num(v) => *v < 0.0,
            Formula::Prod { num, .. } => *num < 0.0,
            _ => false,
        }
    }

    /// Atoms need no parentheses anywhere.
    pub(super) fn is_atom(&self) -> bool {
        match self {
            Formula::Num(v) => *v >= 0.0,
            Formula::Sym(_)
            | Formula::Call(..)
            | Formula::Wrap(..)
            | Formula::Select(..)
            | Formula::List(_)
            | Formula::Index(..)
            | Formula::Iverson(..) => true,
            _ => false,
        }
    }

    /// `−self`: a sum negates its terms, a product its coefficient.
    pub(super) fn negated(self) -> Formula {
        match self {
            Formula::Num(v) => Formula::Num(-v),
            Formula::Prod { num, den, factors } => Formula::Prod {
                num: -num,
                den,
                factors,
            },
            Formula::Sum(ts) => Formula::Sum(ts.into_iter().map(Formula::negated).collect()),
            other => Formula::Prod {
                num: -1.0,
                den: 1.0,
                factors: vec![(other, 1)],
            },
        }
    }
}

/// `a · b`, when it is exact.
fn exact_mul(a: f64, b: f64) -> Option<f64> {
    let p = a * b;
    (p.is_finite() && a.mul_add(b, -p) == 0.0).then_some(p)
}

/// `a + b`, when it is exact.
fn exact_add(a: f64, b: f64) -> Option<f64> {
    // Knuth's two-sum: the rounding error of a + b.
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    (s.is_finite() && err == 0.0).then_some(s)
}

/// Whether `v` is an integer that a float holds exactly.
pub(super) fn small_integer(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() < 1e15
}

/// A term as coefficient × rest (the rest is `Num(1)` for a constant).
fn split_coefficient(t: Formula) -> (f64, Formula) {
    match t {
        Formula::Num(v) => (v, Formula::Num(1.0)),
        Formula::Prod { num, den, factors } => (
            num,
            Formula::Prod {
                num: 1.0,
                den,
                factors,
            },
        ),
        other => (1.0, other),
    }
}

/// `c · rest`, the inverse of `split_coefficient`.
fn with_coefficient(c: f64, rest: Formula) -> Formula {
    match rest {
        Formula::Num(_) => Formula::Num(c),
        Formula::Prod { den, factors, .. } => finish_product(c, den, factors),
        other if c == 1.0 => other,
        other => Formula::Prod {
            num: c,
            den: 1.0,
            factors: vec![(other, 1)],
        },
    }
}

/// `a + b`.
pub(super) fn add(a: Formula, b: Formula) -> Formula {
    let mut terms: Vec<Formula> = Vec::new();
    for e in [a, b] {
        match e {
            Formula::Sum(ts) => ts.into_iter().for_each(|t| push_term(&mut terms, t)),
            t => push_term(&mut terms, t),
        }
    }
    match terms.len() {
        1 => terms.pop().expect("one term"),
        _ => Formula::Sum(terms),
    }
}

/// Adds a term, collecting it with a like term of the same sign (so nothing cancels but
/// constants).
fn push_term(terms: &mut Vec<Formula>, t: Formula) {
    if let Formula::Num(b) = t {
        if let Some(k) = terms.iter().position(|e| matches!(e, Formula::Num(_))) {
            let Formula::Num(a) = terms[k] else {
                unreachable!("a number")
            };
            if let Some(s) = exact_add(a, b) {
                if s == 0.0 {
                    terms.remove(k);
                } else {
                    terms[k] = Formula::Num(s);
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
fn like(a: &Formula, b: &Formula) -> bool {
    match (a, b) {
        (
            Formula::Prod {
                num: n1,
                den: d1,
                factors: f1,
            },
            Formula::Prod {
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

/// A product under construction.
struct Product {
    num: f64,
    den: f64,
    factors: Vec<(Formula, i32)>,
}

impl Product {
    /// The empty product, 1.
    fn new() -> Self {
        Product {
            num: 1.0,
            den: 1.0,
            factors: Vec::new(),
        }
    }

    /// Multiplies by `eᵏ`.
    fn push(&mut self, e: Formula, k: i32) {
        match e {
            Formula::Num(v) if k == 1 || k == -1 => {
                let slot = if k == 1 { &mut self.num } else { &mut self.den };
                match exact_mul(*slot, v) {
                    Some(p) => *slot = p,
                    None => self.factor(Formula::Num(v), k),
                }
            }
            Formula::Prod { num, den, factors }
                if (k == 1 || k == -1 || (num == 1.0 && den == 1.0))
                    && factors.iter().all(|(_, j)| j.checked_mul(k).is_some()) =>
            {
                if k < 0 {
                    self.push(Formula::Num(den), 1);
                    self.push(Formula::Num(num), -1);
                } else if k == 1 {
                    self.push(Formula::Num(num), 1);
                    self.push(Formula::Num(den), -1);
                }
                for (f, j) in factors {
                    self.factor(f, j * k);
                }
            }
            other => self.factor(other, k),
        }
    }

    /// Multiplies by `fᵏ`, merging with an equal factor whose exponent has the same sign.
    fn factor(&mut self, f: Formula, k: i32) {
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

    /// The product, in its one normal form.
    fn finish(self) -> Formula {
        finish_product(self.num, self.den, self.factors)
    }
}

/// `num/den · Π factorᵏ` in its one normal form: a single number where that is exact, the
/// factors in a fixed order, a lone factor unwrapped.
fn finish_product(mut num: f64, mut den: f64, mut factors: Vec<(Formula, i32)>) -> Formula {
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
    let rank = |e: &Formula| match e {
        Formula::Sym(s) if s.starts_with(char::is_uppercase) => 1,
        Formula::Sym(_) => 0,
        _ => 2,
    };
    factors.sort_by(|(a, j), (b, k)| {
        (*j < 0, rank(a))
            .cmp(&(*k < 0, rank(b)))
            .then_with(|| match (a, b) {
                (Formula::Sym(a), Formula::Sym(b)) => a.cmp(b),
                _ => std::cmp::Ordering::Equal,
            })
    });
    if factors.is_empty() && den == 1.0 {
        return Formula::Num(num);
    }
    if num == 1.0 && den == 1.0 && factors.len() == 1 && factors[0].1 == 1 {
        return factors.into_iter().next().expect("one factor").0;
    }
    Formula::Prod { num, den, factors }
}

/// `Π factorᵏ`, its like factors and numbers collected.
fn product(factors: impl IntoIterator<Item = (Formula, i32)>) -> Formula {
    let mut p = Product::new();
    for (f, k) in factors {
        p.push(f, k);
    }
    p.finish()
}

/// `a · b`.
pub(super) fn mul(a: Formula, b: Formula) -> Formula {
    product([(a, 1), (b, 1)])
}

/// `a / b`.
pub(super) fn div(a: Formula, b: Formula) -> Formula {
    product([(a, 1), (b, -1)])
}

/// `xⁿ`.
pub(super) fn power(x: Formula, n: i32) -> Formula {
    if n == 0 {
        return Formula::Num(1.0);
    }
    product([(x, n)])
}

/// `name(args)`.
pub(super) fn call(name: &str, args: Vec<Formula>) -> Formula {
    Formula::Call(name.to_string(), args, String::new())
}

/// The primitive `u` applied to `x`, as its row of the table writes it.
pub(super) fn unary(u: Unary, x: Formula) -> Formula {
    u.notation(&mut Math, x)
}

/// The primitive `b` applied to `x` and `y`, as its row of the table writes it.
pub(super) fn binary(b: Binary, x: Formula, y: Formula) -> Formula {
    b.notation(&mut Math, x, y)
}

/// The primitive `t` applied to `x`, `y` and `z`, as its row of the table writes it.
pub(super) fn ternary(t: Ternary, x: Formula, y: Formula, z: Formula) -> Formula {
    t.notation(&mut Math, x, y, z)
}

/// The notation the primitives' rows are written against, for formulas.
struct Math;

impl Notation for Math {
    type Formula = Formula;

    fn num(&mut self, v: f64) -> Formula {
        Formula::Num(v)
    }
    fn symbol(&mut self, name: &str) -> Formula {
        Formula::Sym(name.into())
    }
    fn neg(&mut self, a: Formula) -> Formula {
        a.negated()
    }
    fn add(&mut self, a: Formula, b: Formula) -> Formula {
        add(a, b)
    }
    fn mul(&mut self, a: Formula, b: Formula) -> Formula {
        mul(a, b)
    }
    fn div(&mut self, a: Formula, b: Formula) -> Formula {
        div(a, b)
    }
    fn pow(&mut self, a: Formula, b: Formula) -> Formula {
        Formula::Pow(Box::new(a), Box::new(b))
    }
    fn power(&mut self, a: Formula, n: i32) -> Formula {
        power(a, n)
    }
    fn call(&mut self, name: &str, args: Vec<Formula>) -> Formula {
        call(name, args)
    }
    fn root(&mut self, symbol: &'static str, a: Formula) -> Formula {
        Formula::Root(symbol, Box::new(a))
    }
    fn wrap(&mut self, left: &'static str, a: Formula, right: &'static str) -> Formula {
        Formula::Wrap(left, Box::new(a), right)
    }
    fn constant(&self, a: &Formula) -> Option<f64> {
        match a {
            Formula::Num(v) => Some(*v),
            _ => None,
        }
    }
}

/// `if lhs cmp rhs { then } else { other }`: `[lhs cmp rhs]` (Iverson's bracket) when it
/// selects 1 or 0, `1 − [lhs cmp rhs]` when it selects 0 or 1.
pub(super) fn select(
    lhs: Formula,
    cmp: &'static str,
    rhs: Formula,
    then: Formula,
    other: Formula,
) -> Formula {
    let bracket = |l, r| Formula::Iverson(Box::new([l, r]), cmp);
    match (&then, &other) {
        (Formula::Num(t), Formula::Num(o)) if *t == 1.0 && *o == 0.0 => bracket(lhs, rhs),
        (Formula::Num(t), Formula::Num(o)) if *t == 0.0 && *o == 1.0 => {
            add(Formula::Num(1.0), bracket(lhs, rhs).negated())
        }
        _ => Formula::Select(Box::new([lhs, rhs, then, other]), cmp),
    }
}
