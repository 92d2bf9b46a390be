//! The primitives: the float operations of Rust's API that `#[gradient]` differentiates, each
//! declared once, in one row, with everything the engine knows about it —
//!
//! - its method name (and operator, for `-x`, `x + y`, `x - y`, `x * y`, `x / y`);
//! - whether integers have the method too (then `n.abs()` on an integer is not a float);
//! - whether Rust can evaluate it in a `const fn`;
//! - whether constants are folded at compile time (only where IEEE arithmetic makes the result
//!   exact, so that it never depends on the host's math library);
//! - its value, as Rust computes it (the constant folder and the engine's interpreter use it);
//! - its partial derivatives, written against the small [`Builder`] interface that the
//!   differentiation implements on the graph (as JAX writes its rules in terms of lax ops): each
//!   reads the operands and may reuse the result `r` (exp, tanh, sqrt, recip, hypot);
//! - how the companions' docs print it as math, against the [`Notation`] interface.
//!
//! Adding a primitive is adding a row here (and a test of its derivative).
//!
//! Conventions where a derivative does not exist (documented in the user guide): abs′(0) = 0;
//! max/min at a tie give the whole derivative to the receiver; clamp passes the derivative when
//! lo ≤ x ≤ hi; floor, ceil, round, trunc and signum have derivative 0.

/// What a derivative rule builds its partials with: constants, arithmetic and other primitives.
/// Every constructor simplifies and shares (see [`crate::ir::build`]).
pub trait Builder {
    /// A value: a node of the graph.
    type Value: Copy + PartialEq;
    /// A constant.
    fn num(&mut self, v: f64) -> Self::Value;
    /// `a + b`
    fn add(&mut self, a: Self::Value, b: Self::Value) -> Self::Value;
    /// `a - b`
    fn sub(&mut self, a: Self::Value, b: Self::Value) -> Self::Value;
    /// `a * b`
    fn mul(&mut self, a: Self::Value, b: Self::Value) -> Self::Value;
    /// `a / b`
    fn div(&mut self, a: Self::Value, b: Self::Value) -> Self::Value;
    /// `-a`
    fn neg(&mut self, a: Self::Value) -> Self::Value;
    /// `1 / a`
    fn recip(&mut self, a: Self::Value) -> Self::Value;
    /// A primitive of one float.
    fn unary(&mut self, op: Unary, a: Self::Value) -> Self::Value;
    /// A primitive of two floats.
    fn binary(&mut self, op: Binary, a: Self::Value, b: Self::Value) -> Self::Value;
    /// `x.powi(n)` for a literal `n`.
    fn powi(&mut self, x: Self::Value, n: i32) -> Self::Value;
    /// `if lhs CMP rhs { then } else { other }`.
    fn select(
        &mut self,
        cmp: Cmp,
        lhs: Self::Value,
        rhs: Self::Value,
        then: Self::Value,
        other: Self::Value,
    ) -> Self::Value;
    /// The sign of `x`, 0 at ±0 (the derivative of `abs`).
    fn sign0(&mut self, x: Self::Value) -> Self::Value;
    /// The value of a constant.
    fn constant(&self, v: Self::Value) -> Option<f64>;
    /// Whether `v` depends on a differentiated input (a partial it does not need is not built).
    fn is_active(&self, v: Self::Value) -> bool;
}

/// How the companions' docs write formulas: the operations of math notation.
pub trait Notation {
    /// A formula.
    type Formula;
    /// A number.
    fn num(&mut self, v: f64) -> Self::Formula;
    /// A named constant (`π`).
    fn symbol(&mut self, name: &str) -> Self::Formula;
    /// `−a`
    fn neg(&mut self, a: Self::Formula) -> Self::Formula;
    /// `a + b`
    fn add(&mut self, a: Self::Formula, b: Self::Formula) -> Self::Formula;
    /// `a·b`
    fn mul(&mut self, a: Self::Formula, b: Self::Formula) -> Self::Formula;
    /// `a / b`
    fn div(&mut self, a: Self::Formula, b: Self::Formula) -> Self::Formula;
    /// `aᵇ` for a formula `b`.
    fn pow(&mut self, a: Self::Formula, b: Self::Formula) -> Self::Formula;
    /// `aⁿ` for a whole number `n`.
    fn power(&mut self, a: Self::Formula, n: i32) -> Self::Formula;
    /// `name(args…)`
    fn call(&mut self, name: &str, args: Vec<Self::Formula>) -> Self::Formula;
    /// `√a`, `∛a`
    fn root(&mut self, symbol: &'static str, a: Self::Formula) -> Self::Formula;
    /// `|a|`, `⌊a⌋`: a formula between two delimiters.
    fn wrap(&mut self, left: &'static str, a: Self::Formula, right: &'static str) -> Self::Formula;
    /// The value of a formula that is a number.
    fn constant(&self, a: &Self::Formula) -> Option<f64>;
}

/// A comparison in a [`Op::Select`](crate::ir::Op::Select).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Cmp {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `!=` (`x != x` tests for NaN)
    Ne,
}

