//! Iterator chains over differentiated arrays, as numeric Rust writes them
//! (`x.iter().map(|v| v * v).sum::<f64>()`, `x.iter().zip(y).fold(0.0, |acc, (a, b)| …)`),
//! rewritten into the `for` loop over indices they stand for, and lowered as that loop: kept a
//! loop, with constant-time reads, like any other.
//!
//! A chain is a source (`x.iter()`, `x.into_iter()`, `x[a..b].iter()`), adapters (`copied`,
//! `cloned`, `map`, `zip`, `enumerate`, `skip`, `take`, `step_by`, `rev`, `filter`) and a
//! reduction (`sum`, `product`, `fold`). Each is a length and an item at index `k`, and a
//! `filter` a condition on `k` that guards the loop's body (an `if` on primal values); a
//! closure's parameter pattern binds the item in the loop's body.

use std::rc::Rc;

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, Ident};

use crate::ir::Shape;

use super::env::{Binding, Val};
use super::syntax::pattern_idents;
use super::Lower;

/// An iterator as a length and the item at a given index.
struct Chain {
    /// Its length, as an expression.
    len: TokenStream,
    /// The item at index `k` (an expression of `k`).
    item: Rc<dyn Fn(&TokenStream) -> Item>,
    /// Whether the item at index `k` is kept (`filter`), as a condition on `k`; `None` keeps all.
    /// Only `map`, `copied` and `cloned` may follow a `filter`: the others count positions.
    keep: Option<Keep>,
}

/// Whether the item at index `k` is kept, as a condition on `k`.
type Keep = Rc<dyn Fn(&TokenStream) -> TokenStream>;

/// An item of an iterator: an expression, or a tuple of items (`zip`, `enumerate`), kept apart
/// so that a tuple pattern binds each part on its own (the index of `enumerate` stays an
/// integer).
#[derive(Clone)]
enum Item {
    Expr(TokenStream),
    Tuple(Vec<Item>),
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
        }
    }

    /// `let PAT = item;`, a tuple pattern against a tuple item part by part.
    fn bind(&self, pat: &syn::Pat) -> TokenStream {
        match (pat, self) {
            (syn::Pat::Reference(r), _) => self.bind(&r.pat),
            (syn::Pat::Type(t), _) => self.bind(&t.pat),
            (syn::Pat::Paren(p), _) => self.bind(&p.pat),
            (syn::Pat::Tuple(t), Item::Tuple(items)) if t.elems.len() == items.len() => t
                .elems
                .iter()
                .zip(items)
                .map(|(p, item)| item.bind(p))
                .collect(),
            _ => {
                let (pat, e) = (strip_ref(pat), self.expr());
                quote!(let #pat = #e;)
            }
        }
    }
}

