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

use super::env::{Binding, Val};
use super::syntax::pattern_idents;
use super::Lower;

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

impl Slice {
    /// `array[start..start + len]`.
    fn range(&self) -> TokenStream {
        let Slice { array, start, len } = self;
        quote!(#array[(#start)..(#start) + (#len)])
    }

    /// `tokens` with the slice `name` read as the array: `name[i]` → `array[start + i]`,
    /// `name[a..b]` → `array[start + a..start + b]`, `name.len()` → `len`, `name.iter()` →
    /// `array[start..start + len].iter()`. Any other use of `name` is left as is, and its span
    /// recorded in `bad`.
    fn substitute(&self, name: &Ident, tokens: TokenStream, bad: &mut Option<Span>) -> TokenStream {
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
    /// `chain.sum()`, `chain.product()`, `chain.fold(init, f)`, and `chain.reduce(f)`,
    /// `chain.max_by(cmp)` or `chain.min_by(cmp)` unwrapped (`.unwrap()`, `.expect(..)`), over a
    /// differentiated array, as loops; `None` if `m` is not such a reduction.
    pub(super) fn lower_iterator_reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Val> {
        let errors = self.diag.errors().len();
        let block = match m.method.to_string().as_str() {
            "sum" | "product" | "fold" => self.reduction(m),
            "unwrap" | "expect" => self.first_item_reduction(m),
            _ => return None,
        };
        if self.diag.errors().len() > errors {
            return Some(self.poison());
        }
        Some(self.lower_expr(&block?))
    }

    /// A fresh loop counter and accumulator.
    pub(super) fn loop_names(&mut self) -> (Ident, Ident) {
        let n = self.iterators;
        self.iterators += 1;
        (
            Ident::new(&format!("__dual_k{n}"), Span::call_site()),
            Ident::new(&format!("__dual_acc{n}"), Span::call_site()),
        )
    }

    /// The block of `sum`, `product` or `fold`: an accumulator and a loop over each part.
    fn reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let chain = self.chain(&m.receiver)?;
        let (init, f) = match m.method.to_string().as_str() {
            "sum" => (quote!(0.0), None),
            "product" => (quote!(1.0), None),
            _ => {
                let [init, f] = [m.args.first()?, m.args.get(1)?];
                if let Expr::Closure(c) = f {
                    if c.inputs.len() != 2 || !self.check_use(&chain, &c.inputs[1], &c.body) {
                        return None;
                    }
                }
                (init.to_token_stream(), Some(f))
            }
        };
        let (k, acc) = self.loop_names();
        let product = m.method == "product";
        let loops = chain.parts.iter().map(|part| {
            part.each(&k, |item| match f {
                Some(f) => {
                    let step = combine(f, &acc, item);
                    quote!(#acc = #step;)
                }
                None if product => {
                    let e = item.expr();
                    quote!(#acc *= #e;)
                }
                None => {
                    let e = item.expr();
                    quote!(#acc += #e;)
                }
            })
        });
        // Typed, so that the accumulator is a float from the start (`f64::NEG_INFINITY`, say).
        let float = Ident::new(self.g.float.name(), Span::call_site());
        syn::parse2(quote!({
            let mut #acc: #float = #init;
            #(#loops)*
            #acc
        }))
        .ok()
    }

    /// The block of `reduce(f)`, `max_by(cmp)` or `min_by(cmp)`, unwrapped by `m`: the first
    /// item, then a loop over the others. `None` if `m` unwraps something else.
    fn first_item_reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let mut option = &*m.receiver;
        // `.max_by(..).copied().unwrap()`.
        if let Expr::MethodCall(c) = option {
            if matches!(c.method.to_string().as_str(), "copied" | "cloned") {
                option = &c.receiver;
            }
        }
        let Expr::MethodCall(r) = option else {
            return None;
        };
        let name = r.method.to_string();
        let float = self.g.float.name();
        let f: Expr = match name.as_str() {
            "reduce" => r.args.first()?.clone(),
            "max_by" | "min_by" => {
                let cmp = r.args.first()?;
                let Some(natural) = comparator_order(cmp) else {
                    self.error(
                        syn::spanned::Spanned::span(cmp),
                        format!(
                            "`{name}` over differentiated values compares the items themselves \
                             here: `|a, b| a.total_cmp(b)`, `|a, b| a.partial_cmp(b).unwrap()` \
                             or `{float}::total_cmp` (swapped for the other order); for another \
                             comparison, write the loop over indices"
                        ),
                    );
                    return None;
                };
                let larger = (name == "max_by") == natural;
                syn::parse_str(&format!("{float}::{}", if larger { "max" } else { "min" })).ok()?
            }
            _ => return None,
        };
        let part = self.chain(&r.receiver)?.positional()?;
        if let Expr::Closure(c) = &f {
            if c.inputs.len() != 2
                || !self.check_use(&Chain::of(part.clone()), &c.inputs[1], &c.body)
            {
                return None;
            }
        }
        let (k, acc) = self.loop_names();
        let first = (part.item)(&quote!(0)).expr();
        let step = combine(&f, &acc, &(part.item)(&quote!(#k)));
        let (len, float) = (&part.len, Ident::new(float, Span::call_site()));
        syn::parse2(quote!({
            let mut #acc: #float = #first;
            for #k in 1..#len {
                #acc = #step;
            }
            #acc
        }))
        .ok()
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
    /// follow (`map`, `skip`, `take`, `step_by`, `rev`, `chain`, windows and chunks); `None`
    /// otherwise.
    pub(super) fn desugared_for(&mut self, f: &syn::ExprForLoop) -> Option<Vec<Expr>> {
        if !self.needs_index_loop(&f.expr) {
            return None;
        }
        let chain = self.chain(&f.expr)?;
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

/// `f(acc, item)` of a `fold` or `reduce`: a closure of two parameters (inlined), or a function
/// of two floats (`f64::max`, a closure bound with `let`).
fn combine(f: &Expr, acc: &Ident, item: &Item) -> TokenStream {
    match f {
        Expr::Closure(c) if c.inputs.len() == 2 => {
            let pa = strip_ref(&c.inputs[0]);
            let bound = item.bind_in(&c.inputs[1], c.body.to_token_stream());
            quote!({ let #pa = #acc; #bound })
        }
        other => {
            let e = item.expr();
            quote!(#other(#acc, #e))
        }
    }
}

/// Whether a comparator of `max_by`/`min_by` orders the items as they are (`Some(true)`:
/// `|a, b| a.total_cmp(b)`, `|a, b| a.partial_cmp(b).unwrap()`, `f64::total_cmp`), reversed
/// (`Some(false)`: `|a, b| b.total_cmp(a)`), or compares something else (`None`).
fn comparator_order(cmp: &Expr) -> Option<bool> {
    match cmp {
        Expr::Path(p) => (p.path.segments.last()?.ident == "total_cmp").then_some(true),
        Expr::Closure(c) if c.inputs.len() == 2 => {
            let name = |p: &syn::Pat| strip_ref(p).to_string();
            let (a, b) = (name(&c.inputs[0]), name(&c.inputs[1]));
            let mut body = &*c.body;
            while let Expr::Block(syn::ExprBlock { block, .. }) = body {
                match block.stmts.as_slice() {
                    [syn::Stmt::Expr(e, None)] => body = e,
                    _ => return None,
                }
            }
            let Expr::MethodCall(mut call) = body.clone() else {
                return None;
            };
            // `a.partial_cmp(b).unwrap()` / `.expect(..)` / `.unwrap_or(Equal)`.
            if matches!(
                call.method.to_string().as_str(),
                "unwrap" | "expect" | "unwrap_or"
            ) {
                let Expr::MethodCall(inner) = *call.receiver else {
                    return None;
                };
                if inner.method != "partial_cmp" {
                    return None;
                }
                call = inner;
            } else if call.method != "total_cmp" {
                return None;
            }
            let operand = |e: &Expr| {
                let mut e = e;
                loop {
                    match e {
                        Expr::Unary(syn::ExprUnary {
                            op: syn::UnOp::Deref(_),
                            expr,
                            ..
                        })
                        | Expr::Reference(syn::ExprReference { expr, .. })
                        | Expr::Paren(syn::ExprParen { expr, .. }) => e = expr,
                        other => return other.to_token_stream().to_string(),
                    }
                }
            };
            let (x, y) = (operand(&call.receiver), operand(call.args.first()?));
            if (x == a, y == b) == (true, true) {
                Some(true)
            } else if x == b && y == a {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether a loop body breaks out of the loop (a `break` outside nested loops and closures).
fn contains_break(body: &syn::Block) -> bool {
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

impl Lower {
    fn needs_index_loop(&self, e: &Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                matches!(
                    m.method.to_string().as_str(),
                    "map"
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
            Expr::Path(p) => p.path.get_ident().is_some_and(|i| {
                matches!(
                    self.env.lookup(&i.to_string()),
                    Some(Binding::Sym {
                        value: Shape::ArrayVar(_),
                        ..
                    })
                )
            }),
            _ => false,
        }
    }
}

/// A closure parameter's pattern without the `&` of an iterator over references (`|&v|`,
/// `|(&a, &b)|`) or a type (`|v: f64|`): the items here are values.
fn strip_ref(p: &syn::Pat) -> TokenStream {
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
fn const_min(a: &TokenStream, b: &TokenStream) -> TokenStream {
    quote!((if (#a) < (#b) { #a } else { #b }))
}

/// The adapters a chain may use, in the words of the error messages.
const SUPPORTED_CHAINS: &str = "an iterator over a differentiated array may start with `iter()`, \
                                `into_iter()`, a sub-slice `x[a..b].iter()`, `windows(k)`, \
                                `chunks(k)` or `chunks_exact(k)`, go through `copied`, `cloned`, \
                                `map`, `filter`, `chain`, and the adapters that count positions \
                                (`zip`, `enumerate`, `skip`, `take`, `step_by`, `rev`: not after \
                                a `filter`, nor but for `rev` after a `chain`), and end in \
                                `sum()`, `sum::<f64>()`, `product()`, \
                                `fold(init, |acc, v| …)`, or `reduce(f)`, `max_by(cmp)`, \
                                `min_by(cmp)` then `.unwrap()`, or a `for` loop; write other \
                                iterations as a loop over indices";

/// The methods that start an iterator.
const SOURCES: &[&str] = &[
    "iter",
    "into_iter",
    "iter_mut",
    "windows",
    "chunks",
    "chunks_exact",
];
/// The sources [`Lower::chain`] follows.
const SUPPORTED_SOURCES: &[&str] = &["iter", "into_iter", "windows", "chunks", "chunks_exact"];
/// The adapters [`Lower::chain`] follows.
const ADAPTERS: &[&str] = &[
    "iter",
    "into_iter",
    "copied",
    "cloned",
    "map",
    "filter",
    "chain",
    "zip",
    "enumerate",
    "skip",
    "take",
    "step_by",
    "rev",
];
/// The adapters and reductions that count positions, so cannot follow a `filter` or `chain` here.
const POSITIONAL: &[&str] = &[
    "zip",
    "enumerate",
    "skip",
    "take",
    "step_by",
    "rev",
    "reduce",
    "max_by",
    "min_by",
];
/// The calls that end a chain.
const REDUCTIONS: &[&str] = &["sum", "product", "fold"];
/// The reductions that start from the first item, so give an `Option` to unwrap.
const FIRST_ITEM: &[&str] = &["reduce", "max_by", "min_by"];

/// Why the method call `m`, with a receiver that reads a differentiated value, is not a
/// supported iterator chain: the span of the first method that is not supported and a message
/// naming it; `None` when `m` is not about an iterator or an array.
pub(super) fn unsupported_chain(m: &syn::ExprMethodCall) -> Option<(Span, String)> {
    // The calls from the root outwards: `x.iter().filter(..).sum()` → iter, filter, sum.
    let mut calls = vec![m];
    let mut e = &*m.receiver;
    while let Expr::MethodCall(inner) = e {
        calls.push(inner);
        e = &inner.receiver;
    }
    calls.reverse();
    let names: Vec<String> = calls.iter().map(|c| c.method.to_string()).collect();
    let first = names.first()?;
    if !SOURCES.contains(&first.as_str()) {
        // A method straight on an array (`x.sort_by(..)`): only methods of arrays and slices.
        return ARRAY_METHODS.contains(&first.as_str()).then(|| {
            (
                calls[0].method.span(),
                format!(
                    "`{first}` on an array of differentiated values is not supported; {SUPPORTED_CHAINS}"
                ),
            )
        });
    }
    let last = names.len() - 1;
    let (mut filtered, mut chained, mut option) = (false, false, None);
    for (i, (call, name)) in calls.iter().zip(&names).enumerate() {
        let span = call.method.span();
        if let Some(reduction) = option {
            // After `max_by(..)`: the `Option` it gives.
            return (!matches!(name.as_str(), "copied" | "cloned" | "unwrap" | "expect")).then(
                || {
                    (
                        span,
                        format!(
                        "`{name}` on the `Option` of `{reduction}` over differentiated values is \
                         not supported; unwrap it with `.unwrap()` or `.expect(..)`"
                    ),
                    )
                },
            );
        }
        let positional = POSITIONAL.contains(&name.as_str());
        if positional && (filtered || (chained && name != "rev")) {
            let (after, why) = if filtered {
                ("filter", "which `filter` removes")
            } else {
                (
                    "chain",
                    "and each part of a `chain` becomes a loop of its own",
                )
            };
            let instead = if FIRST_ITEM.contains(&name.as_str()) {
                " (a largest item there is `fold(f64::NEG_INFINITY, f64::max)`)"
            } else {
                ""
            };
            return Some((
                span,
                format!(
                    "`{name}` after `{after}` is not supported (it counts positions, {why}); \
                     move it before the `{after}`, or write the loop over indices{instead}; \
                     {SUPPORTED_CHAINS}"
                ),
            ));
        }
        filtered |= name == "filter";
        chained |= name == "chain";
        let fine = if i == 0 {
            SUPPORTED_SOURCES.contains(&name.as_str())
        } else if FIRST_ITEM.contains(&name.as_str()) {
            option = Some(name);
            true
        } else if i == last {
            ADAPTERS.contains(&name.as_str()) || REDUCTIONS.contains(&name.as_str())
        } else {
            ADAPTERS.contains(&name.as_str())
        };
        if !fine {
            let on = if i == 0 {
                "an array of differentiated values"
            } else {
                "an iterator over differentiated values"
            };
            return Some((
                span,
                format!("`{name}` on {on} is not supported; {SUPPORTED_CHAINS}"),
            ));
        }
    }
    option.map(|reduction| {
        (
            calls[last].method.span(),
            format!(
                "`{reduction}` gives an `Option` (`None` for no items); unwrap it with \
                 `.unwrap()` or `.expect(..)` to use the value"
            ),
        )
    })
}

/// Methods of arrays and slices that are not float methods, so a call of one on an array of
/// differentiated values is about the array, not a misspelt float method.
const ARRAY_METHODS: &[&str] = &[
    "map",
    "windows",
    "chunks",
    "chunks_exact",
    "concat",
    "to_vec",
    "first",
    "last",
    "split_at",
    "contains",
    "as_slice",
    "sort_by",
    "reverse",
    "swap",
    "fill",
];

/// `tokens` without the dereferences (`*v`, `**v`) of the names in `names`: those are references
/// in the user's iterator and values in the loop the chain becomes. A `*` is a dereference when
/// no operand precedes it.
fn without_derefs(tokens: TokenStream, names: &[String]) -> TokenStream {
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
