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

use std::f64::consts::{LN_10, LN_2, PI};

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

common_methods!(Unary, Binary, Ternary);

/// Which operands of a primitive of two floats get a partial derivative.
fn both<V>(dx: V, dy: V) -> [Option<V>; 2] {
    [Some(dx), Some(dy)]
}

primitives! {
    method "powi";
    binary Powf "powf" {
        integers: false, const_fn: false, folds: false,
        value: |x, y| x.powf(y),
        // d(x^y)/dx = y·x^(y−1), exact at x = 0 (0 for y > 1, not NaN), through `powi` when the
        // exponent is a whole number; d(x^y)/dy = x^y·ln x.
        derivative: |g, x, y, r| {
            let one = g.num(1.0);
            let ym1 = g.sub(y, one);
            let pow = match g.constant(ym1) {
                Some(e) if e.fract() == 0.0 && e.abs() < 1e9 => g.powi(x, e as i32),
                _ => g.binary(Binary::Powf, x, ym1),
            };
            let dx = g.mul(y, pow);
            let dy = g.is_active(y).then(|| {
                let ln = g.unary(Unary::Ln, x);
                g.mul(r, ln)
            });
            [Some(dx), dy]
        },
        notation: |n, x, y| match n.constant(&y) {
            Some(k) if k.fract() == 0.0 && k.abs() <= 99.0 => n.power(x, k as i32),
            _ => n.pow(x, y),
        },
    }
    unary Sqrt "sqrt" {
        integers: false, const_fn: false, folds: true,
        value: |x| x.sqrt(),
        // d√x = 1 / (2√x)
        derivative: |g, _x, r| {
            let h = g.num(0.5);
            Some(g.div(h, r))
        },
        notation: |n, x| n.root("√", x),
    }
    unary Cbrt "cbrt" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.cbrt(),
        // d∛x = 1 / (3 ∛x²)
        derivative: |g, _x, r| {
            let r2 = g.mul(r, r);
            let three = g.num(3.0);
            let d = g.mul(three, r2);
            Some(g.recip(d))
        },
        notation: |n, x| n.root("∛", x),
    }
    unary Exp "exp" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.exp(),
        derivative: |_g, _x, r| Some(r),
        notation: |n, x| n.call("exp", vec![x]),
    }
    unary Exp2 "exp2" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.exp2(),
        derivative: |g, _x, r| {
            let ln2 = g.num(LN_2);
            Some(g.mul(r, ln2))
        },
        notation: |n, x| {
            let two = n.num(2.0);
            n.pow(two, x)
        },
    }
    unary ExpM1 "exp_m1" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.exp_m1(),
        derivative: |g, _x, r| {
            let one = g.num(1.0);
            Some(g.add(r, one))
        },
        notation: |n, x| {
            let e = n.call("exp", vec![x]);
            let minus_one = n.num(-1.0);
            n.add(e, minus_one)
        },
    }
    unary Ln "ln" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.ln(),
        derivative: |g, x, _r| Some(g.recip(x)),
        notation: |n, x| n.call("ln", vec![x]),
    }
    binary Log "log" {
        integers: false, const_fn: false, folds: false,
        value: |x, b| x.log(b),
        // log_b(x) = ln x / ln b: ∂/∂x = 1/(x ln b), ∂/∂b = −log_b(x)/(b ln b).
        derivative: |g, x, b, r| {
            let lnb = g.unary(Unary::Ln, b);
            let d = g.mul(x, lnb);
            let dx = g.recip(d);
            let db = g.is_active(b).then(|| {
                let d = g.mul(b, lnb);
                let q = g.div(r, d);
                g.neg(q)
            });
            [Some(dx), db]
        },
        notation: |n, x, b| {
            let lnx = n.call("ln", vec![x]);
            let lnb = n.call("ln", vec![b]);
            n.div(lnx, lnb)
        },
    }
    unary Log2 "log2" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.log2(),
        derivative: |g, x, _r| {
            let c = g.num(LN_2);
            let d = g.mul(x, c);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("log₂", vec![x]),
    }
    unary Log10 "log10" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.log10(),
        derivative: |g, x, _r| {
            let c = g.num(LN_10);
            let d = g.mul(x, c);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("log₁₀", vec![x]),
    }
    unary Ln1p "ln_1p" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.ln_1p(),
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let d = g.add(x, one);
            Some(g.recip(d))
        },
        notation: |n, x| {
            let one = n.num(1.0);
            let sum = n.add(one, x);
            n.call("ln", vec![sum])
        },
    }
    unary Sin "sin" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.sin(),
        derivative: |g, x, _r| Some(g.unary(Unary::Cos, x)),
        notation: |n, x| n.call("sin", vec![x]),
    }
    unary Cos "cos" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.cos(),
        derivative: |g, x, _r| {
            let sin = g.unary(Unary::Sin, x);
            Some(g.neg(sin))
        },
        notation: |n, x| n.call("cos", vec![x]),
    }
    unary Tan "tan" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.tan(),
        // 1 + tan²x
        derivative: |g, _x, r| {
            let one = g.num(1.0);
            let r2 = g.mul(r, r);
            Some(g.add(one, r2))
        },
        notation: |n, x| n.call("tan", vec![x]),
    }
    unary Asin "asin" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.asin(),
        // 1 / √(1 − x²)
        derivative: |g, x, _r| Some(inverse_sqrt_one_minus_square(g, x)),
        notation: |n, x| n.call("asin", vec![x]),
    }
    unary Acos "acos" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.acos(),
        // −1 / √(1 − x²)
        derivative: |g, x, _r| {
            let inv = inverse_sqrt_one_minus_square(g, x);
            Some(g.neg(inv))
        },
        notation: |n, x| n.call("acos", vec![x]),
    }
    unary Atan "atan" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.atan(),
        // 1 / (1 + x²)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.add(one, x2);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("atan", vec![x]),
    }
    binary Atan2 "atan2" {
        integers: false, const_fn: false, folds: false,
        value: |y, x| y.atan2(x),
        // atan2(y, x) with receiver y: ∂/∂y = x/(x²+y²), ∂/∂x = −y/(x²+y²).
        derivative: |g, y, x, _r| {
            let a = g.mul(y, y);
            let b = g.mul(x, x);
            let d = g.add(a, b);
            let dy = g.div(x, d);
            let q = g.div(y, d);
            both(dy, g.neg(q))
        },
        notation: |n, y, x| n.call("atan2", vec![y, x]),
    }
    unary Sinh "sinh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.sinh(),
        derivative: |g, x, _r| Some(g.unary(Unary::Cosh, x)),
        notation: |n, x| n.call("sinh", vec![x]),
    }
    unary Cosh "cosh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.cosh(),
        derivative: |g, x, _r| Some(g.unary(Unary::Sinh, x)),
        notation: |n, x| n.call("cosh", vec![x]),
    }
    unary Tanh "tanh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.tanh(),
        // 1 − tanh²x
        derivative: |g, _x, r| {
            let one = g.num(1.0);
            let r2 = g.mul(r, r);
            Some(g.sub(one, r2))
        },
        notation: |n, x| n.call("tanh", vec![x]),
    }
    unary Asinh "asinh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.asinh(),
        // 1 / √(x² + 1)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.add(x2, one);
            let root = g.unary(Unary::Sqrt, d);
            Some(g.recip(root))
        },
        notation: |n, x| n.call("asinh", vec![x]),
    }
    unary Acosh "acosh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.acosh(),
        // 1 / √(x² − 1)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.sub(x2, one);
            let root = g.unary(Unary::Sqrt, d);
            Some(g.recip(root))
        },
        notation: |n, x| n.call("acosh", vec![x]),
    }
    unary Atanh "atanh" {
        integers: false, const_fn: false, folds: false,
        value: |x| x.atanh(),
        // 1 / (1 − x²)
        derivative: |g, x, _r| {
            let one = g.num(1.0);
            let x2 = g.mul(x, x);
            let d = g.sub(one, x2);
            Some(g.recip(d))
        },
        notation: |n, x| n.call("atanh", vec![x]),
    }
    binary Hypot "hypot" {
        integers: false, const_fn: false, folds: false,
        value: |x, y| x.hypot(y),
        derivative: |g, x, y, r| {
            let dx = g.div(x, r);
            both(dx, g.div(y, r))
        },
        notation: |n, x, y| n.call("hypot", vec![x, y]),
    }
    unary Recip "recip" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.recip(),
        // −1/x²
        derivative: |g, _x, r| {
            let r2 = g.mul(r, r);
            Some(g.neg(r2))
        },
        notation: |n, x| {
            let one = n.num(1.0);
            n.div(one, x)
        },
    }
    ternary MulAdd "mul_add" {
        integers: false, const_fn: false, folds: false,
        value: |a, b, c| a.mul_add(b, c),
        derivative: |g, a, b, _c| [Some(b), Some(a), Some(g.num(1.0))],
        notation: |n, a, b, c| {
            let ab = n.mul(a, b);
            n.add(ab, c)
        },
    }
    unary Abs "abs" {
        integers: true, const_fn: true, folds: true,
        value: |x| x.abs(),
        derivative: |g, x, _r| Some(g.sign0(x)),
        notation: |n, x| n.wrap("|", x, "|"),
    }
    unary Signum "signum" {
        integers: true, const_fn: true, folds: true,
        value: |x| x.signum(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.call("signum", vec![x]),
    }
    binary Max "max" {
        integers: true, const_fn: true, folds: false,
        value: |x, y| x.max(y),
        derivative: |g, x, y, _r| max_min(g, Cmp::Lt, x, y),
        notation: |n, x, y| n.call("max", vec![x, y]),
    }
    binary Min "min" {
        integers: true, const_fn: true, folds: false,
        value: |x, y| x.min(y),
        derivative: |g, x, y, _r| max_min(g, Cmp::Gt, x, y),
        notation: |n, x, y| n.call("min", vec![x, y]),
    }
    ternary Clamp "clamp" {
        integers: true, const_fn: true, folds: false,
        value: |x, lo, hi| x.clamp(lo, hi),
        // 1 when lo ≤ x ≤ hi, else the bound that is hit.
        derivative: |g, x, lo, hi| {
            let (one, zero) = (g.num(1.0), g.num(0.0));
            let below = g.select(Cmp::Lt, x, lo, one, zero);
            let above = g.select(Cmp::Gt, x, hi, one, zero);
            let inside_lo = g.select(Cmp::Lt, x, lo, zero, one);
            let inside = g.select(Cmp::Gt, x, hi, zero, inside_lo);
            [Some(inside), Some(below), Some(above)]
        },
        notation: |n, x, lo, hi| n.call("clamp", vec![x, lo, hi]),
    }
    unary ToDegrees "to_degrees" {
        integers: false, const_fn: true, folds: false,
        value: |x| x.to_degrees(),
        derivative: |g, _x, _r| Some(g.num(180.0 / PI)),
        notation: |n, x| {
            let c = n.num(180.0);
            let cx = n.mul(c, x);
            let pi = n.symbol("π");
            n.div(cx, pi)
        },
    }
    unary ToRadians "to_radians" {
        integers: false, const_fn: true, folds: false,
        value: |x| x.to_radians(),
        derivative: |g, _x, _r| Some(g.num(PI / 180.0)),
        notation: |n, x| {
            let pi = n.symbol("π");
            let pix = n.mul(pi, x);
            let c = n.num(180.0);
            n.div(pix, c)
        },
    }
    unary Floor "floor" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.floor(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.wrap("⌊", x, "⌋"),
    }
    unary Ceil "ceil" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.ceil(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.wrap("⌈", x, "⌉"),
    }
    unary Round "round" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.round(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.call("round", vec![x]),
    }
    unary Trunc "trunc" {
        integers: false, const_fn: true, folds: true,
        value: |x| x.trunc(),
        derivative: |_g, _x, _r| None,
        notation: |n, x| n.call("trunc", vec![x]),
    }
    // The arithmetic operators come last: they are not methods users call by name.
    unary Neg "neg" operator "-" {
        integers: false, const_fn: true, folds: true,
        value: |x| -x,
        derivative: |g, _x, _r| Some(g.num(-1.0)),
        notation: |n, x| n.neg(x),
    }
    binary Add "add" operator "+" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x + y,
        derivative: |g, _x, _y, _r| {
            let dx = g.num(1.0);
            both(dx, g.num(1.0))
        },
        notation: |n, x, y| n.add(x, y),
    }
    binary Sub "sub" operator "-" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x - y,
        derivative: |g, _x, _y, _r| {
            let dx = g.num(1.0);
            both(dx, g.num(-1.0))
        },
        notation: |n, x, y| {
            let ny = n.neg(y);
            n.add(x, ny)
        },
    }
    binary Mul "mul" operator "*" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x * y,
        // d(x·x)/dx = 2x, one contribution instead of two equal ones (`a·x + a·x`).
        derivative: |g, x, y, _r| if x == y {
            let two = g.num(2.0);
            [Some(g.mul(x, two)), None]
        } else {
            both(y, x)
        },
        notation: |n, x, y| n.mul(x, y),
    }
    binary Div "div" operator "/" {
        integers: false, const_fn: true, folds: true,
        value: |x, y| x / y,
        // d(x/y)/dx = 1/y; d(x/y)/dy = −(x/y)/y, reusing the quotient: for 1/y, −q·q (a
        // multiplication instead of a division).
        derivative: |g, x, y, r| {
            let dx = g.recip(y);
            let q = if g.constant(x) == Some(1.0) {
                g.mul(r, r)
            } else {
                g.div(r, y)
            };
            both(dx, g.neg(q))
        },
        notation: |n, x, y| n.div(x, y),
    }
}

/// `1 / √(1 − x²)`, the derivative of `asin` (and, negated, of `acos`).
fn inverse_sqrt_one_minus_square<B: Builder>(g: &mut B, x: B::Value) -> B::Value {
    let one = g.num(1.0);
    let x2 = g.mul(x, x);
    let d = g.sub(one, x2);
    let root = g.unary(Unary::Sqrt, d);
    g.recip(root)
}

/// The partials of `x.max(y)` (`lose` = `<`) or `x.min(y)` (`lose` = `>`). The receiver takes
/// the derivative unless the other operand is strictly better: so at a tie, and when the other
/// operand is NaN (whose max/min is the receiver), like the value. A NaN receiver gives the other
/// operand (its value), so not the derivative.
fn max_min<B: Builder>(g: &mut B, lose: Cmp, x: B::Value, y: B::Value) -> [Option<B::Value>; 2] {
    let (one, zero) = (g.num(1.0), g.num(0.0));
    let receiver_is_number = g.select(Cmp::Ne, x, x, zero, one);
    let receiver_is_nan = g.select(Cmp::Ne, x, x, one, zero);
    let dx = g.select(lose, x, y, zero, receiver_is_number);
    both(dx, g.select(lose, x, y, one, receiver_is_nan))
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
