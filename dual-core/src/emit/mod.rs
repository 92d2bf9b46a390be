//! Emission: the IR as Rust statements.
//!
//! Only what the requested outputs need is emitted (liveness from the roots), except user
//! statements, which always run in program order. A forward node that the backward sweep needs but
//! that lives inside a branch is *saved*: the forward `if` returns it in its tuple (a placeholder
//! in the other branch, which the backward `if` on the same condition never reads).

use std::collections::HashMap;

use proc_macro2::{Delimiter, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::ir::{ArrayId, Binary, Cmp, SlotId, Unary};
use crate::ir::{
    BlockId, BoolVal, CallArg, CallResult, CallStmt, Exponent, Graph, IfStmt, IndexBound,
    LoopHeader, LoopState, LoopStmt, NodeId, Op, Shape, Stmt,
};
use crate::tokens::{
    float_literal, float_literal_at, float_path, local_ident, located_at, slot_ident,
};

mod arrays;
mod liveness;
mod writer;

use arrays::is_macro_call;
use liveness::{RolledLiveness, Saved};
use writer::Writer;

/// Emits the code of one companion function.
pub struct Emitter<'g> {
    g: &'g Graph,
    live: Vec<bool>,
    /// Per forward `if` (keyed by its `then` block): what it saves.
    saves: HashMap<BlockId, Vec<Saved>>,
    /// The local of each live node.
    names: Vec<Option<Ident>>,
    /// What the loops kept as loops need, forwards and backwards.
    rolled: RolledLiveness,
    /// While the body of a forward loop is recomputed in its backward mirror: the loop's id.
    recomputing: std::cell::Cell<Option<u32>>,
    /// While a forward loop is emitted together with its backward mirror: the loop's id.
    fusing: std::cell::Cell<Option<u32>>,
    /// The loops emitted together with their backward mirrors (which are then not emitted again).
    fused: std::cell::RefCell<Vec<u32>>,
}

/// The longest array parameter bound by a destructuring pattern (`let [a, _, c] = x;`).
const LONGEST_DESTRUCTURED: usize = 32;

