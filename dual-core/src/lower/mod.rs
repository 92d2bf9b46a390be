//! Lowering: the body of the annotated function (syn) into the structured IR.
//!
//! Activity is decided by data flow: a value is *active* when it depends on a differentiated
//! parameter. Float values that flow through arithmetic are kept symbolic (as IR nodes); everything
//! else (integers, data, conditions, `println!`) is *inactive* and emitted as written, after the
//! variables it reads have been given their primal values. Control flow that touches symbolic values
//! becomes structured `if`s whose branches merge variables through φ nodes; `return` becomes a flag
//! and a φ of the result, so that the backward sweep can always run after the forward one.

mod activity;
mod aggregates;
mod array_builders;
mod arrays;
mod assign;
mod branches;
mod calls;
mod closures;
mod constants;
mod env;
mod exprs;
mod float_types;
mod iterators;
mod loops;
mod matching;
mod methods;
mod operators;
mod rolled;
mod runtime_loop;
mod stmts;
mod syntax;
mod verbatim;

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::Expr;

use crate::diag::Diagnostics;
use crate::front::signature::{FloatShape, Output, Signature};
use crate::front::types::{has_float_elements, is_float_ref};
use crate::ir::{ArrayKind, Binder, Graph, Lowered, NodeId, Op, Shape};

use calls::CallHint;
use env::{Binding, Env, RefElement, Ret, Val};

/// Lowers a function body. With `second_order`, calls go through the callees'
/// `_value_gradient_and_hessian`, so that the code can be differentiated twice.
pub fn lower(
    sig: &Signature,
    fn_sig: &syn::Signature,
    body: &syn::Block,
    second_order: bool,
    diag: &mut Diagnostics,
) -> Option<Lowered> {
    let mut graph = Graph::new();
    graph.float = sig.float;
    let mut l = Lower {
        second_order,
        g: graph,
        env: Env::default(),
        ret: Ret::Never,
        diag: Diagnostics::new(),
        output: sig.output,
        ref_elements: Vec::new(),
        call_hint: None,
        array_len_hint: None,
        loop_depth: 0,
        runtime_loop_depth: 0,
        rolled_depth: 0,
        iterators: 0,
        closures: Vec::new(),
        index_cache: Default::default(),
        const_generics: fn_sig
            .generics
            .const_params()
            .map(|c| c.ident.to_string())
            .collect(),
        param_arrays: Vec::new(),
        expr_depth: 0,
        exit_len: sig.output.scalars(),
        names_introduced: 0,
    };
    l.env.push();
    let inputs = l.bind_params(sig, fn_sig);
    let value = l.lower_stmts(&body.stmts, true);
    if let Some(v) = value {
        l.do_return(v, body.span());
    }
    let result = match std::mem::replace(&mut l.ret, Ret::Never) {
        Ret::Always(v) => v,
        _ => {
            if !l.diag.has_errors() {
                l.diag.error(
                    body.brace_token.span.close(),
                    "the function does not end with a result value on every path; end the body \
                     with the result expression or `return` it",
                );
            }
            Vec::new()
        }
    };
    let lowered = Lowered {
        graph: l.g,
        result,
        inputs,
    };
    // Only the body's own problems decide (the caller may have found others).
    let ok = !l.diag.has_errors();
    diag.extend(l.diag.into_errors());
    ok.then_some(lowered)
}

/// The state of the lowering of one function body.
struct Lower {
    /// The IR being built.
    g: Graph,
    /// The user's variables in scope.
    env: Env,
    /// Whether the function (or, in a loop body, the iteration) has exited on the paths lowered
    /// so far.
    ret: Ret,
    /// The problems found so far in the body, and the values that stand for them.
    diag: Diagnostics,
    /// The shape of the function's result.
    output: Output,
    /// Whether the code will be differentiated twice (for a Hessian).
    second_order: bool,
    /// Loop elements that user code sees as references (`for xi in x.iter()`).
    ref_elements: Vec<RefElement>,
    /// How the next call of a differentiated function returns its value (from a `let` pattern or
    /// type, or from how the variable is used afterwards).
    call_hint: Option<CallHint>,
    /// The length of the array the expression being lowered makes, when its context says it (the
    /// type of a `let`, the function's result): for `std::array::from_fn`.
    array_len_hint: Option<proc_macro2::TokenStream>,
    /// How many differentiated loops enclose the code being lowered (where `break` and
    /// `continue` are structured jumps).
    loop_depth: usize,
    /// How many loops whose derivative is carried forwards (`while`, `loop`, loops the rolled
    /// form does not cover) enclose the code being lowered.
    runtime_loop_depth: usize,
    /// How many loops kept as loops enclose the code being lowered.
    rolled_depth: usize,
    /// How many iterator chains were rewritten into loops (names their indices).
    iterators: u32,
    /// The closures bound with `let` (see [`Binding::Closure`]), and whether each captures a
    /// symbolically held value.
    closures: Vec<(syn::ExprClosure, bool)>,
    /// The names of the function's const generic parameters.
    const_generics: Vec<String>,
    /// The index slots of array elements read in each block since its last user statement:
    /// `(block, array, index as written) → slot`.
    index_cache: std::collections::HashMap<
        (crate::ir::BlockId, crate::ir::ArrayId, String),
        crate::ir::SlotId,
    >,
    /// Per parameter: the name and length of a differentiated array parameter.
    param_arrays: Vec<Option<(syn::Ident, proc_macro2::TokenStream)>>,
    /// The number of scalars an exit carries: the function's result, or none inside a loop body
    /// (where `break` sets the loop's flag instead).
    exit_len: usize,
    /// Count of user-visible names declared in the emitted code (verbatim `let`s, items,
    /// materialised variables); a block that declares none is inlined into its parent.
    names_introduced: usize,
    /// How deeply the expression being lowered is nested (see [`MAX_EXPR_DEPTH`]).
    expr_depth: usize,
}

