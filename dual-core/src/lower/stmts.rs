//! Statements: `let`, expression statements, macros and items, and the function's result
//! (`return` and the tail expression).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Pat, Stmt as SynStmt};

use crate::front::signature::Output;
use crate::ir::{NodeId, Shape};

use super::branches::negate;
use super::calls::{call_result_hint, usage_hint};
use super::env::{Binding, Ret, Val};
use super::operators::compound_op;
use super::syntax::{assigns_in_tokens, is_float_const_expr, is_user_call};
use super::Lower;
use crate::front::types::is_float_like;

impl Lower {
    /// Lowers statements; returns the block's value. With `tail_returns`, the tail expression is
    /// the function's result.
    pub(super) fn lower_stmts(&mut self, stmts: &[SynStmt], tail_returns: bool) -> Option<Val> {
        for (i, stmt) in stmts.iter().enumerate() {
            match &self.ret {
                Ret::Never => {}
                Ret::Always(_) => return None,
                Ret::Maybe { .. } => return self.lower_guarded_rest(&stmts[i..], tail_returns),
            }
            let is_tail = i + 1 == stmts.len();
            if let Some(m) = self.let_else_as_match(stmt, &stmts[i + 1..]) {
                let v = self.lower_expr(&m);
                if tail_returns {
                    self.do_return(v, m.span());
                    return None;
                }
                return Some(v);
            }
            match stmt {
                // `if c { assert!(…) }`: a macro whose value is `()` ends the block as a
                // statement would.
                SynStmt::Expr(Expr::Macro(m), None) if is_tail && is_unit_macro(&m.mac) => {
                    self.lower_macro_stmt(&m.to_token_stream(), m.span());
                }
                SynStmt::Expr(e, None) if is_tail => {
                    self.learn_floats_from_use(e);
                    if tail_returns {
                        self.array_len_hint = self.result_len();
                    }
                    let v = self.lower_expr(e);
                    self.array_len_hint = None;
                    if tail_returns {
                        self.do_return(v, e.span());
                        return None;
                    }
                    return Some(v);
                }
                _ => self.lower_stmt(stmt, &stmts[i + 1..]),
            }
        }
        None
    }

