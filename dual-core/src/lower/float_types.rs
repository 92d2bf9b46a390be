//! Which values of user code are floats, when the code does not say: learnt from literals, casts,
//! float-only methods and how variables are used.

use syn::{BinOp, Expr, Lit, Pat, UnOp};

use crate::front::types::{float_of, float_type_function};
use crate::ir::Shape;

use super::env::Binding;
use super::operators::{arithmetic, compound_op};
use super::syntax::{float_const, is_float_only_method, is_int_and_float_method};
use super::Lower;

impl Lower {
    /// `let k = n as f64;`, `let k = g(2.0).sin();`: without a type, a variable is still known to
    /// be a float when its value visibly is one (see [`Lower::is_float_typed`]).
    /// `let (p, q) = (d[0], d[1]);`: element by element.
    pub(super) fn mark_float(&mut self, pat: &Pat, ty: Option<&syn::Type>, init: &Expr) {
        match (pat, ty, init) {
            (Pat::Ident(pi), None, _) if self.is_float_typed(init) => {
                self.mark_inactive_float(&pi.ident.to_string());
            }
            (Pat::Tuple(p), None, Expr::Tuple(t)) if p.elems.len() == t.elems.len() => {
                for (p, e) in p.elems.iter().zip(&t.elems) {
                    self.mark_float(p, None, e);
                }
            }
            _ => {}
        }
    }

    /// `k = 2.0 * x0;`, `k -= 0.25;` on an inactive variable: `k` is a float (both sides of an
    /// assignment, and of an arithmetic operator, have one type).
    pub(super) fn learn_float_from_assignment(&mut self, e: &Expr) {
        let (lhs, rhs) = match e {
            Expr::Assign(a) => (&*a.left, &*a.right),
            Expr::Binary(b) if compound_op(&b.op).is_some() => (&*b.left, &*b.right),
            _ => return,
        };
        if let (Expr::Path(p), true) = (lhs, self.is_float_typed(rhs)) {
            if let Some(name) = p.path.get_ident() {
                self.mark_inactive_float(&name.to_string());
            }
        }
    }

    /// `v * 2.0`, `v < 0.5`, `v.sin()`: a variable of user code of undeclared type used as a
    /// float is one (both operands of an arithmetic or comparison operator have one type; only
    /// floats have `sin`). Nested blocks are left to their own statements, where the names they
    /// declare are in scope.
    pub(super) fn learn_floats_from_use(&mut self, e: &Expr) {
        let mut found = Vec::new();
        self.floats_used_in(e, false, &mut found);
        for name in found {
            self.mark_inactive_float(&name);
        }
    }

