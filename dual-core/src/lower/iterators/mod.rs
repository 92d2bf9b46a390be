//! Iterator chains over differentiated arrays, as numeric Rust writes them
//! (`x.iter().map(|v| v * v).sum::<f64>()`, `x.iter().zip(y).fold(0.0, |acc, (a, b)| …)`,
//! `x.windows(2).map(|w| w[1] - w[0])`), rewritten into the `for` loops over indices they stand
//! for, and lowered as those loops: kept loops, with constant-time reads, like any other.
//!
//! A chain is a source (`x.iter()`, `x.into_iter()`, `x[a..b].iter()`, `x.windows(k)`,
//! `x.chunks(k)`, `x.chunks_exact(k)`), adapters (`copied`, `cloned`, `map`, `zip`, `enumerate`,
//! `skip`, `take`, `step_by`, `rev`, `filter`, `chain`) and a reduction (`sum`, `product`,
//! `fold`, `reduce`, `max_by`, `min_by`). It is one or more parts (`a.iter().chain(b.iter())`
//! has two, each its own loop), each a length and an item at index `k`, and a `filter` a
//! condition on `k` that guards the loop's body (an `if` on primal values); a closure's
//! parameter pattern binds the item in the loop's body. A window or chunk is a range of the
//! array: `w[i]`, `w.len()` and `w.iter()` in the closure read the array itself.

use std::rc::Rc;

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, Ident};

use crate::ir::Shape;

use super::env::Binding;
use super::rolled::MAX_UNROLLED;
use super::syntax::pattern_idents;
use super::Lower;
use syntax::{const_min, contains_break, strip_ref, without_derefs};

mod messages;
mod reductions;
mod slices;
mod syntax;

pub(in crate::lower) use messages::unsupported_chain;

/// An iterator: the parts it runs through one after the other.
struct Chain {
    parts: Vec<Part>,
}

/// A run of an iterator: a length and the item at a given index.
#[derive(Clone)]
pub(super) struct Part {
    /// Its length, as an expression.
    pub(super) len: TokenStream,
    /// The item at index `k` (an expression of `k`).
    pub(super) item: Rc<dyn Fn(&TokenStream) -> Item>,
    /// Whether the item at index `k` is kept (`filter`), as a condition on `k`; `None` keeps all.
    /// Only `map`, `copied` and `cloned` may follow a `filter`: the others count positions.
    keep: Option<Keep>,
}

/// Whether the item at index `k` is kept, as a condition on `k`.
type Keep = Rc<dyn Fn(&TokenStream) -> TokenStream>;

impl Chain {
    fn of(part: Part) -> Self {
        Chain { parts: vec![part] }
    }

    /// The only part, unfiltered: for the adapters that count positions.
    fn positional(self) -> Option<Part> {
        match <[Part; 1]>::try_from(self.parts) {
            Ok([part]) if part.keep.is_none() => Some(part),
            _ => None,
        }
    }
}

/// An item of an iterator: an expression, a tuple of items (`zip`, `enumerate`), kept apart so
/// that a tuple pattern binds each part on its own (the index of `enumerate` stays an integer),
/// or a range of an array (`windows`, `chunks`).
#[derive(Clone)]
pub(super) enum Item {
    Expr(TokenStream),
    Tuple(Vec<Item>),
    Slice(Slice),
}

/// `array[start..start + len]`, a window or chunk.
#[derive(Clone)]
pub(super) struct Slice {
    array: Ident,
    start: TokenStream,
    len: TokenStream,
}