    /// `let PAT = data else { diverge }; rest` around differentiated code, as the `match` it
    /// stands for: `match data { PAT => { rest }, _ => { diverge } }` (the rest of the block is
    /// the arm in which the pattern's names are bound, with the types the user's code gives
    /// them). `None` for another statement, or a `let … else` on data only (emitted as written).
    fn let_else_as_match(&self, stmt: &SynStmt, rest: &[SynStmt]) -> Option<Expr> {
        let SynStmt::Local(local) = stmt else {
            return None;
        };
        let init = local.init.as_ref()?;
        let (_, diverge) = init.diverge.as_ref()?;
        // On differentiated values (`let Some(v) = (x > 0.0).then_some(x) else …`): an error.
        if self.touches_symbolic(init.expr.to_token_stream()) {
            return None;
        }
        // Otherwise (data, and an `else` that panics) it is emitted as written.
        if !self.touches_symbolic(local.to_token_stream()) && !self.jumps(diverge) {
            return None;
        }
        let rest_tokens: TokenStream = rest.iter().map(ToTokens::to_token_stream).collect();
        let (pat, expr) = (&local.pat, &init.expr);
        syn::parse2(quote_spanned!(local.span()=> match #expr {
            #pat => { #rest_tokens }
            _ => #diverge
        }))
        .ok()
    }

    /// The statements after a `return` that happens on some paths only: they run under
    /// `if !returned { … }`.
    pub(super) fn lower_guarded_rest(
        &mut self,
        rest: &[SynStmt],
        tail_returns: bool,
    ) -> Option<Val> {
        let span = rest.first().map_or_else(Span::call_site, |s| s.span());
        match self.unless_returned(span, |l| l.lower_stmts(rest, tail_returns)) {
            Val::Tokens(t) if t.is_empty() => None,
            v => Some(v),
        }
    }

    /// After a `return` that happens on some paths only (`self.ret` is `Ret::Maybe`): `then`
    /// under `if !returned { … }`, the returned value on the other paths.
    fn unless_returned(&mut self, span: Span, then: impl FnOnce(&mut Self) -> Option<Val>) -> Val {
        let Ret::Maybe { flag, value } = std::mem::replace(&mut self.ret, Ret::Never) else {
            unreachable!("only after a conditional return")
        };
        self.structured_if(
            Some(negate(flag)),
            then,
            move |l| {
                l.ret = Ret::Always(value);
                None
            },
            span,
        )
    }

    /// One statement; `following` are the statements after it in its block.
    pub(super) fn lower_stmt(&mut self, stmt: &SynStmt, following: &[SynStmt]) {
        match stmt {
            SynStmt::Local(syn::Local {
                init: Some(init), ..
            }) => self.learn_floats_from_use(&init.expr),
            SynStmt::Expr(e, _) => self.learn_floats_from_use(e),
            _ => {}
        }
        match stmt {
            SynStmt::Local(local) => self.lower_let(local, following),
            SynStmt::Item(item) => {
                self.names_introduced += 1;
                self.push_verbatim(item.to_token_stream());
            }
            SynStmt::Macro(m) => self.lower_macro_stmt(&m.to_token_stream(), m.span()),
            SynStmt::Expr(e, semi) => self.lower_expr_stmt(e, semi.is_some()),
        }
    }

    pub(super) fn lower_macro_stmt(&mut self, tokens: &TokenStream, span: Span) {
        if self.touches_active(tokens.clone()) && assigns_in_tokens(tokens.clone()) {
            self.error(
                span,
                "this macro assigns to a differentiated variable; macros in statement position \
                 only see primal values, so the assignment would not be differentiated — write \
                 the assignment outside the macro",
            );
            return;
        }
        // A closure that captures a differentiated value exists only where it is called
        // (inlined), so the macro's code could not name it.
        let mut refused = Vec::new();
        for ident in self.mentions(tokens.clone()) {
            if let Some(Binding::Closure(i)) = self.env.lookup(&ident.to_string()) {
                if self.closures[*i].1 && !refused.contains(&ident) {
                    self.error(
                        ident.span(),
                        format!(
                            "the closure `{ident}` captures a differentiated value, so a macro \
                             cannot use it (macros in statement position see primal values, and \
                             the closure is inlined where it is called); call it outside the \
                             macro, `let v = {ident}(…);`, and use `v` in the macro"
                        ),
                    );
                    refused.push(ident);
                }
            }
        }
        if !refused.is_empty() {
            return;
        }
        self.materialize(tokens.clone());
        self.push_verbatim(tokens.clone());
        self.demote_constants(tokens.clone());
    }

    /// Inactive code that reads constant symbolic variables: emitted as written, after which
    /// the variables it mentions hold what the emitted code computes.
    fn lower_inactive_stmt(&mut self, tokens: TokenStream, semi: bool) {
        self.materialize(tokens.clone());
        self.declare_assigned_late(tokens.clone());
        let mut t = tokens.clone();
        if semi {
            t.extend(quote!(;));
        }
        self.push_verbatim(t);
        self.demote_constants(tokens);
    }

    /// Variables declared without a value (`let pick;`) that user code run as written assigns
    /// (`'choose: { … pick = 2.0; … }`): declared just before it, and data from now on.
    fn declare_assigned_late(&mut self, tokens: TokenStream) {
        for ident in self.mentions(tokens) {
            let name = ident.to_string();
            if let Some(Binding::Uninit { mutable }) = self.env.lookup(&name).cloned() {
                let mutability = mutable.then(|| quote!(mut));
                self.push_verbatim(quote!(let #mutability #ident;));
                if let Some(b) = self.env.lookup_mut(&name) {
                    *b = Binding::Inactive {
                        float: false,
                        by_ref: false,
                        array: None,
                        elements: false,
                    };
                }
            }
        }
    }

    /// An expression statement.
    pub(super) fn lower_expr_stmt(&mut self, e: &Expr, semi: bool) {
        let tokens = e.to_token_stream();
        let structural = self.touches_symbolic(tokens.clone()) || self.jumps(e);
        if !structural {
            let mut t = tokens;
            if semi {
                t.extend(quote!(;));
            }
            self.push_verbatim(t.clone());
            self.learn_float_from_assignment(e);
            return;
        }
        match e {
            Expr::Assign(a) => self.lower_assign(&a.left, None, &a.right, a.span()),
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                self.lower_assign(&b.left, compound_op(&b.op), &b.right, b.span())
            }
            // A labelled block is user code (one that touches differentiated values is an
            // error): run as written, below, not read as a value and dropped.
            Expr::Block(b)
                if b.label.is_some() && !self.touches_active(tokens.clone()) && !self.jumps(e) =>
            {
                self.lower_inactive_stmt(tokens, semi);
            }
            Expr::If(_) | Expr::Block(_) | Expr::Return(_) | Expr::Paren(_) => {
                self.lower_expr(e);
            }
            Expr::Macro(m) => self.lower_macro_stmt(&m.to_token_stream(), m.span()),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_)
                if self.touches_active(tokens.clone()) || self.jumps(e) =>
            {
                self.lower_loop(e)
            }
            Expr::Match(_) if self.touches_active(tokens.clone()) || self.jumps(e) => {
                self.lower_expr(e);
            }
            _ if !self.touches_active(tokens.clone()) && !self.jumps(e) => {
                self.lower_inactive_stmt(tokens, semi);
            }
            _ => {
                // Evaluated for its effects (calls) and its errors; the value is unused.
                self.lower_expr(e);
            }
        }
    }

    pub(super) fn match_error(&mut self, e: &Expr) {
        let span = match e {
            Expr::Match(m) => m.match_token.span,
            _ => e.span(),
        };
        self.error(
            span,
            "`match` on a differentiated value (its scrutinee reads one) is not supported; match \
             on data (integers, enums, `Option`s of constants) and produce differentiated values \
             in the arms, or compare differentiated values with `if` / `else if` / `else`",
        );
    }

    pub(super) fn lower_let(&mut self, local: &syn::Local, following: &[SynStmt]) {
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let float_ty = ty.is_none_or(is_float_like);
        let Some(init) = &local.init else {
            // `let y;` / `let y: f64;`: assigned later.
            match pat {
                Pat::Ident(pi) if float_ty => self.env.bind(
                    &pi.ident,
                    Binding::Uninit {
                        mutable: pi.mutability.is_some(),
                    },
                ),
                _ => self.verbatim_let(local),
            }
            return;
        };
        if init.diverge.is_some() {
            if self.touches_symbolic(local.to_token_stream()) {
                self.error(
                    init.expr.span(),
                    "`let … else` on a differentiated value (this expression reads one) is not \
                     supported; `let … else` on data (integers, enums, `Option`s of constants) \
                     may guard differentiated code, and differentiated values are compared with \
                     `if` / `else`",
                );
            } else {
                self.verbatim_let(local);
            }
            return;
        }
        if let (Expr::Closure(c), Pat::Ident(pi)) = (&*init.expr, pat) {
            self.bind_closure(local, &pi.ident, c);
            return;
        }
        let init_tokens = init.expr.to_token_stream();
        if !self.touches_symbolic(init_tokens.clone())
            && !self.jumps(&init.expr)
            && !is_float_const_expr(&init.expr, self.g.float)
        {
            self.verbatim_let(local);
            return;
        }
        self.call_hint = call_result_hint(pat, ty).or_else(|| match pat {
            // Only for a call of a differentiated function: how its value is used later decides
            // its shape.
            Pat::Ident(pi) if is_user_call(&init.expr) => usage_hint(&pi.ident, following),
            _ => None,
        });
        self.array_len_hint = ty.and_then(super::array_builders::array_type_len);
        let v = self.lower_expr(&init.expr);
        self.call_hint = None;
        self.array_len_hint = None;
        match v {
            v if self.is_poisoned(&v) => {
                let Val::Sym(shape) = v else {
                    unreachable!("poison is symbolic")
                };
                self.bind_pattern(pat, shape)
            }
            Val::Sym(shape) if float_ty => self.bind_pattern(pat, shape),
            Val::Sym(_) => self.error_at(
                local,
                "a differentiated value is stored in a variable of a non-float type; \
                 differentiated values must stay `f64` (or arrays / tuples of `f64`)",
            ),
            Val::Tokens(t) => {
                let ty_tokens = ty.map(|t| quote!(: #t));
                let pat_tokens = pat.to_token_stream();
                let attrs = &local.attrs;
                self.names_introduced += 1;
                self.push_verbatim(
                    quote_spanned!(local.span()=> #(#attrs)* let #pat_tokens #ty_tokens = #t;),
                );
                self.bind_inactive(pat, ty);
                self.mark_float(pat, ty, &init.expr);
            }
        }
    }

    pub(super) fn verbatim_let(&mut self, local: &syn::Local) {
        let tokens = local.to_token_stream();
        self.materialize(tokens.clone());
        self.names_introduced += 1;
        self.push_verbatim(tokens);
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        self.bind_inactive(pat, ty);
        if let Some(init) = &local.init {
            self.mark_float(pat, ty, &init.expr);
        }
    }

    /// `return` or `return value`.
    pub(super) fn lower_return(&mut self, e: &Expr, r: &syn::ExprReturn) -> Val {
        self.array_len_hint = self.result_len();
        let v = match &r.expr {
            Some(x) => self.lower_expr(x),
            None => Val::Tokens(quote!(())),
        };
        self.array_len_hint = None;
        self.do_return(v, e.span());
        Val::Tokens(quote!(()))
    }

    /// The length of the function's result, if it is an array.
    fn result_len(&self) -> Option<TokenStream> {
        match self.output {
            Output::Array(m) => Some(quote!(#m)),
            _ => None,
        }
    }

    /// Records the function's result, unless it has returned already.
    pub(super) fn do_return(&mut self, v: Val, span: Span) {
        match self.ret {
            Ret::Never => {}
            Ret::Maybe { .. } => {
                // Some paths returned already (`if c { return a; } else { b }` as the tail): the
                // others return `v`.
                self.unless_returned(span, move |l| {
                    l.do_return(v, span);
                    None
                });
                return;
            }
            Ret::Always(_) => return,
        }
        let m = self.output.scalars();
        let nodes: Option<Vec<NodeId>> = match (self.output, v) {
            (Output::Scalar, v) => self.scalar(v, span).map(|n| vec![n]),
            (Output::Array(_), Val::Sym(Shape::Array(items)))
            | (Output::Tuple(_), Val::Sym(Shape::Tuple(items)))
                if items.len() == m =>
            {
                items
                    .into_iter()
                    .map(|s| self.scalar(Val::Sym(s), span))
                    .collect()
            }
            (Output::Array(_) | Output::Tuple(_), Val::Tokens(t)) => {
                // An inactive vector result: read its elements.
                let whole = self.bind_tokens_value(t, span);
                let idx = (0..m).map(|i| {
                    let i = syn::Index::from(i);
                    match self.output {
                        Output::Array(_) => quote!(#whole[#i]),
                        _ => quote!(#whole.#i),
                    }
                });
                let elems: Vec<TokenStream> = idx.collect();
                Some(
                    elems
                        .into_iter()
                        .map(|e| self.bind_opaque(e, span))
                        .collect(),
                )
            }
            _ => {
                self.error(
                    span,
                    format!(
                        "the result does not have the declared shape ({m} float{}); return an \
                         array or tuple literal of floats",
                        if m == 1 { "" } else { "s" }
                    ),
                );
                None
            }
        };
        if let Some(nodes) = nodes {
            self.ret = Ret::Always(nodes);
        }
    }
}

/// Macros of the standard library whose value is `()`: in a block's tail position they are
/// statements.
fn is_unit_macro(mac: &syn::Macro) -> bool {
    mac.path.get_ident().is_some_and(|name| {
        matches!(
            name.to_string().as_str(),
            "assert"
                | "assert_eq"
                | "assert_ne"
                | "debug_assert"
                | "debug_assert_eq"
                | "debug_assert_ne"
                | "println"
                | "print"
                | "eprintln"
                | "eprint"
        )
    })
}
