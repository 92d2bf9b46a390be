//! Statements written token by token (the bulk of the output), located at the user's tokens.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenTree};

/// Tokens of one statement, written one by one, located at the user's tokens.
pub(super) struct Writer {
    pub(super) out: Vec<TokenTree>,
    /// Call-site resolution at the user's location (keywords, operators, methods, literals).
    pub(super) call: Span,
    /// Mixed-site resolution at the user's location (the generated locals).
    pub(super) mixed: Span,
}

impl Writer {
    /// Appends to `out`.
    pub(super) fn new(at: Span, out: Vec<TokenTree>) -> Self {
        Writer {
            out,
            call: Span::call_site().located_at(at),
            mixed: Span::mixed_site().located_at(at),
        }
    }

    pub(super) fn new_at(call: Span, mixed: Span) -> Self {
        Writer {
            out: Vec::new(),
            call,
            mixed,
        }
    }

    pub(super) fn word(&mut self, word: &str, span: Span) {
        self.out.push(Ident::new(word, span).into());
    }

    /// A one-character operator.
    pub(super) fn punct(&mut self, op: &str, span: Span) {
        let c = op.chars().next().expect("an operator");
        let mut p = Punct::new(c, Spacing::Alone);
        p.set_span(span);
        self.out.push(p.into());
    }

    pub(super) fn group(&mut self, delimiter: Delimiter, inner: Vec<TokenTree>) {
        let mut g = Group::new(delimiter, inner.into_iter().collect());
        g.set_span(self.call);
        self.out.push(g.into());
    }
}
