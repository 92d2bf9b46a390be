//! Arrays and tuples of floats: literals (`[a, b]`, `[v; N]`, `(a, b)`), indexing and tuple
//! fields (a constant index picks an element, an index known only at run time selects among the
//! elements), and the places (`x[0]`, `t.1`) assignments write to.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::front::types::literal_len;
use crate::ir::{IndexBound, NodeId, Op, Shape, Stmt};

use super::env::{Binding, Val};
use super::syntax::is_float_const_expr;
use super::Lower;

/// A place an assignment writes to: a variable, or an element or field inside it.
pub(super) struct Place {
    /// The variable.
    pub(super) root: Ident,
    /// The constant indices (array elements, tuple fields) from the variable to the place.
    pub(super) path: Vec<PlaceStep>,
}

/// One step of a [`Place`]'s path.
pub(super) struct PlaceStep {
    /// The element or field.
    pub(super) index: usize,
    /// Where the index is written.
    pub(super) span: Span,
}

impl Lower {
    /// `x`, `x[0]`, `x[i + 1]`, `x.1`: the variable and the constant path into it.
    pub(super) fn place_of(&self, e: &Expr) -> Option<Place> {
        match e {
            Expr::Path(p) => p.path.get_ident().map(|i| Place {
                root: i.clone(),
                path: Vec::new(),
            }),
            Expr::Paren(p) => self.place_of(&p.expr),
            Expr::Index(ix) => {
                let mut place = self.place_of(&ix.expr)?;
                place.path.push(PlaceStep {
                    index: self.const_index(&ix.index)?,
                    span: ix.index.span(),
                });
                Some(place)
            }
            Expr::Field(f) => {
                let syn::Member::Unnamed(i) = &f.member else {
                    return None;
                };
                let mut place = self.place_of(&f.base)?;
                place.path.push(PlaceStep {
                    index: i.index as usize,
                    span: i.span,
                });
                Some(place)
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
            bound: IndexBound::Len(items.len()),
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

    /// `[a, b, …]`: an array of floats, kept symbolic when it reads symbolic values or is a
    /// constant.
    pub(super) fn lower_array(&mut self, e: &Expr, a: &syn::ExprArray) -> Val {
        if !self.touches_symbolic(e.to_token_stream()) && !is_float_const_expr(e, self.g.float) {
            return Val::Tokens(e.to_token_stream());
        }
        Val::Sym(Shape::Array(self.lower_elements(&a.elems)))
    }

    /// `[v; N]` with a literal length.
    pub(super) fn lower_repeat(&mut self, e: &Expr, r: &syn::ExprRepeat) -> Val {
        if !self.touches_symbolic(e.to_token_stream()) && !is_float_const_expr(e, self.g.float) {
            return Val::Tokens(e.to_token_stream());
        }
        // `[[v; C]; R]` with a length the macro does not see: a matrix of the IR.
        if let Expr::Repeat(row) = &*r.expr {
            let fill = float_literal_value(&row.expr);
            let unseen = literal_len(&r.len).is_none() || literal_len(&row.len).is_none();
            if let (Some(v), true, true) = (fill, unseen, self.arrays_allowed()) {
                return self.local_array(
                    v,
                    r.len.to_token_stream(),
                    Some(row.len.to_token_stream()),
                );
            }
        }
        let Some(n) = literal_len(&r.len) else {
            let fill = float_literal_value(&r.expr);
            return match (fill, self.arrays_allowed()) {
                (Some(v), true) => self.local_array(v, r.len.to_token_stream(), None),
                // Data, as before arrays of the IR existed.
                (Some(_), false) => Val::Tokens(e.to_token_stream()),
                (None, _) => {
                    self.unsupported(e, "an array repeat `[v; N]` with a non-literal length")
                }
            };
        };
        // A long one (`[0.0; 1000]`) is an array of the IR too, like one of a `const` length:
        // as a bag of scalars its loops would be unrolled and its code grow with its length.
        if let (Some(v), true, true) = (
            float_literal_value(&r.expr),
            n > super::rolled::MAX_UNROLLED,
            self.arrays_allowed(),
        ) {
            return self.local_array(v, r.len.to_token_stream(), None);
        }
        let item = self.lower_element(&r.expr);
        Val::Sym(Shape::Array(vec![item; n]))
    }

    /// `(a, b, …)`: a tuple of floats.
    pub(super) fn lower_tuple(&mut self, e: &Expr, t: &syn::ExprTuple) -> Val {
        if t.elems.is_empty()
            || (!self.touches_symbolic(e.to_token_stream())
                && !is_float_const_expr(e, self.g.float))
        {
            return Val::Tokens(e.to_token_stream());
        }
        Val::Sym(Shape::Tuple(self.lower_elements(&t.elems)))
    }

    /// The elements of an array or tuple literal, in order.
    fn lower_elements<'a>(&mut self, elems: impl IntoIterator<Item = &'a Expr>) -> Vec<Shape> {
        elems.into_iter().map(|el| self.lower_element(el)).collect()
    }

    /// One element of an array or tuple: an inactive float becomes a node.
    fn lower_element(&mut self, el: &Expr) -> Shape {
        match self.lower_expr(el) {
            Val::Sym(s) => s,
            Val::Tokens(t) => Shape::Scalar(self.bind_opaque(t, el.span())),
        }
    }

    /// `a[i]`: a constant index picks the element, another one selects at run time.
    pub(super) fn lower_index(&mut self, e: &Expr, ix: &syn::ExprIndex) -> Val {
        // `w[r][c]` of a matrix read in place.
        if let Expr::Index(row) = &*ix.expr {
            if let Some(array) = self.matrix_named(&row.expr) {
                if self.arrays_allowed() {
                    return self.load(array, &row.index, Some(&ix.index));
                }
            }
        }
        match self.lower_expr(&ix.expr) {
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
                // In a loop kept a loop, an element of a parameter array is read in place;
                // elsewhere a small array's elements are selected.
                None => match (self.arrays_allowed() && self.rolled_depth > 0)
                    .then(|| self.param_array_of(&items))
                    .flatten()
                {
                    Some(array) => self.load(array, &ix.index, None),
                    None => self.dynamic_index(&ix.index, &items),
                },
            },
            Val::Sym(Shape::ArrayVar(array)) if self.arrays_allowed() => {
                self.load(array, &ix.index, None)
            }
            Val::Sym(Shape::ArrayVar(_)) => {
                self.error_at(
                    e,
                    "this array is read in place (its length is not a literal, or it is a \
                     reference or a slice); it can be indexed in straight-line code and in `for` \
                     loops over ranges, not in a `while` or `loop` loop, a loop over another \
                     iterable, or a function with `hessian`",
                );
                self.poison()
            }
            v if self.is_poisoned(&v) => v,
            Val::Sym(_) => self.unsupported(e, "indexing a value that is not an array"),
            Val::Tokens(_) => self.read(e),
        }
    }

    /// The matrix of the IR a path names, if it does.
    pub(super) fn matrix_named(&self, e: &Expr) -> Option<crate::ir::ArrayId> {
        let Expr::Path(p) = e else { return None };
        match self.env.lookup(&p.path.get_ident()?.to_string()) {
            Some(Binding::Sym {
                value: Shape::ArrayVar(a),
                ..
            }) if self.g.array(*a).inner_len.is_some() => Some(*a),
            _ => None,
        }
    }

    /// `t.0`: a field of a tuple.
    pub(super) fn lower_field(&mut self, e: &Expr, f: &syn::ExprField) -> Val {
        match self.lower_expr(&f.base) {
            v if self.is_poisoned(&v) => v,
            Val::Sym(Shape::Tuple(items)) => match &f.member {
                syn::Member::Unnamed(i) if (i.index as usize) < items.len() => {
                    Val::Sym(items[i.index as usize].clone())
                }
                member => {
                    let member = member.to_token_stream();
                    self.error_at(
                        e,
                        format!(
                            "this tuple of differentiated values has {} elements, and no field \
                             `{member}`",
                            items.len()
                        ),
                    );
                    self.poison()
                }
            },
            Val::Sym(_) => self.unsupported(e, "field access"),
            Val::Tokens(_) => self.read(e),
        }
    }
}

/// The value of a float literal (`0.0`, `-1.5`, `0.0f64`, `1.0_f32`).
fn float_literal_value(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) => f.base10_parse().ok(),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<i64>().ok().map(|v| v as f64),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => float_literal_value(expr).map(|v| -v),
        Expr::Paren(p) => float_literal_value(&p.expr),
        _ => None,
    }
}
