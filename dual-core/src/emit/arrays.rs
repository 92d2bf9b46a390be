//! Arrays of the IR and the loops kept as loops, as Rust: `let mut __a3 = [0.0; C];`,
//! `__d4[__i7] += __t12;`, and a forward `for` with its backward mirror, which recomputes the
//! body's values (or pops those of the carried floats the forward loop stored) and accumulates
//! the adjoints.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::Emitter;
use crate::ir::{
    ArrayId, ArrayInit, ArrayKind, BlockId, DeclareArray, ForStmt, NodeId, Stmt, Store,
};
use crate::tokens::{float_path, local_ident};

impl Emitter<'_> {
    /// How the code names an array: a parameter by its name, the others by generated locals.
    pub fn array_name(&self, a: ArrayId) -> TokenStream {
        match &self.g.array(a).kind {
            ArrayKind::Param { name, .. } => quote!(#name),
            ArrayKind::Local => {
                let id = local_ident('a', a.0);
                quote!(#id)
            }
            ArrayKind::Adjoint { .. } => {
                let id = local_ident('d', a.0);
                quote!(#id)
            }
        }
    }

    /// `let mut a = [0.0; N];` or `let mut a = [e0, e1, …];`.
    pub(super) fn declare_array(&self, d: &DeclareArray) -> TokenStream {
        // Arrays are declared at the start of the function (see `tapes`), so that the backward
        // code sees them wherever the forward code filled them; a local array starts here.
        if self.recomputing.get().is_some()
            || matches!(self.g.array(d.array).kind, ArrayKind::Adjoint { .. })
        {
            return TokenStream::new();
        }
        let name = self.array_name(d.array);
        let value = self.initial_value(d);
        quote!(#name = #value;)
    }

    /// The elements of an array when it is declared.
    fn initial_value(&self, d: &DeclareArray) -> TokenStream {
        match &d.init {
            ArrayInit::Fill(v) => {
                let (v, info) = (self.lit(*v), self.g.array(d.array));
                let len = &info.len;
                let element = match &info.inner_len {
                    Some(inner) => quote!([#v; #inner]),
                    None => v,
                };
                if info.on_heap {
                    quote!(::std::vec![#element; #len])
                } else {
                    quote!([#element; #len])
                }
            }
            ArrayInit::Elements(items) => {
                let items = items.iter().map(|n| self.node_ref(*n));
                quote!([#(#items),*])
            }
        }
    }

    fn declaration(&self, d: &DeclareArray) -> TokenStream {
        let (name, value) = (self.array_name(d.array), self.initial_value(d));
        quote!(let mut #name = #value;)
    }

    /// `a[i] = v;` / `a[i] += v;` (not repeated where a body is recomputed: the array holds its
    /// final values, which are the ones the backward loop reads).
    pub(super) fn store(&self, st: &Store) -> TokenStream {
        if self.recomputing.get().is_some() {
            return TokenStream::new();
        }
        let (a, i, v) = (
            self.array_name(st.array),
            crate::tokens::slot_ident('i', st.index),
            self.node_ref(st.value),
        );
        let j = st.inner.map(|j| {
            let j = crate::tokens::slot_ident('i', j);
            quote!([#j])
        });
        if st.accumulate {
            quote!(#a[#i] #j += #v;)
        } else {
            quote!(#a[#i] #j = #v;)
        }
    }

    /// What the loops kept as loops share across the function, declared once at its start: the
    /// adjoint arrays (zeros), and the tapes of the carried floats that backward loops read (so
    /// that a loop in a branch and its mirror see the same tape).
    pub fn tapes(&self) -> TokenStream {
        let f = float_path(self.g.float);
        let mut out = TokenStream::new();
        for block in &self.g.blocks {
            for stmt in &block.stmts {
                if let Stmt::DeclareArray(d) = stmt {
                    out.extend(self.declaration(d));
                }
                let Stmt::For(fs) = stmt else { continue };
                if fs.is_backward() {
                    continue;
                }
                if fs.exit.is_some() {
                    let count = count_ident(fs.id);
                    out.extend(quote!(let mut #count: usize = 0;));
                }
                for (k, taped) in self.taped(fs).into_iter().enumerate() {
                    if !taped {
                        continue;
                    }
                    let tape = tape_ident(fs.id, k);
                    out.extend(match self.stack_tape(fs) {
                        Some(bound) => {
                            let (len, zero) = (tape_len_ident(fs.id, k), self.lit(0.0));
                            quote!(let mut #tape = [#zero; #bound]; let mut #len: usize = 0;)
                        }
                        None => {
                            quote!(let mut #tape: ::std::vec::Vec<#f> = ::std::vec::Vec::new();)
                        }
                    });
                }
            }
        }
        out
    }

    /// The length of a loop's tapes when they are stack arrays: a loop whose trip count has a
    /// constant bound, and that no other loop repeats (whose tapes would grow beyond it).
    fn stack_tape<'f>(&self, f: &'f ForStmt) -> Option<&'f TokenStream> {
        let bound = f.trip_bound.as_ref()?;
        let parent = self.g.block(f.body).parent?;
        (!self.rolled.rolled_blocks.contains(&parent)).then_some(bound)
    }

    /// `tape.push(v)`.
    fn push(&self, f: &ForStmt, k: usize, v: &Ident) -> TokenStream {
        let tape = tape_ident(f.id, k);
        match self.stack_tape(f) {
            Some(_) => {
                let len = tape_len_ident(f.id, k);
                quote!(#tape[#len] = #v; #len += 1;)
            }
            None => quote!(#tape.push(#v);),
        }
    }

    /// `let v = tape.pop();`.
    fn pop(&self, f: &ForStmt, k: usize, v: &Ident) -> TokenStream {
        let tape = tape_ident(f.id, k);
        match self.stack_tape(f) {
            Some(_) => {
                let len = tape_len_ident(f.id, k);
                quote!(#len -= 1; let #v = #tape[#len];)
            }
            None => {
                let zero = self.lit(0.0);
                quote!(let #v = #tape.pop().unwrap_or(#zero);)
            }
        }
    }

    /// Per state of a forward loop: whether its backward mirror reads its value at the start of
    /// each iteration (then the forward loop stores it).
    fn taped(&self, f: &ForStmt) -> Vec<bool> {
        let rec = self.rolled.recompute.get(&f.id);
        f.states
            .iter()
            .map(|st| rec.is_some_and(|r| r[st.current.0 as usize]))
            .collect()
    }

    /// A forward loop, or the backward mirror of one.
    pub(super) fn for_stmt(&self, f: &ForStmt) -> TokenStream {
        if let Some(fwd) = &f.forward {
            if self.fused.borrow().contains(&fwd.id) {
                return TokenStream::new();
            }
            return self.backward_for(f, fwd);
        }
        if let Some(back) = self.fusable(f) {
            return self.fused_for(f, back);
        }
        let taped = self.taped(f);
        let running: Vec<usize> = (0..f.states.len())
            .filter(|&k| taped[k] || self.emits(f.states[k].out))
            .collect();
        if running.is_empty() && self.skippable(f) {
            return TokenStream::new();
        }
        let state = |k: usize| local_ident('t', f.states[k].out.0);
        let init = running.iter().map(|&k| {
            let (name, v) = (state(k), self.node_ref(f.states[k].init));
            quote!(let mut #name = #v;)
        });
        let enter = running.iter().map(|&k| {
            let (name, current) = (state(k), local_ident('t', f.states[k].current.0));
            let push = taped[k].then(|| self.push(f, k, &current));
            quote!(let #current = #name; #push)
        });
        let update = running.iter().map(|&k| {
            let (name, v) = (state(k), self.node_ref(f.states[k].next));
            quote!(#name = #v;)
        });
        let (pattern, range) = (&f.pattern, &f.range);
        let body = self.block(f.body);
        // After a `break`, the iterations that ran are counted for the backward loop.
        let (start, count, exit) = match f.exit {
            Some(flag) => {
                let (count, flag, half) = (count_ident(f.id), self.node_ref(flag), self.lit(0.5));
                (
                    quote!(#count = 0;),
                    quote!(#count += 1;),
                    quote!(if #flag > #half { break; }),
                )
            }
            None => Default::default(),
        };
        quote! {
            #(#init)*
            #start
            for #pattern in #range {
                #count
                #(#enter)*
                #body
                #(#update)*
                #exit
            }
        }
    }

    /// Whether a forward loop with no state to carry may be left out: it computes nothing the
    /// code needs here. In the forward code, only if its backward mirror repeats its bounds
    /// checks in the same order; where a body is recomputed, the forward code made them already.
    fn skippable(&self, f: &ForStmt) -> bool {
        if f.exit.is_some() {
            return false;
        }
        let recomputing = self.recomputing.get().is_some();
        if !recomputing
            && (!self.rolled.recompute.contains_key(&f.id)
                || self.rolled.ordered.get(&f.id).copied().unwrap_or(true)
                || self.backward_order_is_reversed(f))
        {
            return false;
        }
        let blocks = self.g.nested_blocks(f.body);
        blocks.iter().all(|b| {
            self.g.block(*b).stmts.iter().all(|s| match s {
                Stmt::Node(n) => !self.emits(*n) || self.g.op(*n).is_leaf(),
                Stmt::Bind { node, .. } => !self.emits(*node),
                Stmt::Index { .. } | Stmt::Cond { .. } | Stmt::Int { .. } => true,
                Stmt::Store(_) | Stmt::DeclareArray(_) => recomputing,
                Stmt::For(inner) => inner.states.iter().all(|st| !self.emits(st.out)),
                _ => false,
            })
        })
    }

    /// Whether a backward loop runs its iterations last to first: when it pops stored values, or
    /// when the forward loop overwrites array elements (a later write hides an earlier one).
    fn backward_order_is_reversed(&self, fwd: &ForStmt) -> bool {
        if self.taped(fwd).contains(&true) {
            return true;
        }
        let blocks = self.g.nested_blocks(fwd.body);
        blocks.iter().any(|b| {
            self.g
                .block(*b)
                .stmts
                .iter()
                .any(|s| matches!(s, Stmt::Store(st) if !st.accumulate))
        })
    }

    /// The backward mirror of `fwd`: the forward body recomputed, then the adjoints.
    fn backward_for(&self, f: &ForStmt, fwd: &ForStmt) -> TokenStream {
        let live: Vec<usize> = (0..f.states.len())
            .filter(|&k| self.emits(f.states[k].out))
            .collect();
        if live.is_empty() && !self.has_effects(f.body) {
            return TokenStream::new();
        }
        let state = |k: usize| local_ident('t', f.states[k].out.0);
        let init = live.iter().map(|&k| {
            let (name, v) = (state(k), self.node_ref(f.states[k].init));
            quote!(let mut #name = #v;)
        });
        let enter = live.iter().map(|&k| {
            let (name, current) = (state(k), local_ident('t', f.states[k].current.0));
            quote!(let #current = #name;)
        });
        let update = live.iter().map(|&k| {
            let (name, v) = (state(k), self.node_ref(f.states[k].next));
            quote!(#name = #v;)
        });
        let pops: Vec<TokenStream> = self
            .taped(fwd)
            .into_iter()
            .enumerate()
            .filter(|(_, t)| *t)
            .map(|(k, _)| self.pop(fwd, k, &local_ident('t', fwd.states[k].current.0)))
            .collect();
        let outer = self.recomputing.replace(Some(fwd.id));
        let recomputed = self.block(fwd.body);
        self.recomputing.set(outer);
        let adjoints = self.block(f.body);
        let (pattern, range) = (&fwd.pattern, &fwd.range);
        let reversed = f.ordered || self.backward_order_is_reversed(fwd);
        let header = match (fwd.exit, reversed) {
            (None, true) => quote!(for #pattern in (#range).rev()),
            (None, false) => quote!(for #pattern in #range),
            // The iterations that ran before a `break`.
            (Some(_), false) => {
                let count = count_ident(fwd.id);
                quote!(for #pattern in (#range).take(#count))
            }
            (Some(_), true) => {
                let count = count_ident(fwd.id);
                quote!(for #pattern in (#range).take(#count).collect::<::std::vec::Vec<_>>().into_iter().rev())
            }
        };
        quote! {
            #(#init)*
            #header {
                #(#pops)*
                #recomputed
                #(#enter)*
                #adjoints
                #(#update)*
            }
        }
    }

    /// The backward mirror of `f` if the two can run as one loop: the mirror runs first to last,
    /// only adds to adjoint arrays, and reads nothing that the code after the forward loop
    /// computes (as a sum whose adjoint is a constant: `s += …` as the result).
    fn fusable(&self, f: &ForStmt) -> Option<&ForStmt> {
        if self.recomputing.get().is_some() || self.fusing.get().is_some() {
            return None;
        }
        let back = self.rolled.mirrors.get(&f.id)?;
        if back.ordered || self.backward_order_is_reversed(f) || f.exit.is_some() {
            return None;
        }
        let back_blocks = self.g.nested_blocks(back.body);
        let fwd_blocks = self.g.nested_blocks(f.body);
        let first = self.g.block(f.body).stmts.iter().find_map(|s| match s {
            Stmt::Node(n) => Some(*n),
            _ => None,
        })?;
        let parent = self.g.block(f.body).parent?;
        // At the top level of the function, so that what the mirror computes is in scope for the
        // rest of the backward code.
        if self.g.block(parent).parent.is_some() {
            return None;
        }
        let visible = &self.g.block(parent).visible;
        // Available where the forward loop starts: a constant, or computed before it.
        let available = |n: NodeId| {
            let home = self.g.home[n.0 as usize];
            self.g.constant(n).is_some()
                || fwd_blocks.contains(&home)
                || back_blocks.contains(&home)
                || (n < first && visible.contains(&home))
        };
        for b in &back_blocks {
            for stmt in &self.g.block(*b).stmts {
                match stmt {
                    Stmt::Node(n) if self.is_live(*n) => {
                        let op = self.g.op(*n);
                        if matches!(op, crate::ir::Op::Load { .. }) {
                            return None;
                        }
                        if !op.children().into_iter().all(available) {
                            return None;
                        }
                    }
                    Stmt::Node(_) | Stmt::Index { .. } | Stmt::Cond { .. } | Stmt::Int { .. } => {}
                    Stmt::Store(st) if st.accumulate => {}
                    _ => return None,
                }
            }
        }
        back.states
            .iter()
            .all(|st| available(st.init))
            .then_some(back)
    }

    /// A forward loop and its backward mirror as one loop: the forward body (what either needs),
    /// then the adjoints.
    fn fused_for(&self, f: &ForStmt, back: &ForStmt) -> TokenStream {
        self.fused.borrow_mut().push(f.id);
        let state = |st: &crate::ir::LoopState| local_ident('t', st.out.0);
        let fwd_states: Vec<usize> = (0..f.states.len())
            .filter(|&k| self.emits(f.states[k].out))
            .collect();
        let back_states: Vec<usize> = (0..back.states.len())
            .filter(|&k| self.emits(back.states[k].out))
            .collect();
        let mut init = TokenStream::new();
        let mut enter = TokenStream::new();
        let mut update = TokenStream::new();
        for (states, ks) in [(&f.states, &fwd_states), (&back.states, &back_states)] {
            for &k in ks {
                let st = &states[k];
                let (name, v) = (state(st), self.node_ref(st.init));
                init.extend(quote!(let mut #name = #v;));
                let current = local_ident('t', st.current.0);
                enter.extend(quote!(let #current = #name;));
                let next = self.node_ref(st.next);
                update.extend(quote!(#name = #next;));
            }
        }
        let outer = self.fusing.replace(Some(f.id));
        let body = self.block(f.body);
        self.fusing.set(outer);
        let adjoints = self.block(back.body);
        let (pattern, range) = (&f.pattern, &f.range);
        quote! {
            #init
            for #pattern in #range {
                #enter
                #body
                #adjoints
                #update
            }
        }
    }

    /// Whether a backward body writes adjoint arrays (its effects beyond its states).
    fn has_effects(&self, body: BlockId) -> bool {
        let blocks = self.g.nested_blocks(body);
        blocks.iter().any(|b| {
            self.g
                .block(*b)
                .stmts
                .iter()
                .any(|s| matches!(s, Stmt::Store(_) | Stmt::For(_)))
        })
    }
}

/// The tape of state `k` of loop `id`.
fn tape_ident(id: u32, k: usize) -> Ident {
    Ident::new(&format!("__tape{id}_{k}"), Span::mixed_site())
}

/// The number of iterations loop `id` ran (for a loop with `break`).
fn count_ident(id: u32) -> Ident {
    Ident::new(&format!("__count{id}"), Span::mixed_site())
}

/// The number of values on tape `k` of loop `id`, when the tape is a stack array.
fn tape_len_ident(id: u32, k: usize) -> Ident {
    Ident::new(&format!("__tape{id}_{k}_len"), Span::mixed_site())
}

/// Whether a statement is a macro invocation (`println!(…);`).
pub(super) fn is_macro_call(t: &TokenStream) -> bool {
    let mut it = t.clone().into_iter();
    matches!(
        (it.next(), it.next()),
        (Some(proc_macro2::TokenTree::Ident(_)), Some(proc_macro2::TokenTree::Punct(p))) if p.as_char() == '!'
    )
}
