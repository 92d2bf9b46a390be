//! `match` and `if let` on values that are not differentiated (integers, enums, `bool`, `Option`
//! of constants) whose arms produce differentiated values: which arm is taken is data, computed
//! by the user's own patterns and guards (guards may compare differentiated values: they see the
//! primal ones); the arms become the branches of an `if` chain on it, each binding its pattern's
//! names again (`let PAT = scrutinee else { unreachable!() };`). The scrutinee is read once, by
//! value (a `Copy` type).

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, Ident};

use super::env::Val;
use super::Lower;

impl Lower {
    /// `match scrutinee { arms }` with a scrutinee that is not differentiated; `None` otherwise.
    pub(super) fn lower_match(&mut self, m: &syn::ExprMatch) -> Option<Val> {
        if self.touches_symbolic(m.expr.to_token_stream()) || m.arms.is_empty() {
            return None;
        }
        let n = self.iterators;
        self.iterators += 1;
        let (scrutinee, arm) = (
            Ident::new(&format!("__dual_scrutinee{n}"), Span::call_site()),
            Ident::new(&format!("__dual_arm{n}"), Span::call_site()),
        );
        let expr = &m.expr;
        let choose = m.arms.iter().enumerate().map(|(i, a)| {
            let (pat, guard) = (&a.pat, a.guard.as_ref().map(|(i, g)| quote!(#i #g)));
            quote!(#pat #guard => #i,)
        });
        let mut chain = TokenStream::new();
        for (i, a) in m.arms.iter().enumerate().rev() {
            let (pat, body) = (&a.pat, &a.body);
            let mut names = Vec::new();
            super::syntax::pattern_idents(pat, &mut names);
            let rebind = match pat {
                syn::Pat::Ident(_) => quote!(let #pat = #scrutinee;),
                _ if names.is_empty() => TokenStream::new(),
                _ => quote!(let #pat = #scrutinee else { ::core::unreachable!() };),
            };
            let arm_body = quote!({ #rebind #body });
            chain = if chain.is_empty() {
                arm_body
            } else {
                quote!(if #arm == #i { #arm_body } else #chain)
            };
        }
        // Which arm is taken is data: the user's patterns and guards, on primal values.
        for local in [
            quote!(let #scrutinee = #expr;),
            quote!(let #arm: usize = match #scrutinee { #(#choose)* };),
        ] {
            let syn::Stmt::Local(local) = syn::parse2(local).ok()? else {
                return None;
            };
            self.verbatim_let(&local);
        }
        let block: Expr = syn::parse2(quote!({ #chain })).ok()?;
        Some(self.lower_expr(&block))
    }

    /// `if let PAT = scrutinee { a } else { b }` with a scrutinee that is not differentiated, as a
    /// `match` with two arms; `None` otherwise.
    pub(super) fn lower_if_let(&mut self, i: &syn::ExprIf) -> Option<Val> {
        let Expr::Let(l) = &*i.cond else { return None };
        let (pat, expr, then) = (&l.pat, &l.expr, &i.then_branch);
        let other = match &i.else_branch {
            Some((_, e)) => e.to_token_stream(),
            None => quote!({}),
        };
        let m: syn::ExprMatch =
            syn::parse2(quote!(match #expr { #pat => #then, _ => #other })).ok()?;
        self.lower_match(&m)
    }
}
