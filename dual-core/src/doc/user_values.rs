//! Floats written by user code (the text of an opaque value or a run-time index) as formulas,
//! when the text means the same wherever it appears: a parameter that is never rebound, a
//! constant, a field of either, a literal, and arithmetic on them. Anything else has no formula.

use proc_macro2::{TokenStream, TokenTree};

use super::algebra::{add, binary, div, mul, power, unary, Formula};
use super::render::Renderer;
use crate::front::types::float_of;
use crate::ir::{Binary, Unary};

/// Longer texts are not read (their formula would not be readable).
const MAX_TOKENS: usize = 64;

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

/// Whether `s` is written like a constant: `N`, `MAX_2`.
fn is_const_name(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The value of an integer literal, if `e` is one.
fn int_literal<T: std::str::FromStr>(e: &syn::Expr) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

impl Renderer<'_> {
    /// A float written by user code, when its text means the same wherever it appears: a
    /// parameter that is never rebound, a constant, a literal.
    pub(super) fn user_value(&self, tokens: &TokenStream) -> Option<Formula> {
        if !small(tokens, MAX_TOKENS) {
            return None;
        }
        self.user_formula(&syn::parse2::<syn::Expr>(tokens.clone()).ok()?)
    }

    /// The formula of user expression `e`, when it means the same wherever it appears.
    fn user_formula(&self, e: &syn::Expr) -> Option<Formula> {
        match e {
            syn::Expr::Paren(p) => self.user_formula(&p.expr),
            syn::Expr::Group(g) => self.user_formula(&g.expr),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
                self.user_formula(&u.expr).map(Formula::negated)
            }
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(f) => f.base10_parse::<f64>().ok().map(|v| self.constant(v)),
                syn::Lit::Int(i) => i.base10_parse::<f64>().ok().map(Formula::Num),
                _ => None,
            },
            syn::Expr::Path(_) | syn::Expr::Field(_) | syn::Expr::Index(_) => {
                self.fixed_place(e).map(Formula::Sym)
            }
            syn::Expr::Cast(c) => self.float_cast(c),
            syn::Expr::Binary(b) => {
                let (x, y) = (self.user_formula(&b.left)?, self.user_formula(&b.right)?);
                match b.op {
                    syn::BinOp::Add(_) => Some(add(x, y)),
                    syn::BinOp::Sub(_) => Some(add(x, y.negated())),
                    syn::BinOp::Mul(_) => Some(mul(x, y)),
                    syn::BinOp::Div(_) => Some(div(x, y)),
                    _ => None,
                }
            }
            syn::Expr::MethodCall(m) if m.turbofish.is_none() => self.method_call(m),
            _ => None,
        }
    }

    /// A conversion to a float of a name or a literal (not of integer arithmetic, which may
    /// truncate).
    fn float_cast(&self, c: &syn::ExprCast) -> Option<Formula> {
        let to_float = float_of(&c.ty).is_some();
        let mut inner = &*c.expr;
        while let syn::Expr::Paren(p) = inner {
            inner = &p.expr;
        }
        let plain = matches!(inner, syn::Expr::Path(_) | syn::Expr::Lit(_));
        if to_float && plain {
            self.user_formula(inner)
        } else {
            None
        }
    }

    /// A float method of the primitives' table (or `powi` by a literal, `mul_add`).
    fn method_call(&self, m: &syn::ExprMethodCall) -> Option<Formula> {
        let x = self.user_formula(&m.receiver)?;
        let name = m.method.to_string();
        let args: Vec<&syn::Expr> = m.args.iter().collect();
        match (name.as_str(), args.as_slice()) {
            ("powi", [k]) => Some(power(x, int_literal(k)?)),
            ("mul_add", [a, b]) => Some(add(mul(x, self.user_formula(a)?), self.user_formula(b)?)),
            (_, []) => Unary::from_method(&name).map(|u| unary(u, x)),
            (_, [y]) => Binary::from_method(&name)
                .filter(|b| !matches!(b, Binary::Add | Binary::Sub | Binary::Mul | Binary::Div))
                .and_then(|b| Some(binary(b, x, self.user_formula(y)?))),
            _ => None,
        }
    }

    /// A name whose value cannot change: a fixed parameter, a constant, a field of either (or of
    /// an immutable `self`), an element at a literal index.
    fn fixed_place(&self, e: &syn::Expr) -> Option<String> {
        match e {
            syn::Expr::Paren(p) => self.fixed_place(&p.expr),
            syn::Expr::Group(g) => self.fixed_place(&g.expr),
            syn::Expr::Path(p) if p.qself.is_none() => {
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.arguments.is_none().then(|| s.ident.to_string()))
                    .collect::<Option<_>>()?;
                let last = segs.last()?;
                let fixed = segs.len() == 1 && self.names.fixed.contains(last);
                (fixed || is_const_name(last)).then(|| segs.join("::"))
            }
            syn::Expr::Field(f) => {
                let base = match &*f.base {
                    syn::Expr::Path(p) if p.path.is_ident("self") && self.names.fixed_self => {
                        "self".to_string()
                    }
                    base => self.fixed_place(base)?,
                };
                let member = match &f.member {
                    syn::Member::Named(n) => n.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                Some(format!("{base}.{member}"))
            }
            syn::Expr::Index(ix) => {
                let i: usize = int_literal(&ix.index)?;
                Some(format!("{}[{i}]", self.fixed_place(&ix.expr)?))
            }
            _ => None,
        }
    }
}
