//! The primitives that nodes apply: the float operations of Rust's API that `#[gradient]`
//! differentiates, each named once with its method name.

macro_rules! primitives {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $method:literal,)* }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum $name { $(#[doc = concat!("`", $method, "`")] $variant,)* }

        impl $name {
            /// The method name in Rust's float API.
            pub fn method(self) -> &'static str {
                match self { $($name::$variant => $method,)* }
            }

            /// The primitive with this method name.
            pub fn from_method(name: &str) -> Option<Self> {
                match name { $($method => Some($name::$variant),)* _ => None }
            }
        }
    };
}

primitives! {
    /// Primitives of one float.
    Unary {
        Neg => "neg", Sqrt => "sqrt", Cbrt => "cbrt", Exp => "exp", Exp2 => "exp2",
        ExpM1 => "exp_m1", Ln => "ln", Log2 => "log2", Log10 => "log10", Ln1p => "ln_1p",
        Sin => "sin", Cos => "cos", Tan => "tan", Asin => "asin", Acos => "acos", Atan => "atan",
        Sinh => "sinh", Cosh => "cosh", Tanh => "tanh", Asinh => "asinh", Acosh => "acosh",
        Atanh => "atanh", Recip => "recip", Abs => "abs", Signum => "signum", Floor => "floor",
        Ceil => "ceil", Round => "round", Trunc => "trunc", ToDegrees => "to_degrees",
        ToRadians => "to_radians",
    }
}

primitives! {
    /// Primitives of two floats (the receiver first).
    Binary {
        Add => "add", Sub => "sub", Mul => "mul", Div => "div", Powf => "powf",
        Atan2 => "atan2", Hypot => "hypot", Log => "log", Max => "max", Min => "min",
    }
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
