//! Lowering: the body of the annotated function (syn) into the structured IR.
//!
//! Activity is decided by data flow: a value is *active* when it depends on a differentiated
//! parameter. Float values that flow through arithmetic are kept symbolic (as IR nodes); everything
//! else (integers, data, conditions, `println!`) is *inactive* and emitted as written, after the
//! variables it reads have been given their primal values. Control flow that touches symbolic values
//! becomes structured `if`s whose branches merge variables through φ nodes; `return` becomes a flag
//! and a φ of the result, so that the backward sweep can always run after the forward one.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{BinOp, Expr, Ident, Lit, Pat, Stmt as SynStmt, UnOp};

use crate::ir::{
    BlockId, BoolVal, CallArg, CallResult, CallStmt, Exponent, FloatOut, Graph, IfStmt, LoopHeader,
    LoopState, LoopStmt, NodeId, Op, Shape, SlotId, Stmt, Sweep,
};
use crate::rules::{Binary, Unary};
use crate::signature::{float_of, is_float, literal_len, FloatShape, Output, Signature};

/// A variable of the user's code, as the lowering sees it.
#[derive(Clone, Debug, PartialEq)]
enum Binding {
    /// A float value held symbolically. `materialized` is true when the user's name in the
    /// emitted code currently holds this value.
    Sym {
        value: Shape,
        materialized: bool,
        mutable: bool,
    },
    /// `let y;`, not yet assigned.
    Uninit { mutable: bool },
    /// The counter of an unrolled loop: an integer known at compile time. `materialized` is true
    /// once `let i = value;` has been emitted for user code that reads it.
    Counter { value: i64, materialized: bool },
    /// A variable that exists as written in the emitted code (inactive). `float` is true when it
    /// is known to be an `f64`, `by_ref` when it is a `&f64` (read as `*name`).
    Real {
        float: bool,
        by_ref: bool,
        array: Option<usize>,
    },
}

#[derive(Clone, Default, Debug)]
struct Env {
    frames: Vec<Vec<(String, Binding)>>,
}

impl Env {
    fn push(&mut self) {
        self.frames.push(Vec::new());
    }
    fn pop(&mut self) {
        self.frames.pop();
    }
    fn bind(&mut self, name: &Ident, b: Binding) {
        self.frames
            .last_mut()
            .expect("a frame")
            .push((name.to_string(), b));
    }
    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }
    fn lookup_mut(&mut self, name: &str) -> Option<&mut Binding> {
        self.frames
            .iter_mut()
            .rev()
            .flat_map(|f| f.iter_mut().rev())
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }
}

/// A lowered expression.
#[derive(Clone, Debug)]
enum Val {
    /// A float value (or array / tuple of floats), held symbolically.
    Sym(Shape),
    /// An inactive expression, to be emitted as written.
    Tokens(TokenStream),
}

/// What one iteration of an unrolled loop binds to its pattern.
#[derive(Clone, Debug)]
enum LoopItem {
    /// A value (an element, a counter).
    One(Binding),
    /// Data read in this iteration (the other side of a `zip`), as written.
    Data(TokenStream),
    /// `(a, b)` from `.enumerate()` or `.zip(…)`.
    Tuple(Vec<LoopItem>),
}

/// Whether the function has returned, on the paths seen so far.
#[derive(Clone, Debug)]
enum Ret {
    Never,
    Always(Vec<NodeId>),
    Maybe { flag: BoolVal, value: Vec<NodeId> },
}

/// The result of lowering a function body.
pub struct Lowered {
    /// The IR.
    pub graph: Graph,
    /// The result, flattened to scalars.
    pub result: Vec<NodeId>,
    /// The leaves of the differentiated parameters, per parameter (flattened for arrays).
    pub inputs: Vec<Vec<NodeId>>,
}

