//! Emission: the IR as Rust statements.
//!
//! Only what the requested outputs need is emitted (liveness from the roots), except user
//! statements, which always run in program order. A forward node that the backward sweep needs but
//! that lives inside a branch is *saved*: the forward `if` returns it in its tuple (a placeholder
//! in the other branch, which the backward `if` on the same condition never reads).

use std::collections::{BTreeSet, HashMap};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::ir::{
    local_ident, slot_ident, BlockId, BoolVal, CallArg, CallResult, CallStmt, Exponent, FloatTy,
    Graph, IfStmt, LoopHeader, LoopState, LoopStmt, NodeId, Op, Shape, SlotId, Stmt, Sweep,
};
use crate::ir::{Binary, Cmp, Unary};

/// Something a forward `if` carries out for the backward sweep.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Saved {
    Node(NodeId),
    Cond(SlotId),
    Int(SlotId),
    Index(SlotId),
}

/// Emits the code of one companion function.
pub struct Emitter<'g> {
    g: &'g Graph,
    live: Vec<bool>,
    /// Per forward `if` (keyed by its `then` block): what it saves.
    saves: HashMap<BlockId, Vec<Saved>>,
    /// The local of each live node.
    names: Vec<Option<Ident>>,
}

impl<'g> Emitter<'g> {
    /// Prepares emission of everything `roots` needs.
    pub fn new(g: &'g Graph, roots: &[NodeId]) -> Self {
        let mut outs: HashMap<NodeId, (NodeId, NodeId)> = HashMap::new();
        let mut owner: HashMap<BlockId, (BlockId, BlockId)> = HashMap::new(); // block → (parent, then)
        let mut work: Vec<NodeId> = roots.to_vec();
        for (bi, block) in g.blocks.iter().enumerate() {
            for stmt in &block.stmts {
                match stmt {
                    Stmt::If(ifs) => {
                        for fo in &ifs.floats {
                            outs.insert(fo.node, (fo.then, fo.other));
                        }
                        owner.insert(ifs.then, (BlockId(bi as u32), ifs.then));
                        owner.insert(ifs.other, (BlockId(bi as u32), ifs.then));
                    }
                    Stmt::User { value, .. } => work.extend(value.leaves()),
                    Stmt::Loop(l) => {
                        if let LoopHeader::While { reads, .. } = &l.header {
                            work.extend(reads.iter().map(|(_, out)| *out));
                        }
                        work.extend(l.exit);
                        for st in &l.states {
                            outs.insert(st.out, (st.next, st.init));
                            outs.insert(st.current, (st.out, st.out));
                        }
                    }
                    Stmt::Call(c) => {
                        for a in &c.args {
                            match a {
                                CallArg::Scalar(n) => work.push(*n),
                                CallArg::Array(ns) => work.extend(ns),
                                CallArg::Tokens(_) => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut live = vec![false; g.nodes.len()];
        while let Some(n) = work.pop() {
            if std::mem::replace(&mut live[n.0 as usize], true) {
                continue;
            }
            work.extend(g.op(n).children());
            if let Some((t, e)) = outs.get(&n) {
                work.push(*t);
                work.push(*e);
            }
        }

        // What a later sweep reads from inside branches of an earlier one.
        let mut needed: BTreeSet<Saved> = BTreeSet::new();
        let earlier_branch = |b: BlockId, reader: Sweep| {
            let block = g.block(b);
            block.parent.is_some() && block.sweep < reader
        };
        let note_node = |n: NodeId, reader: Sweep, needed: &mut BTreeSet<Saved>| {
            if g.constant(n).is_none() && earlier_branch(g.home[n.0 as usize], reader) {
                needed.insert(Saved::Node(n));
            }
        };
        let note_slot = |s: SlotId, item: Saved, reader: Sweep, needed: &mut BTreeSet<Saved>| {
            if earlier_branch(g.slot_home[s.0 as usize], reader) {
                needed.insert(item);
            }
        };
        for (i, op) in g.nodes.iter().enumerate() {
            let reader = g.block(g.home[i]).sweep;
            if !live[i] || reader == Sweep::FORWARD {
                continue;
            }
            for c in op.children() {
                note_node(c, reader, &mut needed);
            }
            match op {
                Op::Powi(_, Exponent { slot: Some(s), .. })
                | Op::IntAsFloat(Exponent { slot: Some(s), .. }) => {
                    note_slot(*s, Saved::Int(*s), reader, &mut needed);
                }
                Op::DynIndex { index: s, .. } | Op::IndexIs { index: s, .. } => {
                    note_slot(*s, Saved::Index(*s), reader, &mut needed);
                }
                _ => {}
            }
        }
        for block in &g.blocks {
            let reader = block.sweep;
            if reader == Sweep::FORWARD {
                continue;
            }
            for stmt in &block.stmts {
                if let Stmt::If(ifs) = stmt {
                    for fo in ifs.floats.iter().filter(|fo| live[fo.node.0 as usize]) {
                        note_node(fo.then, reader, &mut needed);
                        note_node(fo.other, reader, &mut needed);
                    }
                    if let Some(BoolVal::Slot { slot, .. }) = ifs.cond {
                        note_slot(slot, Saved::Cond(slot), reader, &mut needed);
                    }
                }
            }
        }
        let mut saves: HashMap<BlockId, Vec<Saved>> = HashMap::new();
        for item in needed {
            let mut b = match item {
                Saved::Node(n) => g.home[n.0 as usize],
                Saved::Cond(s) | Saved::Int(s) | Saved::Index(s) => g.slot_home[s.0 as usize],
            };
            while let Some(&(parent, then)) = owner.get(&b) {
                saves.entry(then).or_default().push(item);
                b = parent;
            }
        }
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
        if !self.is_live(n) || op.is_leaf() || matches!(op, Op::Call { .. }) {
            return;
        }
        // Reported at the user's tokens (e.g. a non-const `sin` in a `const fn`), while names
        // keep their hygiene. Written token by token: this is the bulk of the output.
        let span = self.g.spans[n.0 as usize];
        let mut w = Writer::new(span, std::mem::take(out));
        w.word("let", span);
        w.out.push(self.name(n).into());
        w.punct("=", span);
        if self.expr_direct(op, &mut w).is_err() {
            let expr = located_at(self.expr(op), span);
            w.out.extend(expr);
        }
        w.punct(";", span);
        *out = w.out;
    }

    /// `let [__t0, __t1] = x;` for a differentiated parameter's leaves.
    pub fn bind_param(&self, name: &TokenStream, leaves: &[NodeId], array: bool) -> TokenStream {
        if leaves.iter().all(|n| !self.is_live(*n)) {
            return TokenStream::new();
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
                let float = self.g.float.path();
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
            Stmt::Index { slot, expr, len } => {
                let name = slot_ident('i', *slot);
                let len = Literal::usize_unsuffixed(*len);
                // The bounds check of the function's own `a[i]`, with the same panic.
                quote!(let #name: usize = #expr; let _ = [(); #len][#name];)
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
            Stmt::Verbatim(t) => t.clone(),
            Stmt::If(ifs) => self.if_stmt(ifs),
            Stmt::Call(c) => self.call(c),
            Stmt::Loop(l) => self.loop_stmt(l),
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
        for fo in ifs.floats.iter().filter(|fo| self.is_live(fo.node)) {
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
            Op::MulAdd(a, b, c) => {
                let (a, b, c) = (r(a), r(b), r(c));
                quote!(#a.mul_add(#b, #c))
            }
            Op::Clamp(x, lo, hi) => {
                let (x, lo, hi) = (r(x), r(lo), r(hi));
                quote!(#x.clamp(#lo, #hi))
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
                let float = self.g.float.path();
                quote!((#e) as #float)
            }
            Op::DynIndex { index, items } => {
                let i = slot_ident('i', *index);
                let items = items.iter().map(r);
                quote!([#(#items),*][#i])
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
            | Op::Out
            | Op::Call { .. }
            | Op::CallGrad { .. }
            | Op::CallHess { .. } => unreachable!("leaves are bound by statements"),
        }
    }
}

/// Tokens of one statement, written one by one, located at the user's tokens.
struct Writer {
    out: Vec<TokenTree>,
    /// Call-site resolution at the user's location (keywords, operators, methods, literals).
    call: Span,
    /// Mixed-site resolution at the user's location (the generated locals).
    mixed: Span,
}

impl Writer {
    /// Appends to `out`.
    fn new(at: Span, out: Vec<TokenTree>) -> Self {
        Writer {
            out,
            call: Span::call_site().located_at(at),
            mixed: Span::mixed_site().located_at(at),
        }
    }

    fn new_at(call: Span, mixed: Span) -> Self {
        Writer {
            out: Vec::new(),
            call,
            mixed,
        }
    }

    fn word(&mut self, word: &str, span: Span) {
        self.out.push(Ident::new(word, span).into());
    }

    /// A one-character operator.
    fn punct(&mut self, op: &str, span: Span) {
        let c = op.chars().next().expect("an operator");
        let mut p = Punct::new(c, Spacing::Alone);
        p.set_span(span);
        self.out.push(p.into());
    }

    fn group(&mut self, delimiter: Delimiter, inner: Vec<TokenTree>) {
        let mut g = Group::new(delimiter, inner.into_iter().collect());
        g.set_span(self.call);
        self.out.push(g.into());
    }
}

/// The tokens with their location moved to `span` (name resolution unchanged).
fn located_at(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), located_at(g.stream(), span));
                group.set_span(g.span().located_at(span));
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}

/// A float constant of type `float` as an expression.
pub fn float_literal(v: f64, float: FloatTy) -> TokenStream {
    float_literal_at(v, float, Span::call_site())
}

/// [`float_literal`] with every token at `span`.
fn float_literal_at(v: f64, float: FloatTy, span: Span) -> TokenStream {
    if !v.is_finite() {
        let path = float.path();
        let name = if v.is_nan() {
            quote!(NAN)
        } else if v > 0.0 {
            quote!(INFINITY)
        } else {
            quote!(NEG_INFINITY)
        };
        return located_at(quote!(#path::#name), span);
    }
    let mut lit = match float {
        FloatTy::F64 => Literal::f64_suffixed(v.abs()),
        FloatTy::F32 => Literal::f32_suffixed(v.abs() as f32),
    };
    lit.set_span(span);
    if v.is_sign_negative() {
        let mut minus = Punct::new('-', Spacing::Alone);
        minus.set_span(span);
        let mut group = Group::new(
            Delimiter::Parenthesis,
            [TokenTree::from(minus), lit.into()].into_iter().collect(),
        );
        group.set_span(span);
        TokenTree::from(group).into()
    } else {
        TokenTree::from(lit).into()
    }
}
