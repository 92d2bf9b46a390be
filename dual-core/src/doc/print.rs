//! The printer: a formula as text, with `·` for products, superscript powers, `−`, and
//! parentheses only where precedence needs them.

use super::algebra::{small_integer, Formula};
use crate::ir::FloatTy;

/// How tightly the context of a formula binds, loosest first: a formula is parenthesized when it
/// binds less tightly than its context requires.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Precedence {
    /// A whole formula, an argument, an index: nothing to bind.
    Top,
    /// A term of a sum.
    Term,
    /// A factor of a product.
    Factor,
    /// The base of a power.
    Base,
}

use Precedence::{Base, Factor, Term, Top};

/// `n` in superscript digits: `⁻²`.
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

/// `n` in subscript digits: `₁₂`.
pub(super) fn subscript(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or('?'))
        .collect()
}

/// `(s)` when `cond`, else `s`.
fn parenthesized_if(cond: bool, s: String) -> String {
    if cond {
        format!("({s})")
    } else {
        s
    }
}

/// Prints formulas with the numbers of the function's float type.
pub(super) struct Printer {
    /// The function's float type.
    pub(super) float: FloatTy,
}

impl Printer {
    /// The shortest decimal that reads back as `v` in the function's float type.
    pub(super) fn number(&self, v: f64) -> String {
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

    /// `e` as text, in a context that binds as tightly as `prec`.
    pub(super) fn show(&self, e: &Formula, prec: Precedence) -> String {
        match e {
            Formula::Num(v) => parenthesized_if(*v < 0.0 && prec >= Factor, self.number(*v)),
            Formula::Sym(s) => s.clone(),
            Formula::Sum(terms) => parenthesized_if(prec >= Factor, self.sum(terms)),
            Formula::Prod { num, den, factors } => self.product(*num, *den, factors, prec),
            Formula::Call(name, args, suffix) => {
                format!("{name}({}){suffix}", self.comma_separated(args))
            }
            Formula::Wrap(l, x, r) => format!("{l}{}{r}", self.show(x, Top)),
            Formula::Root(sym, x) => {
                parenthesized_if(prec >= Base, format!("{sym}{}", self.operand(x)))
            }
            Formula::Pow(b, x) => {
                let s = format!("{}^{}", self.show(b, Base), self.operand(x));
                parenthesized_if(prec >= Base, s)
            }
            Formula::Select(parts, cmp) => {
                let [l, r, t, o] = &**parts;
                format!(
                    "({} if {} {cmp} {} else {})",
                    self.show(t, Top),
                    self.show(l, Top),
                    self.show(r, Top),
                    self.show(o, Top)
                )
            }
            Formula::List(items) => format!("[{}]", self.comma_separated(items)),
            Formula::Index(items, i) => {
                format!("{}[{}]", self.show(items, Base), self.show(i, Top))
            }
            Formula::Iverson(parts, cmp) => {
                let [l, r] = &**parts;
                format!("[{} {cmp} {}]", self.show(l, Top), self.show(r, Top))
            }
        }
    }

    /// `a, b, c`.
    fn comma_separated(&self, items: &[Formula]) -> String {
        let items: Vec<String> = items.iter().map(|a| self.show(a, Top)).collect();
        items.join(", ")
    }

    /// The operand of a root or the exponent of a power: an atom as it is, else parenthesized.
    fn operand(&self, x: &Formula) -> String {
        parenthesized_if(!x.is_atom(), self.show(x, Top))
    }

    /// `a + b − c`: each term's sign is written as the operator before it.
    fn sum(&self, terms: &[Formula]) -> String {
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
                self.show(&t.clone().negated(), Term)
            } else {
                self.show(t, Term)
            };
            s.push_str(&shown);
        }
        s
    }

    /// `f` or `fᵏ`.
    fn factor(&self, f: &Formula, k: i32) -> String {
        if k == 1 {
            self.show(f, Factor)
        } else {
            format!("{}{}", self.show(f, Base), superscript(k))
        }
    }

    /// `num/den · Π factorᵏ`: `2·x·y`, `−x/y²`, `x/(2·√x)`.
    fn product(&self, num: f64, den: f64, factors: &[(Formula, i32)], prec: Precedence) -> String {
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
        parenthesized_if(prec >= Base || (prec == Factor && (neg || over)), s)
    }
}
