//! Assignments `place = value` and `place op= value` to variables, array elements and tuple
//! fields.

use proc_macro2::Span;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::ir::Binary;
use crate::ir::{ArrayId, Shape};

use super::aggregates::{Place, PlaceStep};
use super::env::{Binding, Val};
use super::operators::assign_op_token;
use super::Lower;

impl Lower {
    /// `a[i]` (or `a[i][j]` of a matrix) where `a` is an array of the IR: the array and the
    /// indices.
    #[allow(clippy::type_complexity)]
    fn array_element<'e>(&self, lhs: &'e Expr) -> Option<(ArrayId, (&'e Expr, Option<&'e Expr>))> {
        let Expr::Index(ix) = lhs else { return None };
        if let Expr::Index(row) = &*ix.expr {
            let array = self.matrix_named(&row.expr)?;
            return Some((array, (&row.index, Some(&ix.index))));
        }
        let Expr::Path(p) = &*ix.expr else {
            return None;
        };
        match self.env.lookup(&p.path.get_ident()?.to_string()) {
            Some(Binding::Sym {
                value: Shape::ArrayVar(array),
                ..
            }) => Some((*array, (&ix.index, None))),
            _ => None,
        }
    }

    /// `lhs = rhs` or `lhs op= rhs`.
    pub(super) fn lower_assign(&mut self, lhs: &Expr, op: Option<Binary>, rhs: &Expr, span: Span) {
        if let Some((array, index)) = self.array_element(lhs) {
            self.store(array, index, op, rhs, span);
            return;
        }
        let Some(Place { root: name, path }) = self.place_of(lhs) else {
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
                let t = assignment(lhs, op, rhs);
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
            Some(Binding::Inactive { .. } | Binding::Counter { .. } | Binding::Closure(_))
            | None => {
                if !rhs_active || !path.is_empty() {
                    // Refused only for a differentiated value: a constant the macro holds
                    // (`buf[0] -= c;` after `let c = 0.5;`) is written as it is.
                    let differentiated = self.touches_active(rhs.to_token_stream());
                    self.assign_as_written(lhs, op, rhs, &name, path.is_empty(), differentiated);
                    return;
                }
                // An inactive variable becomes symbolic; its value as written is read only by
                // a compound assignment (so of a float: `w = [x, y];` may replace an array).
                op.map(|_| Shape::Scalar(self.bind_opaque(name.to_token_stream(), name.span())))
            }
        };
        let value = self.lower_expr(rhs);
        let assigned = Assigned { op, rhs, span };
        let updated = if path.is_empty() {
            self.assigned_value(&assigned, current.as_ref(), value)
        } else {
            let Some(whole) = current else {
                self.error(
                    lhs.span(),
                    format!("`{name}` is used before it is assigned"),
                );
                return;
            };
            self.update_in_place(whole, &path, &assigned, value)
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

    /// An assignment to an inactive variable, emitted as written (refused when it would store a
    /// differentiated value into something that is not a float variable). `whole_variable`: the
    /// place is the variable itself, not an element of it.
    fn assign_as_written(
        &mut self,
        lhs: &Expr,
        op: Option<Binary>,
        rhs: &Expr,
        name: &Ident,
        whole_variable: bool,
        rhs_active: bool,
    ) {
        if rhs_active {
            self.error_at(
                lhs,
                format!(
                    "cannot store a differentiated value into `{name}`, which is not \
                     a local float array of known length; declare it as such, e.g. \
                     `let mut {name} = [0.0; 3];`"
                ),
            );
            return;
        }
        let t = assignment(lhs, op, rhs);
        self.materialize(t.clone());
        self.push_verbatim(t);
        if whole_variable && self.is_float_typed(rhs) {
            self.mark_inactive_float(&name.to_string());
        }
    }

    /// The variable `whole` with the element at `path` replaced by the assigned value; `None`
    /// after an error.
    fn update_in_place(
        &mut self,
        mut whole: Shape,
        path: &[PlaceStep],
        assigned: &Assigned,
        value: Val,
    ) -> Option<Shape> {
        let mut place = &mut whole;
        for step in path {
            let problem = match &*place {
                Shape::Array(items) | Shape::Tuple(items) if step.index < items.len() => None,
                Shape::Array(items) | Shape::Tuple(items) => Some(format!(
                    "index {} is out of bounds: this has {} elements",
                    step.index,
                    items.len()
                )),
                _ => Some(
                    "this is a float, not an array or tuple: it has no elements to assign".into(),
                ),
            };
            if let Some(message) = problem {
                self.error(step.span, message);
                return None;
            }
            if let Shape::Array(items) | Shape::Tuple(items) = place {
                place = &mut items[step.index];
            }
        }
        let old = place.clone();
        *place = self.assigned_value(assigned, Some(&old), value)?;
        Some(whole)
    }

    /// The new value of the place: the lowered right-hand side, or `old op value`.
    fn assigned_value(
        &mut self,
        assigned: &Assigned,
        old: Option<&Shape>,
        v: Val,
    ) -> Option<Shape> {
        let Assigned { op, rhs, span } = *assigned;
        match (op, old) {
            (None, _) => match v {
                Val::Sym(s) => Some(s),
                // `w = d;`, `w = pair_of(d);` of a data array into a variable that held an
                // array, or of a data array of known length: read once, then element by element.
                Val::Tokens(t) => {
                    let like = match (old, self.env.lookup(&t.to_string())) {
                        (Some(s), _) => Some(s.clone()),
                        (None, Some(Binding::Inactive { array: Some(n), .. })) => {
                            let n = *n;
                            let zero = self.g.num(0.0);
                            Some(Shape::Array(vec![Shape::Scalar(zero); n]))
                        }
                        _ => None,
                    };
                    match like {
                        Some(like @ (Shape::Array(_) | Shape::Tuple(_))) => {
                            let whole = if matches!(rhs, Expr::Path(_)) {
                                t
                            } else {
                                self.materialize(t.clone());
                                let name = self.bind_tokens_value(t, rhs.span());
                                quote!(#name)
                            };
                            Some(self.read_like_in(self.g.cur, whole, Some(&like), rhs.span()))
                        }
                        _ => Some(Shape::Scalar(self.bind_opaque(t, rhs.span()))),
                    }
                }
            },
            (Some(op), Some(Shape::Scalar(o))) => {
                let r = self.scalar(v, rhs.span())?;
                Some(Shape::Scalar(self.g.binary(op, *o, r, span)))
            }
            (Some(_), _) => {
                self.error(
                    span,
                    "compound assignment needs a single float on both sides",
                );
                None
            }
        }
    }
}

/// `lhs = rhs;` or `lhs op= rhs;`, as user code to run as written.
fn assignment(lhs: &Expr, op: Option<Binary>, rhs: &Expr) -> proc_macro2::TokenStream {
    match op {
        None => quote!(#lhs = #rhs;),
        Some(op) => {
            let e = Expr::Binary(syn::ExprBinary {
                attrs: vec![],
                left: Box::new(lhs.clone()),
                op: assign_op_token(op),
                right: Box::new(rhs.clone()),
            });
            quote!(#e;)
        }
    }
}

/// The right-hand side of an assignment.
#[derive(Clone, Copy)]
struct Assigned<'a> {
    /// The operator of a compound assignment (`+=`), `None` for `=`.
    op: Option<Binary>,
    /// The value written.
    rhs: &'a Expr,
    /// The span of the whole assignment.
    span: Span,
}
