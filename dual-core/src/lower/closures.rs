//! Local closures bound with `let` (`let w = |v: f64| 1.0 + (v - 1.0) / 4.0;`): differentiated
//! where they are called, by inlining the body with the arguments bound to the parameters. A
//! closure that captures a differentiated value can only be called; one that does not is also
//! emitted as written, for the code that uses it on data.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Expr, Ident};

use super::env::{Binding, Val};
use super::Lower;

impl Lower {
    /// `let name = |…| …;`.
    pub(super) fn bind_closure(&mut self, local: &syn::Local, name: &Ident, c: &syn::ExprClosure) {
        let captures = self.touches_symbolic(c.body.to_token_stream());
        if !captures {
            // Data code may use it as written.
            self.verbatim_let(local);
        }
        self.closures.push((c.clone(), captures));
        self.env
            .bind(name, Binding::Closure(self.closures.len() - 1));
    }

    /// The closure a path names, if it is one bound with `let`.
    pub(super) fn closure_named(&self, e: &Expr) -> Option<syn::ExprClosure> {
        let Expr::Path(p) = e else { return None };
        match self.env.lookup(&p.path.get_ident()?.to_string()) {
            Some(Binding::Closure(i)) => Some(self.closures[*i].0.clone()),
            _ => None,
        }
    }

    /// `name(args)` of a closure bound with `let`, with a differentiated argument or capture: its
    /// body, inlined (`{ let p = arg; …; body }`).
    pub(super) fn inline_closure_call(&mut self, call: &syn::ExprCall) -> Option<Val> {
        let c = self.closure_named(&call.func)?;
        if !self.touches_active(Expr::Call(call.clone()).to_token_stream()) {
            return None;
        }
        if c.inputs.len() != call.args.len() {
            return Some(self.unsupported(
                &Expr::Call(call.clone()),
                "a call of a closure with another number of arguments than it takes",
            ));
        }
        let binds: TokenStream = c
            .inputs
            .iter()
            .zip(&call.args)
            .map(|(p, a)| quote!(let #p = #a;))
            .collect();
        let body = &c.body;
        let block: Expr = syn::parse2(quote!({ #binds #body })).ok()?;
        Some(self.lower_expr(&block))
    }
}
