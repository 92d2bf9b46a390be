//! Expressions: the dispatch on the form of an expression, and the forms that need no file of
//! their own.

use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Lit, UnOp};

use crate::ir::Shape;
use crate::signature::{is_float, literal_len};

use super::env::{Binding, Ret, Val};
use super::syntax::{expr_kind, float_const, is_float_const_expr, type_is_floaty};
use super::{Lower, MAX_EXPR_DEPTH};

impl Lower {
    pub(super) fn lower_expr(&mut self, e: &Expr) -> Val {
        if self.expr_depth >= MAX_EXPR_DEPTH {
            self.error_at(
                e,
                format!(
                    "expression nested more than {MAX_EXPR_DEPTH} levels deep; `#[gradient]` \
                     supports deeper code when it is split into `let` bindings"
                ),
            );
            return self.poison();
        }
        self.expr_depth += 1;
        let v = self.lower_expr_nested(e);
        self.expr_depth -= 1;
        v
    }

    pub(super) fn lower_expr_nested(&mut self, e: &Expr) -> Val {
        let span = e.span();
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Float(f) => match f.base10_parse::<f64>() {
                    Ok(v) => Val::Sym(Shape::Scalar(self.g.num(v))),
                    Err(_) => Val::Tokens(e.to_token_stream()),
                },
                _ => Val::Tokens(e.to_token_stream()),
            },
            Expr::Path(p) => {
                if let Some(v) = float_const(&p.path) {
                    return Val::Sym(Shape::Scalar(self.g.num(v)));
                }
                if let Some(ident) = p.path.get_ident() {
                    match self.env.lookup(&ident.to_string()).cloned() {
                        Some(Binding::Sym { value, .. }) => return Val::Sym(value),
                        Some(Binding::Uninit { .. }) => {
                            self.error(span, format!("`{ident}` is used before it is assigned"));
                            return self.poison();
                        }
                        Some(Binding::Inactive { by_ref: true, .. }) => {
                            // `&f64` or `f64` (a loop variable over data): read the float either way.
                            let float = self.g.float.path();
                            return Val::Tokens(
                                quote!((*::core::borrow::Borrow::<#float>::borrow(&#ident))),
                            );
                        }
                        _ => {}
                    }
                }
                Val::Tokens(e.to_token_stream())
            }
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Unary(u) => match u.op {
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
            },
            Expr::Binary(b) => self.lower_binary(b),
            Expr::Cast(c) => {
                if !self.touches_symbolic(c.expr.to_token_stream()) {
                    return Val::Tokens(e.to_token_stream());
                }
                if is_float(&c.ty, self.g.float) {
                    match self.lower_expr(&c.expr) {
                        // `(x as i64) as f64`: an inactive value read from `x`.
                        Val::Tokens(_) => Val::Tokens(e.to_token_stream()),
                        v => v,
                    }
                } else if type_is_floaty(&c.ty) {
                    self.unsupported(e, "a cast to another float type")
                } else {
                    self.read(e)
                }
            }
            Expr::MethodCall(m) => self.lower_method(m),
            Expr::Call(c) => self.lower_call(c),
            Expr::Block(b) => {
                if b.label.is_some()
                    || !self.touches_symbolic(e.to_token_stream()) && !self.jumps(e)
                {
                    if self.touches_active(e.to_token_stream()) {
                        return self.unsupported(e, "a labelled block");
                    }
                    return self.read(e);
                }
                self.lower_block(&b.block)
            }
            Expr::Unsafe(_) | Expr::Async(_) | Expr::TryBlock(_) | Expr::Const(_) => {
                if self.touches_active(e.to_token_stream()) {
                    self.unsupported(
                        e,
                        &format!("{} holding a differentiated value", expr_kind(e)),
                    )
                } else {
                    self.read(e)
                }
            }
            Expr::If(i) => self.lower_if(i),
            Expr::Array(a) => {
                if !self.touches_symbolic(e.to_token_stream())
                    && !is_float_const_expr(e, self.g.float)
                {
                    return Val::Tokens(e.to_token_stream());
                }
                let mut items = Vec::new();
                for el in &a.elems {
                    match self.lower_expr(el) {
                        Val::Sym(s) => items.push(s),
                        Val::Tokens(t) => items.push(Shape::Scalar(self.bind_opaque(t, el.span()))),
                    }
                }
                Val::Sym(Shape::Array(items))
            }
            Expr::Repeat(r) => {
                if !self.touches_symbolic(e.to_token_stream())
                    && !is_float_const_expr(e, self.g.float)
                {
                    return Val::Tokens(e.to_token_stream());
                }
                let Some(n) = literal_len(&r.len) else {
                    return self
                        .unsupported(e, "an array repeat `[v; N]` with a non-literal length");
                };
                let item = match self.lower_expr(&r.expr) {
                    Val::Sym(s) => s,
                    Val::Tokens(t) => Shape::Scalar(self.bind_opaque(t, r.expr.span())),
                };
                Val::Sym(Shape::Array(vec![item; n]))
            }
            Expr::Tuple(t) => {
                if t.elems.is_empty()
                    || (!self.touches_symbolic(e.to_token_stream())
                        && !is_float_const_expr(e, self.g.float))
                {
                    return Val::Tokens(e.to_token_stream());
                }
                let mut items = Vec::new();
                for el in &t.elems {
                    match self.lower_expr(el) {
                        Val::Sym(s) => items.push(s),
                        Val::Tokens(tk) => {
                            items.push(Shape::Scalar(self.bind_opaque(tk, el.span())))
                        }
                    }
                }
                Val::Sym(Shape::Tuple(items))
            }
            Expr::Index(ix) => match self.lower_expr(&ix.expr) {
                Val::Sym(Shape::Array(items)) => match self.const_index(&ix.index) {
                    Some(i) if i < items.len() => Val::Sym(items[i].clone()),
                    Some(i) => {
                        self.error(
                            ix.index.span(),
                            format!(
                                "index {i} is out of bounds for an array of length {}",
                                items.len()
                            ),
                        );
                        self.poison()
                    }
                    None => self.dynamic_index(&ix.index, &items),
                },
                v if self.is_poisoned(&v) => v,
                Val::Sym(_) => self.unsupported(e, "indexing a value that is not an array"),
                Val::Tokens(_) => self.read(e),
            },
            Expr::Field(f) => match self.lower_expr(&f.base) {
                v if self.is_poisoned(&v) => v,
                Val::Sym(Shape::Tuple(items)) => match &f.member {
                    syn::Member::Unnamed(i) if (i.index as usize) < items.len() => {
                        Val::Sym(items[i.index as usize].clone())
                    }
                    _ => self.unsupported(e, "this field access"),
                },
                Val::Sym(_) => self.unsupported(e, "field access"),
                Val::Tokens(_) => self.read(e),
            },
            Expr::Break(_) | Expr::Continue(_) if self.loop_depth > 0 => {
                if matches!(e, Expr::Break(_)) {
                    let one = self.g.num(1.0);
                    self.set_broke(one);
                }
                if matches!(self.ret, Ret::Never) {
                    self.ret = Ret::Always(Vec::new());
                }
                Val::Tokens(quote!(()))
            }
            Expr::Return(r) => {
                let v = match &r.expr {
                    Some(x) => self.lower_expr(x),
                    None => Val::Tokens(quote!(())),
                };
                self.do_return(v, span);
                Val::Tokens(quote!(()))
            }
            Expr::Macro(m) => {
                if self.touches_active(e.to_token_stream()) {
                    self.error_at(
                        m,
                        format!(
                            "the macro `{}!` carries a differentiated value into the computation; \
                             macros cannot be differentiated. Macros are fine in statement \
                             position (`println!`, `assert!`), where they see primal values; \
                             otherwise write the expression without the macro",
                            m.mac.path.to_token_stream()
                        ),
                    );
                    return self.poison();
                }
                self.read(e)
            }
            Expr::Closure(_) => {
                if self.touches_active(e.to_token_stream()) {
                    self.unsupported(e, "a closure that captures a differentiated value")
                } else {
                    self.read(e)
                }
            }
            Expr::Reference(_) => {
                if self.touches_active(e.to_token_stream()) {
                    self.unsupported(e, "a reference to a differentiated value")
                } else {
                    self.read(e)
                }
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.lower_loop(e);
                    Val::Tokens(quote!(()))
                } else {
                    self.read(e)
                }
            }
            Expr::Match(_) => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.match_error(e);
                    self.poison()
                } else {
                    self.read(e)
                }
            }
            Expr::Assign(_) => {
                self.lower_expr_stmt(e, false);
                Val::Tokens(quote!(()))
            }
            _ => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.unsupported(
                        e,
                        &format!("{} holding a differentiated value", expr_kind(e)),
                    )
                } else {
                    self.read(e)
                }
            }
        }
    }
}
