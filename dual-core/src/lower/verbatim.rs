//! User code emitted as written: the symbolic variables it reads are given their primal values
//! first, and inactive floats it computes become opaque nodes.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::{Expr, Ident};

use crate::ir::{BlockId, NodeId, Op, Shape, Stmt};

use super::env::{Binding, Val};
use super::syntax::assigns_in_tokens;
use super::Lower;

impl Lower {
    /// Gives every symbolic variable the tokens mention its primal value under its own name, so
    /// that the tokens can be emitted as written.
    pub(super) fn materialize(&mut self, tokens: TokenStream) {
        let mut seen = BTreeSet::new();
        for ident in self.mentions(tokens) {
            let name = ident.to_string();
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(Binding::Counter {
                value,
                materialized: false,
            }) = self.env.lookup(&name).cloned()
            {
                let user = Ident::new(&name, ident.span());
                let lit = proc_macro2::Literal::i64_unsuffixed(value);
                self.g.push(Stmt::Verbatim(quote!(let #user = #lit;)));
                self.names_introduced += 1;
                if let Some(Binding::Counter { materialized, .. }) = self.env.lookup_mut(&name) {
                    *materialized = true;
                }
                continue;
            }
            if let Some(Binding::Sym {
                value,
                materialized: false,
                mutable,
            }) = self.env.lookup(&name).cloned()
            {
                let user = Ident::new(&name, ident.span());
                let by_ref = self
                    .ref_elements
                    .iter()
                    .any(|r| r.name == name && r.value == value);
                self.g.push(Stmt::User {
                    name: user,
                    mutable,
                    value: value.clone(),
                    by_ref,
                });
                self.names_introduced += 1;
                if let Some(Binding::Sym { materialized, .. }) = self.env.lookup_mut(&name) {
                    *materialized = true;
                }
            }
        }
    }

    /// After a verbatim statement that may write to the variables it mentions, constant symbolic
    /// variables become inactive ones (the value the emitted code holds is the one that counts from
    /// now on).
    pub(super) fn demote_constants(&mut self, tokens: TokenStream) {
        for ident in self.mentions(tokens) {
            let name = ident.to_string();
            let constant = match self.env.lookup(&name) {
                Some(b @ Binding::Sym { value, .. }) if !self.binding_is_active(b) => {
                    Some(matches!(value, Shape::Scalar(_)))
                }
                _ => None,
            };
            if let Some(float) = constant {
                if let Some(b) = self.env.lookup_mut(&name) {
                    *b = Binding::Inactive {
                        float,
                        by_ref: false,
                        array: None,
                        elements: false,
                    };
                }
            }
        }
    }

    /// An inactive expression that may read symbolic values. One that assigns (`'a: { k = 2.0;
    /// … }`) leaves the variables it mentions holding what the emitted code computes.
    pub(super) fn read(&mut self, e: &Expr) -> Val {
        let tokens = e.to_token_stream();
        self.materialize(tokens.clone());
        if assigns_in_tokens(tokens.clone()) {
            self.demote_constants(tokens.clone());
        }
        Val::Tokens(tokens)
    }

    /// Emits user code as written, after giving the variables it reads their values.
    pub(super) fn push_verbatim(&mut self, tokens: TokenStream) {
        self.materialize(tokens.clone());
        // User code may change what an index reads.
        self.index_cache.clear();
        self.g.push(Stmt::Verbatim(tokens));
    }

    /// An inactive float as a node: `let t = <expr>;`.
    pub(super) fn bind_opaque(&mut self, tokens: TokenStream, span: Span) -> NodeId {
        self.materialize(tokens.clone());
        let node = self.g.intern(Op::Opaque, span);
        self.g.push(Stmt::Bind { node, expr: tokens });
        node
    }

    /// An inactive float read at the end of `block` (a branch being merged).
    pub(super) fn bind_opaque_in(
        &mut self,
        block: BlockId,
        tokens: TokenStream,
        span: Span,
    ) -> NodeId {
        let saved = self.g.cur;
        self.g.cur = block;
        let node = self.bind_opaque(tokens, span);
        self.g.cur = saved;
        node
    }

    /// The variable of user code `tokens` read at the end of `block` with the structure of
    /// `like` (which Rust's types say it has): an array or tuple element by element (`w = d;`
    /// where `w` held `[x, y]`, or in one branch of an `if` and `w = [x, y];` in the other),
    /// otherwise as one float.
    pub(super) fn read_like_in(
        &mut self,
        block: BlockId,
        tokens: TokenStream,
        like: Option<&Shape>,
        span: Span,
    ) -> Shape {
        match like {
            Some(aggregate @ (Shape::Array(items) | Shape::Tuple(items))) => {
                let array = matches!(aggregate, Shape::Array(_));
                let parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let i = syn::Index::from(i);
                        let part = if array {
                            quote!(#tokens[#i])
                        } else {
                            quote!(#tokens.#i)
                        };
                        self.read_like_in(block, part, Some(item), span)
                    })
                    .collect();
                if array {
                    Shape::Array(parts)
                } else {
                    Shape::Tuple(parts)
                }
            }
            _ => Shape::Scalar(self.bind_opaque_in(block, tokens, span)),
        }
    }

    /// The value as a single float node.
    pub(super) fn scalar(&mut self, v: Val, span: Span) -> Option<NodeId> {
        match v {
            Val::Sym(Shape::Scalar(n)) => Some(n),
            Val::Sym(s) => {
                // An aggregate holding an error (`(closure, 1.0)`): reported already.
                let poisoned = s.leaves().into_iter().find(|n| self.diag.is_poisoned(*n));
                if poisoned.is_none() {
                    self.error(
                        span,
                        "expected a single float here, found an array or tuple of differentiated \
                         values",
                    );
                }
                poisoned
            }
            Val::Tokens(t) => Some(self.bind_opaque(t, span)),
        }
    }

    /// Binds an inactive value of any type to a fresh local, returning its name.
    pub(super) fn bind_tokens_value(&mut self, t: TokenStream, span: Span) -> Ident {
        let slot = self.g.slot();
        let name = crate::tokens::slot_ident('v', slot);
        self.g
            .push(Stmt::Verbatim(quote_spanned!(span=> let #name = #t;)));
        name
    }
}
