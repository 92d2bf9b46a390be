//! Expressions: the dispatch on the form of an expression, and the forms that need no file of
//! their own (literals, paths, blocks, macros, and what is read as written or refused).

use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

use crate::ir::Shape;

use super::env::{Binding, Val};
use super::syntax::{contains_return, expr_kind, float_const};
use super::{Lower, MAX_EXPR_DEPTH};

impl Lower {
    /// Lowers an expression: a symbolic value, or tokens to emit as written.
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

    /// [`Lower::lower_expr`] within the nesting limit: the dispatch on the expression's form.
    fn lower_expr_nested(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Float(f) => match f.base10_parse::<f64>() {
                    Ok(v) => Val::Sym(Shape::Scalar(self.g.num(v))),
                    Err(_) => Val::Tokens(e.to_token_stream()),
                },
                _ => Val::Tokens(e.to_token_stream()),
            },
            Expr::Path(p) => self.lower_path(p),
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Unary(u) => self.lower_unary(e, u),
            Expr::Binary(b) => self.lower_binary(b),
            Expr::Cast(c) => self.lower_cast(e, c),
            Expr::MethodCall(m) => self.lower_method(m),
            Expr::Call(c) => self.lower_call(c),
            Expr::Block(b) => {
                if b.label.is_some()
                    || !self.touches_symbolic(e.to_token_stream()) && !self.jumps(e)
                {
                    if self.touches_active(e.to_token_stream()) {
                        return self.unsupported(e, "a labelled block");
                    }
                    // As written, it would leave the companion, not the function.
                    if b.label.is_some() && contains_return(e) {
                        return self.unsupported(e, "`return` inside a labelled block");
                    }
                    return self.read(e);
                }
                self.lower_block(&b.block)
            }
            Expr::Unsafe(_) | Expr::Async(_) | Expr::TryBlock(_) | Expr::Const(_) => {
                let active = self.touches_active(e.to_token_stream());
                self.read_or_refuse(
                    e,
                    active,
                    &format!("{} holding a differentiated value", expr_kind(e)),
                )
            }
            Expr::If(i) => self.lower_if(i),
            Expr::Array(a) => self.lower_array(e, a),
            Expr::Repeat(r) => self.lower_repeat(e, r),
            Expr::Tuple(t) => self.lower_tuple(e, t),
            Expr::Index(ix) => self.lower_index(e, ix),
            Expr::Field(f) => self.lower_field(e, f),
            Expr::Break(_) | Expr::Continue(_) if self.loop_depth > 0 => self.lower_loop_jump(e),
            Expr::Return(r) => self.lower_return(e, r),
            Expr::Macro(m) => self.lower_macro_expr(e, m),
            Expr::Closure(_) => {
                let active = self.touches_active(e.to_token_stream());
                self.read_or_refuse(e, active, "a closure that captures a differentiated value")
            }
            Expr::Reference(_) => {
                let active = self.touches_active(e.to_token_stream());
                self.read_or_refuse(e, active, "a reference to a differentiated value")
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.lower_loop(e);
                    Val::Tokens(quote!(()))
                } else {
                    self.read(e)
                }
            }
            Expr::Match(m) => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    if let Some(v) = self.lower_match(m) {
                        return v;
                    }
                }
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
                let refuse = self.touches_active(e.to_token_stream()) || self.jumps(e);
                self.read_or_refuse(
                    e,
                    refuse,
                    &format!("{} holding a differentiated value", expr_kind(e)),
                )
            }
        }
    }

    /// An expression read as written, or (with `refuse`) reported as `what` that cannot be
    /// differentiated.
    fn read_or_refuse(&mut self, e: &Expr, refuse: bool, what: &str) -> Val {
        if refuse {
            self.unsupported(e, what)
        } else {
            self.read(e)
        }
    }

    /// A variable (its value), a float constant (`PI`), or any other path (as written).
    fn lower_path(&mut self, p: &syn::ExprPath) -> Val {
        if let Some(v) = float_const(&p.path) {
            return Val::Sym(Shape::Scalar(self.g.num(v)));
        }
        if let Some(ident) = p.path.get_ident() {
            match self.env.lookup(&ident.to_string()).cloned() {
                Some(Binding::Sym { value, .. }) => return Val::Sym(value),
                Some(Binding::Uninit { .. }) => {
                    self.error(p.span(), format!("`{ident}` is used before it is assigned"));
                    return self.poison();
                }
                Some(Binding::Closure(i)) if self.closures[i].1 => {
                    self.error(
                        p.span(),
                        format!(
                            "the closure `{ident}` captures a differentiated value, so it can only be \
                             called (`{ident}(x)`, where its body is differentiated) or given to \
                             an iterator adapter (`map({ident})`); it cannot be stored, returned or \
                             passed to a function"
                        ),
                    );
                    return self.poison();
                }
                Some(Binding::Inactive { by_ref: true, .. }) => {
                    // `&f64` or `f64` (a loop variable over data): read the float either way.
                    let float = crate::tokens::float_path(self.g.float);
                    return Val::Tokens(
                        quote!((*::core::borrow::Borrow::<#float>::borrow(&#ident))),
                    );
                }
                _ => {}
            }
        }
        Val::Tokens(p.to_token_stream())
    }

    /// A macro in expression position: it only sees primal values, so it must not carry a
    /// differentiated one into the computation.
    fn lower_macro_expr(&mut self, e: &Expr, m: &syn::ExprMacro) -> Val {
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
}
