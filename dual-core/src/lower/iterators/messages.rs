//! What a chain may be, in the words of the error messages, and why a given chain is not
//! supported: the first method that is not, at its span.

use proc_macro2::Span;
use syn::Expr;

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
/// naming it; `None` when `m` is not about an iterator or an array. `walked`: the chain is the
/// iterable of a `for` loop, so it may end in an adapter.
pub(in crate::lower) fn unsupported_chain(
    m: &syn::ExprMethodCall,
    walked: bool,
) -> Option<(Span, String)> {
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
    let span = calls[last].method.span();
    match option {
        Some(reduction) => Some((
            span,
            format!(
                "`{reduction}` gives an `Option` (`None` for no items); unwrap it with \
                 `.unwrap()` or `.expect(..)` to use the value"
            ),
        )),
        // Every call supported, but the chain ends in an adapter: an iterator kept as a value.
        None if !walked && !REDUCTIONS.contains(&names[last].as_str()) => Some((
            span,
            format!(
                "`{}` gives an iterator over differentiated values, which cannot be kept in a \
                 variable or passed on; end the chain where it is built, in `sum()`, \
                 `product()`, `fold(..)`, …, or loop over it with `for`",
                names[last]
            ),
        )),
        None => None,
    }
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
