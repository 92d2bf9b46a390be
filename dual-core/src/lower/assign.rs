//! Assignments `place = value` and `place op= value` to variables, array elements and tuple
//! fields.

use proc_macro2::Span;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::Expr;

use crate::ir::Shape;
use crate::rules::Binary;

use super::env::{Binding, Val};
use super::operators::assign_op_token;
use super::Lower;

impl Lower {
    /// `lhs = rhs` or `lhs op= rhs`.
    pub(super) fn lower_assign(&mut self, lhs: &Expr, op: Option<Binary>, rhs: &Expr, span: Span) {
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
            Some(Binding::Inactive { .. } | Binding::Counter { .. }) | None => {
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
                        self.mark_inactive_float(&name.to_string());
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
}
