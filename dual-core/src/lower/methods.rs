//! Float methods (`x.sin()`, `x.powi(n)`, `x.max(y)`) and float functions (`f64::sin(x)`), and
//! method calls on other values.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::Expr;

use crate::ir::{Exponent, Method, Op, Shape, Stmt};

use super::env::Val;
use super::syntax::{int_literal, is_math_method, segment_names};
use super::Lower;

/// Methods of `f64` that read a value without producing a float that carries a derivative.
pub(super) const INACTIVE_METHODS: &[&str] = &[
    "is_nan",
    "is_infinite",
    "is_finite",
    "is_normal",
    "is_subnormal",
    "is_sign_positive",
    "is_sign_negative",
    "classify",
    "to_bits",
    "partial_cmp",
    "total_cmp",
    "to_string",
];

impl Lower {
    /// A float primitive applied to lowered operands (the receiver first).
    pub(super) fn apply(
        &mut self,
        name: &str,
        recv: &Expr,
        args: &[&Expr],
        span: Span,
        whole: &Expr,
    ) -> Option<Val> {
        let method = Method::named(name)?;
        let arity = method.arity();
        if args.len() != arity {
            self.error(
                span,
                format!("`{name}` takes {arity} argument(s) besides the receiver"),
            );
            return Some(self.poison());
        }
        let touches = self.touches_symbolic(whole.to_token_stream());
        if !touches {
            return Some(Val::Tokens(whole.to_token_stream()));
        }
        let x = self.lower_expr(recv);
        let x = self.scalar(x, recv.span())?;
        if method == Method::Powi {
            let e = match int_literal(args[0]) {
                Some(n) => Exponent {
                    slot: None,
                    offset: n,
                },
                None => {
                    let tokens = args[0].to_token_stream();
                    self.materialize(tokens.clone());
                    let slot = self.g.slot();
                    self.g.push(Stmt::Int { slot, expr: tokens });
                    Exponent {
                        slot: Some(slot),
                        offset: 0,
                    }
                }
            };
            return Some(Val::Sym(Shape::Scalar(self.g.powi(x, e, span))));
        }
        let mut ops = Vec::new();
        for a in args {
            let v = self.lower_expr(a);
            ops.push(self.scalar(v, a.span())?);
        }
        let node = match method {
            Method::Unary(u) => self.g.unary(u, x, span),
            Method::Binary(b) => self.g.binary(b, x, ops[0], span),
            Method::Ternary(t) => self.g.intern(Op::Ternary(t, x, ops[0], ops[1]), span),
            Method::Powi => unreachable!("lowered above"),
        };
        Some(Val::Sym(Shape::Scalar(node)))
    }

    pub(super) fn lower_method(&mut self, m: &syn::ExprMethodCall) -> Val {
        let whole = Expr::MethodCall(m.clone());
        let name = m.method.to_string();
        let args: Vec<&Expr> = m.args.iter().collect();
        let recv_active = self.touches_symbolic(m.receiver.to_token_stream());
        if is_math_method(&name) {
            if let Some(v) = self.apply(&name, &m.receiver, &args, m.method.span(), &whole) {
                return v;
            }
            return self.poison();
        }
        if let Some(v) = self.lower_array_map(m) {
            return v;
        }
        if let Some(v) = self.lower_iterator_reduction(m) {
            return v;
        }
        if recv_active {
            if INACTIVE_METHODS.contains(&name.as_str()) || matches!(&*m.receiver, Expr::Macro(_)) {
                return self.read(&whole);
            }
            if self.touches_active(m.receiver.to_token_stream()) {
                if let Some((span, message)) = super::iterators::unsupported_chain(m, false) {
                    self.error(span, message);
                    return self.poison();
                }
                self.error(
                    m.method.span(),
                    format!(
                        "unknown method `{name}` on a differentiated value; the supported float \
                         methods are: {}",
                        crate::ir::prim::METHODS.join(", ")
                    ),
                );
                return self.poison();
            }
        }
        if self.touches_active(whole.to_token_stream()) {
            return self.lower_call_expr(&whole);
        }
        self.read(&whole)
    }

    /// `f64::sin(x)`, `f64::max(a, b)`: a float method called as a function (the receiver is the
    /// first argument); `None` for any other call.
    pub(super) fn lower_float_function(&mut self, c: &syn::ExprCall, whole: &Expr) -> Option<Val> {
        let Expr::Path(p) = &*c.func else {
            return None;
        };
        let segs = segment_names(&p.path);
        if segs.len() < 2
            || segs[segs.len() - 2] != self.g.float.name()
            || !is_math_method(&segs[segs.len() - 1])
        {
            return None;
        }
        let name = segs[segs.len() - 1].clone();
        let Some((recv, rest)) = c
            .args
            .iter()
            .collect::<Vec<_>>()
            .split_first()
            .map(|(a, b)| (*a, b.to_vec()))
        else {
            self.error(
                c.span(),
                format!("`f64::{name}` needs at least one argument"),
            );
            return Some(self.poison());
        };
        let span = p.path.segments.last().map_or(c.span(), |s| s.ident.span());
        Some(
            self.apply(&name, recv, &rest, span, whole)
                .unwrap_or_else(|| self.poison()),
        )
    }
}
