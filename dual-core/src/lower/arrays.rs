//! Arrays as values of the IR: a differentiated parameter `[f64; N]` whose length the macro does
//! not see, a parameter array indexed at run time, and a local array `[0.0; N]` the body fills.
//! Each element read is a constant-time `Op::Load`, each write a `Stmt::Store`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::Expr;

use crate::ir::{
    ArrayId, ArrayInit, ArrayKind, Binary, DeclareArray, IndexBound, Op, Shape, SlotId, Stmt, Store,
};

use super::env::Val;
use super::Lower;

impl Lower {
    /// Whether run-time indices may read and write arrays of the IR here: not in code that is
    /// differentiated twice, nor in a loop whose derivative is carried forwards.
    pub(super) fn arrays_allowed(&self) -> bool {
        !self.second_order && self.runtime_loop_depth == 0
    }

    /// The differentiated array parameter whose elements are exactly `items`, in order.
    pub(super) fn param_of(&self, items: &[Shape]) -> Option<u32> {
        let mut param = None;
        for (j, item) in items.iter().enumerate() {
            let Shape::Scalar(n) = item else { return None };
            match *self.g.op(*n) {
                Op::Param {
                    param: p,
                    index: Some(i),
                } if i as usize == j && param.is_none_or(|q| q == p) => param = Some(p),
                _ => return None,
            }
        }
        let param = param?;
        self.param_arrays.get(param as usize)?.as_ref()?;
        Some(param)
    }

    /// The array of a differentiated parameter whose elements are exactly `items`, created on
    /// first use.
    pub(super) fn param_array_of(&mut self, items: &[Shape]) -> Option<ArrayId> {
        let param = self.param_of(items)?;
        if let Some(i) = self
            .g
            .arrays
            .iter()
            .position(|a| matches!(a.kind, ArrayKind::Param { param: p, .. } if p == param))
        {
            return Some(ArrayId(i as u32));
        }
        let (name, len) = self.param_arrays.get(param as usize)?.clone()?;
        Some(
            self.g
                .new_array(ArrayKind::Param { param, name }, len, true),
        )
    }

    /// `index` bound to a checked `usize` for `array` (with `row`: into that row of an array of
    /// arrays).
    fn index_slot(&mut self, array: ArrayId, row: Option<SlotId>, index: &Expr) -> SlotId {
        let tokens = index.to_token_stream();
        // The same index of the same array read again in the same block, with no user statement
        // in between that could change what it reads: the same element.
        let key = (self.g.cur, array, format!("{row:?} {tokens}"));
        if let Some(&slot) = self.index_cache.get(&key) {
            return slot;
        }
        self.materialize(tokens.clone());
        let slot = self.g.slot();
        self.index_cache.insert(key, slot);
        let bound = match row {
            Some(row) => IndexBound::Row(array, row),
            None => IndexBound::Array(array),
        };
        self.g.push(Stmt::Index {
            slot,
            expr: tokens,
            bound,
        });
        slot
    }

    /// The slots of `array[index]` or `array[index][inner]`.
    fn element_slots(
        &mut self,
        array: ArrayId,
        index: &Expr,
        inner: Option<&Expr>,
    ) -> (SlotId, Option<SlotId>) {
        let slot = self.index_slot(array, None, index);
        let inner = inner.map(|j| self.index_slot(array, Some(slot), j));
        (slot, inner)
    }

    /// `array[index]`, or `array[index][inner]` for an array of arrays.
    pub(super) fn load(&mut self, array: ArrayId, index: &Expr, inner: Option<&Expr>) -> Val {
        if inner.is_some() != self.g.array(array).inner_len.is_some() {
            return self.unsupported(index, "a whole row of a matrix (index it fully: `w[r][c]`)");
        }
        let (index_slot, inner) = self.element_slots(array, index, inner);
        let node = self.g.intern(
            Op::Load {
                array,
                index: index_slot,
                inner,
            },
            index.span(),
        );
        Val::Sym(Shape::Scalar(node))
    }

    /// `[v; len]` (with `inner_len`: `[[v; inner_len]; len]`) with a constant `v`, as a local
    /// array of the IR.
    pub(super) fn local_array(
        &mut self,
        fill: f64,
        len: TokenStream,
        inner_len: Option<TokenStream>,
    ) -> Val {
        let array = self.g.new_array(ArrayKind::Local, len, false);
        self.g.arrays[array.0 as usize].inner_len = inner_len;
        self.g.push(Stmt::DeclareArray(DeclareArray {
            array,
            init: ArrayInit::Fill(fill),
        }));
        Val::Sym(Shape::ArrayVar(array))
    }

    /// `array[index] = rhs` (or `array[index][inner]`), or `op=`.
    pub(super) fn store(
        &mut self,
        array: ArrayId,
        (index, inner): (&Expr, Option<&Expr>),
        op: Option<Binary>,
        rhs: &Expr,
        span: Span,
    ) {
        if !matches!(self.g.array(array).kind, ArrayKind::Local) {
            self.error(
                span,
                "a parameter array cannot be written; copy it into a local array first",
            );
            return;
        }
        if inner.is_some() != self.g.array(array).inner_len.is_some() {
            self.error(
                span,
                "write single elements of a matrix (`z[r][c] = …`), not whole rows",
            );
            return;
        }
        let (index_slot, inner) = self.element_slots(array, index, inner);
        let value = self.lower_expr(rhs);
        let Some(value) = self.scalar(value, rhs.span()) else {
            return;
        };
        let (value, accumulate) = match op {
            None => (value, false),
            Some(Binary::Add) => (value, true),
            Some(Binary::Sub) => (self.g.neg(value, span), true),
            Some(op) => {
                let old = self.g.intern(
                    Op::Load {
                        array,
                        index: index_slot,
                        inner,
                    },
                    span,
                );
                (self.g.binary(op, old, value, span), false)
            }
        };
        if self.g.is_active(value) {
            self.g.arrays[array.0 as usize].active = true;
        }
        self.index_cache.retain(|(_, a, _), _| *a != array);
        self.g.push(Stmt::Store(Store {
            array,
            index: index_slot,
            inner,
            value,
            accumulate,
        }));
    }
}
