//! Lowering: the body of the annotated function (syn) into the structured IR.
//!
//! Activity is decided by data flow: a value is *active* when it depends on a differentiated
//! parameter. Float values that flow through arithmetic are kept symbolic (as IR nodes); everything
//! else (integers, data, conditions, `println!`) is *inactive* and emitted as written, after the
//! variables it reads have been given their primal values. Control flow that touches symbolic values
//! becomes structured `if`s whose branches merge variables through φ nodes; `return` becomes a flag
//! and a φ of the result, so that the backward sweep can always run after the forward one.

mod branches;
mod calls;
mod loops;

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

use branches::negate;
use calls::{call_result_hint, usage_hint};

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
    /// An element that user code sees as a reference (`x.iter()`).
    Ref(Binding),
    /// Data read in this iteration (the other side of a `zip`), as written.
    Data(TokenStream),
    /// `(a, b)` from `.enumerate()` or `.zip(…)`.
    Tuple(Vec<LoopItem>),
}

impl LoopItem {
    fn by_ref(self) -> LoopItem {
        match self {
            LoopItem::One(b @ Binding::Sym { .. }) => LoopItem::Ref(b),
            other => other,
        }
    }

    fn by_value(self) -> LoopItem {
        match self {
            LoopItem::Ref(b) => LoopItem::One(b),
            other => other,
        }
    }
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
        ref_elements: Vec::new(),
        call_hint: None,
        loop_depth: 0,
        expr_depth: 0,
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
    /// Loop elements that user code sees as references (`for xi in x.iter()`): the name and the
    /// value it is bound to.
    ref_elements: Vec<(String, Shape)>,
    /// Values that stand for expressions with errors.
    poisoned: std::collections::HashSet<NodeId>,
    /// How the next call of a differentiated function returns its value (from a `let` pattern or
    /// type, or from how the variable is used afterwards).
    call_hint: Option<(CallResult, usize, bool)>,
    /// How many differentiated loops enclose the code being lowered (where `break` and
    /// `continue` are structured jumps).
    loop_depth: usize,
    /// The number of scalars an exit carries: the function's result, or 1 inside a loop body
    /// (1.0 for `break`, 0.0 for `continue`).
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

/// The primitive of `+ - * /`.
fn arithmetic(op: &BinOp) -> Option<Binary> {
    match op {
        BinOp::Add(_) => Some(Binary::Add),
        BinOp::Sub(_) => Some(Binary::Sub),
        BinOp::Mul(_) => Some(Binary::Mul),
        BinOp::Div(_) => Some(Binary::Div),
        _ => None,
    }
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
                let by_ref = self
                    .ref_elements
                    .iter()
                    .any(|(n, v)| *n == name && *v == value);
                self.g.push(Stmt::User {
                    name: user,
                    mutable,
                    value: value.clone(),
                    by_ref,
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
            match stmt {
                SynStmt::Expr(e, None) if is_tail => {
                    self.learn_floats_from_use(e);
                    let v = self.lower_expr(e);
                    if tail_returns {
                        self.do_return(v, e.span());
                        return None;
                    }
                    return Some(v);
                }
                _ => self.lower_stmt(stmt, &stmts[i + 1..]),
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

    /// One statement; `following` are the statements after it in its block.
    fn lower_stmt(&mut self, stmt: &SynStmt, following: &[SynStmt]) {
        match stmt {
            SynStmt::Local(syn::Local {
                init: Some(init), ..
            }) => self.learn_floats_from_use(&init.expr),
            SynStmt::Expr(e, _) => self.learn_floats_from_use(e),
            _ => {}
        }
        match stmt {
            SynStmt::Local(local) => self.lower_let(local, following),
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
            self.learn_float_from_assignment(e);
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

    fn lower_let(&mut self, local: &syn::Local, following: &[SynStmt]) {
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
            && !is_float_const_expr(&init.expr, self.g.float)
        {
            self.verbatim_let(local);
            return;
        }
        self.call_hint = call_result_hint(pat, ty).or_else(|| match pat {
            // Only for a call of a differentiated function: how its value is used later decides
            // its shape.
            Pat::Ident(pi) if is_user_call(&init.expr) => usage_hint(&pi.ident, following),
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
                self.mark_float(pat, ty, &init.expr);
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
        if let Some(init) = &local.init {
            self.mark_float(pat, ty, &init.expr);
        }
    }

    /// `let k = n as f64;`, `let k = g(2.0).sin();`: without a type, a variable is still known to
    /// be a float when its value visibly is one (see [`Lower::is_float_typed`]).
    fn mark_float(&mut self, pat: &Pat, ty: Option<&syn::Type>, init: &Expr) {
        if let (Pat::Ident(pi), None) = (pat, ty) {
            if self.is_float_typed(init) {
                self.mark_real_float(&pi.ident.to_string());
            }
        }
    }

    /// `k = 2.0 * x0;`, `k -= 0.25;` on a real variable: `k` is a float (both sides of an
    /// assignment, and of an arithmetic operator, have one type).
    fn learn_float_from_assignment(&mut self, e: &Expr) {
        let (lhs, rhs) = match e {
            Expr::Assign(a) => (&*a.left, &*a.right),
            Expr::Binary(b) if compound_op(&b.op).is_some() => (&*b.left, &*b.right),
            _ => return,
        };
        if let (Expr::Path(p), true) = (lhs, self.is_float_typed(rhs)) {
            if let Some(name) = p.path.get_ident() {
                self.mark_real_float(&name.to_string());
            }
        }
    }

    /// `v * 2.0`, `v < 0.5`, `v.sin()`: a variable of user code of undeclared type used as a
    /// float is one (both operands of an arithmetic or comparison operator have one type; only
    /// floats have `sin`). Nested blocks are left to their own statements, where the names they
    /// declare are in scope.
    fn learn_floats_from_use(&mut self, e: &Expr) {
        let mut found = Vec::new();
        self.floats_used_in(e, false, &mut found);
        for name in found {
            self.mark_real_float(&name);
        }
    }

    /// Collects the variables of undeclared type that `e` uses as floats; `float`: whether `e`
    /// itself is known to be a float (from where it stands).
    fn floats_used_in(&self, e: &Expr, float: bool, out: &mut Vec<String>) {
        let float = float || self.is_float_typed(e);
        match e {
            Expr::Path(p) => {
                let Some(name) = p.path.get_ident().map(ToString::to_string) else {
                    return;
                };
                let unknown = matches!(
                    self.env.lookup(&name),
                    Some(Binding::Real {
                        float: false,
                        by_ref: false,
                        array: None,
                    })
                );
                if float && unknown {
                    out.push(name);
                }
            }
            Expr::Binary(b) => {
                // Both operands have the result's type, or (comparisons) each other's.
                let operands = if arithmetic(&b.op).is_some() {
                    float || self.is_float_typed(&b.left) || self.is_float_typed(&b.right)
                } else if matches!(
                    b.op,
                    BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_)
                ) {
                    self.is_float_typed(&b.left) || self.is_float_typed(&b.right)
                } else {
                    false
                };
                self.floats_used_in(&b.left, operands, out);
                self.floats_used_in(&b.right, operands, out);
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let receiver = is_float_only_method(&name)
                    || (INT_AND_FLOAT_METHODS.contains(&name.as_str()) && float);
                self.floats_used_in(&m.receiver, receiver, out);
                for a in &m.args {
                    self.floats_used_in(a, receiver && name != "powi", out);
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.floats_used_in(a, false, out);
                }
            }
            Expr::Paren(p) => self.floats_used_in(&p.expr, float, out),
            Expr::Group(g) => self.floats_used_in(&g.expr, float, out),
            Expr::Unary(u) => self.floats_used_in(&u.expr, float, out),
            Expr::Cast(c) => self.floats_used_in(&c.expr, false, out),
            Expr::Assign(a) => self.floats_used_in(&a.right, false, out),
            Expr::If(i) => self.floats_used_in(&i.cond, false, out),
            Expr::While(w) => self.floats_used_in(&w.cond, false, out),
            Expr::Array(a) => a
                .elems
                .iter()
                .for_each(|x| self.floats_used_in(x, false, out)),
            Expr::Tuple(t) => t
                .elems
                .iter()
                .for_each(|x| self.floats_used_in(x, false, out)),
            _ => {}
        }
    }

    fn mark_real_float(&mut self, name: &str) {
        if let Some(Binding::Real { float, .. }) = self.env.lookup_mut(name) {
            *float = true;
        }
    }

    /// Whether an expression's value is visibly a float, whatever else it reads: a float literal
    /// or constant, a cast `as f64`, a float-only method (`sin`, `sqrt`, `powi`, …; `abs`, `max`,
    /// `min`, `clamp`, `signum` with a float operand), `f64::sin(..)`, a variable known to be a
    /// float, or arithmetic with such an operand (both operands of `+ - * /` have one type). What
    /// a call's argument matching and run-time loops need to know about values of user code.
    fn is_float_typed(&self, e: &Expr) -> bool {
        let float_only = is_float_only_method;
        match e {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Float(_), ..
            }) => true,
            Expr::Paren(p) => self.is_float_typed(&p.expr),
            Expr::Group(g) => self.is_float_typed(&g.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => self.is_float_typed(&u.expr),
            Expr::Cast(c) => float_of(&c.ty).is_some(),
            Expr::Binary(b) if arithmetic(&b.op).is_some() => {
                self.is_float_typed(&b.left) || self.is_float_typed(&b.right)
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                float_only(&name)
                    || (INT_AND_FLOAT_METHODS.contains(&name.as_str())
                        && (self.is_float_typed(&m.receiver)
                            || m.args.iter().any(|a| self.is_float_typed(a))))
            }
            Expr::Call(c) => float_type_function(&c.func).is_some(),
            Expr::Path(p) => {
                float_const(&p.path).is_some()
                    || p.path.get_ident().is_some_and(|i| {
                        matches!(
                            self.env.lookup(&i.to_string()),
                            Some(
                                Binding::Sym {
                                    value: Shape::Scalar(_),
                                    ..
                                } | Binding::Real { float: true, .. }
                            )
                        )
                    })
            }
            _ => false,
        }
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
                    if path.is_empty() && self.is_float_typed(rhs) {
                        self.mark_real_float(&name.to_string());
                    }
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
        if self.expr_depth >= MAX_EXPR_DEPTH {
            self.error_at(
                e,
                format!(
                    "expression nested more than {MAX_EXPR_DEPTH} levels deep; `#[gradient]` \
                     supports deeper code when it is split into `let` bindings"
                ),
            );
            return self.poison();
        }
        self.expr_depth += 1;
        let v = self.lower_expr_nested(e);
        self.expr_depth -= 1;
        v
    }

    fn lower_expr_nested(&mut self, e: &Expr) -> Val {
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
                if !self.touches_symbolic(e.to_token_stream())
                    && !is_float_const_expr(e, self.g.float)
                {
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
                if !self.touches_symbolic(e.to_token_stream())
                    && !is_float_const_expr(e, self.g.float)
                {
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
                    || (!self.touches_symbolic(e.to_token_stream())
                        && !is_float_const_expr(e, self.g.float))
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
        match b.op {
            _ if arithmetic(&b.op).is_some() => self.lower_arithmetic(b),
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_) => {
                self.lower_expr_stmt(&Expr::Binary(b.clone()), false);
                Val::Tokens(quote!(()))
            }
            BinOp::Rem(_) | BinOp::RemAssign(_) if self.touches_active(b.to_token_stream()) => {
                self.unsupported(&Expr::Binary(b.clone()), "the remainder operator `%`")
            }
            _ => self.read(&Expr::Binary(b.clone())),
        }
    }

    /// `a + b - c * d …`: the left operands of a chain are walked in a loop, not recursively, so
    /// a sum of any number of terms in one expression is fine.
    fn lower_arithmetic(&mut self, b: &syn::ExprBinary) -> Val {
        let mut spine = vec![b];
        let mut leftmost = &*b.left;
        while let Expr::Binary(inner) = leftmost {
            if arithmetic(&inner.op).is_none() {
                break;
            }
            spine.push(inner);
            leftmost = &*inner.left;
        }
        let mut acc = self.lower_expr(leftmost);
        let mut acc_span = leftmost.span();
        for node in spine.into_iter().rev() {
            let op = arithmetic(&node.op).expect("only arithmetic on the spine");
            let r = self.lower_expr(&node.right);
            acc = match (acc, r) {
                // Inactive on both sides: the user's tokens (the operands of a chain need no
                // parentheses beyond those the user wrote).
                (Val::Tokens(l), Val::Tokens(r)) => {
                    let o = &node.op;
                    Val::Tokens(quote!(#l #o #r))
                }
                (l, r) => match (self.scalar(l, acc_span), self.scalar(r, node.right.span())) {
                    (Some(l), Some(r)) => {
                        Val::Sym(Shape::Scalar(self.g.binary(op, l, r, node.op.span())))
                    }
                    _ => self.poison(),
                },
            };
            acc_span = acc_span.join(node.right.span()).unwrap_or(acc_span);
        }
        acc
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

/// A call that is not a built-in float method (`g(x)`, `m::g(x)`, `self.g(x)`).
fn is_user_call(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => !is_math_method(&m.method.to_string()),
        Expr::Call(c) => {
            match &*c.func {
                Expr::Path(p) => !p.path.segments.last().is_some_and(|s| {
                    is_math_method(&s.ident.to_string()) && p.path.segments.len() > 1
                }),
                _ => false,
            }
        }
        _ => false,
    }
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
fn is_float_const_expr(e: &Expr, float: crate::ir::FloatTy) -> bool {
    let this = |e: &Expr| is_float_const_expr(e, float);
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Float(_), ..
        }) => true,
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => this(&u.expr),
        Expr::Paren(p) => this(&p.expr),
        Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(this),
        Expr::Repeat(r) => literal_len(&r.len).is_some() && this(&r.expr),
        Expr::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(this),
        Expr::Path(p) => float_const(&p.path).is_some(),
        // Arithmetic and float math on constants (`f64::sin(0.7) + 2.0`, `(2.0f64).ln()`): a
        // float, so that a variable holding it is known to be one (a call's argument, a value a
        // loop carries).
        Expr::Binary(b) => arithmetic(&b.op).is_some() && this(&b.left) && this(&b.right),
        Expr::MethodCall(m) => {
            is_math_method(&m.method.to_string()) && this(&m.receiver) && m.args.iter().all(this)
        }
        Expr::Call(c) => {
            float_type_function(&c.func)
                .is_some_and(|(ty, method)| ty == float.name() && is_math_method(&method))
                && !c.args.is_empty()
                && c.args.iter().all(this)
        }
        _ => false,
    }
}

/// Methods that floats and integers both have.
const INT_AND_FLOAT_METHODS: &[&str] = &["abs", "max", "min", "clamp", "signum"];

/// Whether a method exists on `f64` and not on integers (`sin`, `sqrt`, `powi`, `floor`, …).
fn is_float_only_method(name: &str) -> bool {
    !INT_AND_FLOAT_METHODS.contains(&name)
        && (matches!(name, "powi" | "mul_add" | "fract")
            || Unary::from_method(name).is_some_and(|u| u != Unary::Neg)
            || Binary::from_method(name).is_some_and(|b| {
                !matches!(b, Binary::Add | Binary::Sub | Binary::Mul | Binary::Div)
            }))
}

/// `f64::sin` / `f32::max` as a callee: the type's and the function's names.
fn float_type_function(func: &Expr) -> Option<(String, String)> {
    let Expr::Path(p) = func else { return None };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segments.as_slice() {
        [ty, function] if ty == "f64" || ty == "f32" => Some((ty.clone(), function.clone())),
        _ => None,
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