impl Item {
    /// The item as one expression.
    fn expr(&self) -> TokenStream {
        match self {
            Item::Expr(e) => e.clone(),
            Item::Tuple(items) => {
                let items = items.iter().map(Item::expr);
                quote!((#(#items),*))
            }
            Item::Slice(s) => s.range(),
        }
    }

    /// `let PAT = item; body`, a tuple pattern against a tuple item part by part; a slice item's
    /// name read as the array in `body`.
    pub(super) fn bind_in(&self, pat: &syn::Pat, body: TokenStream) -> TokenStream {
        match (pat, self) {
            (syn::Pat::Reference(r), _) => self.bind_in(&r.pat, body),
            (syn::Pat::Type(t), _) => self.bind_in(&t.pat, body),
            (syn::Pat::Paren(p), _) => self.bind_in(&p.pat, body),
            (syn::Pat::Tuple(t), Item::Tuple(items)) if t.elems.len() == items.len() => t
                .elems
                .iter()
                .zip(items)
                .rev()
                .fold(body, |body, (p, item)| item.bind_in(p, body)),
            (syn::Pat::Ident(p), Item::Slice(s)) => s.substitute(&p.ident, body, &mut None),
            _ => {
                let (pat, e) = (strip_ref(pat), self.expr());
                quote!(let #pat = #e; #body)
            }
        }
    }

    /// Where `body` uses the item in a way the loop cannot read (a window passed as a whole,
    /// bound by a pattern other than a name): its span and what is wrong.
    fn unsupported_use(&self, pat: &syn::Pat, body: &TokenStream) -> Option<(Span, String)> {
        match (pat, self) {
            (syn::Pat::Reference(r), _) => self.unsupported_use(&r.pat, body),
            (syn::Pat::Type(t), _) => self.unsupported_use(&t.pat, body),
            (syn::Pat::Paren(p), _) => self.unsupported_use(&p.pat, body),
            (syn::Pat::Tuple(t), Item::Tuple(items)) if t.elems.len() == items.len() => t
                .elems
                .iter()
                .zip(items)
                .find_map(|(p, item)| item.unsupported_use(p, body)),
            (syn::Pat::Ident(p), Item::Slice(s)) => {
                let mut bad = None;
                s.substitute(&p.ident, body.clone(), &mut bad);
                bad.map(|span| {
                    (
                        span,
                        format!(
                            "a window or chunk (`{}`) of a differentiated array may only be \
                             indexed (`{0}[i]`, `{0}[a..b]`), measured (`{0}.len()`) or \
                             iterated (`{0}.iter()`) here",
                            p.ident
                        ),
                    )
                })
            }
            (_, Item::Slice(_)) => Some((
                syn::spanned::Spanned::span(pat),
                "bind a window or chunk of a differentiated array to a name (`|w| …`)".into(),
            )),
            (_, Item::Tuple(items)) if items.iter().any(|i| matches!(i, Item::Slice(_))) => Some((
                syn::spanned::Spanned::span(pat),
                "bind a window or chunk of a differentiated array to a name (`|(w, v)| …`)".into(),
            )),
            _ => None,
        }
    }
}

impl Part {
    /// `for k in 0..len { body(item at k) }`, the body guarded by the part's `filter`.
    fn each(&self, k: &Ident, body: impl Fn(&Item) -> TokenStream) -> TokenStream {
        let body = body(&(self.item)(&quote!(#k)));
        let body = match &self.keep {
            Some(keep) => {
                let keep = keep(&quote!(#k));
                quote!(if #keep { #body })
            }
            None => body,
        };
        let len = &self.len;
        quote!(for #k in 0..#len { #body })
    }
}

impl Lower {
    /// A fresh loop counter and accumulator.
    pub(super) fn loop_names(&mut self) -> (Ident, Ident) {
        let n = self.iterators;
        self.iterators += 1;
        (
            Ident::new(&format!("__dual_k{n}"), Span::call_site()),
            Ident::new(&format!("__dual_acc{n}"), Span::call_site()),
        )
    }

    /// Whether `body` may bind the items of `chain` with `pat`; if not, the error is recorded.
    fn check_use(&mut self, chain: &Chain, pat: &syn::Pat, body: &impl ToTokens) -> bool {
        let body = body.to_token_stream();
        for part in &chain.parts {
            if let Some((span, message)) = (part.item)(&quote!(k)).unsupported_use(pat, &body) {
                self.error(span, message);
                return false;
            }
        }
        true
    }

    /// The iterator a receiver chain stands for, if it starts at a differentiated array.
    fn chain(&mut self, e: &Expr) -> Option<Chain> {
        let Expr::MethodCall(m) = e else { return None };
        let name = m.method.to_string();
        let arg = |i: usize| m.args.iter().nth(i).map(ToTokens::to_token_stream);
        match name.as_str() {
            "iter" | "into_iter" if m.args.is_empty() => self.source(&m.receiver).map(Chain::of),
            "windows" | "chunks" | "chunks_exact" if m.args.len() == 1 => {
                self.slices(&m.receiver, &name, arg(0)?).map(Chain::of)
            }
            "copied" | "cloned" => self.chain(&m.receiver),
            "map" => {
                let inner = self.chain(&m.receiver)?;
                let c = self.closure_of_one(m)?;
                if !self.check_use(&inner, &c.inputs[0], &c.body) {
                    return None;
                }
                let (pat, body) = (c.inputs[0].clone(), c.body.to_token_stream());
                let parts = inner.parts.into_iter().map(|part| {
                    let (item, pat, body) = (part.item, pat.clone(), body.clone());
                    Part {
                        item: Rc::new(move |k| {
                            let bound = item(k).bind_in(&pat, body.clone());
                            Item::Expr(quote!({ #bound }))
                        }),
                        ..part
                    }
                });
                Some(Chain {
                    parts: parts.collect(),
                })
            }
            "filter" => {
                let inner = self.chain(&m.receiver)?;
                let c = self.closure_of_one(m)?;
                // The predicate sees `&&f64` (`|v| **v > 0.0`); here the item is the value.
                let mut idents = Vec::new();
                pattern_idents(&c.inputs[0], &mut idents);
                let names: Vec<String> = idents.iter().map(ToString::to_string).collect();
                let body = without_derefs(c.body.to_token_stream(), &names);
                if !self.check_use(&inner, &c.inputs[0], &body) {
                    return None;
                }
                let pat = c.inputs[0].clone();
                let parts = inner.parts.into_iter().map(|part| {
                    let (item, before, pat, body) =
                        (part.item.clone(), part.keep, pat.clone(), body.clone());
                    Part {
                        keep: Some(Rc::new(move |k| {
                            let bound = item(k).bind_in(&pat, body.clone());
                            let this = quote!({ #bound });
                            match &before {
                                Some(before) => {
                                    let before = before(k);
                                    quote!((#before) && #this)
                                }
                                None => this,
                            }
                        })),
                        ..part
                    }
                });
                Some(Chain {
                    parts: parts.collect(),
                })
            }
            "chain" => {
                let mut left = self.chain(&m.receiver)?;
                let other = m.args.first()?;
                let right = match self.chain(other) {
                    Some(c) => c,
                    None => Chain::of(self.source(other)?),
                };
                left.parts.extend(right.parts);
                Some(left)
            }
            "zip" => {
                let left = self.chain(&m.receiver)?.positional()?;
                let other = m.args.first()?;
                let right = match self.chain(other) {
                    Some(c) => c.positional()?,
                    None => self.source(other)?,
                };
                let (ll, rl) = (left.len, right.len);
                Some(Chain::of(Part {
                    len: const_min(&ll, &rl),
                    item: Rc::new(move |k| Item::Tuple(vec![(left.item)(k), (right.item)(k)])),
                    keep: None,
                }))
            }
            "enumerate" => {
                let inner = self.chain(&m.receiver)?.positional()?;
                Some(Chain::of(Part {
                    len: inner.len,
                    item: Rc::new(move |k| {
                        Item::Tuple(vec![Item::Expr(k.clone()), (inner.item)(k)])
                    }),
                    keep: None,
                }))
            }
            "skip" | "take" | "step_by" => {
                let inner = self.chain(&m.receiver)?.positional()?;
                let n = arg(0)?;
                let len = &inner.len;
                let len = match name.as_str() {
                    "skip" => quote!((#len).saturating_sub(#n)),
                    "take" => const_min(len, &n),
                    _ => quote!(((#len) + (#n) - 1) / (#n)),
                };
                let kind = name.clone();
                Some(Chain::of(Part {
                    len,
                    item: Rc::new(move |k| match kind.as_str() {
                        "skip" => (inner.item)(&quote!((#k + #n))),
                        "take" => (inner.item)(k),
                        _ => (inner.item)(&quote!((#k * #n))),
                    }),
                    keep: None,
                }))
            }
            "rev" => {
                let inner = self.chain(&m.receiver)?;
                if inner.parts.iter().any(|p| p.keep.is_some()) {
                    return None;
                }
                let parts = inner.parts.into_iter().rev().map(|part| {
                    let (len, item) = (part.len.clone(), part.item);
                    Part {
                        item: Rc::new(move |k| item(&quote!((#len - 1 - #k)))),
                        ..part
                    }
                });
                Some(Chain {
                    parts: parts.collect(),
                })
            }
            _ => None,
        }
    }

    /// The closure of one parameter given to `map` or `filter`: written there, or bound with
    /// `let` and named.
    pub(super) fn closure_of_one(&mut self, m: &syn::ExprMethodCall) -> Option<syn::ExprClosure> {
        let c = match m.args.first()? {
            Expr::Closure(c) => c.clone(),
            other => self.closure_named(other)?,
        };
        (c.inputs.len() == 1).then_some(c)
    }

    /// `x` or `x[a..b]` (a differentiated array, or a range of its elements): the array, where
    /// the range starts (`None` at 0), and its length.
    fn range_of(&mut self, e: &Expr) -> Option<(Ident, Option<TokenStream>, TokenStream)> {
        let (array, start, end) = match e {
            Expr::Paren(p) => return self.range_of(&p.expr),
            Expr::Reference(r) => return self.range_of(&r.expr),
            Expr::Index(ix) => match &*ix.index {
                Expr::Range(r) => (&*ix.expr, r.start.clone(), r.end.clone()),
                _ => return None,
            },
            other => (other, None, None),
        };
        let Expr::Path(p) = array else { return None };
        let name = p.path.get_ident()?.clone();
        // The length as written where the array was declared, not `name.len()`: the loop
        // header of a rolled loop is emitted where a local array is not in scope.
        let len = match self.env.lookup(&name.to_string()) {
            Some(Binding::Sym {
                value: Shape::Array(elements),
                ..
            }) => {
                let n = elements.len();
                quote!(#n)
            }
            Some(Binding::Sym {
                value: Shape::ArrayVar(id),
                ..
            }) => {
                let id = *id;
                self.g.array(id).len.clone()
            }
            _ => return None,
        };
        let len = match (&start, end) {
            (None, None) => len,
            (None, Some(end)) => end.to_token_stream(),
            (Some(start), None) => quote!((#len) - (#start)),
            (Some(start), Some(end)) => match &*end {
                // A window's range, `start..start + len` (see `Slice::range`).
                Expr::Binary(b)
                    if matches!(b.op, syn::BinOp::Add(_))
                        && b.left.to_token_stream().to_string() == quote!((#start)).to_string() =>
                {
                    b.right.to_token_stream()
                }
                end => quote!((#end) - (#start)),
            },
        };
        Some((name, start.map(|s| s.to_token_stream()), len))
    }

    /// The items of `x` or `x[a..b]`.
    pub(super) fn source(&mut self, e: &Expr) -> Option<Part> {
        let (name, start, len) = self.range_of(e)?;
        Some(Part {
            len,
            item: Rc::new(move |k| match &start {
                None => Item::Expr(quote!(#name[#k])),
                Some(start) => Item::Expr(quote!(#name[(#start) + #k])),
            }),
            keep: None,
        })
    }

    /// `x.windows(size)`, `x.chunks(size)` or `x.chunks_exact(size)` (also of `x[a..b]`).
    fn slices(&mut self, e: &Expr, kind: &str, size: TokenStream) -> Option<Part> {
        let (array, start, total) = self.range_of(e)?;
        let at = move |k: &TokenStream| match &start {
            None => k.clone(),
            Some(start) => quote!((#start) + #k),
        };
        let size = quote!((#size));
        let len = match kind {
            "windows" => quote!(((#total) + 1).saturating_sub(#size)),
            "chunks" => quote!(((#total) + #size - 1) / #size),
            _ => quote!((#total) / #size),
        };
        let kind = kind.to_string();
        Some(Part {
            len,
            item: Rc::new(move |k| {
                let (from, len) = match kind.as_str() {
                    "windows" => (at(k), size.clone()),
                    "chunks" => {
                        let rest = quote!(((#total) - #k * #size));
                        (at(&quote!(#k * #size)), const_min(&size, &rest))
                    }
                    _ => (at(&quote!(#k * #size)), size.clone()),
                };
                Item::Slice(Slice {
                    array: array.clone(),
                    start: from,
                    len,
                })
            }),
            keep: None,
        })
    }

    /// `for PAT in CHAIN { body }` as the loops over its indices (one per part), when the chain
    /// reads an array in place or uses an adapter the unrolling of loops over arrays does not
    /// follow (`map`, `filter`, `skip`, `take`, `step_by`, `rev`, `chain`, windows and chunks); `None`
    /// otherwise.
    pub(super) fn desugared_for(&mut self, f: &syn::ExprForLoop) -> Option<Vec<Expr>> {
        if !self.needs_index_loop(&f.expr) {
            return None;
        }
        // `for v in x`, `for v in &x`: the array's elements, as `x.iter()` gives them.
        let chain = match &*f.expr {
            Expr::Path(_) | Expr::Reference(_) => self.source(&f.expr).map(Chain::of),
            _ => self.chain(&f.expr),
        }?;
        if !self.check_use(&chain, &f.pat, &f.body) {
            return Some(Vec::new());
        }
        if chain.parts.len() > 1 && contains_break(&f.body) {
            self.error(
                f.for_token.span,
                "`break` in a loop over a `chain` of differentiated arrays is not supported \
                 (the chain becomes one loop per part); use `continue`, or loop over indices",
            );
            return Some(Vec::new());
        }
        let (k, _) = self.loop_names();
        let body = &f.body;
        chain
            .parts
            .iter()
            .map(|part| {
                let looped = part.each(&k, |item| item.bind_in(&f.pat, quote!(#body)));
                syn::parse2(looped).ok()
            })
            .collect()
    }
}

impl Lower {
    fn needs_index_loop(&self, e: &Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                matches!(
                    m.method.to_string().as_str(),
                    "map"
                        | "filter"
                        | "skip"
                        | "take"
                        | "step_by"
                        | "rev"
                        | "chain"
                        | "windows"
                        | "chunks"
                        | "chunks_exact"
                ) || self.needs_index_loop(&m.receiver)
                    || m.args.iter().any(|a| self.needs_index_loop(a))
            }
            Expr::Paren(p) => self.needs_index_loop(&p.expr),
            Expr::Reference(r) => self.needs_index_loop(&r.expr),
            Expr::Index(ix) => {
                matches!(&*ix.index, Expr::Range(_)) || self.needs_index_loop(&ix.expr)
            }
            // An array read in place, or a differentiated parameter array too long to unroll
            // (`for v in x` over `[f64; 1000]`: a loop kept a loop, like `for i in 0..1000`).
            Expr::Path(p) => {
                p.path
                    .get_ident()
                    .is_some_and(|i| match self.env.lookup(&i.to_string()) {
                        Some(Binding::Sym {
                            value: Shape::ArrayVar(_),
                            ..
                        }) => true,
                        Some(Binding::Sym {
                            value: Shape::Array(items),
                            ..
                        }) => {
                            items.len() > MAX_UNROLLED
                                && self.arrays_allowed()
                                && self.param_of(items).is_some()
                        }
                        _ => false,
                    })
            }
            _ => false,
        }
    }
}
