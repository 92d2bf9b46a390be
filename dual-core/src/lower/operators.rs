//! Arithmetic and other binary operators.

use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, UnOp};

use crate::front::types::{is_float, is_float_like};
use crate::ir::Binary;
use crate::ir::Shape;

use super::env::Val;
use super::Lower;

/// The primitive of `+ - * /`.
pub(super) fn arithmetic(op: &BinOp) -> Option<Binary> {
    match op {
        BinOp::Add(_) => Some(Binary::Add),
        BinOp::Sub(_) => Some(Binary::Sub),
        BinOp::Mul(_) => Some(Binary::Mul),
        BinOp::Div(_) => Some(Binary::Div),
        _ => None,
    }
}

pub(super) fn compound_op(op: &BinOp) -> Option<Binary> {
    match op {
        BinOp::AddAssign(_) => Some(Binary::Add),
        BinOp::SubAssign(_) => Some(Binary::Sub),
        BinOp::MulAssign(_) => Some(Binary::Mul),
        BinOp::DivAssign(_) => Some(Binary::Div),
        _ => None,
    }
}

pub(super) fn assign_op_token(op: Binary) -> BinOp {
    match op {
        Binary::Add => BinOp::AddAssign(Default::default()),
        Binary::Sub => BinOp::SubAssign(Default::default()),
        Binary::Mul => BinOp::MulAssign(Default::default()),
        _ => BinOp::DivAssign(Default::default()),
    }
}

impl Lower {
    pub(super) fn lower_binary(&mut self, b: &syn::ExprBinary) -> Val {
        match b.op {
            _ if arithmetic(&b.op).is_some() => self.lower_arithmetic(b),
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_) => {
                self.lower_expr_stmt(&Expr::Binary(b.clone()), false);
                Val::Tokens(quote!(()))
            }
            BinOp::Rem(_) | BinOp::RemAssign(_) if self.touches_active(b.to_token_stream()) => {
                self.unsupported(&Expr::Binary(b.clone()), "the remainder operator `%`")
            }
            _ => self.read(&Expr::Binary(b.clone())),
        }
    }

    /// `a + b - c * d …`: the left operands of a chain are walked in a loop, not recursively, so
    /// a sum of any number of terms in one expression is fine.
    pub(super) fn lower_arithmetic(&mut self, b: &syn::ExprBinary) -> Val {
        let mut spine = vec![b];
        let mut leftmost = &*b.left;
        while let Expr::Binary(inner) = leftmost {
            if arithmetic(&inner.op).is_none() {
                break;
            }
            spine.push(inner);
            leftmost = &*inner.left;
        }
        let mut acc = self.lower_expr(leftmost);
        let mut acc_span = leftmost.span();
        for node in spine.into_iter().rev() {
            let op = arithmetic(&node.op).expect("only arithmetic on the spine");
            let r = self.lower_expr(&node.right);
            acc = match (acc, r) {
                // Inactive on both sides: the user's tokens (the operands of a chain need no
                // parentheses beyond those the user wrote).
                (Val::Tokens(l), Val::Tokens(r)) => {
                    let o = &node.op;
                    Val::Tokens(quote!(#l #o #r))
                }
                (l, r) => match (self.scalar(l, acc_span), self.scalar(r, node.right.span())) {
                    (Some(l), Some(r)) => {
                        Val::Sym(Shape::Scalar(self.g.binary(op, l, r, node.op.span())))
                    }
                    _ => self.poison(),
                },
            };
            acc_span = acc_span.join(node.right.span()).unwrap_or(acc_span);
        }
        acc
    }

    /// `-x`, `!c`, `*xi`.
    pub(super) fn lower_unary(&mut self, e: &Expr, u: &syn::ExprUnary) -> Val {
        let span = e.span();
        match u.op {
            UnOp::Neg(_) => match self.lower_expr(&u.expr) {
                Val::Tokens(_) => Val::Tokens(e.to_token_stream()),
                v => {
                    let Some(n) = self.scalar(v, span) else {
                        return self.poison();
                    };
                    Val::Sym(Shape::Scalar(self.g.neg(n, span)))
                }
            },
            UnOp::Not(_) => self.read(e),
            _ => match self.lower_expr(&u.expr) {
                Val::Tokens(_) => self.read(e),
                // `*xi` for an element of `x.iter()`: references are not tracked, so the
                // value is the element itself.
                v => v,
            },
        }
    }

    /// `v as f64` keeps a symbolic value; a cast to another type reads the primal value.
    pub(super) fn lower_cast(&mut self, e: &Expr, c: &syn::ExprCast) -> Val {
        if !self.touches_symbolic(c.expr.to_token_stream()) {
            return Val::Tokens(e.to_token_stream());
        }
        if is_float(&c.ty, self.g.float) {
            match self.lower_expr(&c.expr) {
                // `(x as i64) as f64`: an inactive value read from `x`.
                Val::Tokens(_) => Val::Tokens(e.to_token_stream()),
                v => v,
            }
        } else if is_float_like(&c.ty) {
            self.unsupported(e, "a cast to another float type")
        } else {
            self.read(e)
        }
    }
}