/// The deepest expression nesting lowered (method chains, nested calls, unary operators): far
/// beyond what people write, and well within the stack the compiler gives a macro. Long sums and
/// products (`a + b + c + …`) are lowered iteratively and have no such limit.
pub const MAX_EXPR_DEPTH: usize = 512;

const SUPPORTED_EXPRS: &str = "differentiated values can flow through arithmetic, the float \
                               methods of the support matrix, `let`, assignment, `if`/`else`, \
                               `match` on data, blocks, `return`, loops, array and tuple \
                               literals, indexing, iterator chains over arrays, closures bound \
                               with `let`, `as f64` and calls to `#[gradient]` functions";

impl Lower {
    /// Binds the parameters: a differentiated one to its leaves (`Op::Param`), any other as an
    /// inactive variable. Returns the leaves, per parameter (none for the others).
    fn bind_params(&mut self, sig: &Signature, fn_sig: &syn::Signature) -> Vec<Vec<NodeId>> {
        let mut inputs = Vec::new();
        let typed = fn_sig.inputs.iter().filter_map(|a| match a {
            syn::FnArg::Typed(pt) => Some(pt),
            syn::FnArg::Receiver(_) => None,
        });
        for (index, (param, pt)) in sig.params.iter().zip(typed).enumerate() {
            let span = pt.pat.span();
            let array_param = match (param.differentiated, &param.name, &param.len) {
                (true, Some(name), Some(len)) => Some((name.clone(), len.clone())),
                _ => None,
            };
            self.param_arrays.push(array_param.clone());
            let in_place = param.float.is_some_and(FloatShape::in_place);
            if in_place && param.differentiated {
                inputs.push(Vec::new());
                let Some((name, len)) = array_param else {
                    self.error(
                        span,
                        "an array parameter whose length is not a literal must be a plain name \
                         (`x: [f64; N]`) to be differentiated",
                    );
                    continue;
                };
                let array = self.g.new_array(
                    ArrayKind::Param {
                        param: index as u32,
                        name: name.clone(),
                    },
                    len,
                    true,
                );
                self.g.arrays[array.0 as usize].on_heap = param.float == Some(FloatShape::Slice);
                self.g.arrays[array.0 as usize].inner_len = param.inner_len.clone();
                self.env.bind(
                    &name,
                    Binding::Sym {
                        value: Shape::ArrayVar(array),
                        materialized: true,
                        mutable: param.mutable,
                    },
                );
                continue;
            }
            if param.differentiated {
                let shape = match param.float {
                    Some(FloatShape::Array(n)) => Shape::Array(
                        (0..n)
                            .map(|j| {
                                Shape::Scalar(self.g.intern(
                                    Op::Param {
                                        param: index as u32,
                                        index: Some(j as u32),
                                    },
                                    span,
                                ))
                            })
                            .collect(),
                    ),
                    _ => Shape::Scalar(self.g.intern(
                        Op::Param {
                            param: index as u32,
                            index: None,
                        },
                        span,
                    )),
                };
                inputs.push(shape.leaves());
                if let Some(name) = &param.name {
                    self.env.bind(
                        name,
                        Binding::Sym {
                            value: shape,
                            materialized: true,
                            mutable: param.mutable,
                        },
                    );
                }
            } else {
                inputs.push(Vec::new());
                let by_ref = is_float_ref(&pt.ty);
                let float = param.float == Some(FloatShape::Scalar) || by_ref;
                let array = match param.float {
                    Some(FloatShape::Array(n)) => Some(n),
                    _ => None,
                };
                self.bind_pattern_names(
                    &pt.pat,
                    Binding::Inactive {
                        float,
                        by_ref,
                        array,
                        elements: has_float_elements(&pt.ty),
                    },
                );
            }
        }
        inputs
    }

    fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.diag.error(span, msg);
    }

    /// An error spanning all of `tokens` (not only their first token).
    fn error_at(&mut self, tokens: &impl ToTokens, msg: impl std::fmt::Display) {
        self.diag.error_spanning(tokens, msg);
    }

    /// A value standing in for an expression that had an error: later uses of it report nothing
    /// more, so that each problem is reported once.
    fn poison(&mut self) -> Val {
        let node = self.g.intern(Op::Bound(Binder::Poison), Span::call_site());
        self.diag.poison(node);
        Val::Sym(Shape::Scalar(node))
    }

    fn is_poisoned(&self, v: &Val) -> bool {
        matches!(v, Val::Sym(s) if s.leaves().iter().any(|n| self.diag.is_poisoned(*n)))
    }

    fn unsupported(&mut self, e: &Expr, what: &str) -> Val {
        self.error_at(
            e,
            format!("{what} cannot be differentiated; {SUPPORTED_EXPRS}"),
        );
        self.poison()
    }
}
