//! Integers and conditions known at compile time: literals, counters of unrolled loops, lengths
//! of differentiated arrays, and arithmetic and comparisons on them.

use syn::{BinOp, Expr, Lit, UnOp};

use crate::ir::Shape;

use super::env::Binding;
use super::Lower;

impl Lower {
    pub(super) fn const_index(&self, e: &Expr) -> Option<usize> {
        self.const_int(e).and_then(|v| usize::try_from(v).ok())
    }

    /// The value of an integer expression known at compile time: literals, counters of unrolled
    /// loops, `len()` of differentiated arrays, and arithmetic on them.
    pub(super) fn const_int(&self, e: &Expr) -> Option<i64> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(n), ..
            }) => n.base10_parse().ok(),
            Expr::Paren(p) => self.const_int(&p.expr),
            Expr::Group(g) => self.const_int(&g.expr),
            Expr::Cast(c) => self.const_int(&c.expr),
            Expr::Path(p) => match self.env.lookup(&p.path.get_ident()?.to_string()) {
                Some(Binding::Counter { value, .. }) => Some(*value),
                _ => None,
            },
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                self.const_int(&u.expr)?.checked_neg()
            }
            Expr::Binary(b) => {
                let (l, r) = (self.const_int(&b.left)?, self.const_int(&b.right)?);
                match b.op {
                    BinOp::Add(_) => l.checked_add(r),
                    BinOp::Sub(_) => l.checked_sub(r),
                    BinOp::Mul(_) => l.checked_mul(r),
                    BinOp::Div(_) => l.checked_div(r),
                    BinOp::Rem(_) => l.checked_rem(r),
                    _ => None,
                }
            }
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => match &*m.receiver {
                Expr::Path(p) => match self.env.lookup(&p.path.get_ident()?.to_string()) {
                    Some(Binding::Sym {
                        value: Shape::Array(items),
                        ..
                    }) => i64::try_from(items.len()).ok(),
                    Some(Binding::Inactive { array: Some(n), .. }) => i64::try_from(*n).ok(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// The value of a condition known at compile time (on loop counters and literals).
    pub(super) fn const_bool(&self, e: &Expr) -> Option<bool> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Bool(b), ..
            }) => Some(b.value),
            Expr::Paren(p) => self.const_bool(&p.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => self.const_bool(&u.expr).map(|b| !b),
            Expr::Binary(b) => match b.op {
                BinOp::And(_) => Some(self.const_bool(&b.left)? && self.const_bool(&b.right)?),
                BinOp::Or(_) => Some(self.const_bool(&b.left)? || self.const_bool(&b.right)?),
                _ => {
                    let (l, r) = (self.const_int(&b.left)?, self.const_int(&b.right)?);
                    match b.op {
                        BinOp::Lt(_) => Some(l < r),
                        BinOp::Le(_) => Some(l <= r),
                        BinOp::Gt(_) => Some(l > r),
                        BinOp::Ge(_) => Some(l >= r),
                        BinOp::Eq(_) => Some(l == r),
                        BinOp::Ne(_) => Some(l != r),
                        _ => None,
                    }
                }
            },
            _ => None,
        }
    }
}