    /// Collects the variables of undeclared type that `e` uses as floats; `float`: whether `e`
    /// itself is known to be a float (from where it stands).
    pub(super) fn floats_used_in(&self, e: &Expr, float: bool, out: &mut Vec<String>) {
        let float = float || self.is_float_typed(e);
        match e {
            Expr::Path(p) => {
                let Some(name) = p.path.get_ident().map(ToString::to_string) else {
                    return;
                };
                let unknown = matches!(
                    self.env.lookup(&name),
                    Some(Binding::Inactive {
                        float: false,
                        by_ref: false,
                        array: None,
                        elements: false,
                    })
                );
                if float && unknown {
                    out.push(name);
                }
            }
            Expr::Binary(b) => {
                // Both operands have the result's type, or (comparisons) each other's.
                let operands = if arithmetic(&b.op).is_some() {
                    float || self.is_float_typed(&b.left) || self.is_float_typed(&b.right)
                } else if matches!(
                    b.op,
                    BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_)
                ) {
                    self.is_float_typed(&b.left) || self.is_float_typed(&b.right)
                } else {
                    false
                };
                self.floats_used_in(&b.left, operands, out);
                self.floats_used_in(&b.right, operands, out);
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let receiver =
                    is_float_only_method(&name) || (is_int_and_float_method(&name) && float);
                self.floats_used_in(&m.receiver, receiver, out);
                for a in &m.args {
                    self.floats_used_in(a, receiver && name != "powi", out);
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.floats_used_in(a, false, out);
                }
            }
            Expr::Paren(p) => self.floats_used_in(&p.expr, float, out),
            Expr::Group(g) => self.floats_used_in(&g.expr, float, out),
            Expr::Unary(u) => self.floats_used_in(&u.expr, float, out),
            Expr::Cast(c) => self.floats_used_in(&c.expr, false, out),
            Expr::Assign(a) => self.floats_used_in(&a.right, false, out),
            Expr::If(i) => self.floats_used_in(&i.cond, false, out),
            Expr::While(w) => self.floats_used_in(&w.cond, false, out),
            Expr::Array(a) => a
                .elems
                .iter()
                .for_each(|x| self.floats_used_in(x, false, out)),
            Expr::Tuple(t) => t
                .elems
                .iter()
                .for_each(|x| self.floats_used_in(x, false, out)),
            _ => {}
        }
    }

    pub(super) fn mark_inactive_float(&mut self, name: &str) {
        if let Some(Binding::Inactive { float, .. }) = self.env.lookup_mut(name) {
            *float = true;
        }
    }

    /// Whether an expression's value is visibly a float, whatever else it reads: a float literal
    /// or constant, a cast `as f64`, a float-only method (`sin`, `sqrt`, `powi`, …; `abs`, `max`,
    /// `min`, `clamp`, `signum` with a float operand), `f64::sin(..)`, a variable known to be a
    /// float, or arithmetic with such an operand (both operands of `+ - * /` have one type). What
    /// a call's argument matching and run-time loops need to know about values of user code.
    pub(super) fn is_float_typed(&self, e: &Expr) -> bool {
        let float_only = is_float_only_method;
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Float(_), ..
            }) => true,
            Expr::Paren(p) => self.is_float_typed(&p.expr),
            Expr::Group(g) => self.is_float_typed(&g.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => self.is_float_typed(&u.expr),
            Expr::Cast(c) => float_of(&c.ty).is_some(),
            Expr::Binary(b) if arithmetic(&b.op).is_some() => {
                self.is_float_typed(&b.left) || self.is_float_typed(&b.right)
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                float_only(&name)
                    || (is_int_and_float_method(&name)
                        && (self.is_float_typed(&m.receiver)
                            || m.args.iter().any(|a| self.is_float_typed(a))))
                    // `d.iter().sum::<f64>()`, `d.iter().fold(0.0, …)`: a reduction to a float.
                    || (matches!(name.as_str(), "sum" | "product")
                        && m.turbofish.as_ref().is_some_and(|t| {
                            t.args.iter().any(|a| {
                                matches!(a, syn::GenericArgument::Type(t) if float_of(t).is_some())
                            })
                        }))
                    || (name == "fold" && m.args.first().is_some_and(|a| self.is_float_typed(a)))
            }
            Expr::Call(c) => float_type_function(&c.func).is_some(),
            // `d[i]` of a collection of floats (`d: &[f64]`, `Vec<f64>`, `[f64; N]`).
            Expr::Index(ix) if !matches!(&*ix.index, Expr::Range(_)) => match &*ix.expr {
                Expr::Path(p) => p.path.get_ident().is_some_and(|i| {
                    matches!(
                        self.env.lookup(&i.to_string()),
                        Some(Binding::Inactive { elements: true, .. })
                    )
                }),
                _ => false,
            },
            Expr::Path(p) => {
                float_const(&p.path).is_some()
                    || p.path.get_ident().is_some_and(|i| {
                        matches!(
                            self.env.lookup(&i.to_string()),
                            Some(
                                Binding::Sym {
                                    value: Shape::Scalar(_),
                                    ..
                                } | Binding::Inactive { float: true, .. }
                            )
                        )
                    })
            }
            _ => false,
        }
    }
}