/// Lowers a function body. With `second_order`, calls go through the callees'
/// `_value_gradient_and_hessian`, so that the code can be differentiated twice.
pub fn lower(
    sig: &Signature,
    fn_sig: &syn::Signature,
    body: &syn::Block,
    second_order: bool,
) -> Result<Lowered, Vec<syn::Error>> {
    let mut graph = Graph::new();
    graph.float = sig.float;
    let mut l = Lower {
        second_order,
        g: graph,
        env: Env::default(),
        ret: Ret::Never,
        errors: Vec::new(),
        output: sig.output,
        poisoned: Default::default(),
        call_hint: None,
        following: Vec::new(),
        loop_depth: 0,
        exit_len: sig.output.scalars(),
        names_introduced: 0,
    };
    l.env.push();
    let mut inputs = Vec::new();
    let typed = fn_sig.inputs.iter().filter_map(|a| match a {
        syn::FnArg::Typed(pt) => Some(pt),
        syn::FnArg::Receiver(_) => None,
    });
    for (index, (param, pt)) in sig.params.iter().zip(typed).enumerate() {
        let span = pt.pat.span();
        if param.differentiated {
            let shape = match param.float {
                Some(FloatShape::Array(n)) => Shape::Array(
                    (0..n)
                        .map(|j| {
                            Shape::Scalar(l.g.intern(
                                Op::Param {
                                    param: index as u32,
                                    index: Some(j as u32),
                                },
                                span,
                            ))
                        })
                        .collect(),
                ),
                _ => Shape::Scalar(l.g.intern(
                    Op::Param {
                        param: index as u32,
                        index: None,
                    },
                    span,
                )),
            };
            inputs.push(shape.leaves());
            if let Some(name) = &param.name {
                l.env.bind(
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
            let mut names = Vec::new();
            pattern_idents(&pt.pat, &mut names);
            let by_ref = is_float_ref(&pt.ty);
            let float = param.float == Some(FloatShape::Scalar) || by_ref;
            let array = match param.float {
                Some(FloatShape::Array(n)) => Some(n),
                _ => None,
            };
            for n in names {
                l.env.bind(
                    &n,
                    Binding::Real {
                        float,
                        by_ref,
                        array,
                    },
                );
            }
        }
    }
    let value = l.lower_stmts(&body.stmts, true);
    if let Some(v) = value {
        l.do_return(v, body.span());
    }
    let result = match std::mem::replace(&mut l.ret, Ret::Never) {
        Ret::Always(v) => v,
        _ => {
            if l.errors.is_empty() {
                l.errors.push(syn::Error::new(
                    body.brace_token.span.close(),
                    "the function does not end with a result value on every path; end the body \
                     with the result expression or `return` it",
                ));
            }
            Vec::new()
        }
    };
    if l.errors.is_empty() {
        Ok(Lowered {
            graph: l.g,
            result,
            inputs,
        })
    } else {
        Err(l.errors)
    }
}

struct Lower {
    g: Graph,
    env: Env,
    ret: Ret,
    errors: Vec<syn::Error>,
    output: Output,
    /// Whether the code will be differentiated twice (for a Hessian).
    second_order: bool,
    /// Values that stand for expressions with errors.
    poisoned: std::collections::HashSet<NodeId>,
    /// How the next call of a differentiated function returns its value (from a `let` pattern or
    /// type, or from how the variable is used afterwards).
    call_hint: Option<(CallResult, usize, bool)>,
    /// The statements after the one being lowered, in the current block.
    following: Vec<SynStmt>,
    /// How many differentiated loops enclose the code being lowered (where `break` and
    /// `continue` are structured jumps).
    loop_depth: usize,
    /// The number of scalars an exit carries: the function's result, or 1 inside a loop body
    /// (1.0 for `break`, 0.0 for `continue`).
    exit_len: usize,
    /// Count of user-visible names declared in the emitted code (verbatim `let`s, items,
    /// materialised variables); a block that declares none is inlined into its parent.
    names_introduced: usize,
}

/// Methods of `f64` that read a value without producing a float that carries a derivative.
const INACTIVE_METHODS: &[&str] = &[
    "is_nan",
    "is_infinite",
    "is_finite",
    "is_normal",
    "is_subnormal",
    "is_sign_positive",
    "is_sign_negative",
    "classify",
    "to_bits",
    "partial_cmp",
    "total_cmp",
    "to_string",
];

const SUPPORTED_EXPRS: &str = "differentiated values can flow through arithmetic, the float \
                               methods of the support matrix, `let`, assignment, `if`/`else`, \
                               blocks, `return`, array and tuple literals, indexing, `as f64` and \
                               calls to `#[gradient]` functions";

impl Lower {
    /// Whether the expression leaves the current block other than by its end: `return`, or
    /// `break` / `continue` of a differentiated loop.
    fn jumps(&self, e: &Expr) -> bool {
        contains_return(e) || (self.loop_depth > 0 && contains_loop_jump(e))
    }

    fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, msg.to_string()));
    }

    /// An error spanning all of `tokens` (not only their first token).
    fn error_at(&mut self, tokens: &impl ToTokens, msg: impl std::fmt::Display) {
        self.errors
            .push(syn::Error::new_spanned(tokens, msg.to_string()));
    }

    /// A value standing in for an expression that had an error: later uses of it report nothing
    /// more, so that each problem is reported once.
    fn poison(&mut self) -> Val {
        let node = self.g.intern(Op::Out, Span::call_site());
        self.poisoned.insert(node);
        Val::Sym(Shape::Scalar(node))
    }

    fn is_poisoned(&self, v: &Val) -> bool {
        matches!(v, Val::Sym(s) if s.leaves().iter().any(|n| self.poisoned.contains(n)))
    }

    // ---------------------------------------------------------------- what an expression touches

    /// The user variables an expression or statement mentions (identifiers, and names inside
    /// format strings of macros).
    fn mentions(&self, tokens: TokenStream) -> Vec<Ident> {
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

    fn binding_is_active(&self, b: &Binding) -> bool {
        match b {
            Binding::Sym { value, .. } => value.leaves().iter().any(|n| self.g.is_active(*n)),
            _ => false,
        }
    }

    /// Whether the tokens mention a variable holding a differentiated value.
    fn touches_active(&self, tokens: TokenStream) -> bool {
        self.mentions(tokens).iter().any(|i| {
            self.env
                .lookup(&i.to_string())
                .is_some_and(|b| self.binding_is_active(b))
        })
    }

    /// Whether the tokens mention any symbolically held variable (active or constant).
    fn touches_symbolic(&self, tokens: TokenStream) -> bool {
        self.mentions(tokens).iter().any(|i| {
            matches!(
                self.env.lookup(&i.to_string()),
                Some(Binding::Sym { .. } | Binding::Uninit { .. })
            )
        })
    }

    /// Gives every symbolic variable the tokens mention its primal value under its own name, so
    /// that the tokens can be emitted as written.
    fn materialize(&mut self, tokens: TokenStream) {
        let mut seen = BTreeSet::new();
        for ident in self.mentions(tokens) {
            let name = ident.to_string();
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(Binding::Counter {
                value,
                materialized: false,
            }) = self.env.lookup(&name).cloned()
            {
                let user = Ident::new(&name, ident.span());
                let lit = proc_macro2::Literal::i64_unsuffixed(value);
                self.g.push(Stmt::Verbatim(quote!(let #user = #lit;)));
                self.names_introduced += 1;
                if let Some(Binding::Counter { materialized, .. }) = self.env.lookup_mut(&name) {
                    *materialized = true;
                }
                continue;
            }
            if let Some(Binding::Sym {
                value,
                materialized: false,
                mutable,
            }) = self.env.lookup(&name).cloned()
            {
                let user = Ident::new(&name, ident.span());
                self.g.push(Stmt::User {
                    name: user,
                    mutable,
                    value: value.clone(),
                });
                self.names_introduced += 1;
                if let Some(Binding::Sym { materialized, .. }) = self.env.lookup_mut(&name) {
                    *materialized = true;
                }
            }
        }
    }

    /// After a verbatim statement that may write to the variables it mentions, constant symbolic
    /// variables become real ones (their real value is the one that counts from now on).
    fn demote_constants(&mut self, tokens: TokenStream) {
        for ident in self.mentions(tokens) {
            let name = ident.to_string();
            let constant = match self.env.lookup(&name) {
                Some(b @ Binding::Sym { value, .. }) if !self.binding_is_active(b) => {
                    Some(matches!(value, Shape::Scalar(_)))
                }
                _ => None,
            };
            if let Some(float) = constant {
                if let Some(b) = self.env.lookup_mut(&name) {
                    *b = Binding::Real {
                        float,
                        by_ref: false,
                        array: None,
                    };
                }
            }
        }
    }

    /// An inactive expression that may read symbolic values.
    fn read(&mut self, e: &Expr) -> Val {
        let tokens = e.to_token_stream();
        self.materialize(tokens.clone());
        Val::Tokens(tokens)
    }

    // ---------------------------------------------------------------- conversions

    /// Emits user code as written, after giving the variables it reads their values.
    fn push_verbatim(&mut self, tokens: TokenStream) {
        self.materialize(tokens.clone());
        self.g.push(Stmt::Verbatim(tokens));
    }

    /// An inactive float as a node: `let t = <expr>;`.
    fn bind_opaque(&mut self, tokens: TokenStream, span: Span) -> NodeId {
        self.materialize(tokens.clone());
        let node = self.g.intern(Op::Opaque, span);
        self.g.push(Stmt::Bind { node, expr: tokens });
        node
    }

    /// An inactive float read at the end of `block` (a branch being merged).
    fn bind_opaque_in(&mut self, block: BlockId, tokens: TokenStream, span: Span) -> NodeId {
        let saved = self.g.cur;
        self.g.cur = block;
        let node = self.bind_opaque(tokens, span);
        self.g.cur = saved;
        node
    }

    /// The value as a single float node.
    fn scalar(&mut self, v: Val, span: Span) -> Option<NodeId> {
        match v {
            Val::Sym(Shape::Scalar(n)) => Some(n),
            Val::Sym(_) => {
                self.error(
                    span,
                    "expected a single float here, found an array or tuple of differentiated values",
                );
                None
            }
            Val::Tokens(t) => Some(self.bind_opaque(t, span)),
        }
    }

    // ---------------------------------------------------------------- statements

    /// Lowers statements; returns the block's value. With `tail_returns`, the tail expression is
    /// the function's result.
    fn lower_stmts(&mut self, stmts: &[SynStmt], tail_returns: bool) -> Option<Val> {
        for (i, stmt) in stmts.iter().enumerate() {
            match &self.ret {
                Ret::Never => {}
                Ret::Always(_) => return None,
                Ret::Maybe { .. } => return self.lower_guarded_rest(&stmts[i..], tail_returns),
            }
            let is_tail = i + 1 == stmts.len();
            self.following = stmts[i + 1..].to_vec();
            match stmt {
                SynStmt::Expr(e, None) if is_tail => {
                    let v = self.lower_expr(e);
                    if tail_returns {
                        self.do_return(v, e.span());
                        return None;
                    }
                    return Some(v);
                }
                _ => self.lower_stmt(stmt),
            }
        }
        None
    }

    /// The statements after a `return` that happens on some paths only: they run under
    /// `if !returned { … }`.
    fn lower_guarded_rest(&mut self, rest: &[SynStmt], tail_returns: bool) -> Option<Val> {
        let Ret::Maybe { flag, value } = std::mem::replace(&mut self.ret, Ret::Never) else {
            unreachable!("guarded only after a conditional return")
        };
        let cond = negate(flag);
        let span = rest.first().map_or_else(Span::call_site, |s| s.span());
        let v = self.structured_if(
            Some(cond),
            |l| l.lower_stmts(rest, tail_returns),
            move |l| {
                l.ret = Ret::Always(value);
                None
            },
            span,
        );
        match v {
            Val::Tokens(t) if t.is_empty() => None,
            v => Some(v),
        }
    }

    fn lower_stmt(&mut self, stmt: &SynStmt) {
        match stmt {
            SynStmt::Local(local) => self.lower_let(local),
            SynStmt::Item(item) => {
                self.names_introduced += 1;
                self.push_verbatim(item.to_token_stream());
            }
            SynStmt::Macro(m) => self.lower_macro_stmt(&m.to_token_stream(), m.span()),
            SynStmt::Expr(e, semi) => self.lower_expr_stmt(e, semi.is_some()),
        }
    }

    fn lower_macro_stmt(&mut self, tokens: &TokenStream, span: Span) {
        if self.touches_active(tokens.clone()) && assigns_in_tokens(tokens.clone()) {
            self.error(
                span,
                "this macro assigns to a differentiated variable; macros in statement position \
                 only see primal values, so the assignment would not be differentiated — write \
                 the assignment outside the macro",
            );
            return;
        }
        self.materialize(tokens.clone());
        self.push_verbatim(tokens.clone());
        self.demote_constants(tokens.clone());
    }

    /// An expression statement.
    fn lower_expr_stmt(&mut self, e: &Expr, semi: bool) {
        let tokens = e.to_token_stream();
        let structural = self.touches_symbolic(tokens.clone()) || self.jumps(e);
        if !structural {
            let mut t = tokens;
            if semi {
                t.extend(quote!(;));
            }
            self.push_verbatim(t.clone());
            return;
        }
        match e {
            Expr::Assign(a) => self.lower_assign(&a.left, None, &a.right, a.span()),
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                self.lower_assign(&b.left, compound_op(&b.op), &b.right, b.span())
            }
            Expr::If(_) | Expr::Block(_) | Expr::Return(_) | Expr::Paren(_) => {
                self.lower_expr(e);
            }
            Expr::Macro(m) => self.lower_macro_stmt(&m.to_token_stream(), m.span()),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_)
                if self.touches_active(tokens.clone()) || self.jumps(e) =>
            {
                self.lower_loop(e)
            }
            Expr::Match(_) if self.touches_active(tokens.clone()) || self.jumps(e) => {
                self.match_error(e)
            }
            _ if !self.touches_active(tokens.clone()) && !self.jumps(e) => {
                // Inactive code that reads constant symbolic variables.
                self.materialize(tokens.clone());
                let mut t = tokens.clone();
                if semi {
                    t.extend(quote!(;));
                }
                self.push_verbatim(t);
                self.demote_constants(tokens);
            }
            _ => {
                // Evaluated for its effects (calls) and its errors; the value is unused.
                self.lower_expr(e);
            }
        }
    }

    /// A loop that touches differentiated values.
    fn lower_loop(&mut self, e: &Expr) {
        match e {
            Expr::ForLoop(f) => self.lower_for(f),
            Expr::While(w) => {
                if contains_return(e) {
                    self.error_at(
                        &w.while_token,
                        "`return` from inside a loop over differentiated values is not supported \
                         yet; compute the result after the loop",
                    );
                } else if matches!(&*w.cond, Expr::Let(_)) {
                    self.error_at(
                        &w.cond,
                        "`while let` around differentiated code is not supported",
                    );
                } else if let Some(jump) = find_labelled_jump(&w.body) {
                    self.error_at(
                        &jump,
                        "`break` with a label or a value is not supported in a loop over \
                         differentiated values; use a plain `break`",
                    );
                } else {
                    let cond = w.cond.to_token_stream();
                    self.lower_runtime_loop(
                        LoopHeader::While {
                            cond,
                            reads: Vec::new(),
                        },
                        &[],
                        &w.body,
                        e,
                    );
                }
            }
            Expr::Loop(l) => {
                if contains_return(e) {
                    self.error_at(
                        &l.loop_token,
                        "`return` from inside a loop over differentiated values is not supported \
                         yet; compute the result after the loop",
                    );
                } else if let Some(jump) = find_labelled_jump(&l.body) {
                    self.error_at(
                        &jump,
                        "`break` with a label or a value is not supported in a loop over \
                         differentiated values; use a plain `break`",
                    );
                } else {
                    self.lower_runtime_loop(LoopHeader::Loop, &[], &l.body, e);
                }
            }
            _ => {}
        }
    }

    fn match_error(&mut self, e: &Expr) {
        let span = match e {
            Expr::Match(m) => m.match_token.span,
            _ => e.span(),
        };
        self.error(
            span,
            "`match` on or producing differentiated values is not supported; use `if` / `else if` \
             / `else`",
        );
    }

    fn lower_let(&mut self, local: &syn::Local) {
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let float_ty = ty.is_none_or(type_is_floaty);
        let Some(init) = &local.init else {
            // `let y;` / `let y: f64;`: assigned later.
            match pat {
                Pat::Ident(pi) if float_ty => self.env.bind(
                    &pi.ident,
                    Binding::Uninit {
                        mutable: pi.mutability.is_some(),
                    },
                ),
                _ => self.verbatim_let(local),
            }
            return;
        };
        if init.diverge.is_some() {
            if self.touches_symbolic(local.to_token_stream()) {
                self.error(
                    local.span(),
                    format!("`let ... else` on differentiated values is not supported; {SUPPORTED_EXPRS}"),
                );
            } else {
                self.verbatim_let(local);
            }
            return;
        }
        let init_tokens = init.expr.to_token_stream();
        if !self.touches_symbolic(init_tokens.clone())
            && !self.jumps(&init.expr)
            && !is_float_const_expr(&init.expr)
        {
            self.verbatim_let(local);
            return;
        }
        self.call_hint = call_result_hint(pat, ty).or_else(|| match pat {
            Pat::Ident(pi) => usage_hint(&pi.ident, &self.following),
            _ => None,
        });
        let v = self.lower_expr(&init.expr);
        self.call_hint = None;
        match v {
            v if self.is_poisoned(&v) => {
                let Val::Sym(shape) = v else {
                    unreachable!("poison is symbolic")
                };
                self.bind_pattern(pat, shape)
            }
            Val::Sym(shape) if float_ty => self.bind_pattern(pat, shape),
            Val::Sym(_) => self.error_at(
                local,
                "a differentiated value is stored in a variable of a non-float type; \
                 differentiated values must stay `f64` (or arrays / tuples of `f64`)",
            ),
            Val::Tokens(t) => {
                let ty_tokens = ty.map(|t| quote!(: #t));
                let pat_tokens = pat.to_token_stream();
                let attrs = &local.attrs;
                self.names_introduced += 1;
                self.push_verbatim(
                    quote_spanned!(local.span()=> #(#attrs)* let #pat_tokens #ty_tokens = #t;),
                );
                self.bind_real(pat, ty);
            }
        }
    }

    /// Binds the names of a pattern as real (inactive) variables.
    fn bind_real(&mut self, pat: &Pat, ty: Option<&syn::Type>) {
        let mut names = Vec::new();
        pattern_idents(pat, &mut names);
        let by_ref = ty.is_some_and(is_float_ref);
        let float = ty.is_some_and(|t| is_float(t, self.g.float)) || by_ref;
        let array = match ty {
            Some(syn::Type::Array(a)) if is_float(&a.elem, self.g.float) => literal_len(&a.len),
            _ => None,
        };
        for n in names {
            self.env.bind(
                &n,
                Binding::Real {
                    float,
                    by_ref,
                    array,
                },
            );
        }
    }

    fn verbatim_let(&mut self, local: &syn::Local) {
        let tokens = local.to_token_stream();
        self.materialize(tokens.clone());
        self.names_introduced += 1;
        self.push_verbatim(tokens);
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        self.bind_real(pat, ty);
    }

    /// Binds a symbolic value to a pattern (`x`, `(a, b)`, `[a, b]`, `_`).
    fn bind_pattern(&mut self, pat: &Pat, shape: Shape) {
        if self.is_poisoned(&Val::Sym(shape.clone())) {
            // After an error: bind the names quietly.
            let mut names = Vec::new();
            pattern_idents(pat, &mut names);
            for n in names {
                self.env.bind(
                    &n,
                    Binding::Sym {
                        value: shape.clone(),
                        materialized: false,
                        mutable: true,
                    },
                );
            }
            return;
        }
        match (pat, shape) {
            (Pat::Ident(pi), shape) if pi.subpat.is_none() && pi.by_ref.is_none() => self.env.bind(
                &pi.ident,
                Binding::Sym {
                    value: shape,
                    materialized: false,
                    mutable: pi.mutability.is_some(),
                },
            ),
            (Pat::Wild(_), _) => {}
            (Pat::Type(pt), shape) => self.bind_pattern(&pt.pat, shape),
            (Pat::Paren(p), shape) => self.bind_pattern(&p.pat, shape),
            (Pat::Tuple(t), Shape::Tuple(items)) if t.elems.len() == items.len() => {
                for (p, s) in t.elems.iter().zip(items) {
                    self.bind_pattern(p, s);
                }
            }
            (Pat::Slice(t), Shape::Array(items)) if t.elems.len() == items.len() => {
                for (p, s) in t.elems.iter().zip(items) {
                    self.bind_pattern(p, s);
                }
            }
            (p, _) => self.error_at(
                p,
                "this pattern does not match the shape of the differentiated value, or is not \
                 supported; use a name, `_`, or a tuple / array pattern of names",
            ),
        }
    }

    /// `lhs = rhs` or `lhs op= rhs`.
    fn lower_assign(&mut self, lhs: &Expr, op: Option<Binary>, rhs: &Expr, span: Span) {
        let Some((name, path)) = self.place_of(lhs) else {
            if self.touches_active(rhs.to_token_stream())
                || self.touches_active(lhs.to_token_stream())
            {
                self.error(
                    lhs.span(),
                    "cannot assign a differentiated value to this place; assign to a local \
                     variable, an element of a local array (`a[0] = …`) or a tuple field \
                     (`t.0 = …`)",
                );
            } else {
                let t = quote!(#lhs = #rhs;);
                self.materialize(t.clone());
                self.push_verbatim(t);
            }
            return;
        };
        let binding = self.env.lookup(&name.to_string()).cloned();
        let rhs_active = self.touches_symbolic(rhs.to_token_stream());
        let current: Option<Shape> = match &binding {
            Some(Binding::Sym { value, .. }) => Some(value.clone()),
            Some(Binding::Uninit { .. }) => None,
            Some(Binding::Real { .. } | Binding::Counter { .. }) | None => {
                if !rhs_active || !path.is_empty() {
                    if rhs_active {
                        self.error(
                            lhs.span(),
                            format!(
                                "cannot store a differentiated value into `{name}`, which is not \
                                 a local float array of known length; declare it as such, e.g. \
                                 `let mut {name} = [0.0; 3];`"
                            ),
                        );
                        return;
                    }
                    let t = match op {
                        None => quote!(#lhs = #rhs;),
                        Some(_) => {
                            let e = Expr::Binary(syn::ExprBinary {
                                attrs: vec![],
                                left: Box::new(lhs.clone()),
                                op: assign_op_token(op.expect("op")),
                                right: Box::new(rhs.clone()),
                            });
                            quote!(#e;)
                        }
                    };
                    self.materialize(t.clone());
                    self.push_verbatim(t);
                    return;
                }
                // A real float variable becomes symbolic.
                let cur = self.bind_opaque(name.to_token_stream(), name.span());
                Some(Shape::Scalar(cur))
            }
        };
        let value = self.lower_expr(rhs);
        let new_elem = |l: &mut Self, old: Option<&Shape>, v: Val| -> Option<Shape> {
            match (op, old) {
                (None, _) => match v {
                    Val::Sym(s) => Some(s),
                    Val::Tokens(t) => Some(Shape::Scalar(l.bind_opaque(t, rhs.span()))),
                },
                (Some(op), Some(Shape::Scalar(o))) => {
                    let r = l.scalar(v, rhs.span())?;
                    Some(Shape::Scalar(l.g.binary(op, *o, r, span)))
                }
                (Some(_), _) => {
                    l.error(
                        span,
                        "compound assignment needs a single float on both sides",
                    );
                    None
                }
            }
        };
        let updated = if path.is_empty() {
            new_elem(self, current.as_ref(), value)
        } else {
            let Some(mut whole) = current else {
                self.error(
                    lhs.span(),
                    format!("`{name}` is used before it is assigned"),
                );
                return;
            };
            let mut place = &mut whole;
            for (idx, part_span) in &path {
                match place {
                    Shape::Array(items) | Shape::Tuple(items) if *idx < items.len() => {
                        place = &mut items[*idx];
                    }
                    _ => {
                        self.error(
                            *part_span,
                            "index out of range, or not an array / tuple of floats",
                        );
                        return;
                    }
                }
            }
            let old = place.clone();
            let Some(new) = new_elem(self, Some(&old), value) else {
                return;
            };
            *place = new;
            Some(whole)
        };
        let Some(updated) = updated else { return };
        let mutable = match binding {
            Some(Binding::Sym { mutable, .. } | Binding::Uninit { mutable }) => mutable,
            _ => true,
        };
        match self.env.lookup_mut(&name.to_string()) {
            Some(b) => {
                *b = Binding::Sym {
                    value: updated,
                    materialized: false,
                    mutable,
                }
            }
            None => self.error(name.span(), format!("cannot find variable `{name}`")),
        }
    }

    fn do_return(&mut self, v: Val, span: Span) {
        if !matches!(self.ret, Ret::Never) {
            return;
        }
        let m = self.output.scalars();
        let nodes: Option<Vec<NodeId>> = match (self.output, v) {
            (Output::Scalar, v) => self.scalar(v, span).map(|n| vec![n]),
            (Output::Array(_), Val::Sym(Shape::Array(items)))
            | (Output::Tuple(_), Val::Sym(Shape::Tuple(items)))
                if items.len() == m =>
            {
                items
                    .into_iter()
                    .map(|s| self.scalar(Val::Sym(s), span))
                    .collect()
            }
            (Output::Array(_) | Output::Tuple(_), Val::Tokens(t)) => {
                // An inactive vector result: read its elements.
                let whole = self.bind_tokens_value(t, span);
                let idx = (0..m).map(|i| {
                    let i = syn::Index::from(i);
                    match self.output {
                        Output::Array(_) => quote!(#whole[#i]),
                        _ => quote!(#whole.#i),
                    }
                });
                let elems: Vec<TokenStream> = idx.collect();
                Some(
                    elems
                        .into_iter()
                        .map(|e| self.bind_opaque(e, span))
                        .collect(),
                )
            }
            _ => {
                self.error(
                    span,
                    format!(
                        "the result does not have the declared shape ({m} float{}); return an \
                         array or tuple literal of floats",
                        if m == 1 { "" } else { "s" }
                    ),
                );
                None
            }
        };
        if let Some(nodes) = nodes {
            self.ret = Ret::Always(nodes);
        }
    }

    /// Binds an inactive value of any type to a fresh local, returning its name.
    fn bind_tokens_value(&mut self, t: TokenStream, span: Span) -> Ident {
        let slot = self.g.slot();
        let name = crate::ir::slot_ident('v', slot);
        self.g
            .push(Stmt::Verbatim(quote_spanned!(span=> let #name = #t;)));
        name
    }

    // ---------------------------------------------------------------- expressions

    fn lower_expr(&mut self, e: &Expr) -> Val {
        let span = e.span();
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Float(f) => match f.base10_parse::<f64>() {
                    Ok(v) => Val::Sym(Shape::Scalar(self.g.num(v))),
                    Err(_) => Val::Tokens(e.to_token_stream()),
                },
                _ => Val::Tokens(e.to_token_stream()),
            },
            Expr::Path(p) => {
                if let Some(v) = float_const(&p.path) {
                    return Val::Sym(Shape::Scalar(self.g.num(v)));
                }
                if let Some(ident) = p.path.get_ident() {
                    match self.env.lookup(&ident.to_string()).cloned() {
                        Some(Binding::Sym { value, .. }) => return Val::Sym(value),
                        Some(Binding::Uninit { .. }) => {
                            self.error(span, format!("`{ident}` is used before it is assigned"));
                            return self.poison();
                        }
                        Some(Binding::Real { by_ref: true, .. }) => {
                            // `&f64` or `f64` (a loop variable over data): read the float either way.
                            let float = self.g.float.path();
                            return Val::Tokens(
                                quote!((*::core::borrow::Borrow::<#float>::borrow(&#ident))),
                            );
                        }
                        _ => {}
                    }
                }
                Val::Tokens(e.to_token_stream())
            }
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => match self.lower_expr(&u.expr) {
                    Val::Tokens(_) => Val::Tokens(e.to_token_stream()),
                    v => {
                        let Some(n) = self.scalar(v, span) else {
                            return self.poison();
                        };
                        Val::Sym(Shape::Scalar(self.g.neg(n, span)))
                    }
                },
                UnOp::Not(_) => self.read(e),
                _ => match self.lower_expr(&u.expr) {
                    Val::Tokens(_) => self.read(e),
                    // `*xi` for an element of `x.iter()`: references are not tracked, so the
                    // value is the element itself.
                    v => v,
                },
            },
            Expr::Binary(b) => self.lower_binary(b),
            Expr::Cast(c) => {
                if !self.touches_symbolic(c.expr.to_token_stream()) {
                    return Val::Tokens(e.to_token_stream());
                }
                if is_float(&c.ty, self.g.float) {
                    match self.lower_expr(&c.expr) {
                        // `(x as i64) as f64`: an inactive value read from `x`.
                        Val::Tokens(_) => Val::Tokens(e.to_token_stream()),
                        v => v,
                    }
                } else if type_is_floaty(&c.ty) {
                    self.unsupported(e, "a cast to another float type")
                } else {
                    self.read(e)
                }
            }
            Expr::MethodCall(m) => self.lower_method(m),
            Expr::Call(c) => self.lower_call(c),
            Expr::Block(b) => {
                if b.label.is_some()
                    || !self.touches_symbolic(e.to_token_stream()) && !self.jumps(e)
                {
                    if self.touches_active(e.to_token_stream()) {
                        return self.unsupported(e, "a labelled block");
                    }
                    return self.read(e);
                }
                self.lower_block(&b.block)
            }
            Expr::Unsafe(_) | Expr::Async(_) | Expr::TryBlock(_) | Expr::Const(_) => {
                if self.touches_active(e.to_token_stream()) {
                    self.unsupported(
                        e,
                        &format!("{} holding a differentiated value", expr_kind(e)),
                    )
                } else {
                    self.read(e)
                }
            }
            Expr::If(i) => self.lower_if(i),
            Expr::Array(a) => {
                if !self.touches_symbolic(e.to_token_stream()) && !is_float_const_expr(e) {
                    return Val::Tokens(e.to_token_stream());
                }
                let mut items = Vec::new();
                for el in &a.elems {
                    match self.lower_expr(el) {
                        Val::Sym(s) => items.push(s),
                        Val::Tokens(t) => items.push(Shape::Scalar(self.bind_opaque(t, el.span()))),
                    }
                }
                Val::Sym(Shape::Array(items))
            }
            Expr::Repeat(r) => {
                if !self.touches_symbolic(e.to_token_stream()) && !is_float_const_expr(e) {
                    return Val::Tokens(e.to_token_stream());
                }
                let Some(n) = literal_len(&r.len) else {
                    return self
                        .unsupported(e, "an array repeat `[v; N]` with a non-literal length");
                };
                let item = match self.lower_expr(&r.expr) {
                    Val::Sym(s) => s,
                    Val::Tokens(t) => Shape::Scalar(self.bind_opaque(t, r.expr.span())),
                };
                Val::Sym(Shape::Array(vec![item; n]))
            }
            Expr::Tuple(t) => {
                if t.elems.is_empty()
                    || (!self.touches_symbolic(e.to_token_stream()) && !is_float_const_expr(e))
                {
                    return Val::Tokens(e.to_token_stream());
                }
                let mut items = Vec::new();
                for el in &t.elems {
                    match self.lower_expr(el) {
                        Val::Sym(s) => items.push(s),
                        Val::Tokens(tk) => {
                            items.push(Shape::Scalar(self.bind_opaque(tk, el.span())))
                        }
                    }
                }
                Val::Sym(Shape::Tuple(items))
            }
            Expr::Index(ix) => match self.lower_expr(&ix.expr) {
                Val::Sym(Shape::Array(items)) => match self.const_index(&ix.index) {
                    Some(i) if i < items.len() => Val::Sym(items[i].clone()),
                    Some(i) => {
                        self.error(
                            ix.index.span(),
                            format!(
                                "index {i} is out of bounds for an array of length {}",
                                items.len()
                            ),
                        );
                        self.poison()
                    }
                    None => self.dynamic_index(&ix.index, &items),
                },
                v if self.is_poisoned(&v) => v,
                Val::Sym(_) => self.unsupported(e, "indexing a value that is not an array"),
                Val::Tokens(_) => self.read(e),
            },
            Expr::Field(f) => match self.lower_expr(&f.base) {
                v if self.is_poisoned(&v) => v,
                Val::Sym(Shape::Tuple(items)) => match &f.member {
                    syn::Member::Unnamed(i) if (i.index as usize) < items.len() => {
                        Val::Sym(items[i.index as usize].clone())
                    }
                    _ => self.unsupported(e, "this field access"),
                },
                Val::Sym(_) => self.unsupported(e, "field access"),
                Val::Tokens(_) => self.read(e),
            },
            Expr::Break(_) | Expr::Continue(_) if self.loop_depth > 0 => {
                if matches!(e, Expr::Break(_)) {
                    let one = self.g.num(1.0);
                    self.set_broke(one);
                }
                if matches!(self.ret, Ret::Never) {
                    self.ret = Ret::Always(Vec::new());
                }
                Val::Tokens(quote!(()))
            }
            Expr::Return(r) => {
                let v = match &r.expr {
                    Some(x) => self.lower_expr(x),
                    None => Val::Tokens(quote!(())),
                };
                self.do_return(v, span);
                Val::Tokens(quote!(()))
            }
            Expr::Macro(m) => {
                if self.touches_active(e.to_token_stream()) {
                    self.error_at(
                        m,
                        format!(
                            "the macro `{}!` carries a differentiated value into the computation; \
                             macros cannot be differentiated. Macros are fine in statement \
                             position (`println!`, `assert!`), where they see primal values; \
                             otherwise write the expression without the macro",
                            m.mac.path.to_token_stream()
                        ),
                    );
                    return self.poison();
                }
                self.read(e)
            }
            Expr::Closure(_) => {
                if self.touches_active(e.to_token_stream()) {
                    self.unsupported(e, "a closure that captures a differentiated value")
                } else {
                    self.read(e)
                }
            }
            Expr::Reference(_) => {
                if self.touches_active(e.to_token_stream()) {
                    self.unsupported(e, "a reference to a differentiated value")
                } else {
                    self.read(e)
                }
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.lower_loop(e);
                    Val::Tokens(quote!(()))
                } else {
                    self.read(e)
                }
            }
            Expr::Match(_) => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.match_error(e);
                    self.poison()
                } else {
                    self.read(e)
                }
            }
            Expr::Assign(_) => {
                self.lower_expr_stmt(e, false);
                Val::Tokens(quote!(()))
            }
            _ => {
                if self.touches_active(e.to_token_stream()) || self.jumps(e) {
                    self.unsupported(
                        e,
                        &format!("{} holding a differentiated value", expr_kind(e)),
                    )
                } else {
                    self.read(e)
                }
            }
        }
    }

    /// `x`, `x[0]`, `x[i + 1]`, `x.1`: the variable and the constant path into it.
    fn place_of(&self, e: &Expr) -> Option<(Ident, Vec<(usize, Span)>)> {
        match e {
            Expr::Path(p) => p.path.get_ident().map(|i| (i.clone(), Vec::new())),
            Expr::Paren(p) => self.place_of(&p.expr),
            Expr::Index(ix) => {
                let (name, mut path) = self.place_of(&ix.expr)?;
                path.push((self.const_index(&ix.index)?, ix.index.span()));
                Some((name, path))
            }
            Expr::Field(f) => {
                let syn::Member::Unnamed(i) = &f.member else {
                    return None;
                };
                let (name, mut path) = self.place_of(&f.base)?;
                path.push((i.index as usize, i.span));
                Some((name, path))
            }
            _ => None,
        }
    }

    fn const_index(&self, e: &Expr) -> Option<usize> {
        self.const_int(e).and_then(|v| usize::try_from(v).ok())
    }

    /// The value of an integer expression known at compile time: literals, counters of unrolled
    /// loops, `len()` of differentiated arrays, and arithmetic on them.
    fn const_int(&self, e: &Expr) -> Option<i64> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(n), ..
            }) => n.base10_parse().ok(),
            Expr::Paren(p) => self.const_int(&p.expr),
            Expr::Group(g) => self.const_int(&g.expr),
            Expr::Cast(c) => self.const_int(&c.expr),
            Expr::Path(p) => match self.env.lookup(&p.path.get_ident()?.to_string()) {
                Some(Binding::Counter { value, .. }) => Some(*value),
                _ => None,
            },
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => {
                self.const_int(&u.expr)?.checked_neg()
            }
            Expr::Binary(b) => {
                let (l, r) = (self.const_int(&b.left)?, self.const_int(&b.right)?);
                match b.op {
                    BinOp::Add(_) => l.checked_add(r),
                    BinOp::Sub(_) => l.checked_sub(r),
                    BinOp::Mul(_) => l.checked_mul(r),
                    BinOp::Div(_) => l.checked_div(r),
                    BinOp::Rem(_) => l.checked_rem(r),
                    _ => None,
                }
            }
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => match &*m.receiver {
                Expr::Path(p) => match self.env.lookup(&p.path.get_ident()?.to_string()) {
                    Some(Binding::Sym {
                        value: Shape::Array(items),
                        ..
                    }) => i64::try_from(items.len()).ok(),
                    Some(Binding::Real { array: Some(n), .. }) => i64::try_from(*n).ok(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// A `for` loop over differentiated values, unrolled: its trip count must be known at compile
    /// time (a range with constant bounds, or the elements of a differentiated array).
    fn lower_for(&mut self, f: &syn::ExprForLoop) {
        const MAX_UNROLL: usize = 4096;
        let whole = Expr::ForLoop(f.clone());
        if contains_return(&whole) {
            self.error_at(
                &f.for_token,
                "`return` from inside a loop over differentiated values is not supported yet; \
                 compute the result after the loop",
            );
            return;
        }
        if let Some(jump) = find_labelled_jump(&f.body) {
            self.error_at(
                &jump,
                "`break` with a label or a value is not supported in a loop over differentiated \
                 values; use a plain `break`",
            );
            return;
        }
        enum Steps {
            Ints(Vec<i64>),
            Items(Vec<LoopItem>),
        }
        let steps = match &*f.expr {
            Expr::Range(r) => {
                let start = match &r.start {
                    Some(s) => self.const_int(s),
                    None => Some(0),
                };
                let end = r.end.as_ref().and_then(|e| self.const_int(e));
                match (start, end, &r.limits) {
                    (Some(a), Some(b), syn::RangeLimits::HalfOpen(_)) => {
                        Some(Steps::Ints((a..b).collect()))
                    }
                    (Some(a), Some(b), syn::RangeLimits::Closed(_)) => {
                        Some(Steps::Ints((a..=b).collect()))
                    }
                    _ => None,
                }
            }
            iterable if self.touches_active(iterable.to_token_stream()) => {
                // An iteration over differentiated values: it must be over an array whose
                // length is known, possibly through `.iter()`, `.copied()`, `.enumerate()`.
                match self.array_iteration(iterable) {
                    Some(items) => Some(Steps::Items(items)),
                    None => {
                        self.error_at(
                            iterable,
                            "this loop iterates over differentiated values in a way \
                             `#[gradient]` cannot follow; iterate over the array itself (`for xi \
                             in x`, `x.iter()`, `x.iter().enumerate()`) or by index (`for i in \
                             0..x.len()`)",
                        );
                        return;
                    }
                }
            }
            _ => None,
        };
        let Some(steps) = steps else {
            let (pat, expr) = (&f.pat, &f.expr);
            let mut names = Vec::new();
            pattern_idents(pat, &mut names);
            self.lower_runtime_loop(
                LoopHeader::For(quote!(for #pat in #expr)),
                &names,
                &f.body,
                &whole,
            );
            return;
        };
        let count = match &steps {
            Steps::Ints(v) => v.len(),
            Steps::Items(v) => v.len(),
        };
        if count > MAX_UNROLL {
            self.error_at(
                &f.expr,
                format!("this loop has {count} iterations; at most {MAX_UNROLL} are unrolled"),
            );
            return;
        }
        let steps: Vec<LoopItem> = match steps {
            Steps::Ints(v) => v
                .into_iter()
                .map(|value| {
                    LoopItem::One(Binding::Counter {
                        value,
                        materialized: false,
                    })
                })
                .collect(),
            Steps::Items(v) => v,
        };
        let saved = self.enter_loop_body();
        self.unroll(f, &steps);
        self.leave_loop_body(saved);
    }

    /// Iterations `steps` of an unrolled loop; after an iteration that may `break`, the rest run
    /// under `if !broke { … }`.
    fn unroll(&mut self, f: &syn::ExprForLoop, steps: &[LoopItem]) {
        let Some((step, rest)) = steps.split_first() else {
            return;
        };
        let pat = &*f.pat;
        let step = step.clone();
        self.structured_if(
            None,
            |l| {
                l.bind_loop_pattern(pat, step);
                l.lower_stmts(&f.body.stmts, false);
                None
            },
            |_| None,
            f.span(),
        );
        // `continue` (and `break`) only skip the rest of this iteration.
        self.ret = Ret::Never;
        let broke = self.broke_flag();
        match self.g.constant(broke) {
            Some(0.0) => self.unroll(f, rest),
            Some(_) => {} // always breaks here
            None => {
                let cond = self.flag_condition(broke);
                self.structured_if(
                    Some(negate(cond)),
                    |l| {
                        let zero = l.g.num(0.0);
                        l.set_broke(zero);
                        l.unroll(f, rest);
                        None
                    },
                    |_| None,
                    f.span(),
                );
            }
        }
    }

    /// Binds the pattern of an unrolled loop: `i`, `_`, `&x`, `(i, x)`, `(x, c)`.
    fn bind_loop_pattern(&mut self, pat: &Pat, item: LoopItem) {
        match (pat, item) {
            (Pat::Wild(_), _) => {}
            (Pat::Reference(r), item) => self.bind_loop_pattern(&r.pat, item),
            (Pat::Paren(p), item) => self.bind_loop_pattern(&p.pat, item),
            (Pat::Ident(pi), LoopItem::One(b)) => self.env.bind(&pi.ident, b),
            (Pat::Ident(pi), LoopItem::Data(tokens)) => {
                let ident = &pi.ident;
                self.push_verbatim(quote!(let #ident = #tokens;));
                self.env.bind(
                    ident,
                    Binding::Real {
                        float: true,
                        by_ref: true,
                        array: None,
                    },
                );
            }
            (Pat::Tuple(t), LoopItem::Tuple(items)) if t.elems.len() == items.len() => {
                for (p, item) in t.elems.iter().zip(items) {
                    self.bind_loop_pattern(p, item);
                }
            }
            (other, _) => self.error_at(
                other,
                "this loop pattern does not match the items; use a name, `_`, `&x`, or a tuple \
                 of those for `.enumerate()` and `.zip(…)`",
            ),
        }
    }

    /// The items of an iteration over a differentiated array, one per iteration: `x`,
    /// `x.iter()`, `x.into_iter()`, `.copied()`, an array literal, `.enumerate()`, and `.zip(…)`
    /// with another such iteration or with data.
    fn array_iteration(&mut self, e: &Expr) -> Option<Vec<LoopItem>> {
        match e {
            Expr::MethodCall(m) if m.args.is_empty() => match m.method.to_string().as_str() {
                "iter" | "into_iter" | "copied" | "cloned" => self.array_iteration(&m.receiver),
                "enumerate" => Some(
                    self.array_iteration(&m.receiver)?
                        .into_iter()
                        .zip(0..)
                        .map(|(item, i)| {
                            let counter = LoopItem::One(Binding::Counter {
                                value: i,
                                materialized: false,
                            });
                            LoopItem::Tuple(vec![counter, item])
                        })
                        .collect(),
                ),
                _ => None,
            },
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => {
                let left = self.array_iteration(&m.receiver)?;
                let other = &m.args[0];
                let right: Vec<LoopItem> = if self.touches_active(other.to_token_stream()) {
                    self.array_iteration(other)?
                } else {
                    // Data: item k of the other iterable, read in iteration k.
                    (0..left.len())
                        .map(|k| {
                            let k = proc_macro2::Literal::usize_unsuffixed(k);
                            LoopItem::Data(quote!(
                                ::core::iter::Iterator::nth(
                                    &mut ::core::iter::IntoIterator::into_iter(#other), #k
                                ).expect("`zip`: fewer items than the differentiated array")
                            ))
                        })
                        .collect()
                };
                Some(
                    left.into_iter()
                        .zip(right)
                        .map(|(a, b)| LoopItem::Tuple(vec![a, b]))
                        .collect(),
                )
            }
            Expr::Reference(r) => self.array_iteration(&r.expr),
            Expr::Paren(p) => self.array_iteration(&p.expr),
            Expr::MethodCall(_) => None,
            _ => match self.lower_expr(e) {
                Val::Sym(Shape::Array(items)) => Some(
                    items
                        .into_iter()
                        .map(|value| {
                            LoopItem::One(Binding::Sym {
                                value,
                                materialized: false,
                                mutable: false,
                            })
                        })
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// The value of a condition known at compile time (on loop counters and literals).
    fn const_bool(&self, e: &Expr) -> Option<bool> {
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Bool(b), ..
            }) => Some(b.value),
            Expr::Paren(p) => self.const_bool(&p.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => self.const_bool(&u.expr).map(|b| !b),
            Expr::Binary(b) => match b.op {
                BinOp::And(_) => Some(self.const_bool(&b.left)? && self.const_bool(&b.right)?),
                BinOp::Or(_) => Some(self.const_bool(&b.left)? || self.const_bool(&b.right)?),
                _ => {
                    let (l, r) = (self.const_int(&b.left)?, self.const_int(&b.right)?);
                    match b.op {
                        BinOp::Lt(_) => Some(l < r),
                        BinOp::Le(_) => Some(l <= r),
                        BinOp::Gt(_) => Some(l > r),
                        BinOp::Ge(_) => Some(l >= r),
                        BinOp::Eq(_) => Some(l == r),
                        BinOp::Ne(_) => Some(l != r),
                        _ => None,
                    }
                }
            },
            _ => None,
        }
    }

    /// The name of the hidden variable that records a `break` (not an identifier users can write).
    const BROKE: &'static str = "#broke";

    /// Starts lowering a loop body: `break` and `continue` become structured exits.
    fn enter_loop_body(&mut self) -> (usize, Ret) {
        self.loop_depth += 1;
        self.env.push();
        let zero = self.g.num(0.0);
        self.env.frames.last_mut().expect("a frame").push((
            Self::BROKE.to_string(),
            Binding::Sym {
                value: Shape::Scalar(zero),
                materialized: false,
                mutable: true,
            },
        ));
        let exit_len = std::mem::replace(&mut self.exit_len, 0);
        (exit_len, std::mem::replace(&mut self.ret, Ret::Never))
    }

    fn leave_loop_body(&mut self, (exit_len, ret): (usize, Ret)) {
        self.env.pop();
        self.loop_depth -= 1;
        self.exit_len = exit_len;
        self.ret = ret;
    }

    /// 1 when the current iteration has broken out of the loop, else 0.
    fn broke_flag(&mut self) -> NodeId {
        match self.scalar_var(Self::BROKE) {
            Some(n) => n,
            None => self.g.num(0.0),
        }
    }

    fn set_broke(&mut self, value: NodeId) {
        self.set_scalar_var(Self::BROKE, value);
    }

    /// The node a variable holding a single float is bound to.
    fn scalar_var(&self, name: &str) -> Option<NodeId> {
        match self.env.lookup(name) {
            Some(Binding::Sym {
                value: Shape::Scalar(n),
                ..
            }) => Some(*n),
            _ => None,
        }
    }

    /// Gives a symbolic variable a new value.
    fn set_scalar_var(&mut self, name: &str, node: NodeId) {
        if let Some(Binding::Sym {
            value,
            materialized,
            ..
        }) = self.env.lookup_mut(name)
        {
            *value = Shape::Scalar(node);
            *materialized = false;
        }
    }

    /// A condition that holds when the flag node is 1.
    fn flag_condition(&mut self, flag: NodeId) -> BoolVal {
        let name = Ident::new("__dual_broke", Span::mixed_site());
        self.g.push(Stmt::User {
            name: name.clone(),
            mutable: false,
            value: Shape::Scalar(flag),
        });
        let slot = self.g.slot();
        let half = crate::emit::float_literal(0.5, self.g.float);
        self.g.push(Stmt::Cond {
            slot,
            expr: quote!(#name > #half),
        });
        BoolVal::Slot {
            slot,
            negate: false,
        }
    }

    /// A loop whose trip count is known only at run time (`for … in 0..n`, over data, `while`).
    /// The body is lowered once. When every differentiated value the loop carries is a sum
    /// (`s += …`), each sum is replaced in the body by its increment, and the loop accumulates the
    /// increments and their gradients (from a local reverse sweep of the body). Otherwise the loop
    /// carries, next to the values, their Jacobian with respect to the values before the loop and
    /// to the values the body reads from outside: forward tangents, one iteration at a time.
    fn lower_runtime_loop(
        &mut self,
        header: LoopHeader,
        pattern: &[Ident],
        body: &syn::Block,
        whole: &Expr,
    ) {
        if self.second_order {
            self.error_at(
                whole,
                "a Hessian cannot be taken through a loop whose number of iterations is known \
                 only at run time; loops with a constant trip count (unrolled) are fine",
            );
            return;
        }
        // The differentiated variables the loop carries, and whether each is a pure sum.
        let mut carried: Vec<(Ident, bool)> = Vec::new();
        for (name, misuse) in carried_variables(body) {
            match self.env.lookup(&name.to_string()) {
                Some(Binding::Sym {
                    value: Shape::Scalar(_),
                    ..
                }) => {
                    carried.push((name, misuse.is_none()));
                }
                Some(Binding::Sym { .. }) => {
                    self.error_at(
                        &name,
                        format!(
                            "`{name}` is an array or tuple that this loop changes; a loop with a \
                             run-time number of iterations may only carry single floats (a loop \
                             with a constant trip count is unrolled and may do anything)"
                        ),
                    );
                    return;
                }
                Some(Binding::Uninit { .. }) => {
                    self.error_at(
                        &name,
                        format!("`{name}` is assigned in this loop but has no value before it"),
                    );
                    return;
                }
                _ => {}
            }
        }
        let sums_only = carried.iter().all(|(_, sum)| *sum);
        if let LoopHeader::For(h) = &header {
            // The iterable is evaluated once, before the loop, on primal values.
            self.materialize(h.clone());
        }
        let header_reads: Vec<Ident> = match &header {
            LoopHeader::For(_) | LoopHeader::Loop => Vec::new(),
            LoopHeader::While { cond, .. } => {
                let mentioned = self.mentions(cond.clone());
                carried
                    .iter()
                    .filter(|(n, _)| mentioned.iter().any(|m| m == n))
                    .map(|(n, _)| n.clone())
                    .collect()
            }
        };
        if let LoopHeader::While { cond, .. } = &header {
            // The condition's other variables keep their values through the loop.
            self.materialize(cond.clone());
        }
        let parent = self.g.cur;
        let snapshot = self.env.clone();
        let saved = self.enter_loop_body();
        let names_before = self.names_introduced;
        let body_block = self.g.new_block(Some(parent), Sweep::FORWARD, &[]);
        self.g.cur = body_block;
        self.env.push();
        for name in pattern {
            self.env.bind(
                name,
                Binding::Real {
                    float: true,
                    by_ref: true,
                    array: None,
                },
            );
        }
        let zero = self.g.num(0.0);
        let mut starts = Vec::new(); // per carried value: its leaf at the start of an iteration
        for (name, _) in &carried {
            // The running value at the start of an iteration.
            let start = self.g.intern(Op::Out, name.span());
            self.g.set_active(start, true);
            starts.push(start);
            self.env.bind(
                name,
                Binding::Sym {
                    value: Shape::Scalar(start),
                    materialized: false,
                    mutable: true,
                },
            );
        }
        // The body's own `let`s live in a frame of their own, so that a name it shadows still
        // finds the carried variable at the end.
        self.env.push();
        self.lower_stmts(&body.stmts, false);
        self.env.pop();
        let ends: Vec<NodeId> = carried
            .iter()
            .map(|(name, _)| self.scalar_var(&name.to_string()).unwrap_or(zero))
            .collect();
        let broke = self.broke_flag();
        let exit = (self.g.constant(broke) != Some(0.0)).then_some(broke);
        self.env.pop();
        self.leave_loop_body(saved);
        // Anything else the body changed outside itself would be lost: refuse it.
        for (fi, frame) in snapshot.frames.iter().enumerate() {
            for (vi, (name, before)) in frame.iter().enumerate() {
                let after = &self.env.frames[fi][vi].1;
                let changed = match (before, after) {
                    (Binding::Sym { value: a, .. }, Binding::Sym { value: b, .. }) => a != b,
                    (Binding::Counter { .. }, Binding::Counter { .. }) => false,
                    (a, b) => a != b,
                };
                if changed && !carried.iter().any(|(c, _)| c == name) {
                    self.error_at(
                        whole,
                        format!(
                            "this loop changes `{name}` in a way that cannot be differentiated \
                             over a run-time number of iterations: such a loop may carry single \
                             floats from one iteration to the next (`s += …`, `p *= x`, any \
                             update), not arrays or tuples; a loop with a constant trip count is \
                             unrolled and may do anything"
                        ),
                    );
                }
            }
        }
        self.env = snapshot;
        self.names_introduced = names_before + 1;
        let befores: Vec<NodeId> = carried
            .iter()
            .map(|(name, _)| self.scalar_var(&name.to_string()).unwrap_or(zero))
            .collect();

        // Local reverse sweep of the body: row j is the gradient of carried value j's increment
        // (sums) or end value (otherwise).
        let local = self.g.new_block(Some(body_block), Sweep(1), &[body_block]);
        let adjoints = crate::diff::reverse_into(&mut self.g, body_block, local, &ends);
        let outside: Vec<NodeId> = {
            let mut v: Vec<NodeId> = adjoints
                .keys()
                .map(|(n, _)| *n)
                .filter(|n| !self.g.is_within(self.g.home[n.0 as usize], body_block))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let call = self.g.calls;
        self.g.calls += 1;
        let span = whole.span();
        let mut states = Vec::new();
        let mut outs = Vec::new();
        // The leaf that holds a state inside the loop (its leaf after the loop is created in the
        // parent block, its update in the local block).
        let current_leaf = |l: &mut Self| -> NodeId {
            l.g.cur = local;
            l.g.intern(Op::Out, span)
        };
        // Per carried value: its partials' (state, current leaf, is a value before the loop),
        // which values before the loop, and which outside values they are with respect to.
        type Row = (Vec<(NodeId, NodeId, bool)>, Vec<usize>, Vec<NodeId>);
        let mut jac: Vec<Row> = Vec::new();
        let m = carried.len();
        // Per carried value j: its state (the running value, as the function computes it), and
        // the state of each partial ∂value_j/∂arg. args = the carried values before the loop
        // (only where they are differentiated), then the values the body reads from outside.
        for (j, (&end, &start)) in ends.iter().zip(&starts).enumerate() {
            let befores_used: Vec<usize> = if sums_only {
                // A sum depends on its own value before the loop with derivative 1, on no other.
                (self.g.is_active(befores[j]))
                    .then_some(j)
                    .into_iter()
                    .collect()
            } else {
                (0..m).collect()
            };
            let outside_used: Vec<NodeId> = outside
                .iter()
                .copied()
                .filter(|v| !sums_only || adjoints.contains_key(&(*v, j as u32)))
                .collect();
            let args: Vec<NodeId> = befores_used
                .iter()
                .map(|&i| befores[i])
                .chain(outside_used.iter().copied())
                .collect();
            self.g.cur = parent;
            let out = self.g.intern(
                Op::Call {
                    call,
                    row: j as u32,
                    args: args.clone(),
                },
                span,
            );
            states.push(LoopState {
                out,
                init: befores[j],
                current: start,
                next: end,
            });
            outs.push(out);
            let mut row = Vec::new();
            for col in 0..args.len() {
                self.g.cur = parent;
                let out = self.g.call_grad(call, j as u32, col as u32, args.clone());
                let current = current_leaf(self);
                row.push((out, current, col < befores_used.len()));
            }
            jac.push((row, befores_used, outside_used));
        }
        // J' = A·J + B, with A = ∂end/∂start and B = ∂end/∂outside; for sums A = I, so
        // J' = J + B and the partials with respect to the value before the loop stay 1.
        self.g.cur = local;
        let one = self.g.num(1.0);
        let a = |j: usize, i: usize| adjoints.get(&(starts[i], j as u32)).copied();
        for j in 0..m {
            let (row, befores_used, outside_used) = &jac[j];
            for (col, &(out, current, is_before)) in row.iter().enumerate() {
                let b = if is_before {
                    None
                } else {
                    adjoints
                        .get(&(outside_used[col - befores_used.len()], j as u32))
                        .copied()
                };
                let next = if sums_only {
                    match b {
                        Some(b) => self.g.add(current, b, span),
                        None => current,
                    }
                } else {
                    let mut next = b.unwrap_or(zero);
                    for (i, (row_i, _, _)) in jac.iter().enumerate() {
                        if let Some(aji) = a(j, i) {
                            // Column `col` means the same argument in every row (same args).
                            let term = self.g.mul(aji, row_i[col].1, span);
                            next = self.g.add(next, term, span);
                        }
                    }
                    next
                };
                let init = match (is_before, sums_only) {
                    (true, true) => one,
                    (true, false) if befores_used[col] == j => one,
                    _ => zero,
                };
                states.push(LoopState {
                    out,
                    init,
                    current,
                    next,
                });
            }
        }
        self.g.cur = parent;
        let header = match header {
            LoopHeader::While { cond, .. } => LoopHeader::While {
                cond,
                reads: header_reads
                    .iter()
                    .map(|n| {
                        let k = carried.iter().position(|(c, _)| c == n).expect("carried");
                        (n.clone(), outs[k])
                    })
                    .collect(),
            },
            h => h,
        };
        self.g.push(Stmt::Loop(LoopStmt {
            header,
            body: body_block,
            local,
            states,
            exit,
        }));
        // After the loop: each carried value is the loop's output (plus the value before, for a
        // sum, whose output is the sum of the increments).
        for (k, (name, _)) in carried.iter().enumerate() {
            self.set_scalar_var(&name.to_string(), outs[k]);
        }
    }

    /// `a[i]` with an index known at run time: `[a0, a1, …][i]`, per scalar of the elements.
    fn dynamic_index(&mut self, index: &Expr, items: &[Shape]) -> Val {
        if items.is_empty() || !items.iter().all(|s| s.same_structure(&items[0])) {
            return self.unsupported(index, "indexing this array at run time");
        }
        let tokens = index.to_token_stream();
        self.materialize(tokens.clone());
        let slot = self.g.slot();
        self.g.push(Stmt::Index {
            slot,
            expr: tokens,
            len: items.len(),
        });
        let columns: Vec<Vec<NodeId>> = items.iter().map(Shape::leaves).collect();
        let leaves: Vec<NodeId> = (0..columns[0].len())
            .map(|j| {
                let items = columns.iter().map(|c| c[j]).collect();
                self.g
                    .intern(Op::DynIndex { index: slot, items }, index.span())
            })
            .collect();
        Val::Sym(items[0].rebuild(&mut leaves.into_iter()))
    }

    fn unsupported(&mut self, e: &Expr, what: &str) -> Val {
        self.error_at(
            e,
            format!("{what} cannot be differentiated; {SUPPORTED_EXPRS}"),
        );
        self.poison()
    }

    fn lower_binary(&mut self, b: &syn::ExprBinary) -> Val {
        let span = b.op.span();
        let op = match b.op {
            BinOp::Add(_) => Binary::Add,
            BinOp::Sub(_) => Binary::Sub,
            BinOp::Mul(_) => Binary::Mul,
            BinOp::Div(_) => Binary::Div,
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_) => {
                self.lower_expr_stmt(&Expr::Binary(b.clone()), false);
                return Val::Tokens(quote!(()));
            }
            BinOp::Rem(_) | BinOp::RemAssign(_) => {
                if self.touches_active(b.to_token_stream()) {
                    return self
                        .unsupported(&Expr::Binary(b.clone()), "the remainder operator `%`");
                }
                return self.read(&Expr::Binary(b.clone()));
            }
            _ => return self.read(&Expr::Binary(b.clone())),
        };
        let l = self.lower_expr(&b.left);
        let r = self.lower_expr(&b.right);
        if let (Val::Tokens(_), Val::Tokens(_)) = (&l, &r) {
            return Val::Tokens(b.to_token_stream());
        }
        let (Some(l), Some(r)) = (
            self.scalar(l, b.left.span()),
            self.scalar(r, b.right.span()),
        ) else {
            return self.poison();
        };
        Val::Sym(Shape::Scalar(self.g.binary(op, l, r, span)))
    }

    /// A float primitive applied to lowered operands (the receiver first).
    fn apply(
        &mut self,
        name: &str,
        recv: &Expr,
        args: &[&Expr],
        span: Span,
        whole: &Expr,
    ) -> Option<Val> {
        let arity = match name {
            _ if Unary::from_method(name).is_some() && !matches!(name, "neg") => 0,
            "powf" | "atan2" | "hypot" | "log" | "max" | "min" | "powi" => 1,
            "mul_add" | "clamp" => 2,
            _ => return None,
        };
        if args.len() != arity {
            self.error(
                span,
                format!("`{name}` takes {arity} argument(s) besides the receiver"),
            );
            return Some(self.poison());
        }
        let touches = self.touches_symbolic(whole.to_token_stream());
        if !touches {
            return Some(Val::Tokens(whole.to_token_stream()));
        }
        let x = self.lower_expr(recv);
        let x = self.scalar(x, recv.span())?;
        if name == "powi" {
            let e = match int_literal(args[0]) {
                Some(n) => Exponent {
                    slot: None,
                    offset: n,
                },
                None => {
                    let tokens = args[0].to_token_stream();
                    self.materialize(tokens.clone());
                    let slot = self.g.slot();
                    self.g.push(Stmt::Int { slot, expr: tokens });
                    Exponent {
                        slot: Some(slot),
                        offset: 0,
                    }
                }
            };
            return Some(Val::Sym(Shape::Scalar(self.g.powi(x, e, span))));
        }
        let mut ops = Vec::new();
        for a in args {
            let v = self.lower_expr(a);
            ops.push(self.scalar(v, a.span())?);
        }
        let node = if let Some(u) = Unary::from_method(name) {
            self.g.unary(u, x, span)
        } else if let Some(b) = Binary::from_method(name) {
            self.g.binary(b, x, ops[0], span)
        } else if name == "mul_add" {
            self.g.intern(Op::MulAdd(x, ops[0], ops[1]), span)
        } else {
            self.g.intern(Op::Clamp(x, ops[0], ops[1]), span)
        };
        Some(Val::Sym(Shape::Scalar(node)))
    }

    fn lower_method(&mut self, m: &syn::ExprMethodCall) -> Val {
        let whole = Expr::MethodCall(m.clone());
        let name = m.method.to_string();
        let args: Vec<&Expr> = m.args.iter().collect();
        let recv_active = self.touches_symbolic(m.receiver.to_token_stream());
        if is_math_method(&name) {
            if let Some(v) = self.apply(&name, &m.receiver, &args, m.method.span(), &whole) {
                return v;
            }
            return self.poison();
        }
        if recv_active {
            if INACTIVE_METHODS.contains(&name.as_str()) || matches!(&*m.receiver, Expr::Macro(_)) {
                return self.read(&whole);
            }
            if self.touches_active(m.receiver.to_token_stream()) {
                self.error(
                    m.method.span(),
                    format!(
                        "unknown method `{name}` on a differentiated value; the supported float \
                         methods are: {}",
                        MATH_METHODS.join(", ")
                    ),
                );
                return self.poison();
            }
        }
        if self.touches_active(whole.to_token_stream()) {
            return self.lower_call_expr(&whole);
        }
        self.read(&whole)
    }

    fn lower_call(&mut self, c: &syn::ExprCall) -> Val {
        let whole = Expr::Call(c.clone());
        if let Expr::Path(p) = &*c.func {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if segs.len() >= 2
                && segs[segs.len() - 2] == self.g.float.name()
                && is_math_method(&segs[segs.len() - 1])
            {
                let name = segs[segs.len() - 1].clone();
                let Some((recv, rest)) = c
                    .args
                    .iter()
                    .collect::<Vec<_>>()
                    .split_first()
                    .map(|(a, b)| (*a, b.to_vec()))
                else {
                    self.error(
                        c.span(),
                        format!("`f64::{name}` needs at least one argument"),
                    );
                    return self.poison();
                };
                let span = p.path.segments.last().map_or(c.span(), |s| s.ident.span());
                return self
                    .apply(&name, recv, &rest, span, &whole)
                    .unwrap_or_else(|| self.poison());
            }
        }
        if !self.touches_active(whole.to_token_stream()) {
            return self.read(&whole);
        }
        if !matches!(&*c.func, Expr::Path(_)) {
            return self.unsupported(
                &whole,
                "calling a closure or function value with differentiated arguments",
            );
        }
        self.lower_call_expr(&whole)
    }

    /// A call of an annotated function: `g(..)` → `g_value_and_gradient(..)`, `r.g(..)` →
    /// `r.g_value_and_gradient(..)` (or `_value_and_jacobian` for a vector result).
    fn lower_call_expr(&mut self, e: &Expr) -> Val {
        let (result, rows, open_rows) =
            self.call_hint
                .take()
                .unwrap_or((CallResult::Scalar, 1, false));
        if self.second_order && result != CallResult::Scalar {
            self.error_at(
                e,
                "a Hessian cannot be taken through a call to a vector-valued function; call \
                 scalar functions (annotated with `#[gradient(hessian)]`) from a `hessian` function",
            );
            return self.poison();
        }
        let suffix = match result {
            CallResult::Scalar if self.second_order => "value_gradient_and_hessian",
            CallResult::Scalar => "value_and_gradient",
            _ => "value_and_jacobian",
        };
        let (callee, args, span) = match e {
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return self
                        .unsupported(e, "calling a function value with differentiated arguments");
                };
                let mut path = p.clone();
                let last = path.path.segments.last_mut().expect("a path has a segment");
                last.ident = format_ident!("{}_{}", last.ident, suffix, span = last.ident.span());
                (
                    path.to_token_stream(),
                    c.args.iter().collect::<Vec<_>>(),
                    c.span(),
                )
            }
            Expr::MethodCall(m) => {
                if self.touches_active(m.receiver.to_token_stream()) {
                    return self.unsupported(e, "a method call on a differentiated value");
                }
                let recv = &m.receiver;
                self.materialize(recv.to_token_stream());
                let method = format_ident!("{}_{}", m.method, suffix, span = m.method.span());
                let turbofish = &m.turbofish;
                (
                    quote!(#recv.#method #turbofish),
                    m.args.iter().collect(),
                    m.span(),
                )
            }
            _ => return self.unsupported(e, "this call"),
        };
        // Each float argument is matched to a differentiated parameter of the callee, in order.
        // Constant float arguments after the last differentiated one may or may not be
        // differentiated by the callee (`wrt`): they are left out, and the gradient pattern ends
        // with `..`.
        let mut call_args = Vec::new();
        let mut slots: Vec<(Vec<NodeId>, Option<usize>, bool)> = Vec::new(); // leaves, shape, active
        let mut unknown_after = Vec::new();
        for a in args {
            let real = match a {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .and_then(|i| self.env.lookup(&i.to_string()).cloned()),
                _ => None,
            };
            let known_float = matches!(real, Some(Binding::Real { float: true, .. }));
            let known_array = match real {
                Some(Binding::Real { array, .. }) => array,
                _ => None,
            };
            match self.lower_expr(a) {
                v if self.is_poisoned(&v) => return v,
                Val::Sym(Shape::Scalar(n)) => {
                    call_args.push(CallArg::Scalar(n));
                    slots.push((vec![n], None, self.g.is_active(n)));
                }
                Val::Sym(Shape::Array(items))
                    if items.iter().all(|s| matches!(s, Shape::Scalar(_))) =>
                {
                    let ns: Vec<NodeId> = items.iter().flat_map(Shape::leaves).collect();
                    let active = ns.iter().any(|n| self.g.is_active(*n));
                    slots.push((ns.clone(), Some(ns.len()), active));
                    call_args.push(CallArg::Array(ns));
                }
                Val::Sym(_) => {
                    self.error_at(
                        a,
                        "only floats and arrays of floats can be passed to a differentiated \
                         function",
                    );
                    return self.poison();
                }
                Val::Tokens(t) if known_float => {
                    let n = self.bind_opaque(t, a.span());
                    call_args.push(CallArg::Scalar(n));
                    slots.push((vec![n], None, false));
                }
                Val::Tokens(t) => {
                    if let Some(n) = known_array {
                        // An `[f64; N]` the caller does not differentiate.
                        let ns: Vec<NodeId> = (0..n)
                            .map(|j| {
                                let j = syn::Index::from(j);
                                self.bind_opaque(quote!(#t[#j]), a.span())
                            })
                            .collect();
                        slots.push((ns.clone(), Some(n), false));
                        call_args.push(CallArg::Array(ns));
                        continue;
                    }
                    self.materialize(t.clone());
                    call_args.push(CallArg::Tokens(t));
                    unknown_after.push(slots.len());
                }
            }
        }
        let kept = slots
            .iter()
            .rposition(|(_, _, active)| *active)
            .map_or(0, |i| i + 1);
        // Arguments of unknown type after the last differentiated one may be floats too.
        let open_grads = kept < slots.len() || unknown_after.iter().any(|&i| i >= kept);
        slots.truncate(kept);
        let grad_shape: Vec<Option<usize>> = slots.iter().map(|(_, shape, _)| *shape).collect();
        let flat: Vec<NodeId> = slots
            .iter()
            .flat_map(|(ns, _, _)| ns.iter().copied())
            .collect();
        let call = self.g.calls;
        self.g.calls += 1;
        let grads: Vec<Vec<NodeId>> = (0..rows)
            .map(|r| {
                (0..flat.len())
                    .map(|c| self.g.call_grad(call, r as u32, c as u32, flat.clone()))
                    .collect()
            })
            .collect();
        let hessian = self.second_order.then(|| {
            (0..flat.len() as u32)
                .map(|j| {
                    (0..flat.len() as u32)
                        .map(|k| {
                            self.g.intern(
                                Op::CallHess {
                                    call,
                                    row: j,
                                    col: k,
                                },
                                span,
                            )
                        })
                        .collect()
                })
                .collect()
        });
        let stmt_index = self.g.block(self.g.cur).stmts.len();
        let outputs: Vec<NodeId> = (0..rows)
            .map(|r| {
                self.g.intern(
                    Op::Call {
                        call,
                        row: r as u32,
                        args: flat.clone(),
                    },
                    span,
                )
            })
            .collect();
        let cur = self.g.cur.0 as usize;
        self.g.blocks[cur].stmts.insert(
            stmt_index,
            Stmt::Call(CallStmt {
                callee,
                args: call_args,
                outputs: outputs.clone(),
                result,
                open_rows,
                grads,
                hessian,
                grad_shape,
                open_grads,
                span,
            }),
        );
        let leaves: Vec<Shape> = outputs.into_iter().map(Shape::Scalar).collect();
        Val::Sym(match result {
            CallResult::Scalar => leaves[0].clone(),
            CallResult::Array => Shape::Array(leaves),
            CallResult::Tuple => Shape::Tuple(leaves),
        })
    }

    // ---------------------------------------------------------------- blocks and branches

    fn lower_block(&mut self, b: &syn::Block) -> Val {
        self.structured_if(None, |l| l.lower_stmts(&b.stmts, false), |_| None, b.span())
    }

    fn lower_if(&mut self, i: &syn::ExprIf) -> Val {
        let whole = Expr::If(i.clone());
        if !self.touches_symbolic(whole.to_token_stream()) && !self.jumps(&whole) {
            return Val::Tokens(whole.to_token_stream());
        }
        if matches!(&*i.cond, Expr::Let(_)) {
            if self.touches_active(whole.to_token_stream()) || self.jumps(&whole) {
                return self.unsupported(&whole, "`if let` around differentiated code");
            }
            return self.read(&whole);
        }
        if let Some(taken) = self.const_bool(&i.cond) {
            // Decided at compile time (e.g. on the counter of an unrolled loop): only the branch
            // taken exists.
            return match (taken, &i.else_branch) {
                (true, _) => self.structured_if(
                    None,
                    |l| l.lower_stmts(&i.then_branch.stmts, false),
                    |_| None,
                    i.span(),
                ),
                (false, Some((_, e))) => self.lower_expr(e),
                (false, None) => Val::Tokens(quote!(())),
            };
        }
        let cond_tokens = i.cond.to_token_stream();
        self.materialize(cond_tokens.clone());
        let slot = self.g.slot();
        self.g.push(Stmt::Cond {
            slot,
            expr: cond_tokens,
        });
        let cond = BoolVal::Slot {
            slot,
            negate: false,
        };
        let else_branch = i.else_branch.as_ref().map(|(_, e)| (**e).clone());
        self.structured_if(
            Some(cond),
            |l| l.lower_stmts(&i.then_branch.stmts, false),
            move |l| match &else_branch {
                Some(Expr::Block(b)) => l.lower_stmts(&b.block.stmts, false),
                Some(e) => Some(l.lower_expr(e)),
                None => None,
            },
            i.span(),
        )
    }

    /// Lowers a structured `if` (or, with `cond: None`, a scope) and merges what its branches
    /// change: variables, the value, and whether the function returned.
    fn structured_if(
        &mut self,
        cond: Option<BoolVal>,
        then_f: impl FnOnce(&mut Self) -> Option<Val>,
        else_f: impl FnOnce(&mut Self) -> Option<Val>,
        span: Span,
    ) -> Val {
        let parent = self.g.cur;
        let snapshot = self.env.clone();
        let ret_before = std::mem::replace(&mut self.ret, Ret::Never);
        debug_assert!(matches!(ret_before, Ret::Never));
        let names_before = self.names_introduced;

        let then_block = self.g.new_block(Some(parent), Sweep::FORWARD, &[]);
        self.g.cur = then_block;
        self.env.push();
        let then_val = then_f(self);
        self.env.pop();
        let then_ret = std::mem::replace(&mut self.ret, Ret::Never);
        let then_env = std::mem::replace(&mut self.env, snapshot.clone());

        if cond.is_none() && self.names_introduced == names_before {
            // A scope that declares no name: inline it.
            self.g.cur = parent;
            self.splice(then_block, parent);
            self.env = then_env;
            self.ret = then_ret;
            return then_val.unwrap_or_else(|| Val::Tokens(TokenStream::new()));
        }

        let else_block = self.g.new_block(Some(parent), Sweep::FORWARD, &[]);
        let (else_val, else_ret, else_env) = if cond.is_some() {
            self.g.cur = else_block;
            self.env.push();
            let v = else_f(self);
            self.env.pop();
            let r = std::mem::replace(&mut self.ret, Ret::Never);
            let e = std::mem::replace(&mut self.env, snapshot.clone());
            (v, r, e)
        } else {
            (then_val.clone(), then_ret.clone(), then_env.clone())
        };
        self.names_introduced = names_before;

        let mut m = Merge {
            floats: Vec::new(),
            bools: Vec::new(),
            tokens: Vec::new(),
            then_block,
            else_block,
            parent,
        };

        // Variables.
        let mut merged_env = snapshot.clone();
        for (fi, frame) in snapshot.frames.iter().enumerate() {
            for (vi, (name, before)) in frame.iter().enumerate() {
                let t = &then_env.frames[fi][vi].1;
                let e = &else_env.frames[fi][vi].1;
                let merged = self.merge_binding(name, before, t, e, &mut m, span);
                merged_env.frames[fi][vi].1 = merged;
            }
        }

        // The value.
        let then_diverged = matches!(then_ret, Ret::Always(_));
        let else_diverged = matches!(else_ret, Ret::Always(_));
        let value = self.merge_value(
            then_val,
            else_val,
            then_diverged,
            else_diverged,
            &mut m,
            span,
        );

        // Returns.
        let flag_of = |r: &Ret| match r {
            Ret::Never => BoolVal::Const(false),
            Ret::Always(_) => BoolVal::Const(true),
            Ret::Maybe { flag, .. } => *flag,
        };
        let (tf, ef) = (flag_of(&then_ret), flag_of(&else_ret));
        let m_len = self.exit_len;
        let values_of = |l: &mut Self, r: &Ret| match r {
            Ret::Never => (0..m_len).map(|_| l.g.num(0.0)).collect::<Vec<_>>(),
            Ret::Always(v) | Ret::Maybe { value: v, .. } => v.clone(),
        };
        let ret = if tf == BoolVal::Const(false) && ef == BoolVal::Const(false) {
            Ret::Never
        } else {
            let tv = values_of(self, &then_ret);
            let ev = values_of(self, &else_ret);
            let value: Vec<NodeId> = tv
                .iter()
                .zip(&ev)
                .map(|(a, b)| self.phi(*a, *b, &mut m, span))
                .collect();
            if tf == BoolVal::Const(true) && ef == BoolVal::Const(true) {
                Ret::Always(value)
            } else if let (Some(c), BoolVal::Const(true), BoolVal::Const(false)) = (cond, tf, ef) {
                // Returned exactly when the condition held: the flag is the condition.
                Ret::Maybe { flag: c, value }
            } else if let (Some(c), BoolVal::Const(false), BoolVal::Const(true)) = (cond, tf, ef) {
                Ret::Maybe {
                    flag: negate(c),
                    value,
                }
            } else {
                let out = self.g.slot_in(parent);
                m.bools.push((out, tf, ef));
                Ret::Maybe {
                    flag: BoolVal::Slot {
                        slot: out,
                        negate: false,
                    },
                    value,
                }
            }
        };

        self.g.cur = parent;
        let Merge {
            floats,
            bools,
            tokens,
            ..
        } = m;
        let out_nodes: Vec<NodeId> = floats.iter().map(|f| f.node).collect();
        // The φ leaves were created before the `if` statement; move the statement before them.
        let stmt = Stmt::If(IfStmt {
            cond,
            then: then_block,
            other: else_block,
            floats,
            bools,
            tokens,
            backward: false,
        });
        let cur = parent.0 as usize;
        let first_leaf = self.g.blocks[cur]
            .stmts
            .iter()
            .position(|s| matches!(s, Stmt::Node(n) if out_nodes.contains(n)))
            .unwrap_or(self.g.blocks[cur].stmts.len());
        self.g.blocks[cur].stmts.insert(first_leaf, stmt);
        self.env = merged_env;
        self.ret = ret;
        value
    }

    /// Moves the statements and nodes of `child` into `parent` (an inlined scope).
    fn splice(&mut self, child: BlockId, parent: BlockId) {
        let stmts = std::mem::take(&mut self.g.blocks[child.0 as usize].stmts);
        for s in &stmts {
            if let Stmt::Node(n) = s {
                self.g.home[n.0 as usize] = parent;
            }
        }
        for (i, h) in self.g.slot_home.iter_mut().enumerate() {
            let _ = i;
            if *h == child {
                *h = parent;
            }
        }
        for b in &mut self.g.blocks {
            if b.parent == Some(child) {
                b.parent = Some(parent);
            }
        }
        self.g.move_dedup(child, parent);
        self.g.blocks[parent.0 as usize].stmts.extend(stmts);
    }

    /// A φ of two floats (or the float itself when both branches agree and it is visible after).
    fn phi(&mut self, t: NodeId, e: NodeId, m: &mut Merge, span: Span) -> NodeId {
        let inner = |g: &Graph, n: NodeId| {
            g.constant(n).is_none()
                && (g.is_within(g.home[n.0 as usize], m.then_block)
                    || g.is_within(g.home[n.0 as usize], m.else_block))
        };
        if t == e && !inner(&self.g, t) {
            return t;
        }
        let saved = self.g.cur;
        self.g.cur = m.parent;
        let node = self.g.intern(Op::Out, span);
        self.g.cur = saved;
        let active = self.g.is_active(t) || self.g.is_active(e);
        self.g.set_active(node, active);
        m.floats.push(FloatOut {
            node,
            then: t,
            other: e,
        });
        node
    }

    /// The value of a binding at the end of a branch, as a shape (reading real variables).
    fn branch_shape(
        &mut self,
        name: &str,
        b: &Binding,
        block: BlockId,
        like: Option<&Shape>,
        span: Span,
    ) -> Option<Shape> {
        match b {
            Binding::Sym { value, .. } => Some(value.clone()),
            Binding::Uninit { .. } => like.map(|s| self.zeros_like(s)),
            Binding::Real { .. } | Binding::Counter { .. } => {
                let ident = Ident::new(name, span);
                Some(Shape::Scalar(self.bind_opaque_in(
                    block,
                    quote!(#ident),
                    span,
                )))
            }
        }
    }

    fn zeros_like(&mut self, s: &Shape) -> Shape {
        let zero = self.g.num(0.0);
        s.rebuild(&mut std::iter::repeat(zero))
    }

    fn merge_binding(
        &mut self,
        name: &str,
        before: &Binding,
        t: &Binding,
        e: &Binding,
        m: &mut Merge,
        span: Span,
    ) -> Binding {
        if t == e && t == before {
            return before.clone();
        }
        match (t, e) {
            (
                Binding::Real {
                    float: a,
                    by_ref: r,
                    array: x,
                },
                Binding::Real {
                    float: b,
                    by_ref: q,
                    array: y,
                },
            ) => Binding::Real {
                float: *a && *b,
                by_ref: *r && *q,
                array: if x == y { *x } else { None },
            },
            (Binding::Uninit { .. }, Binding::Uninit { .. })
            | (Binding::Counter { .. }, Binding::Counter { .. }) => before.clone(),
            _ => {
                let mutable = match before {
                    Binding::Sym { mutable, .. } | Binding::Uninit { mutable } => *mutable,
                    Binding::Real { .. } | Binding::Counter { .. } => true,
                };
                let t_sym = match t {
                    Binding::Sym { value, .. } => Some(value.clone()),
                    _ => None,
                };
                let e_sym = match e {
                    Binding::Sym { value, .. } => Some(value.clone()),
                    _ => None,
                };
                let like = t_sym.clone().or(e_sym.clone());
                let (Some(ts), Some(es)) = (
                    self.branch_shape(name, t, m.then_block, like.as_ref(), span),
                    self.branch_shape(name, e, m.else_block, like.as_ref(), span),
                ) else {
                    return before.clone();
                };
                if !ts.same_structure(&es) {
                    self.error(
                        span,
                        format!("`{name}` has a different shape in the two branches"),
                    );
                    return before.clone();
                }
                let tl = ts.leaves();
                let el = es.leaves();
                let merged: Vec<NodeId> = tl
                    .iter()
                    .zip(&el)
                    .map(|(a, b)| self.phi(*a, *b, m, span))
                    .collect();
                let value = ts.rebuild(&mut merged.into_iter());
                let materialized = matches!(before, Binding::Sym { value: v, materialized: true, .. } if *v == value);
                Binding::Sym {
                    value,
                    materialized,
                    mutable,
                }
            }
        }
    }

    fn merge_value(
        &mut self,
        t: Option<Val>,
        e: Option<Val>,
        t_div: bool,
        e_div: bool,
        m: &mut Merge,
        span: Span,
    ) -> Val {
        let unit = || Val::Tokens(quote!(()));
        let to_shape = |l: &mut Self, v: Val, block: BlockId| -> Shape {
            match v {
                Val::Sym(s) => s,
                Val::Tokens(tk) => Shape::Scalar(l.bind_opaque_in(block, tk, span)),
            }
        };
        match (t, e) {
            (None, None) => unit(),
            (Some(Val::Tokens(a)), Some(Val::Tokens(b)))
                if a.is_empty() || a.to_string() == "()" =>
            {
                let _ = b;
                unit()
            }
            (Some(Val::Tokens(a)), Some(Val::Tokens(b))) => {
                let slot = self.g.slot_in(m.parent);
                m.tokens.push((slot, a, b));
                let name = crate::ir::slot_ident('v', slot);
                Val::Tokens(quote!(#name))
            }
            (Some(tv), Some(ev)) => {
                let ts = to_shape(self, tv, m.then_block);
                let es = to_shape(self, ev, m.else_block);
                if !ts.same_structure(&es) {
                    self.error(
                        span,
                        "the branches of this `if` have values of different shapes",
                    );
                    return self.poison();
                }
                let merged: Vec<NodeId> = ts
                    .leaves()
                    .iter()
                    .zip(es.leaves())
                    .map(|(a, b)| self.phi(*a, b, m, span))
                    .collect();
                Val::Sym(ts.rebuild(&mut merged.into_iter()))
            }
            (Some(v), None) if e_div => self.merge_one_sided(v, m.then_block, m, span, true),
            (None, Some(v)) if t_div => self.merge_one_sided(v, m.else_block, m, span, false),
            _ => unit(),
        }
    }

    /// The value of an `if` whose other branch returned: a φ with a placeholder.
    fn merge_one_sided(
        &mut self,
        v: Val,
        block: BlockId,
        m: &mut Merge,
        span: Span,
        then_side: bool,
    ) -> Val {
        let shape = match v {
            Val::Sym(s) => s,
            Val::Tokens(tk) if tk.is_empty() || tk.to_string() == "()" => {
                return Val::Tokens(quote!(()))
            }
            Val::Tokens(tk) => Shape::Scalar(self.bind_opaque_in(block, tk, span)),
        };
        let zero = self.g.num(0.0);
        let merged: Vec<NodeId> = shape
            .leaves()
            .iter()
            .map(|&a| {
                if then_side {
                    self.phi(a, zero, m, span)
                } else {
                    self.phi(zero, a, m, span)
                }
            })
            .collect();
        Val::Sym(shape.rebuild(&mut merged.into_iter()))
    }
}

struct Merge {
    floats: Vec<FloatOut>,
    bools: Vec<(SlotId, BoolVal, BoolVal)>,
    tokens: Vec<(SlotId, TokenStream, TokenStream)>,
    then_block: BlockId,
    else_block: BlockId,
    parent: BlockId,
}

fn negate(b: BoolVal) -> BoolVal {
    match b {
        BoolVal::Const(c) => BoolVal::Const(!c),
        BoolVal::Slot { slot, negate } => BoolVal::Slot {
            slot,
            negate: !negate,
        },
    }
}

/// The float methods `#[gradient]` differentiates.
pub const MATH_METHODS: &[&str] = &[
    "powi",
    "powf",
    "sqrt",
    "cbrt",
    "exp",
    "exp2",
    "exp_m1",
    "ln",
    "log",
    "log2",
    "log10",
    "ln_1p",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "hypot",
    "recip",
    "mul_add",
    "abs",
    "signum",
    "max",
    "min",
    "clamp",
    "to_degrees",
    "to_radians",
    "floor",
    "ceil",
    "round",
    "trunc",
];

fn is_math_method(name: &str) -> bool {
    MATH_METHODS.contains(&name)
}

fn compound_op(op: &BinOp) -> Option<Binary> {
    match op {
        BinOp::AddAssign(_) => Some(Binary::Add),
        BinOp::SubAssign(_) => Some(Binary::Sub),
        BinOp::MulAssign(_) => Some(Binary::Mul),
        BinOp::DivAssign(_) => Some(Binary::Div),
        _ => None,
    }
}

fn assign_op_token(op: Binary) -> BinOp {
    match op {
        Binary::Add => BinOp::AddAssign(Default::default()),
        Binary::Sub => BinOp::SubAssign(Default::default()),
        Binary::Mul => BinOp::MulAssign(Default::default()),
        _ => BinOp::DivAssign(Default::default()),
    }
}

/// The outer variables a loop body assigns to, each with its first use that is not a sum
/// (`name += …` / `name -= …`), if any. Variables declared in the body are left out.
fn carried_variables(body: &syn::Block) -> Vec<(Ident, Option<TokenStream>)> {
    #[derive(Default)]
    struct V {
        declared: BTreeSet<String>,
        assigned: Vec<Ident>,
        uses: Vec<(Ident, Option<TokenStream>)>, // a mention; `None` when it is a sum's target
    }
    impl<'ast> Visit<'ast> for V {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.declared.insert(p.ident.to_string());
        }
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            let sum = matches!(b.op, BinOp::AddAssign(_) | BinOp::SubAssign(_));
            match (&*b.left, compound_op(&b.op)) {
                (Expr::Path(p), Some(_)) if p.path.get_ident().is_some() => {
                    let name = p.path.get_ident().expect("ident").clone();
                    if !self.declared.contains(&name.to_string()) {
                        self.assigned.push(name.clone());
                    }
                    let misuse = (!sum).then(|| b.to_token_stream());
                    self.uses.push((name, misuse));
                    self.visit_expr(&b.right);
                }
                _ => syn::visit::visit_expr_binary(self, b),
            }
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if let Some((name, _)) = place_root(&a.left) {
                if !self.declared.contains(&name.to_string()) {
                    self.assigned.push(name.clone());
                }
                self.uses.push((name, Some(a.to_token_stream())));
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                self.uses.push((i.clone(), Some(p.to_token_stream())));
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            for tt in m.tokens.clone() {
                if let TokenTree::Ident(i) = tt {
                    self.uses.push((i, Some(m.to_token_stream())));
                }
            }
        }
    }
    let mut v = V::default();
    v.visit_block(body);
    let mut out: Vec<(Ident, Option<TokenStream>)> = Vec::new();
    for name in &v.assigned {
        // Assigned before any declaration of the same name in the body: the outer variable.
        if out.iter().any(|(n, _)| n == name) {
            continue;
        }
        let misuse = v
            .uses
            .iter()
            .filter(|(n, _)| n == name)
            .find_map(|(_, m)| m.clone());
        out.push((name.clone(), misuse));
    }
    out
}

/// The variable at the root of a place expression (`x`, `x[i]`, `x.0`).
fn place_root(e: &Expr) -> Option<(Ident, ())> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| (i.clone(), ())),
        Expr::Paren(p) => place_root(&p.expr),
        Expr::Index(ix) => place_root(&ix.expr),
        Expr::Field(f) => place_root(&f.base),
        _ => None,
    }
}

/// The first `break` or `continue` of a loop body (outside nested loops and closures) that has a
/// label or a value.
fn find_labelled_jump(body: &syn::Block) -> Option<TokenStream> {
    struct V(Option<TokenStream>);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if b.label.is_some() || b.expr.is_some() {
                self.0.get_or_insert_with(|| b.to_token_stream());
            }
        }
        fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
            if c.label.is_some() {
                self.0.get_or_insert_with(|| c.to_token_stream());
            }
        }
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V(None);
    v.visit_block(body);
    v.0
}

fn int_literal(e: &Expr) -> Option<i32> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse().ok(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => int_literal(&u.expr).map(|n| -n),
        Expr::Paren(p) => int_literal(&p.expr),
        _ => None,
    }
}

/// `std::f64::consts::PI` and friends.
fn float_const(path: &syn::Path) -> Option<f64> {
    use std::f64::consts as c;
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    if segs.len() < 2 || segs[segs.len() - 2] != "consts" {
        return None;
    }
    Some(match segs.last()?.as_str() {
        "PI" => c::PI,
        "TAU" => c::TAU,
        "E" => c::E,
        "SQRT_2" => c::SQRT_2,
        "LN_2" => c::LN_2,
        "LN_10" => c::LN_10,
        "LOG2_E" => c::LOG2_E,
        "LOG10_E" => c::LOG10_E,
        "LOG2_10" => c::LOG2_10,
        "LOG10_2" => c::LOG10_2,
        "FRAC_PI_2" => c::FRAC_PI_2,
        "FRAC_PI_3" => c::FRAC_PI_3,
        "FRAC_PI_4" => c::FRAC_PI_4,
        "FRAC_PI_6" => c::FRAC_PI_6,
        "FRAC_PI_8" => c::FRAC_PI_8,
        "FRAC_1_PI" => c::FRAC_1_PI,
        "FRAC_2_PI" => c::FRAC_2_PI,
        "FRAC_2_SQRT_PI" => c::FRAC_2_SQRT_PI,
        "FRAC_1_SQRT_2" => c::FRAC_1_SQRT_2,
        _ => return None,
    })
}

/// Float literals, arrays / tuples / negations of them: kept symbolic so that they fold.
fn is_float_const_expr(e: &Expr) -> bool {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Float(_), ..
        }) => true,
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => is_float_const_expr(&u.expr),
        Expr::Paren(p) => is_float_const_expr(&p.expr),
        Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(is_float_const_expr),
        Expr::Repeat(r) => literal_len(&r.len).is_some() && is_float_const_expr(&r.expr),
        Expr::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(is_float_const_expr),
        Expr::Path(p) => float_const(&p.path).is_some(),
        _ => false,
    }
}

/// What an expression is, for messages.
fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::Struct(_) => "a struct literal",
        Expr::Unsafe(_) => "an `unsafe` block",
        Expr::Async(_) => "an `async` block",
        Expr::TryBlock(_) => "a `try` block",
        Expr::Const(_) => "a `const` block",
        Expr::Try(_) => "the `?` operator",
        Expr::Range(_) => "a range",
        Expr::Let(_) => "a `let` condition",
        Expr::Break(_) => "`break`",
        Expr::Continue(_) => "`continue`",
        Expr::Yield(_) => "`yield`",
        Expr::Await(_) => "`.await`",
        Expr::Infer(_) => "`_`",
        _ => "this expression",
    }
}

/// `&f64` (or `&mut f64`).
fn is_float_ref(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Reference(r) if float_of(&r.elem).is_some())
}

/// `f64`, `[f64; N]`, `(f64, …)` (or nested).
fn type_is_floaty(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Array(a) => type_is_floaty(&a.elem),
        syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(type_is_floaty),
        syn::Type::Paren(p) => type_is_floaty(&p.elem),
        syn::Type::Path(p) => p.path.is_ident("f64") || p.path.is_ident("f32"),
        syn::Type::Infer(_) => true,
        _ => false,
    }
}

/// For `let [a, b] = g(x);`, `let (a, b) = g(x);` or `let v: [f64; 2] = g(x);`: the call returns
/// a vector and goes through `g_value_and_jacobian`.
fn call_result_hint(pat: &Pat, ty: Option<&syn::Type>) -> Option<(CallResult, usize, bool)> {
    match ty {
        Some(syn::Type::Array(a)) => {
            return literal_len(&a.len).map(|n| (CallResult::Array, n, false))
        }
        Some(syn::Type::Tuple(t)) if !t.elems.is_empty() => {
            return Some((CallResult::Tuple, t.elems.len(), false))
        }
        _ => {}
    }
    match pat {
        Pat::Slice(s) => Some((CallResult::Array, s.elems.len(), false)),
        Pat::Tuple(t) => Some((CallResult::Tuple, t.elems.len(), false)),
        _ => None,
    }
}

/// For `let v = g(x);` followed by `v[1]` or `v.1`: the call returns a vector, of which the
/// entries up to the largest one used are read (the pattern ends with `..`).
fn usage_hint(name: &Ident, following: &[SynStmt]) -> Option<(CallResult, usize, bool)> {
    fn scan(ts: TokenStream, name: &Ident, found: &mut Option<(CallResult, usize)>) {
        let tokens: Vec<TokenTree> = ts.into_iter().collect();
        for (i, tt) in tokens.iter().enumerate() {
            match tt {
                TokenTree::Group(g) => scan(g.stream(), name, found),
                TokenTree::Ident(id) if id == name => {
                    let index = match (tokens.get(i + 1), tokens.get(i + 2)) {
                        (Some(TokenTree::Group(g)), _)
                            if g.delimiter() == proc_macro2::Delimiter::Bracket =>
                        {
                            syn::parse2::<syn::LitInt>(g.stream())
                                .ok()
                                .and_then(|l| l.base10_parse::<usize>().ok())
                                .map(|i| (CallResult::Array, i))
                        }
                        (Some(TokenTree::Punct(p)), Some(TokenTree::Literal(l)))
                            if p.as_char() == '.' =>
                        {
                            l.to_string()
                                .parse::<usize>()
                                .ok()
                                .map(|i| (CallResult::Tuple, i))
                        }
                        _ => None,
                    };
                    if let Some((kind, i)) = index {
                        let rows = found.map_or(0, |(_, r)| r).max(i + 1);
                        *found = Some((kind, rows));
                    }
                }
                _ => {}
            }
        }
    }
    let mut found = None;
    for stmt in following {
        scan(stmt.to_token_stream(), name, &mut found);
    }
    found.map(|(kind, rows)| (kind, rows, true))
}

fn pattern_idents(pat: &Pat, out: &mut Vec<Ident>) {
    struct V<'a>(&'a mut Vec<Ident>);
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.clone());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    V(out).visit_pat(pat);
}

/// Whether the expression contains `return` (outside closures and items).
fn contains_return(e: &Expr) -> bool {
    struct V(bool);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    }
    let mut v = V(false);
    v.visit_expr(e);
    v.0
}

/// Whether the expression contains `break` or `continue` of the enclosing loop (not of a loop
/// nested in it, nor in closures).
fn contains_loop_jump(e: &Expr) -> bool {
    struct V(bool);
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.0 = true;
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.visit_expr(&f.expr);
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.visit_expr(&w.cond);
        }
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V(false);
    v.visit_expr(e);
    v.0
}

/// Whether macro tokens contain an assignment (`x = `, `x += `, …).
fn assigns_in_tokens(ts: TokenStream) -> bool {
    let mut prev_ident = false;
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => {
                if assigns_in_tokens(g.stream()) {
                    return true;
                }
                prev_ident = false;
            }
            TokenTree::Ident(_) => prev_ident = true,
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let next_eq =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '=');
                let prev_is_op = i > 0
                    && matches!(&tokens[i - 1], TokenTree::Punct(q) if "=!<>".contains(q.as_char()));
                if prev_ident && c == '=' && !next_eq && !prev_is_op {
                    return true;
                }
                if prev_ident && "+-*/".contains(c) && next_eq {
                    return true;
                }
                prev_ident = false;
            }
            TokenTree::Literal(_) => prev_ident = false,
        }
    }
    false
}
