//! Which user variables an expression mentions, and whether any of them holds a differentiated
//! (active) or symbolically held value: decided by scanning tokens.

use proc_macro2::{TokenStream, TokenTree};
use syn::{Expr, Ident};

use crate::ir::Shape;

use super::env::Binding;
use super::syntax::{contains_loop_jump, contains_return};
use super::Lower;

impl Lower {
    /// Whether the expression leaves the current block other than by its end: `return`, or
    /// `break` / `continue` of a differentiated loop.
    pub(super) fn jumps(&self, e: &Expr) -> bool {
        contains_return(e) || (self.loop_depth > 0 && contains_loop_jump(e))
    }

    /// The user variables an expression or statement mentions (identifiers, and names inside
    /// format strings of macros).
    pub(super) fn mentions(&self, tokens: TokenStream) -> Vec<Ident> {
        fn walk(ts: TokenStream, out: &mut Vec<Ident>) {
            for tt in ts {
                match tt {
                    TokenTree::Ident(i) => out.push(i),
                    TokenTree::Group(g) => walk(g.stream(), out),
                    TokenTree::Literal(lit) => {
                        // `{name}` / `{name:?}` in format strings.
                        let s = lit.to_string();
                        if s.starts_with('"') || s.starts_with('r') {
                            let mut rest = s.as_str();
                            while let Some(i) = rest.find('{') {
                                rest = &rest[i + 1..];
                                let name: String = rest
                                    .chars()
                                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                                    .collect();
                                if !name.is_empty()
                                    && !name.starts_with(|c: char| c.is_ascii_digit())
                                {
                                    out.push(Ident::new(&name, lit.span()));
                                }
                            }
                        }
                    }
                    TokenTree::Punct(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(tokens, &mut out);
        out
    }

    pub(super) fn binding_is_active(&self, b: &Binding) -> bool {
        match b {
            Binding::Closure(i) => self.closures[*i].1,
            Binding::Sym {
                value: Shape::ArrayVar(a),
                ..
            } => self.g.array(*a).active,
            Binding::Sym { value, .. } => value.leaves().iter().any(|n| self.g.is_active(*n)),
            _ => false,
        }
    }

    /// Whether the tokens mention a variable holding a differentiated value.
    pub(super) fn touches_active(&self, tokens: TokenStream) -> bool {
        self.mentions(tokens).iter().any(|i| {
            self.env
                .lookup(&i.to_string())
                .is_some_and(|b| self.binding_is_active(b))
        })
    }

    /// Whether the tokens mention a variable holding a differentiated value other than an array
    /// read in place (whose `len()` is data).
    pub(super) fn touches_active_value(&self, tokens: TokenStream) -> bool {
        self.mentions(tokens).iter().any(|i| {
            self.env.lookup(&i.to_string()).is_some_and(|b| {
                !matches!(
                    b,
                    Binding::Sym {
                        value: Shape::ArrayVar(_),
                        ..
                    }
                ) && self.binding_is_active(b)
            })
        })
    }

    /// Whether the tokens mention any symbolically held variable (active or constant).
    pub(super) fn touches_symbolic(&self, tokens: TokenStream) -> bool {
        self.mentions(tokens)
            .iter()
            .any(|i| match self.env.lookup(&i.to_string()) {
                Some(Binding::Sym { .. } | Binding::Uninit { .. }) => true,
                Some(Binding::Closure(c)) => self.closures[*c].1,
                _ => false,
            })
    }
}