/// Facts about a primitive that do not depend on its arity.
#[derive(Copy, Clone, Debug)]
pub struct Facts {
    /// The method name in Rust's float API.
    pub method: &'static str,
    /// The operator, for those written as one (`-x`, `x + y`, …).
    pub operator: Option<&'static str>,
    /// Whether integers have the method too.
    pub on_integers: bool,
    /// Whether Rust can evaluate it in a `const fn`.
    pub const_fn: bool,
    /// Whether constant operands are folded at compile time (the result is then exact).
    pub folds: bool,
}

/// Declares the primitive enums from one table of rows (see the module docs). Each row is
/// `arity Variant "method" [operator "op"] { facts, value, derivative, notation }`; `method "name";`
/// lists a differentiated method that is not a primitive of the table (`powi`, whose exponent is
/// an integer). [`METHODS`] lists every method in the order of the rows.
macro_rules! primitives {
    // Rows are taken one at a time into the three accumulators (unary, binary, ternary), and the
    // method names into a fourth, in order.
    (@rows $u:tt $b:tt $t:tt [$($m:literal)*]) => {
        primitives!(@emit $u $b $t [$($m)*]);
    };
    // Operators are not in `METHODS`: users write `-x`, not `x.neg()`.
    (@rows [$($u:tt)*] $b:tt $t:tt $m:tt
        unary $v:ident $name:literal operator $op:literal { $($row:tt)* } $($rest:tt)*) => {
        primitives!(@rows [$($u)* ($v $name [$op] $($row)*)] $b $t $m $($rest)*);
    };
    (@rows [$($u:tt)*] $b:tt $t:tt [$($m:literal)*]
        unary $v:ident $name:literal { $($row:tt)* } $($rest:tt)*) => {
        primitives!(@rows [$($u)* ($v $name [] $($row)*)] $b $t [$($m)* $name] $($rest)*);
    };
    (@rows $u:tt [$($b:tt)*] $t:tt $m:tt
        binary $v:ident $name:literal operator $op:literal { $($row:tt)* } $($rest:tt)*) => {
        primitives!(@rows $u [$($b)* ($v $name [$op] $($row)*)] $t $m $($rest)*);
    };
    (@rows $u:tt [$($b:tt)*] $t:tt [$($m:literal)*]
        binary $v:ident $name:literal { $($row:tt)* } $($rest:tt)*) => {
        primitives!(@rows $u [$($b)* ($v $name [] $($row)*)] $t [$($m)* $name] $($rest)*);
    };
    (@rows $u:tt $b:tt [$($t:tt)*] [$($m:literal)*]
        ternary $v:ident $name:literal { $($row:tt)* } $($rest:tt)*) => {
        primitives!(@rows $u $b [$($t)* ($v $name [] $($row)*)] [$($m)* $name] $($rest)*);
    };
    (@rows $u:tt $b:tt $t:tt [$($m:literal)*] method $name:literal; $($rest:tt)*) => {
        primitives!(@rows $u $b $t [$($m)* $name] $($rest)*);
    };
    (@emit
        [$(($uv:ident $un:literal [$($uop:literal)?]
            integers: $uint:literal, const_fn: $ucf:literal, folds: $ufold:literal,
            value: |$ux:ident| $uvalue:expr,
            derivative: |$ug:ident, $udx:ident, $udr:ident| $uderiv:expr,
            notation: |$unn:ident, $unx:ident| $unote:expr,
        ))*]
        [$(($bv:ident $bn:literal [$($bop:literal)?]
            integers: $bint:literal, const_fn: $bcf:literal, folds: $bfold:literal,
            value: |$bx:ident, $by:ident| $bvalue:expr,
            derivative: |$bg:ident, $bdx:ident, $bdy:ident, $bdr:ident| $bderiv:expr,
            notation: |$bnn:ident, $bnx:ident, $bny:ident| $bnote:expr,
        ))*]
        [$(($tv:ident $tn:literal []
            integers: $tint:literal, const_fn: $tcf:literal, folds: $tfold:literal,
            value: |$tx:ident, $ty:ident, $tz:ident| $tvalue:expr,
            derivative: |$tg:ident, $tdx:ident, $tdy:ident, $tdz:ident| $tderiv:expr,
            notation: |$tnn:ident, $tnx:ident, $tny:ident, $tnz:ident| $tnote:expr,
        ))*]
        [$($m:literal)*]
    ) => {
        /// Primitives of one float.
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum Unary { $(#[doc = concat!("`", $un, "`")] $uv,)* }

        /// Primitives of two floats (the receiver first).
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum Binary { $(#[doc = concat!("`", $bn, "`")] $bv,)* }

        /// Primitives of three floats (the receiver first).
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum Ternary { $(#[doc = concat!("`", $tn, "`")] $tv,)* }

        /// Every float method that `#[gradient]` differentiates, in the order of the table (the
        /// operators are not among them).
        pub const METHODS: &[&str] = &[$($m),*];

        impl Unary {
            /// Every primitive of one float.
            pub const ALL: &[Unary] = &[$(Unary::$uv),*];

            /// The facts of the table about this primitive.
            pub fn facts(self) -> Facts {
                match self {$(Unary::$uv => Facts {
                    method: $un,
                    operator: primitives!(@op $($uop)?),
                    on_integers: $uint,
                    const_fn: $ucf,
                    folds: $ufold,
                },)*}
            }

            /// `self(x)`, as Rust computes it.
            pub fn value(self, x: f64) -> f64 {
                match self {$(Unary::$uv => { let $ux = x; $uvalue })*}
            }

            /// d self(x) / dx from the operand `x` and the result `r`; `None` where it is
            /// identically zero.
            pub fn derivative<B: Builder>(self, g: &mut B, x: B::Value, r: B::Value) -> Option<B::Value> {
                match self {$(Unary::$uv => {
                    let ($ug, $udx, $udr) = (&mut *g, x, r);
                    $uderiv
                })*}
            }

            /// `self(x)` in math notation.
            pub fn notation<N: Notation>(self, n: &mut N, x: N::Formula) -> N::Formula {
                match self {$(Unary::$uv => { let ($unn, $unx) = (&mut *n, x); $unote })*}
            }
        }

        impl Binary {
            /// Every primitive of two floats.
            pub const ALL: &[Binary] = &[$(Binary::$bv),*];

            /// The facts of the table about this primitive.
            pub fn facts(self) -> Facts {
                match self {$(Binary::$bv => Facts {
                    method: $bn,
                    operator: primitives!(@op $($bop)?),
                    on_integers: $bint,
                    const_fn: $bcf,
                    folds: $bfold,
                },)*}
            }

            /// `x.self(y)`, as Rust computes it.
            pub fn value(self, x: f64, y: f64) -> f64 {
                match self {$(Binary::$bv => { let ($bx, $by) = (x, y); $bvalue })*}
            }

            /// The partial derivatives with respect to `x` and `y` (built in that order), from the
            /// operands and the result `r`; `None` where one is identically zero or not needed.
            pub fn derivative<B: Builder>(
                self,
                g: &mut B,
                x: B::Value,
                y: B::Value,
                r: B::Value,
            ) -> [Option<B::Value>; 2] {
                match self {$(Binary::$bv => {
                    let ($bg, $bdx, $bdy, $bdr) = (&mut *g, x, y, r);
                    $bderiv
                })*}
            }

            /// `x.self(y)` in math notation.
            pub fn notation<N: Notation>(
                self,
                n: &mut N,
                x: N::Formula,
                y: N::Formula,
            ) -> N::Formula {
                match self {$(Binary::$bv => {
                    let ($bnn, $bnx, $bny) = (&mut *n, x, y);
                    $bnote
                })*}
            }
        }

        impl Ternary {
            /// Every primitive of three floats.
            pub const ALL: &[Ternary] = &[$(Ternary::$tv),*];

            /// The facts of the table about this primitive.
            pub fn facts(self) -> Facts {
                match self {$(Ternary::$tv => Facts {
                    method: $tn,
                    operator: None,
                    on_integers: $tint,
                    const_fn: $tcf,
                    folds: $tfold,
                },)*}
            }

            /// `x.self(y, z)`, as Rust computes it.
            pub fn value(self, x: f64, y: f64, z: f64) -> f64 {
                match self {$(Ternary::$tv => { let ($tx, $ty, $tz) = (x, y, z); $tvalue })*}
            }

            /// The partial derivatives with respect to `x`, `y` and `z` (built in that order).
            pub fn derivative<B: Builder>(
                self,
                g: &mut B,
                x: B::Value,
                y: B::Value,
                z: B::Value,
            ) -> [Option<B::Value>; 3] {
                match self {$(Ternary::$tv => {
                    let ($tg, $tdx, $tdy, $tdz) = (&mut *g, x, y, z);
                    $tderiv
                })*}
            }

            /// `x.self(y, z)` in math notation.
            pub fn notation<N: Notation>(
                self,
                n: &mut N,
                x: N::Formula,
                y: N::Formula,
                z: N::Formula,
            ) -> N::Formula {
                match self {$(Ternary::$tv => {
                    let ($tnn, $tnx, $tny, $tnz) = (&mut *n, x, y, z);
                    $tnote
                })*}
            }
        }
    };
    (@op) => { None };
    (@op $op:literal) => { Some($op) };
    ($($rows:tt)*) => { primitives!(@rows [] [] [] [] $($rows)*); };
}

/// The shared methods of the three enums.
macro_rules! common_methods {
    ($($ty:ident),*) => {$(
        impl $ty {
            /// The method name in Rust's float API.
            pub fn method(self) -> &'static str {
                self.facts().method
            }

            /// The primitive with this method name.
            pub fn from_method(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|p| p.method() == name)
            }
        }
    )*};
}

mod table;

pub use table::{Binary, Ternary, Unary, METHODS, POWI};

common_methods!(Unary, Binary, Ternary);

/// A float method that `#[gradient]` differentiates, as users call it: a primitive of the table,
/// or `powi` (whose exponent is an integer, an operation of the IR of its own).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Method {
    /// `x.sin()`, …
    Unary(Unary),
    /// `x.powf(y)`, …
    Binary(Binary),
    /// `a.mul_add(b, c)`, `x.clamp(lo, hi)`.
    Ternary(Ternary),
    /// `x.powi(n)`.
    Powi,
}

impl Method {
    /// The differentiated method of this name (operators, such as `add` or `neg`, are not).
    pub fn named(name: &str) -> Option<Method> {
        if !METHODS.contains(&name) {
            return None;
        }
        Unary::from_method(name)
            .map(Method::Unary)
            .or_else(|| Binary::from_method(name).map(Method::Binary))
            .or_else(|| Ternary::from_method(name).map(Method::Ternary))
            .or((name == POWI.method).then_some(Method::Powi))
    }

    /// The number of arguments besides the receiver.
    pub fn arity(self) -> usize {
        match self {
            Method::Unary(_) => 0,
            Method::Binary(_) | Method::Powi => 1,
            Method::Ternary(_) => 2,
        }
    }

    /// The facts of the table about the method.
    pub fn facts(self) -> Facts {
        match self {
            Method::Unary(u) => u.facts(),
            Method::Binary(b) => b.facts(),
            Method::Ternary(t) => t.facts(),
            Method::Powi => POWI,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_named_once() {
        let mut seen = std::collections::HashSet::new();
        for m in METHODS {
            assert!(seen.insert(m), "`{m}` twice in the table");
        }
        for u in Unary::ALL {
            assert_eq!(Unary::from_method(u.method()), Some(*u));
        }
        for b in Binary::ALL {
            assert_eq!(Binary::from_method(b.method()), Some(*b));
        }
        for t in Ternary::ALL {
            assert_eq!(Ternary::from_method(t.method()), Some(*t));
        }
    }
}
