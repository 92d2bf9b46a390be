//! Token and syntax helpers of the rewriting of chains.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// A closure parameter's pattern without the `&` of an iterator over references (`|&v|`,
/// `|(&a, &b)|`) or a type (`|v: f64|`): the items here are values.
pub(super) fn strip_ref(p: &syn::Pat) -> TokenStream {
    match p {
        syn::Pat::Reference(r) => strip_ref(&r.pat),
        syn::Pat::Type(t) => strip_ref(&t.pat),
        syn::Pat::Tuple(t) => {
            let items = t.elems.iter().map(strip_ref);
            quote!((#(#items),*))
        }
        other => other.to_token_stream(),
    }
}

/// The smaller of two lengths, as an expression that may stand in a constant (the length of a
/// tape kept on the stack): `core::cmp::min` is not a `const fn`.
pub(super) fn const_min(a: &TokenStream, b: &TokenStream) -> TokenStream {
    quote!((if (#a) < (#b) { #a } else { #b }))
}

/// Whether a loop body breaks out of the loop (a `break` outside nested loops and closures).
pub(super) fn contains_break(body: &syn::Block) -> bool {
    use syn::visit::Visit;
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut f = Finder(false);
    f.visit_block(body);
    f.0
}

/// `tokens` without the dereferences (`*v`, `**v`) of the names in `names`: those are references
/// in the user's iterator and values in the loop the chain becomes. A `*` is a dereference when
/// no operand precedes it.
pub(super) fn without_derefs(tokens: TokenStream, names: &[String]) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut operand_before = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == '*' && !operand_before => {
                let mut j = i;
                while matches!(&tokens[j], TokenTree::Punct(p) if p.as_char() == '*') {
                    j += 1;
                    if j == tokens.len() {
                        break;
                    }
                }
                let derefs_a_name = matches!(tokens.get(j),
                    Some(TokenTree::Ident(id)) if names.contains(&id.to_string()));
                if derefs_a_name {
                    i = j;
                    continue;
                }
                out.push(tokens[i].clone());
                operand_before = false;
            }
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), without_derefs(g.stream(), names));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
                operand_before = true;
            }
            TokenTree::Punct(_) => {
                out.push(tokens[i].clone());
                operand_before = false;
            }
            other => {
                out.push(other.clone());
                // A keyword (`if *v > 0.0`, `return *v`) is not an operand.
                operand_before = !matches!(other, TokenTree::Ident(id)
                    if ["if", "else", "return", "match", "in", "let", "while"]
                        .contains(&id.to_string().as_str()));
            }
        }
        i += 1;
    }
    out.into_iter().collect()
}
