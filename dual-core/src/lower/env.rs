//! The environment of the lowering (the user's variables, as it sees them) and the values it
//! passes around.

use proc_macro2::TokenStream;
use syn::{Ident, Pat};

use crate::front::types::{has_float_elements, is_float, is_float_ref, literal_len};
use crate::ir::{BoolVal, NodeId, Shape};

use super::syntax::pattern_idents;
use super::Lower;

/// A variable of the user's code, as the lowering sees it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Binding {
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
    /// A closure bound with `let` (entry of `Lower::closures`): inlined where it is called with
    /// differentiated arguments.
    Closure(usize),
    /// An inactive variable: it exists as written in the emitted code, which reads and writes it
    /// under its own name.
    Inactive {
        /// Known to be a float (`f64`, or `&f64` with `by_ref`).
        float: bool,
        /// A `&f64` (or a loop variable over data), read through `Borrow`.
        by_ref: bool,
        /// The length, for a float array of known length.
        array: Option<usize>,
        /// Indexing it gives a float: a slice, `Vec` or array of floats (`d[i]` is one).
        elements: bool,
    },
}

/// A user variable in scope.
#[derive(Clone, Debug)]
pub(super) struct Var {
    /// The user's name.
    pub(super) name: String,
    /// What the lowering knows of it.
    pub(super) binding: Binding,
}

/// The user variables in scope, in nested frames (blocks, branches, loop bodies); a later binding
/// shadows an earlier one of the same name.
#[derive(Clone, Default, Debug)]
pub(super) struct Env {
    /// The frames, outermost first; each holds its variables in the order they were bound.
    pub(super) frames: Vec<Vec<Var>>,
}

impl Env {
    pub(super) fn push(&mut self) {
        self.frames.push(Vec::new());
    }
    pub(super) fn pop(&mut self) {
        self.frames.pop();
    }
    pub(super) fn bind(&mut self, name: &Ident, b: Binding) {
        self.frames.last_mut().expect("a frame").push(Var {
            name: name.to_string(),
            binding: b,
        });
    }
    pub(super) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|v| v.name == name)
            .map(|v| &v.binding)
    }
    pub(super) fn lookup_mut(&mut self, name: &str) -> Option<&mut Binding> {
        self.frames
            .iter_mut()
            .rev()
            .flat_map(|f| f.iter_mut().rev())
            .find(|v| v.name == name)
            .map(|v| &mut v.binding)
    }
}

/// A loop element that user code sees as a reference (`for xi in x.iter()`): materialised as a
/// reference to its value.
#[derive(Clone, Debug)]
pub(super) struct RefElement {
    /// The user's name.
    pub(super) name: String,
    /// The value it is bound to.
    pub(super) value: Shape,
}

/// A lowered expression.
#[derive(Clone, Debug)]
pub(super) enum Val {
    /// A float value (or array / tuple of floats), held symbolically.
    Sym(Shape),
    /// An inactive expression, to be emitted as written.
    Tokens(TokenStream),
}

/// What one iteration of an unrolled loop binds to its pattern.
#[derive(Clone, Debug)]
pub(super) enum LoopItem {
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
    pub(super) fn by_ref(self) -> LoopItem {
        match self {
            LoopItem::One(b @ Binding::Sym { .. }) => LoopItem::Ref(b),
            other => other,
        }
    }

    pub(super) fn by_value(self) -> LoopItem {
        match self {
            LoopItem::Ref(b) => LoopItem::One(b),
            other => other,
        }
    }
}

/// Whether the function has returned, on the paths seen so far.
#[derive(Clone, Debug)]
pub(super) enum Ret {
    Never,
    Always(Vec<NodeId>),
    Maybe { flag: BoolVal, value: Vec<NodeId> },
}

impl Lower {
    /// The node a variable holding a single float is bound to.
    pub(super) fn scalar_var(&self, name: &str) -> Option<NodeId> {
        match self.env.lookup(name) {
            Some(Binding::Sym {
                value: Shape::Scalar(n),
                ..
            }) => Some(*n),
            _ => None,
        }
    }

    /// Gives a symbolic variable a new value.
    pub(super) fn set_scalar_var(&mut self, name: &str, node: NodeId) {
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

    /// Binds a symbolic value to a pattern (`x`, `(a, b)`, `[a, b]`, `_`).
    pub(super) fn bind_pattern(&mut self, pat: &Pat, shape: Shape) {
        if self.is_poisoned(&Val::Sym(shape.clone())) {
            // After an error: bind the names quietly.
            self.bind_pattern_names(
                pat,
                Binding::Sym {
                    value: shape,
                    materialized: false,
                    mutable: true,
                },
            );
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

    /// Binds the names of a pattern as inactive variables, of type `ty` when it is given.
    pub(super) fn bind_inactive(&mut self, pat: &Pat, ty: Option<&syn::Type>) {
        let by_ref = ty.is_some_and(is_float_ref);
        let float = ty.is_some_and(|t| is_float(t, self.g.float)) || by_ref;
        let array = match ty {
            Some(syn::Type::Array(a)) if is_float(&a.elem, self.g.float) => literal_len(&a.len),
            _ => None,
        };
        self.bind_pattern_names(
            pat,
            Binding::Inactive {
                float,
                by_ref,
                array,
                elements: ty.is_some_and(has_float_elements),
            },
        );
    }

    /// Binds every name of a pattern to `binding`.
    pub(super) fn bind_pattern_names(&mut self, pat: &Pat, binding: Binding) {
        let mut names = Vec::new();
        pattern_idents(pat, &mut names);
        for n in names {
            self.env.bind(&n, binding.clone());
        }
    }
}
