//! Differentiation: the partial derivatives of each operation ([`rules`]) and the reverse sweep
//! that accumulates adjoints over the structured IR ([`reverse`]), run once for gradients and
//! Jacobians and twice (reverse over reverse) for Hessians.

pub mod derivative;
pub mod loops;
pub mod reverse;
pub mod rules;

pub use derivative::Derivative;
pub use reverse::{reverse, reverse_into, Adjoints, Reverse};