impl Lower {
    /// `chain.sum()`, `chain.product()`, `chain.fold(init, f)` over a differentiated array, as a
    /// loop; `None` if `m` is not such a reduction.
    pub(super) fn lower_iterator_reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Val> {
        let name = m.method.to_string();
        if !matches!(name.as_str(), "sum" | "product" | "fold") {
            return None;
        }
        let chain = self.chain(&m.receiver)?;
        let n = self.iterators;
        self.iterators += 1;
        let k = Ident::new(&format!("__dual_k{n}"), Span::call_site());
        let acc = Ident::new(&format!("__dual_acc{n}"), Span::call_site());
        let item = (chain.item)(&quote!(#k));
        let len = chain.len;
        let (init, update) = match name.as_str() {
            "sum" => {
                let e = item.expr();
                (quote!(0.0), quote!(#acc += #e;))
            }
            "product" => {
                let e = item.expr();
                (quote!(1.0), quote!(#acc *= #e;))
            }
            _ => {
                let [init, f] = [m.args.first()?, m.args.get(1)?];
                let step = match f {
                    Expr::Closure(c) if c.inputs.len() == 2 => {
                        let (pa, body) = (strip_ref(&c.inputs[0]), &c.body);
                        let bind = item.bind(&c.inputs[1]);
                        quote!({ let #pa = #acc; #bind #body })
                    }
                    // `f64::max`, `f64::min`, a function of two floats.
                    other => {
                        let e = item.expr();
                        quote!(#other(#acc, #e))
                    }
                };
                (init.to_token_stream(), quote!(#acc = #step;))
            }
        };
        let update = match &chain.keep {
            Some(keep) => {
                let keep = keep(&quote!(#k));
                quote!(if #keep { #update })
            }
            None => update,
        };
        // Typed, so that the accumulator is a float from the start (`f64::NEG_INFINITY`, say).
        let float = Ident::new(self.g.float.name(), Span::call_site());
        let block: Expr = syn::parse2(quote!({
            let mut #acc: #float = #init;
            for #k in 0..#len {
                #update
            }
            #acc
        }))
        .ok()?;
        Some(self.lower_expr(&block))
    }

    /// The iterator a receiver chain stands for, if it starts at a differentiated array.
    fn chain(&mut self, e: &Expr) -> Option<Chain> {
        let Expr::MethodCall(m) = e else { return None };
        let name = m.method.to_string();
        let arg = |i: usize| m.args.iter().nth(i).map(ToTokens::to_token_stream);
        match name.as_str() {
            "iter" | "into_iter" if m.args.is_empty() => self.source(&m.receiver),
            "copied" | "cloned" => self.chain(&m.receiver),
            "map" => {
                let inner = self.chain(&m.receiver)?;
                let c = self.closure_of_one(m)?;
                let (pat, body) = (c.inputs[0].clone(), c.body.clone());
                let item = inner.item;
                Some(Chain {
                    len: inner.len,
                    item: Rc::new(move |k| {
                        let bind = item(k).bind(&pat);
                        Item::Expr(quote!({ #bind #body }))
                    }),
                    keep: inner.keep,
                })
            }
            "filter" => {
                let inner = self.chain(&m.receiver)?;
                let c = self.closure_of_one(m)?;
                // The predicate sees `&&f64` (`|v| **v > 0.0`); here the item is the value.
                let mut idents = Vec::new();
                pattern_idents(&c.inputs[0], &mut idents);
                let names: Vec<String> = idents.iter().map(ToString::to_string).collect();
                let (pat, body) = (
                    c.inputs[0].clone(),
                    without_derefs(c.body.to_token_stream(), &names),
                );
                let (item, before) = (inner.item.clone(), inner.keep);
                Some(Chain {
                    len: inner.len,
                    item: inner.item,
                    keep: Some(Rc::new(move |k| {
                        let bind = item(k).bind(&pat);
                        let this = quote!({ #bind #body });
                        match &before {
                            Some(before) => {
                                let before = before(k);
                                quote!((#before) && #this)
                            }
                            None => this,
                        }
                    })),
                })
            }
            "zip" => {
                let left = self.chain(&m.receiver)?;
                let other = m.args.first()?;
                let right = self.chain(other).or_else(|| self.source(other))?;
                if left.keep.is_some() || right.keep.is_some() {
                    return None;
                }
                let (ll, rl) = (left.len, right.len);
                Some(Chain {
                    len: const_min(&ll, &rl),
                    item: Rc::new(move |k| Item::Tuple(vec![(left.item)(k), (right.item)(k)])),
                    keep: None,
                })
            }
            "enumerate" => {
                let inner = self.chain(&m.receiver).filter(|c| c.keep.is_none())?;
                Some(Chain {
                    len: inner.len,
                    item: Rc::new(move |k| {
                        Item::Tuple(vec![Item::Expr(k.clone()), (inner.item)(k)])
                    }),
                    keep: None,
                })
            }
            "skip" | "take" | "step_by" => {
                let inner = self.chain(&m.receiver).filter(|c| c.keep.is_none())?;
                let n = arg(0)?;
                let len = &inner.len;
                let (len, n2) = (
                    match name.as_str() {
                        "skip" => quote!((#len).saturating_sub(#n)),
                        "take" => const_min(len, &n.to_token_stream()),
                        _ => quote!(((#len) + (#n) - 1) / (#n)),
                    },
                    n,
                );
                let kind = name.clone();
                Some(Chain {
                    len,
                    item: Rc::new(move |k| match kind.as_str() {
                        "skip" => (inner.item)(&quote!((#k + #n2))),
                        "take" => (inner.item)(k),
                        _ => (inner.item)(&quote!((#k * #n2))),
                    }),
                    keep: None,
                })
            }
            "rev" => {
                let inner = self.chain(&m.receiver).filter(|c| c.keep.is_none())?;
                let len = inner.len.clone();
                Some(Chain {
                    len: inner.len,
                    item: Rc::new(move |k| (inner.item)(&quote!((#len - 1 - #k)))),
                    keep: None,
                })
            }
            _ => None,
        }
    }

    /// The closure of one parameter given to `map` or `filter`: written there, or bound with
    /// `let` and named.
    fn closure_of_one(&mut self, m: &syn::ExprMethodCall) -> Option<syn::ExprClosure> {
        let c = match m.args.first()? {
            Expr::Closure(c) => c.clone(),
            other => self.closure_named(other)?,
        };
        (c.inputs.len() == 1).then_some(c)
    }

    /// `x` or `x[a..b]` (a differentiated array, or a range of its elements).
    fn source(&mut self, e: &Expr) -> Option<Chain> {
        let (array, start, end) = match e {
            Expr::Paren(p) => return self.source(&p.expr),
            Expr::Reference(r) => return self.source(&r.expr),
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
        let end = end.map_or_else(|| len, |e| e.to_token_stream());
        Some(match start {
            None => Chain {
                len: end,
                item: Rc::new(move |k| Item::Expr(quote!(#name[#k]))),
                keep: None,
            },
            Some(start) => Chain {
                len: quote!((#end) - (#start)),
                item: Rc::new(move |k| Item::Expr(quote!(#name[(#start) + #k]))),
                keep: None,
            },
        })
    }

    /// `for PAT in CHAIN { body }` as the loop over its indices, when the chain reads an array
    /// in place or uses an adapter the unrolling of loops over arrays does not follow (`map`,
    /// `skip`, `take`, `step_by`, `rev`); `None` otherwise.
    pub(super) fn desugared_for(&mut self, f: &syn::ExprForLoop) -> Option<Expr> {
        if !self.needs_index_loop(&f.expr) {
            return None;
        }
        let chain = self.chain(&f.expr)?;
        let n = self.iterators;
        self.iterators += 1;
        let k = Ident::new(&format!("__dual_k{n}"), Span::call_site());
        let bind = (chain.item)(&quote!(#k)).bind(&f.pat);
        let (len, body) = (chain.len, &f.body);
        let body = match &chain.keep {
            Some(keep) => {
                let keep = keep(&quote!(#k));
                quote!(if #keep { #bind #body })
            }
            None => quote!(#bind #body),
        };
        syn::parse2(quote!(for #k in 0..#len { #body })).ok()
    }
}

impl Lower {
    fn needs_index_loop(&self, e: &Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                matches!(
                    m.method.to_string().as_str(),
                    "map" | "skip" | "take" | "step_by" | "rev"
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
                                `into_iter()` or a sub-slice `x[a..b].iter()`, go through \
                                `copied`, `cloned`, `map`, `zip`, `enumerate`, `skip`, `take`, \
                                `step_by`, `rev` and `filter` (followed only by `map`, `copied` \
                                or `cloned`), and end in `sum()`, `sum::<f64>()`, \
                                `product()`, `fold(init, |acc, v| …)` (a maximum is \
                                `fold(f64::NEG_INFINITY, f64::max)`) or a `for` loop; write \
                                other iterations as a loop over indices";

/// The methods that start an iterator.
const SOURCES: &[&str] = &["iter", "into_iter", "iter_mut", "windows", "chunks"];
/// The adapters [`Lower::chain`] follows.
const ADAPTERS: &[&str] = &[
    "iter",
    "into_iter",
    "copied",
    "cloned",
    "map",
    "filter",
    "zip",
    "enumerate",
    "skip",
    "take",
    "step_by",
    "rev",
];
/// The adapters that count positions, so cannot follow a `filter` here.
const POSITIONAL: &[&str] = &["zip", "enumerate", "skip", "take", "step_by", "rev"];
/// The calls that end a chain.
const REDUCTIONS: &[&str] = &["sum", "product", "fold"];

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
        // A method straight on an array (`x.map(..)`): only methods of arrays and slices.
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
    let mut filtered = false;
    for (i, (call, name)) in calls.iter().zip(&names).enumerate() {
        if filtered && POSITIONAL.contains(&name.as_str()) {
            return Some((
                call.method.span(),
                format!(
                    "`{name}` after `filter` is not supported (it counts the positions that \
                     `filter` removes); move it before the `filter`, or write the loop over \
                     indices; {SUPPORTED_CHAINS}"
                ),
            ));
        }
        filtered |= name == "filter";
        let fine = if i == 0 {
            matches!(name.as_str(), "iter" | "into_iter")
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
                call.method.span(),
                format!("`{name}` on {on} is not supported; {SUPPORTED_CHAINS}"),
            ));
        }
    }
    None
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
