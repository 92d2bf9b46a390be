//! Structured branches and scopes: lowering both branches, then merging what they change
//! (variables, the value, early returns) through φ nodes.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::ir::{
    Binder, BlockId, BoolVal, FloatOut, Graph, IfStmt, NodeId, Op, Shape, SlotId, Stmt, Sweep,
};

use super::env::{Binding, Env, Ret, Val};
use super::Lower;

impl Lower {
    pub(super) fn lower_block(&mut self, b: &syn::Block) -> Val {
        self.structured_if(None, |l| l.lower_stmts(&b.stmts, false), |_| None, b.span())
    }

    pub(super) fn lower_if(&mut self, i: &syn::ExprIf) -> Val {
        let whole = Expr::If(i.clone());
        if !self.touches_symbolic(whole.to_token_stream()) && !self.jumps(&whole) {
            return Val::Tokens(whole.to_token_stream());
        }
        if matches!(&*i.cond, Expr::Let(_)) {
            if let Some(v) = self.lower_if_let(i) {
                return v;
            }
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
    pub(super) fn structured_if(
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
        let (then_val, then_ret, then_env) = self.lower_branch(then_block, &snapshot, then_f);

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
            self.lower_branch(else_block, &snapshot, else_f)
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

        let merged_env = self.merge_env(&snapshot, &then_env, &else_env, &mut m, span);

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

        let ret = self.merge_returns(cond, &then_ret, &else_ret, &mut m, span);

        self.g.cur = parent;
        self.insert_if(cond, m);
        self.env = merged_env;
        self.ret = ret;
        value
    }

    /// Lowers one branch into `block`, in a frame of its own; returns its value, whether it
    /// returned, and the variables at its end (the environment is reset to `before`).
    fn lower_branch(
        &mut self,
        block: BlockId,
        before: &Env,
        f: impl FnOnce(&mut Self) -> Option<Val>,
    ) -> (Option<Val>, Ret, Env) {
        self.g.cur = block;
        self.env.push();
        let value = f(self);
        self.env.pop();
        let ret = std::mem::replace(&mut self.ret, Ret::Never);
        let env = std::mem::replace(&mut self.env, before.clone());
        (value, ret, env)
    }

    /// Merges the variables of the two branches (`then_env`, `else_env`) into the environment
    /// before them.
    fn merge_env(
        &mut self,
        before: &Env,
        then_env: &Env,
        else_env: &Env,
        m: &mut Merge,
        span: Span,
    ) -> Env {
        let mut merged_env = before.clone();
        for (fi, frame) in before.frames.iter().enumerate() {
            for (vi, var) in frame.iter().enumerate() {
                let t = &then_env.frames[fi][vi].binding;
                let e = &else_env.frames[fi][vi].binding;
                let merged = self.merge_binding(&var.name, &var.binding, t, e, m, span);
                merged_env.frames[fi][vi].binding = merged;
            }
        }
        merged_env
    }

    /// Whether the function has returned after the branches, and with which value.
    fn merge_returns(
        &mut self,
        cond: Option<BoolVal>,
        then_ret: &Ret,
        else_ret: &Ret,
        m: &mut Merge,
        span: Span,
    ) -> Ret {
        let parent = m.parent;
        let flag_of = |r: &Ret| match r {
            Ret::Never => BoolVal::Const(false),
            Ret::Always(_) => BoolVal::Const(true),
            Ret::Maybe { flag, .. } => *flag,
        };
        let (tf, ef) = (flag_of(then_ret), flag_of(else_ret));
        let m_len = self.exit_len;
        let values_of = |l: &mut Self, r: &Ret| match r {
            Ret::Never => (0..m_len).map(|_| l.g.num(0.0)).collect::<Vec<_>>(),
            Ret::Always(v) | Ret::Maybe { value: v, .. } => v.clone(),
        };
        if tf == BoolVal::Const(false) && ef == BoolVal::Const(false) {
            Ret::Never
        } else {
            let tv = values_of(self, then_ret);
            let ev = values_of(self, else_ret);
            let value: Vec<NodeId> = tv
                .iter()
                .zip(&ev)
                .map(|(a, b)| self.phi(*a, *b, m, span))
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
        }
    }

    /// Puts the `if` statement into the parent block, before the φ leaves (which were created
    /// while the branches were merged).
    fn insert_if(&mut self, cond: Option<BoolVal>, m: Merge) {
        let Merge {
            floats,
            bools,
            tokens,
            then_block,
            else_block,
            parent,
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
    }

    /// Moves the statements and nodes of `child` into `parent` (an inlined scope).
    pub(super) fn splice(&mut self, child: BlockId, parent: BlockId) {
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
    pub(super) fn phi(&mut self, t: NodeId, e: NodeId, m: &mut Merge, span: Span) -> NodeId {
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
        let node = self.g.intern(Op::Bound(Binder::IfJoin), span);
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

    /// The value of a binding at the end of a branch, as a shape (reading inactive variables).
    pub(super) fn branch_shape(
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
            Binding::Closure(_) => None,
            Binding::Inactive { .. } | Binding::Counter { .. } => {
                let ident = Ident::new(name, span);
                Some(self.read_like_in(block, quote!(#ident), like, span))
            }
        }
    }

    pub(super) fn zeros_like(&mut self, s: &Shape) -> Shape {
        let zero = self.g.num(0.0);
        s.rebuild(&mut std::iter::repeat(zero))
    }

    pub(super) fn merge_binding(
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
                Binding::Inactive {
                    float: a,
                    by_ref: r,
                    array: x,
                    elements: m,
                },
                Binding::Inactive {
                    float: b,
                    by_ref: q,
                    array: y,
                    elements: n,
                },
            ) => Binding::Inactive {
                float: *a && *b,
                by_ref: *r && *q,
                array: if x == y { *x } else { None },
                elements: *m && *n,
            },
            (Binding::Uninit { .. }, Binding::Uninit { .. })
            | (Binding::Counter { .. }, Binding::Counter { .. })
            | (Binding::Closure(_), Binding::Closure(_)) => before.clone(),
            _ => {
                let mutable = match before {
                    Binding::Sym { mutable, .. } | Binding::Uninit { mutable } => *mutable,
                    Binding::Inactive { .. } | Binding::Counter { .. } | Binding::Closure(_) => {
                        true
                    }
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

    pub(super) fn merge_value(
        &mut self,
        t: Option<Val>,
        e: Option<Val>,
        t_div: bool,
        e_div: bool,
        m: &mut Merge,
        span: Span,
    ) -> Val {
        // A branch that always returns has no value here (a block ending in `return …;` still
        // yields its empty tokens): the other branch's value is the `if`'s.
        let (t, e) = match (t, e) {
            (Some(_), e) if t_div && !e_div => (None, e),
            (t, Some(_)) if e_div && !t_div => (t, None),
            other => other,
        };
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
                let name = crate::tokens::slot_ident('v', slot);
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
    pub(super) fn merge_one_sided(
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

pub(super) struct Merge {
    floats: Vec<FloatOut>,
    bools: Vec<(SlotId, BoolVal, BoolVal)>,
    tokens: Vec<(SlotId, TokenStream, TokenStream)>,
    then_block: BlockId,
    else_block: BlockId,
    parent: BlockId,
}

pub(super) fn negate(b: BoolVal) -> BoolVal {
    match b {
        BoolVal::Const(c) => BoolVal::Const(!c),
        BoolVal::Slot { slot, negate } => BoolVal::Slot {
            slot,
            negate: !negate,
        },
    }
}