impl<'g> Emitter<'g> {
    /// Prepares emission of everything `roots` needs.
    pub fn new(g: &'g Graph, roots: &[NodeId]) -> Self {
        let live = liveness::live_nodes(g, roots);
        let rolled = liveness::rolled(g, roots, &live);
        let saves = liveness::saves(g, &live, &rolled.read_by_recompute);
        // Each live node's local, created once (an identifier is interned by the compiler).
        let names = live
            .iter()
            .enumerate()
            .map(|(i, l)| l.then(|| local_ident('t', i as u32)))
            .collect();
        Emitter {
            g,
            live,
            saves,
            names,
            rolled,
            recomputing: std::cell::Cell::new(None),
            fusing: std::cell::Cell::new(None),
            fused: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Where the body being recomputed wrote node `n`, if the backward loop reads it from there.
    fn read_back(&self, n: NodeId) -> Option<(ArrayId, SlotId)> {
        let id = self.recomputing.get()?;
        self.rolled.stored.get(&id)?.get(&n).copied()
    }

    /// Whether node `n` is computed where it is emitted now: in the forward copy of a rolled
    /// loop's body only what the forward code needs, in its recomputation only what the
    /// backward loop needs.
    fn emits(&self, n: NodeId) -> bool {
        let i = n.0 as usize;
        if !self.live[i] {
            return false;
        }
        if !self.rolled.in_rolled[i] {
            return true;
        }
        let recomputed = |id: u32| self.rolled.recompute.get(&id).is_some_and(|r| r[i]);
        match (self.recomputing.get(), self.fusing.get()) {
            (Some(id), _) => recomputed(id),
            (None, Some(id)) => self.rolled.forward[i] || recomputed(id),
            (None, None) => self.rolled.forward[i],
        }
    }

    /// The local of node `n`: `__tN`.
    fn name(&self, n: NodeId) -> Ident {
        match &self.names[n.0 as usize] {
            Some(id) => id.clone(),
            None => local_ident('t', n.0),
        }
    }

    /// A constant of the function's float type.
    pub fn lit(&self, v: f64) -> TokenStream {
        float_literal(v, self.g.float)
    }

    /// Whether a node is needed.
    pub fn is_live(&self, n: NodeId) -> bool {
        self.live[n.0 as usize]
    }

    /// A reference to a node's value: its local, or a literal for a constant.
    pub fn node_ref(&self, n: NodeId) -> TokenStream {
        match self.g.constant(n) {
            Some(v) => self.lit(v),
            None => {
                let id = self.name(n);
                quote!(#id)
            }
        }
    }

    fn binder(&self, n: NodeId) -> TokenStream {
        if self.is_live(n) {
            let id = self.name(n);
            quote!(#id)
        } else {
            quote!(_)
        }
    }

    /// The statements of a block.
    pub fn block(&self, b: BlockId) -> TokenStream {
        let mut out = Vec::new();
        for stmt in &self.g.block(b).stmts {
            match stmt {
                Stmt::Node(n) => self.node_stmt(*n, &mut out),
                other => out.extend(self.stmt(other)),
            }
        }
        out.into_iter().collect()
    }

    /// `let __tN = <op>;` for a live computed node, written into `out`.
    fn node_stmt(&self, n: NodeId, out: &mut Vec<TokenTree>) {
        let op = self.g.op(n);
        if !self.emits(n) || op.is_leaf() || matches!(op, Op::Call { .. }) {
            return;
        }
        // Reported at the user's tokens (e.g. a non-const `sin` in a `const fn`), while names
        // keep their hygiene. Written token by token: this is the bulk of the output.
        let span = self.g.spans[n.0 as usize];
        let mut w = Writer::new(span, std::mem::take(out));
        w.word("let", span);
        w.out.push(self.name(n).into());
        w.punct("=", span);
        if let Some((array, index)) = self.read_back(n) {
            let (a, i) = (self.array_name(array), slot_ident('i', index));
            w.out.extend(located_at(quote!(#a[#i]), span));
        } else if self.expr_direct(op, &mut w).is_err() {
            let expr = located_at(self.expr(op), span);
            w.out.extend(expr);
        }
        w.punct(";", span);
        *out = w.out;
    }

    /// `let [__t0, __t1] = x;` for a differentiated parameter's leaves (`let __t7 = x[7];` for
    /// each element read of a longer array).
    pub fn bind_param(&self, name: &TokenStream, leaves: &[NodeId], array: bool) -> TokenStream {
        if leaves.iter().all(|n| !self.is_live(*n)) {
            return TokenStream::new();
        }
        if array && leaves.len() > LONGEST_DESTRUCTURED {
            // A long array read at a few constant indices: one `let` per element read, so that
            // the code does not grow with the array's length.
            let base = match syn::parse2::<Ident>(name.clone()) {
                Ok(ident) => quote!(#ident),
                Err(_) => quote!((#name)),
            };
            let reads = leaves
                .iter()
                .enumerate()
                .filter(|(_, n)| self.is_live(**n))
                .map(|(i, n)| {
                    let (id, i) = (self.name(*n), proc_macro2::Literal::usize_unsuffixed(i));
                    quote!(let #id = #base[#i];)
                });
            return reads.collect();
        }
        let binders: Vec<TokenStream> = leaves.iter().map(|n| self.binder(*n)).collect();
        if array {
            quote!(let [#(#binders),*] = #name;)
        } else {
            quote!(let #(#binders)* = #name;)
        }
    }

    fn stmt(&self, stmt: &Stmt) -> TokenStream {
        match stmt {
            Stmt::Node(n) => {
                let mut out = Vec::new();
                self.node_stmt(*n, &mut out);
                out.into_iter().collect()
            }
            Stmt::Bind { node, expr } => {
                // Typed, so that a wrong type is reported at the user's expression.
                let binder = self.binder(*node);
                let float = float_path(self.g.float);
                quote!(let #binder: #float = #expr;)
            }
            Stmt::Cond { slot, expr } => {
                let name = slot_ident('c', *slot);
                quote!(let #name: bool = #expr;)
            }
            Stmt::Int { slot, expr } => {
                let name = slot_ident('k', *slot);
                quote!(let #name: i32 = #expr;)
            }
            Stmt::Index { slot, expr, bound } => {
                let name = slot_ident('i', *slot);
                // The bounds check of the function's own `a[i]`, with the same panic.
                match bound {
                    IndexBound::Len(len) => {
                        let len = Literal::usize_unsuffixed(*len);
                        quote!(let #name: usize = #expr; let _ = [(); #len][#name];)
                    }
                    IndexBound::Array(a) => {
                        let array = self.array_name(*a);
                        quote!(let #name: usize = #expr; let _ = &#array[#name];)
                    }
                    IndexBound::Row(a, row) => {
                        let (array, row) = (self.array_name(*a), slot_ident('i', *row));
                        quote!(let #name: usize = #expr; let _ = &#array[#row][#name];)
                    }
                }
            }
            Stmt::User {
                name,
                mutable,
                value,
                by_ref,
            } => {
                let value = self.shape(value);
                let m = mutable.then(|| quote!(mut));
                let r = by_ref.then(|| quote!(&));
                quote!(let #m #name = #r #value;)
            }
            // A recomputed body repeats the user's bindings, not their effects (`println!`).
            Stmt::Verbatim(t) if self.recomputing.get().is_some() && is_macro_call(t) => {
                TokenStream::new()
            }
            Stmt::Verbatim(t) => t.clone(),
            Stmt::If(ifs) => self.if_stmt(ifs),
            Stmt::Call(c) => self.call(c),
            Stmt::Loop(l) => self.loop_stmt(l),
            Stmt::For(f) => self.for_stmt(f),
            Stmt::DeclareArray(d) => self.declare_array(d),
            Stmt::Store(st) => self.store(st),
        }
    }

    /// A shape as an expression: `t`, `[a, b]`, `(a, b)`.
    pub fn shape(&self, s: &Shape) -> TokenStream {
        match s {
            Shape::Scalar(n) => self.node_ref(*n),
            Shape::Array(items) => {
                let items = items.iter().map(|s| self.shape(s));
                quote!([#(#items),*])
            }
            Shape::Tuple(items) => {
                let items = items.iter().map(|s| self.shape(s));
                quote!((#(#items,)*))
            }
            Shape::ArrayVar(a) => self.array_name(*a),
        }
    }

    fn bool_val(b: BoolVal) -> TokenStream {
        match b {
            BoolVal::Const(c) => quote!(#c),
            BoolVal::Slot { slot, negate } => {
                let name = slot_ident('c', slot);
                if negate {
                    quote!(!#name)
                } else {
                    quote!(#name)
                }
            }
        }
    }

    fn if_stmt(&self, ifs: &IfStmt) -> TokenStream {
        let g = self.g;
        let mut pattern = Vec::new();
        let mut then_vals = Vec::new();
        let mut else_vals = Vec::new();
        for fo in ifs.floats.iter().filter(|fo| self.emits(fo.node)) {
            pattern.push(self.binder(fo.node));
            then_vals.push(self.node_ref(fo.then));
            else_vals.push(self.node_ref(fo.other));
        }
        for (slot, t, e) in &ifs.bools {
            let name = slot_ident('c', *slot);
            pattern.push(quote!(#name));
            then_vals.push(Self::bool_val(*t));
            else_vals.push(Self::bool_val(*e));
        }
        for (slot, t, e) in &ifs.tokens {
            let name = slot_ident('v', *slot);
            pattern.push(quote!(#name));
            then_vals.push(t.clone());
            else_vals.push(e.clone());
        }
        if let Some(saved) = self.saves.get(&ifs.then) {
            for item in saved {
                let (name, placeholder, home) = match *item {
                    // Not computed in this copy of a loop's body (the other copy saves it).
                    Saved::Node(n) if !self.emits(n) => continue,
                    Saved::Node(n) => {
                        let id = self.name(n);
                        (quote!(#id), self.lit(0.0), g.home[n.0 as usize])
                    }
                    Saved::Cond(s) => {
                        let id = slot_ident('c', s);
                        (quote!(#id), quote!(false), g.slot_home[s.0 as usize])
                    }
                    Saved::Int(s) => {
                        let id = slot_ident('k', s);
                        (quote!(#id), quote!(0i32), g.slot_home[s.0 as usize])
                    }
                    Saved::Index(s) => {
                        let id = slot_ident('i', s);
                        (quote!(#id), quote!(0usize), g.slot_home[s.0 as usize])
                    }
                };
                let in_then = g.is_within(home, ifs.then);
                pattern.push(name.clone());
                if in_then {
                    then_vals.push(name);
                    else_vals.push(placeholder);
                } else {
                    then_vals.push(placeholder);
                    else_vals.push(name);
                }
            }
        }
        let then_body = self.block(ifs.then);
        let else_body = self.block(ifs.other);
        let (then_tail, else_tail) = if pattern.is_empty() {
            (TokenStream::new(), TokenStream::new())
        } else {
            (quote!((#(#then_vals,)*)), quote!((#(#else_vals,)*)))
        };
        let body = match ifs.cond {
            Some(cond) => {
                let cond = Self::bool_val(cond);
                quote!(if #cond { #then_body #then_tail } else { #else_body #else_tail })
            }
            None => quote!({ #then_body #then_tail }),
        };
        if pattern.is_empty() {
            if then_body.is_empty() && else_body.is_empty() {
                return TokenStream::new();
            }
            body
        } else {
            quote!(let (#(#pattern,)*) = #body;)
        }
    }

    fn loop_stmt(&self, l: &LoopStmt) -> TokenStream {
        let live: Vec<&LoopState> = l.states.iter().filter(|st| self.is_live(st.out)).collect();
        let state = |st: &LoopState| local_ident('t', st.out.0);
        let init = live.iter().map(|st| {
            let (name, v) = (state(st), self.node_ref(st.init));
            quote!(let mut #name = #v;)
        });
        let enter = live.iter().map(|st| {
            let (name, current) = (state(st), local_ident('t', st.current.0));
            quote!(let #current = #name;)
        });
        let update = live.iter().map(|st| {
            let (name, v) = (state(st), self.node_ref(st.next));
            quote!(#name = #v;)
        });
        let header = match &l.header {
            LoopHeader::For(h) => h.clone(),
            LoopHeader::Loop => quote!(loop),
            LoopHeader::While { cond, reads } => {
                let binds = reads.iter().map(|(user, out)| {
                    let name = self.name(*out);
                    quote!(let #user = #name;)
                });
                quote!(while { #(#binds)* #cond })
            }
        };
        let body = self.block(l.body);
        let local = self.block(l.local);
        let exit = l.exit.map(|flag| {
            let (flag, half) = (self.node_ref(flag), self.lit(0.5));
            quote!(if #flag > #half { break; })
        });
        quote! {
            #(#init)*
            #header {
                #(#enter)*
                #body
                #local
                #(#update)*
                #exit
            }
        }
    }

    fn call(&self, c: &CallStmt) -> TokenStream {
        // Built with the call's span, so that a mismatch with the callee is reported there.
        let span = c.span;
        let rest = |open: bool| open.then(|| quote_spanned!(span=> ..));
        let rows_rest = rest(c.open_rows);
        let value = match c.result {
            CallResult::Scalar => self.binder(c.outputs[0]),
            CallResult::Array => {
                let b = c.outputs.iter().map(|n| self.binder(*n));
                quote_spanned!(span=> [#(#b,)* #rows_rest])
            }
            CallResult::Tuple => {
                let b = c.outputs.iter().map(|n| self.binder(*n));
                quote_spanned!(span=> (#(#b,)* #rows_rest))
            }
        };
        let cols_rest = rest(c.open_grads);
        let row_pattern = |row: &[NodeId]| -> TokenStream {
            let mut cols = row.iter().map(|n| self.binder(*n));
            let all_scalar = c.grad_shape.iter().all(Option::is_none);
            if c.result != CallResult::Scalar || all_scalar || c.grad_shape.len() == 1 {
                return quote_spanned!(span=> [#(#cols,)* #cols_rest]);
            }
            let parts: Vec<TokenStream> = c
                .grad_shape
                .iter()
                .map(|shape| match shape {
                    None => cols.next().expect("a column per scalar"),
                    Some(n) => {
                        let items: Vec<TokenStream> = cols.by_ref().take(*n).collect();
                        quote_spanned!(span=> [#(#items),*])
                    }
                })
                .collect();
            quote_spanned!(span=> (#(#parts,)* #cols_rest))
        };
        let grads = if c.result == CallResult::Scalar {
            row_pattern(&c.grads[0])
        } else {
            let rows = c.grads.iter().map(|r| row_pattern(r));
            quote_spanned!(span=> [#(#rows,)* #rows_rest])
        };
        let args = c.args.iter().map(|a| match a {
            CallArg::Scalar(n) => self.node_ref(*n),
            CallArg::Array(ns) => {
                let items = ns.iter().map(|n| self.node_ref(*n));
                quote!([#(#items),*])
            }
            CallArg::Tokens(t) => t.clone(),
        });
        let callee = &c.callee;
        match &c.hessian {
            None => quote_spanned!(span=> let (#value, #grads) = #callee(#(#args),*);),
            Some(h) => {
                let rows = h.iter().map(|r| {
                    let cols = r.iter().map(|n| self.binder(*n));
                    quote_spanned!(span=> [#(#cols,)* #cols_rest])
                });
                quote_spanned!(span=> let (#value, #grads, [#(#rows,)* #cols_rest]) = #callee(#(#args),*);)
            }
        }
    }

    fn exponent(e: Exponent) -> TokenStream {
        match e.slot {
            None => {
                let lit = Literal::i32_unsuffixed(e.offset);
                quote!(#lit)
            }
            Some(s) => {
                let k = slot_ident('k', s);
                if e.offset == 0 {
                    quote!(#k)
                } else {
                    let off = Literal::i32_unsuffixed(e.offset);
                    quote!(#k.wrapping_add(#off))
                }
            }
        }
    }

    /// The common operations written straight into `w` (the others, `Err`, go through
    /// [`Emitter::expr`]).
    fn expr_direct(&self, op: &Op, w: &mut Writer) -> Result<(), ()> {
        match op {
            Op::Unary(Unary::Neg, a) => {
                w.punct("-", w.call);
                self.write_ref(*a, w);
            }
            Op::Unary(u, a) => {
                self.write_ref(*a, w);
                w.punct(".", w.call);
                w.word(u.method(), w.call);
                w.group(Delimiter::Parenthesis, Vec::new());
            }
            Op::Binary(b, x, y) => {
                self.write_ref(*x, w);
                match b {
                    Binary::Add => w.punct("+", w.call),
                    Binary::Sub => w.punct("-", w.call),
                    Binary::Mul => w.punct("*", w.call),
                    Binary::Div => w.punct("/", w.call),
                    other => {
                        w.punct(".", w.call);
                        w.word(other.method(), w.call);
                        let mut arg = Writer::new_at(w.call, w.mixed);
                        self.write_ref(*y, &mut arg);
                        w.group(Delimiter::Parenthesis, arg.out);
                        return Ok(());
                    }
                }
                self.write_ref(*y, w);
            }
            _ => return Err(()),
        }
        Ok(())
    }

    /// A reference to a node's value (see [`Emitter::node_ref`]) written into `w`.
    fn write_ref(&self, n: NodeId, w: &mut Writer) {
        match self.g.constant(n) {
            Some(v) => w.out.extend(float_literal_at(v, self.g.float, w.call)),
            None => {
                let mut id = self.name(n);
                id.set_span(w.mixed);
                w.out.push(id.into());
            }
        }
    }

    fn expr(&self, op: &Op) -> TokenStream {
        let r = |n: &NodeId| self.node_ref(*n);
        match op {
            Op::Unary(Unary::Neg, a) => {
                let a = r(a);
                quote!(-#a)
            }
            Op::Unary(u, a) => {
                let a = r(a);
                let m = proc_macro2::Ident::new(u.method(), Span::call_site());
                quote!(#a.#m())
            }
            Op::Binary(b, x, y) => {
                let (x, y) = (r(x), r(y));
                match b {
                    Binary::Add => quote!(#x + #y),
                    Binary::Sub => quote!(#x - #y),
                    Binary::Mul => quote!(#x * #y),
                    Binary::Div => quote!(#x / #y),
                    other => {
                        let m = proc_macro2::Ident::new(other.method(), Span::call_site());
                        quote!(#x.#m(#y))
                    }
                }
            }
            Op::Ternary(t, x, y, z) => {
                let (x, y, z) = (r(x), r(y), r(z));
                let m = proc_macro2::Ident::new(t.method(), Span::call_site());
                quote!(#x.#m(#y, #z))
            }
            Op::Powi(x, e) => {
                let x = r(x);
                let e = Self::exponent(*e);
                quote!(#x.powi(#e))
            }
            Op::Select {
                cmp,
                lhs,
                rhs,
                then,
                other,
            } => {
                let (l, rh, t, o) = (r(lhs), r(rhs), r(then), r(other));
                let c = match cmp {
                    Cmp::Ge => quote!(>=),
                    Cmp::Le => quote!(<=),
                    Cmp::Lt => quote!(<),
                    Cmp::Gt => quote!(>),
                    Cmp::Ne => quote!(!=),
                };
                quote!(if #l #c #rh { #t } else { #o })
            }
            Op::Sign0(x) => {
                let x = r(x);
                let (zero, one, minus_one) = (self.lit(0.0), self.lit(1.0), self.lit(-1.0));
                quote!(if #x > #zero { #one } else if #x < #zero { #minus_one } else { #x * #zero })
            }
            Op::IntAsFloat(e) => {
                let e = Self::exponent(*e);
                let float = float_path(self.g.float);
                quote!((#e) as #float)
            }
            Op::DynIndex { index, items } => {
                let i = slot_ident('i', *index);
                let items = items.iter().map(r);
                quote!([#(#items),*][#i])
            }
            Op::Load {
                array,
                index,
                inner,
            } => {
                let (a, i) = (self.array_name(*array), slot_ident('i', *index));
                let j = inner.map(|j| {
                    let j = slot_ident('i', j);
                    quote!([#j])
                });
                quote!(#a[#i] #j)
            }
            Op::IndexIs { index, at } => {
                let i = slot_ident('i', *index);
                let at = Literal::u32_unsuffixed(*at);
                let (zero, one) = (self.lit(0.0), self.lit(1.0));
                quote!(if #i == #at { #one } else { #zero })
            }
            Op::Const(_)
            | Op::Param { .. }
            | Op::Opaque
            | Op::Bound(_)
            | Op::Call { .. }
            | Op::CallGrad { .. }
            | Op::CallHess { .. } => unreachable!("leaves are bound by statements"),
        }
    }
}
