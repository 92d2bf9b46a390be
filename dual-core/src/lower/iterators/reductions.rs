//! The reductions that end a chain: `sum`, `product` and `fold` (an accumulator and a loop over
//! each part), and `reduce`, `max_by` and `min_by` unwrapped (the first item, then a loop over
//! the others; `max_by`/`min_by` comparing the items are `f64::max`/`f64::min` folds).

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, Ident};

use super::super::env::Val;
use super::super::Lower;
use super::syntax::strip_ref;
use super::{Chain, Item};

impl Lower {
    /// `chain.sum()`, `chain.product()`, `chain.fold(init, f)`, and `chain.reduce(f)`,
    /// `chain.max_by(cmp)` or `chain.min_by(cmp)` unwrapped (`.unwrap()`, `.expect(..)`), over a
    /// differentiated array, as loops; `None` if `m` is not such a reduction.
    pub(in crate::lower) fn lower_iterator_reduction(
        &mut self,
        m: &syn::ExprMethodCall,
    ) -> Option<Val> {
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
