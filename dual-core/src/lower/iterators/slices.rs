//! Windows and chunks (`x.windows(k)`, `x.chunks(k)`): a range of the array, which the closure
//! that receives it reads through the array itself.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Expr, Ident};

use super::Slice;

impl Slice {
    /// `array[start..start + len]`.
    pub(super) fn range(&self) -> TokenStream {
        let Slice { array, start, len } = self;
        quote!(#array[(#start)..(#start) + (#len)])
    }

    /// `tokens` with the slice `name` read as the array: `name[i]` → `array[start + i]`,
    /// `name[a..b]` → `array[start + a..start + b]`, `name.len()` → `len`, `name.iter()` →
    /// `array[start..start + len].iter()`. Any other use of `name` is left as is, and its span
    /// recorded in `bad`.
    pub(super) fn substitute(
        &self,
        name: &Ident,
        tokens: TokenStream,
        bad: &mut Option<Span>,
    ) -> TokenStream {
        use proc_macro2::{Delimiter, Group, TokenTree};
        let Slice { array, start, len } = self;
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = TokenStream::new();
        let mut i = 0;
        let is_punct = |t: Option<&TokenTree>, c: char| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c);
        while i < tokens.len() {
            let t = &tokens[i];
            match t {
                TokenTree::Ident(id)
                    if id == name && !(i > 0 && is_punct(tokens.get(i - 1), '.')) =>
                {
                    match tokens.get(i + 1) {
                        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
                            let inner = self.substitute(name, g.stream(), bad);
                            let index = match syn::parse2::<Expr>(inner.clone()) {
                                Ok(Expr::Range(r)) => {
                                    let from = r.start.map_or_else(
                                        || quote!(#start),
                                        |a| quote!((#start) + (#a)),
                                    );
                                    let to = match (r.end, r.limits) {
                                        (None, _) => quote!((#start) + (#len)),
                                        (Some(b), syn::RangeLimits::HalfOpen(_)) => {
                                            quote!((#start) + (#b))
                                        }
                                        (Some(b), syn::RangeLimits::Closed(_)) => {
                                            quote!((#start) + (#b) + 1)
                                        }
                                    };
                                    quote!(#from..#to)
                                }
                                _ => quote!((#start) + (#inner)),
                            };
                            let mut group = Group::new(Delimiter::Bracket, index);
                            group.set_span(g.span());
                            out.extend(quote!(#array));
                            out.extend([TokenTree::Group(group)]);
                            i += 2;
                            continue;
                        }
                        _ if is_punct(tokens.get(i + 1), '.') => {
                            let method = match tokens.get(i + 2) {
                                Some(TokenTree::Ident(m)) => m.to_string(),
                                _ => String::new(),
                            };
                            let empty_call = matches!(tokens.get(i + 3),
                                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis
                                    && g.stream().is_empty());
                            match method.as_str() {
                                "len" if empty_call => {
                                    out.extend(quote!((#len)));
                                    i += 4;
                                    continue;
                                }
                                "iter" | "into_iter" if empty_call => {
                                    out.extend(self.range());
                                    out.extend(quote!(.iter()));
                                    i += 4;
                                    continue;
                                }
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                    bad.get_or_insert(id.span());
                    out.extend([t.clone()]);
                }
                TokenTree::Group(g) => {
                    let mut group =
                        Group::new(g.delimiter(), self.substitute(name, g.stream(), bad));
                    group.set_span(g.span());
                    out.extend([TokenTree::Group(group)]);
                }
                other => out.extend([other.clone()]),
            }
            i += 1;
        }
        out
    }
}
