//! Indexing and tuple fields: constant indices pick an element, indices known only at run time
//! select among the elements; and the places (`x[0]`, `t.1`) assignments write to.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::ir::{NodeId, Op, Shape, Stmt};

use super::env::Val;
use super::Lower;

impl Lower {
    /// `x`, `x[0]`, `x[i + 1]`, `x.1`: the variable and the constant path into it.
    pub(super) fn place_of(&self, e: &Expr) -> Option<(Ident, Vec<(usize, Span)>)> {
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

    /// `a[i]` with an index known at run time: `[a0, a1, …][i]`, per scalar of the elements.
    pub(super) fn dynamic_index(&mut self, index: &Expr, items: &[Shape]) -> Val {
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
}
