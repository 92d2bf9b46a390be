//! The diagnostics context: every stage reports its problems here, as spanned `syn::Error`s, and
//! the pipeline reports them all at once, in one compile (serde_derive's `Ctxt` in spirit).

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};

use crate::ir::NodeId;

/// The problems found so far in one annotated function.
#[derive(Default, Debug)]
#[must_use = "the problems must be reported"]
pub struct Diagnostics {
    errors: Vec<syn::Error>,
    /// Values of the IR that stand for expressions with errors: later uses of them report
    /// nothing more, so that each problem is reported once.
    poisoned: HashSet<NodeId>,
}

/// How many problems had been reported at some point (see [`Diagnostics::rollback`]).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Mark(usize);

impl Diagnostics {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports a problem at `span`.
    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Reports a problem spanning all of `tokens` (not only their first token).
    pub fn error_spanning(
        &mut self,
        tokens: &impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Reports an error built elsewhere (by syn's parser, say). The same problem at the same
    /// place is reported once, however often the code is lowered (an unrolled loop lowers its
    /// body once per iteration).
    pub fn push(&mut self, error: syn::Error) {
        // `Span` has no equality; its `Debug` form names the place (`#0 bytes(120..131)`).
        let key = |e: &syn::Error| (e.to_string(), format!("{:?}", e.span()));
        let new = key(&error);
        if !self.errors.iter().any(|e| key(e) == new) {
            self.errors.push(error);
        }
    }

    /// Reports several errors, in order.
    pub fn extend(&mut self, errors: impl IntoIterator<Item = syn::Error>) {
        for error in errors {
            self.push(error);
        }
    }

    /// Marks `value` as standing for an expression with an error.
    pub fn poison(&mut self, value: NodeId) {
        self.poisoned.insert(value);
    }

    /// Whether `value` stands for an expression with an error.
    pub fn is_poisoned(&self, value: NodeId) -> bool {
        self.poisoned.contains(&value)
    }

    /// The point reached so far, to come back to after a trial that is redone.
    pub fn mark(&self) -> Mark {
        Mark(self.errors.len())
    }

    /// Forgets the problems reported since `mark` (their code is lowered again).
    pub fn rollback(&mut self, mark: Mark) {
        self.errors.truncate(mark.0);
    }

    /// Whether any problem was reported.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The problems, in the order they were found.
    pub fn errors(&self) -> &[syn::Error] {
        &self.errors
    }

    /// `Ok(value)` when nothing was reported, else every problem.
    pub fn check<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The problems as `compile_error!` invocations, each at its span.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }

    /// The problems, consuming the context.
    pub fn into_errors(self) -> Vec<syn::Error> {
        self.errors
    }
}
