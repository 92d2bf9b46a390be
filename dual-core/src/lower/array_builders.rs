//! Arrays built by closures, as numeric Rust writes them: `x.map(|v| …)` of a differentiated
//! array and `std::array::from_fn(|i| …)` reading differentiated values, each as the local array
//! and the loop that fills it (`{ let mut a = [0.0; N]; for i in 0..N { a[i] = …; } a }`), so a
//! long one stays a loop like any other.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::Expr;

use super::env::Val;
use super::syntax::segment_names;
use super::Lower;

impl Lower {
    /// `x.map(f)` with `x` a differentiated array (not an iterator); `None` otherwise.
    pub(super) fn lower_array_map(&mut self, m: &syn::ExprMethodCall) -> Option<Val> {
        // `x.map(f)`, `(x).map(f)`.
        let mut receiver = &*m.receiver;
        while let Expr::Paren(syn::ExprParen { expr, .. })
        | Expr::Group(syn::ExprGroup { expr, .. }) = receiver
        {
            receiver = expr;
        }
        if m.method != "map" || m.args.len() != 1 || !matches!(receiver, Expr::Path(_)) {
            return None;
        }
        let part = self.source(receiver)?;
        let c = self.closure_of_one(m)?;
        let item = part.item;
        self.filled_array(&part.len, |k| {
            let bound = item(&quote!(#k)).bind_in(&c.inputs[0], c.body.to_token_stream());
            (TokenStream::new(), bound)
        })
    }

    /// `{ let mut a = [0.0; len]; for k in 0..len { stmts; a[k] = { element }; } a }`,
    /// lowered, where `(stmts, element)` is what `element_at(k)` gives.
    fn filled_array(
        &mut self,
        len: &TokenStream,
        element_at: impl FnOnce(&syn::Ident) -> (TokenStream, TokenStream),
    ) -> Option<Val> {
        let (k, out) = self.loop_names();
        let (stmts, element) = element_at(&k);
        let block: Expr = syn::parse2(quote!({
            let mut #out = [0.0; #len];
            for #k in 0..#len {
                #stmts
                #out[#k] = { #element };
            }
            #out
        }))
        .ok()?;
        Some(self.lower_expr(&block))
    }

    /// `std::array::from_fn(|i| …)` (or `core::array::from_fn`, `array::from_fn`, `from_fn`)
    /// whose closure reads a differentiated value; `None` for another call. Its length comes
    /// from a turbofish (`from_fn::<f64, N, _>`), the type of the `let` that binds it, or the
    /// function's result.
    pub(super) fn lower_from_fn(&mut self, call: &syn::ExprCall) -> Option<Val> {
        let Expr::Path(p) = &*call.func else {
            return None;
        };
        let segments = segment_names(&p.path);
        let is_from_fn = matches!(
            segments
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            ["from_fn"] | ["array", "from_fn"] | ["std" | "core", "array", "from_fn"]
        );
        if !is_from_fn || !self.touches_symbolic(call.to_token_stream()) {
            return None;
        }
        let closure = match call.args.first() {
            Some(Expr::Closure(c)) if call.args.len() == 1 && c.inputs.len() == 1 => c.clone(),
            _ => {
                return Some(self.unsupported(
                    &Expr::Call(call.clone()),
                    "`from_fn` with an argument other than a closure of one index (`|i| …`)",
                ))
            }
        };
        let turbofish = match &p.path.segments.last()?.arguments {
            syn::PathArguments::AngleBracketed(a) => a.args.iter().nth(1).map(|n| match n {
                syn::GenericArgument::Const(e) => e.to_token_stream(),
                other => other.to_token_stream(),
            }),
            _ => None,
        };
        let Some(len) = turbofish.or_else(|| self.array_len_hint.take()) else {
            self.error(
                call.func.span(),
                "the length of an array built by `from_fn` from differentiated values is not \
                 written here; give it with the type of the `let` that binds it \
                 (`let a: [f64; N] = std::array::from_fn(|i| …);`) or a turbofish \
                 (`std::array::from_fn::<f64, N, _>(|i| …)`)",
            );
            return Some(self.poison());
        };
        let (pat, body) = (&closure.inputs[0], &closure.body);
        let pat = match pat {
            syn::Pat::Type(t) => &*t.pat,
            other => other,
        };
        self.filled_array(&len, |k| (quote!(let #pat = #k;), body.to_token_stream()))
    }
}

/// `N` of an array type `[T; N]`.
pub(super) fn array_type_len(ty: &syn::Type) -> Option<TokenStream> {
    match ty {
        syn::Type::Array(a) => Some(a.len.to_token_stream()),
        syn::Type::Paren(p) => array_type_len(&p.elem),
        _ => None,
    }
}
