//! `dual`: exact derivatives of ordinary `f64` functions, generated at compile time.
//!
//! Put [`#[gradient]`](gradient) on a plain Rust function of `f64` inputs. The macro reads the
//! body, differentiates it symbolically while your crate compiles, and emits companion functions
//! next to it that compute the gradient (or the Jacobian) as straight-line native code: a few
//! `let` bindings of `f64` arithmetic, with no tape, no dual numbers, no allocation and no runtime
//! library. Your function itself is emitted unchanged.
//!
//! # Contents
//!
//! - [Quick start](#quick-start)
//! - [The companion functions](#the-companion-functions) and the shape of gradients
//! - [Choosing the variables: `wrt`](#choosing-the-variables-wrt)
//! - [Jacobians of vector-valued functions](#jacobians-of-vector-valued-functions)
//! - [What a body may contain](#what-a-body-may-contain)
//! - [Branches and early `return`](#branches-and-early-return)
//! - [Loops](#loops)
//! - [Second derivatives: `hessian`](#second-derivatives-hessian)
//! - [`f32` functions and `const fn`](#f32-functions-and-const-fn)
//! - [Calls and the chain rule](#calls-and-the-chain-rule)
//! - [Custom derivatives for functions the macro cannot see](#custom-derivatives)
//! - [Methods in `impl` blocks](#methods-in-impl-blocks)
//! - [Built-in math](#built-in-math) and [conventions at kinks](#conventions-at-kinks)
//! - [What is an error](#what-is-an-error)
//! - [How it works](#how-it-works), [compile time](#compile-time) and
//!   [limitations](#limitations)
//!
//! # Quick start
//!
//! ```toml
//! [dependencies]
//! dual = { path = "../dual" }   # not on crates.io yet: a path or git dependency
//! ```
//!
//! The gradient of f(x, y) = x²y + y is ∇f = (∂f/∂x, ∂f/∂y) = (2xy, x² + 1):
//!
//! ```
//! use dual::gradient;
//!
//! #[gradient]
//! fn f(x: f64, y: f64) -> f64 {
//!     x * x * y + y
//! }
//!
//! // The original function is still there, unchanged.
//! assert_eq!(f(3.0, 2.0), 20.0);
//!
//! // ∇f(3, 2) = (2·3·2, 3² + 1) = (12, 10)
//! let [dfdx, dfdy] = f_gradient(3.0, 2.0);
//! assert_eq!([dfdx, dfdy], [12.0, 10.0]);
//!
//! // Value and gradient together, sharing the work.
//! let (value, grad) = f_value_and_gradient(3.0, 2.0);
//! assert_eq!((value, grad), (20.0, [12.0, 10.0]));
//! ```
//!
//! **No `dead_code` noise.** A function used only through its companions, or only by other
//! annotated functions, raises no `dead_code` warning: the macro marks it `#[allow(dead_code)]`,
//! since rustc cannot see that the companions stand for it. The price: an annotated function that
//! nothing uses, companions included, does not warn either. The companions themselves never raise
//! that warning.
//!
//! # The companion functions
//!
//! For `#[gradient] fn NAME(params) -> R`, the macro emits, next to `NAME`, with the same
//! visibility and exactly the same parameter list (names, types, order, receiver), marked
//! `#[inline]` and `#[must_use]` and with a doc comment that says what they return:
//!
//! | result type `R`              | companions                                                               |
//! |------------------------------|--------------------------------------------------------------------------|
//! | `f64`                        | `NAME_gradient(params) -> G`, `NAME_value_and_gradient(params) -> (f64, G)` |
//! | `[f64; M]` or `(f64, …, f64)`| `NAME_jacobian(params) -> [[f64; n]; M]`, `NAME_value_and_jacobian(params) -> (R, [[f64; n]; M])` |
//!
//! The *differentiated parameters* are, by default, every parameter of type `f64` or `[f64; N]`
//! (with a literal `N`); every other parameter (integers, `bool`, references, slices, structs,
//! `&self`) is a constant that is passed through. The gradient type `G` is:
//!
//! | differentiated parameters          | `G`                                                       |
//! |------------------------------------|-----------------------------------------------------------|
//! | n scalars `f64`                    | `[f64; n]`, in parameter order (one scalar: `[f64; 1]`)   |
//! | exactly one array `[f64; N]`       | `[f64; N]`                                                |
//! | anything else (arrays mixed with others) | a tuple with one entry per parameter, of that parameter's type, e.g. `([f64; 4], f64)` |
//!
//! ```
//! use dual::gradient;
//!
//! // One scalar: the gradient is still an array, `[f64; 1]`.
//! #[gradient]
//! fn cube(x: f64) -> f64 {
//!     x * x * x
//! }
//! assert_eq!(cube_gradient(2.0), [12.0]);
//!
//! // One array: the gradient has the array's type.
//! #[gradient]
//! fn product(v: [f64; 3]) -> f64 {
//!     v[0] * v[1] * v[2]
//! }
//! assert_eq!(product_gradient([2.0, 3.0, 4.0]), [12.0, 8.0, 6.0]);
//!
//! // An array and a scalar: a tuple, one entry per parameter.
//! #[gradient]
//! fn affine(w: [f64; 2], b: f64) -> f64 {
//!     3.0 * w[0] + 4.0 * w[1] + b
//! }
//! let (dw, db): ([f64; 2], f64) = affine_gradient([1.0, 2.0], 0.5);
//! assert_eq!((dw, db), ([3.0, 4.0], 1.0));
//! ```
//!
//! # Choosing the variables: `wrt`
//!
//! `#[gradient(wrt(a, b))]` differentiates with respect to the named parameters only; the others
//! (even if they are `f64`) become constants. The gradient follows the same shape rules, counting
//! only the named parameters, which keep their parameter order.
//!
//! ```
//! use dual::gradient;
//!
//! /// Squared error of a one-feature linear model on one sample (x, y).
//! #[gradient(wrt(w, b))]
//! fn squared_error(w: f64, b: f64, x: f64, y: f64) -> f64 {
//!     let r = w * x + b - y;
//!     r * r
//! }
//!
//! // r = 2·3 + 1 − 5 = 2;  ∂/∂w = 2r·x = 12,  ∂/∂b = 2r = 4
//! assert_eq!(squared_error_gradient(2.0, 1.0, 3.0, 5.0), [12.0, 4.0]);
//!
//! // A partial derivative on its own: ∂(x²y + y)/∂x = 2xy.
//! #[gradient(wrt(x))]
//! fn f(x: f64, y: f64) -> f64 {
//!     x * x * y + y
//! }
//! assert_eq!(f_gradient(3.0, 2.0), [12.0]);
//! ```
//!
//! # Jacobians of vector-valued functions
//!
//! A function returning `[f64; M]` or a tuple of `f64` gets `NAME_jacobian` and
//! `NAME_value_and_jacobian`. Row `i` is the gradient of output `i`; the columns are the
//! differentiated scalars in parameter order, arrays flattened.
//!
//! ```
//! use dual::gradient;
//!
//! // Polar to Cartesian: J = [[cos t, −r sin t], [sin t, r cos t]].
//! #[gradient]
//! fn polar(r: f64, t: f64) -> (f64, f64) {
//!     (r * t.cos(), r * t.sin())
//! }
//! let ((x, y), j) = polar_value_and_jacobian(2.0, 0.0);
//! assert_eq!((x, y), (2.0, 0.0));
//! assert_eq!(j, [[1.0, 0.0], [0.0, 2.0]]);
//!
//! // Net inputs of a layer of 3 perceptrons with 2 inputs, z = W·x + b (W row by row).
//! // With `wrt(x)` the Jacobian ∂z/∂x is W itself.
//! #[gradient(wrt(x))]
//! fn net_inputs(w: [f64; 6], b: [f64; 3], x: [f64; 2]) -> [f64; 3] {
//!     [
//!         w[0] * x[0] + w[1] * x[1] + b[0],
//!         w[2] * x[0] + w[3] * x[1] + b[1],
//!         w[4] * x[0] + w[5] * x[1] + b[2],
//!     ]
//! }
//! let w = [0.5, -1.0, 2.0, 0.25, -1.5, 3.0];
//! let jac: [[f64; 2]; 3] = net_inputs_jacobian(w, [0.0; 3], [2.0, -3.0]);
//! assert_eq!(jac, [[0.5, -1.0], [2.0, 0.25], [-1.5, 3.0]]);
//! ```
//!
//! # What a body may contain
//!
//! Inside the annotated function, code that touches a differentiated value may use:
//!
//! - `let`, with or without a type, shadowing, destructuring of tuples and arrays
//!   (`let (a, b) = …;`, `let [p, q] = …;`), and `let y;` assigned later;
//! - `let mut` with `=`, `+=`, `-=`, `*=`, `/=`, also on an array element or a tuple field by a
//!   constant index (`v[1] = …`, `t.0 += …`);
//! - blocks as expressions, `if` / `else if` / `else` as statements and as expressions, early
//!   `return` anywhere (see below);
//! - array and tuple literals, `[v; N]` with a literal `N`, indexing by an integer literal, a
//!   `const`, a loop counter or any index known only at run time;
//! - `for` and `while` loops (see [loops](#loops));
//! - iterator chains over arrays and slices (`iter`, `into_iter`, `copied`, `cloned`, `x[a..b]`,
//!   `windows`, `chunks`, `chunks_exact`, then `map`, `filter`, `chain`, `zip`, `enumerate`,
//!   `skip`, `take`, `step_by`, `rev`, ended by `sum`, `product`, `fold`, or `reduce`, `max_by`,
//!   `min_by` unwrapped, or walked by `for`), rewritten into the loops over indices they stand
//!   for;
//! - arrays built by closures: `x.map(|v| …)` and `std::array::from_fn(|i| …)`;
//! - closures bound with `let`, inlined where they are called or given to `map`;
//! - `match`, `if let` and `let … else` on data (integers, enums, `bool`, `Option`s of
//!   constants) whose arms produce differentiated values;
//! - `as f64`, float literals of every form (`2.`, `1e-3`, `2.0f64`), `std::f64::consts::*`;
//! - the [built-in math](#built-in-math) and calls to other `#[gradient]` functions.
//!
//! Code that touches no differentiated value may be any Rust at all: integer counters, loops,
//! `match`, data access, calls to any function. Macros in statement position whose value is
//! not used (`println!`, `assert!`, `debug_assert!`) are kept and see the primal values.
//!
//! ```
//! use dual::gradient;
//!
//! #[gradient]
//! fn body(x: f64, y: f64, data: &[f64]) -> f64 {
//!     let scale = data.iter().sum::<f64>(); // inactive: any Rust
//!     let mut n = 0;
//!     for _ in data {
//!         n += 1; // loops are fine when they touch no differentiated value
//!     }
//!     let mut acc = x;
//!     acc *= y; // acc = xy
//!     acc += 1.;
//!     let mut v = [0.0; 2];
//!     v[1] = acc;
//!     let (p, q) = (v[1], x.sin());
//!     debug_assert!(p.is_finite(), "sees the primal value {p}");
//!     let c = {
//!         let t = q * q;
//!         t + std::f64::consts::PI
//!     };
//!     scale * p + c + n as f64
//! }
//!
//! // value = 3·(xy + 1) + sin²x + π + 2;  ∂/∂x = 3y + 2 sin x cos x,  ∂/∂y = 3x
//! let (x, y) = (0.5, 2.0);
//! let (value, [dx, dy]) = body_value_and_gradient(x, y, &[1.0, 2.0]);
//! assert_eq!(value, body(x, y, &[1.0, 2.0]));
//! assert!((dx - (3.0 * y + (2.0 * x).sin())).abs() < 1e-15);
//! assert_eq!(dy, 3.0 * x);
//! ```
//!
//! Iterator chains, closures and `match` on data read as they do anywhere else in Rust. A
//! window or chunk (`w` below) may be indexed, measured with `len()` and iterated; `max_by` and
//! `min_by` compare the items themselves (`|a, b| a.total_cmp(b)`, `f64::total_cmp`, or
//! `partial_cmp(..).unwrap()`), and are unwrapped; `std::array::from_fn` takes its length from
//! the `let`'s type, a turbofish or the function's result:
//!
//! ```
//! use dual::gradient;
//!
//! /// How a residual is penalised.
//! #[derive(Clone, Copy)]
//! pub enum Loss {
//!     Squared,
//!     Cosh,
//! }
//!
//! #[gradient]
//! fn fit(w: [f64; 3], loss: Loss) -> f64 {
//!     let penalty = |r: f64| match loss {
//!         Loss::Squared => r * r,
//!         Loss::Cosh => r.cosh() - 1.0,
//!     };
//!     let smooth: f64 = w.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
//!     w.iter().map(|&wi| penalty(wi - 1.0)).sum::<f64>() + smooth
//! }
//!
//! let w = [0.5, 2.0, 1.5];
//! let g = fit_gradient(w, Loss::Squared);
//! // ∂/∂w0 = 2(w0 - 1) - 2(w1 - w0), ∂/∂w1 = 2(w1 - 1) + 2(w1 - w0) - 2(w2 - w1), …
//! assert_eq!(g, [-4.0, 6.0, 0.0]);
//! let g = fit_gradient(w, Loss::Cosh);
//! assert!((g[0] - ((w[0] - 1.0).sinh() - 2.0 * (w[1] - w[0]))).abs() < 1e-15);
//!
//! /// The largest of the squashed values, plus a normalisation; `None` weights skip the rest.
//! #[gradient]
//! fn peak(x: [f64; 4], weight: Option<f64>) -> f64 {
//!     let Some(k) = weight else {
//!         return x.iter().sum();
//!     };
//!     let squashed = x.map(|v| (k * v).tanh());
//!     let top = squashed.iter().copied().max_by(f64::total_cmp).unwrap();
//!     let norms: [f64; 2] = std::array::from_fn(|i| x[2 * i].hypot(x[2 * i + 1]));
//!     top + norms.iter().sum::<f64>()
//! }
//!
//! let x = [0.1, 0.9, -0.4, 0.3];
//! assert_eq!(peak_gradient(x, None), [1.0; 4]);
//! let g = peak_gradient(x, Some(2.0));
//! let n0 = x[0].hypot(x[1]);
//! // x1 holds the largest: ∂/∂x1 = 2 (1 - tanh²(2 x1)) + x1 / |(x0, x1)|.
//! assert!((g[1] - (2.0 * (1.0 - (1.8f64).tanh().powi(2)) + x[1] / n0)).abs() < 1e-15);
//! assert!((g[0] - x[0] / n0).abs() < 1e-15);
//! ```
//!
//! # Branches and early `return`
//!
//! Conditions may compare differentiated values. The condition is evaluated on the primal values,
//! and the derivative is that of the branch taken, as for a hand-written derivative of piecewise
//! code. `return` may appear anywhere, also inside nested `if`s.
//!
//! ```
//! use dual::gradient;
//!
//! /// The Huber loss: quadratic near 0, linear beyond |r| = 1.
//! #[gradient]
//! fn huber(r: f64) -> f64 {
//!     if r.abs() <= 1.0 {
//!         return 0.5 * r * r;
//!     }
//!     r.abs() - 0.5
//! }
//! assert_eq!(huber_gradient(0.5), [0.5]);
//! assert_eq!(huber_gradient(3.0), [1.0]);
//! assert_eq!(huber_gradient(-3.0), [-1.0]);
//!
//! /// A piecewise-linear activation of a product, squared, with `if` as an expression.
//! #[gradient]
//! fn activation(x: f64, y: f64) -> f64 {
//!     let z = x * y;
//!     let a = if z > 0.0 {
//!         z
//!     } else if z > -4.0 {
//!         0.25 * z
//!     } else {
//!         0.5 * z + 1.0
//!     };
//!     a * a
//! }
//! // z = 6 > 0: a = z, ∇(z²) = (2zy, 2zx)
//! assert_eq!(activation_gradient(2.0, 3.0), [36.0, 24.0]);
//! // z = −2: a = z/4, ∇(a²) = 2a·(1/4)·(y, x)
//! assert_eq!(activation_gradient(-1.0, 2.0), [-0.5, 0.25]);
//! // z = −8: a = z/2 + 1 = −3, ∇(a²) = 2a·(1/2)·(y, x)
//! assert_eq!(activation_gradient(-2.0, 4.0), [-12.0, 6.0]);
//! ```
//!
//! # Calls and the chain rule
//!
//! A call whose arguments depend on differentiated values must go to a built-in math function or
//! to another `#[gradient]` function. For the latter, the caller uses the callee's
//! `NAME_value_and_gradient` (or `NAME_value_and_jacobian`) and applies the chain rule, so every
//! function is differentiated once, where it is defined. The callee is found by the same path as
//! the call: `g(x)` uses `g_value_and_gradient`, `m::g(x)` uses `m::g_value_and_gradient`,
//! `self.g(x)` uses `self.g_value_and_gradient`. A vector-valued callee is called as
//! `let [a, b] = v(x);` or `let (a, b) = v(x);`. A call whose arguments are all constants is
//! emitted as written, whatever it calls.
//!
//! The lecture's chain rule: F(x) = f(g(x), h(x)) with f(g, h) = g²h + h, g = 3x, h = x², each
//! annotated separately; F′(x) = ∂f/∂g · g′ + ∂f/∂h · h′ = 2gh · 3 + (g² + 1) · 2x = 36x³ + 2x.
//!
//! ```
//! use dual::gradient;
//!
//! #[gradient]
//! fn f(g: f64, h: f64) -> f64 {
//!     g * g * h + h
//! }
//! #[gradient]
//! fn g(x: f64) -> f64 {
//!     3.0 * x
//! }
//! #[gradient]
//! fn h(x: f64) -> f64 {
//!     x * x
//! }
//! #[gradient]
//! fn big_f(x: f64) -> f64 {
//!     f(g(x), h(x))
//! }
//! // F′(2) = 36·8 + 4
//! assert_eq!(big_f_gradient(2.0), [292.0]);
//!
//! // The same through a vector-valued inner function u(x) = (g(x), h(x)) and a module path.
//! mod inner {
//!     use dual::gradient;
//!
//!     #[gradient]
//!     pub fn u(x: f64) -> [f64; 2] {
//!         [3.0 * x, x * x]
//!     }
//! }
//! #[gradient]
//! fn big_f_vector(x: f64) -> f64 {
//!     let [a, b] = inner::u(x);
//!     f(a, b)
//! }
//! assert_eq!(big_f_vector_gradient(2.0), [292.0]);
//! assert_eq!(inner::u_jacobian(2.0), [[3.0], [4.0]]);
//! ```
//!
//! # Custom derivatives
//!
//! For a function the macro cannot see into (it lives in another crate, calls C, or you know a
//! better formula), write its `NAME_value_and_gradient` by hand, next to it, with the same
//! parameters and the result shape an annotated function would have: `(f64, [f64; n])` for a
//! scalar function (or `NAME_value_and_jacobian` returning `(R, [[f64; n]; M])` for a
//! vector-valued one). An annotated caller's `NAME(…)` then uses it for the chain rule.
//!
//! ```
//! use dual::gradient;
//!
//! /// log(1 + eˣ), computed without overflow. Not annotated: imagine it comes from elsewhere.
//! fn softplus(x: f64) -> f64 {
//!     x.max(0.0) + (-x.abs()).exp().ln_1p()
//! }
//!
//! /// Its value and derivative, by hand: softplus′ = the logistic function.
//! fn softplus_value_and_gradient(x: f64) -> (f64, [f64; 1]) {
//!     (softplus(x), [1.0 / (1.0 + (-x).exp())])
//! }
//!
//! #[gradient]
//! fn loss(w: f64, x: f64) -> f64 {
//!     softplus(w * x)
//! }
//!
//! // ∂/∂w = σ(wx)·x, ∂/∂x = σ(wx)·w; σ(0) = 1/2
//! assert_eq!(loss_gradient(0.0, 3.0), [1.5, 0.0]);
//! ```
//!
//! # Methods in `impl` blocks
//!
//! Methods and associated functions work the same way; their companions are methods and
//! associated functions too. `self` (by reference or value) is a constant.
//!
//! ```
//! use dual::gradient;
//!
//! struct Spring {
//!     k: f64,
//!     rest: f64,
//! }
//!
//! impl Spring {
//!     /// Elastic energy of the spring stretched from the origin to (x, y).
//!     #[gradient]
//!     fn energy(&self, x: f64, y: f64) -> f64 {
//!         let d = (x * x + y * y).sqrt() - self.rest;
//!         0.5 * self.k * d * d
//!     }
//!
//!     #[gradient]
//!     fn gravity(height: f64) -> f64 {
//!         9.81 * height
//!     }
//!
//!     #[gradient]
//!     fn total(&self, x: f64, y: f64) -> f64 {
//!         self.energy(x, y) + Self::gravity(y)
//!     }
//! }
//!
//! let s = Spring { k: 2.0, rest: 1.0 };
//! // |(3, 4)| = 5, d = 4: ∇E = k·d·(x, y)/5 = (4.8, 6.4)
//! let [ex, ey] = s.energy_gradient(3.0, 4.0);
//! assert!((ex - 4.8).abs() < 1e-12 && (ey - 6.4).abs() < 1e-12);
//! assert_eq!(Spring::gravity_gradient(1.0), [9.81]);
//! let [_, ty] = s.total_gradient(3.0, 4.0);
//! assert!((ty - (6.4 + 9.81)).abs() < 1e-12);
//! ```
//!
//! # Built-in math
//!
//! In method form (`x.sin()`) and path form (`f64::sin(x)`):
//!
//! - arithmetic: `+ - * /`, unary `-`, `mul_add`, `recip`;
//! - powers and roots: `powi`, `powf`, `sqrt`, `cbrt`, `hypot`;
//! - exponentials and logarithms: `exp`, `exp2`, `exp_m1`, `ln`, `log`, `log2`, `log10`, `ln_1p`;
//! - trigonometry: `sin`, `cos`, `tan`, `asin`, `acos`, `atan`, `atan2`, `to_degrees`,
//!   `to_radians`;
//! - hyperbolic: `sinh`, `cosh`, `tanh`, `asinh`, `acosh`, `atanh`;
//! - piecewise: `abs`, `signum`, `max`, `min`, `clamp`, `floor`, `ceil`, `round`, `trunc`;
//! - the constants of `std::f64::consts`.
//!
//! Predicates such as `x.is_nan()` or `x.is_finite()` may be used too; they carry no derivative.
//!
//! # Conventions at kinks
//!
//! Where a derivative does not exist, the generated code uses these values:
//!
//! | expression                         | derivative used                                         |
//! |------------------------------------|---------------------------------------------------------|
//! | `x.abs()` at 0                     | 0                                                       |
//! | `x.max(y)`, `x.min(y)` at a tie    | all of it to the receiver `x` (∂/∂x = 1, ∂/∂y = 0)       |
//! | `x.clamp(lo, hi)`                  | ∂/∂x = 1 when lo ≤ x ≤ hi (bounds included), else the bound that is hit gets 1 |
//! | `floor`, `ceil`, `round`, `trunc`, `signum` | 0 everywhere                                   |
//! | `x.powf(c)` at x = 0, constant c   | exact: c·0^(c−1), so 0 for c > 1 (not NaN)              |
//! | `x.sqrt()` at 0                    | +∞                                                      |
//!
//! Each partial derivative is its own expression, so a singularity in one does not turn the others
//! into NaN.
//!
//! ```
//! use dual::gradient;
//!
//! #[gradient]
//! fn kinks(x: f64, y: f64) -> f64 {
//!     x.abs() + x.max(y) + x.clamp(0.0, 1.0) + x.floor()
//! }
//! // At (0, 0): abs′ = 0, the tie goes to x, clamp passes at its lower bound, floor′ = 0.
//! assert_eq!(kinks_gradient(0.0, 0.0), [2.0, 0.0]);
//! // At (1, −1): abs′ = 1, max′ = 1, clamp passes at its upper bound, floor′ = 0.
//! assert_eq!(kinks_gradient(1.0, -1.0), [3.0, 0.0]);
//!
//! #[gradient]
//! fn roots(x: f64, y: f64) -> f64 {
//!     x.powf(1.5) + y.sqrt()
//! }
//! assert_eq!(roots_gradient(0.0, 0.0), [0.0, f64::INFINITY]);
//! ```
//!
//! # Loops
//!
//! `for` and `while` loops may touch differentiated values. The companions keep them loops, as an
//! expert writes a derivative by hand, except where unrolling is measurably faster:
//!
//! - **`for i in a..b` over a range** whose trip count is not a small constant the macro sees —
//!   more than 32 iterations, or bounds that are module `const`s, const generic parameters,
//!   `x.len()` or run-time values (and `for v in x`, `for &v in &x`, `for v in x.iter()` over a
//!   differentiated array of more than 32 elements): the loop is *kept a loop*. Its derivative is a backward loop
//!   over the same range that recomputes what it needs of each iteration from the inputs (nothing
//!   is stored for sums, maps and reductions), reads back what the forward loop wrote to an
//!   array (`h[k] = s.tanh()`), and for floats carried in a nonlinear recurrence
//!   (`m = m.max(z[c])`, `p *= x[i]`) reads the values the forward loop stored — on the stack when
//!   the range has a constant bound, in a `Vec` otherwise. Reads of arrays (`x[i]`,
//!   `w[c * F + j]`) are constant-time in both sweeps and their adjoints accumulate into adjoint
//!   arrays (`dw[c * F + j] += …`); local arrays a loop fills (`let mut z = [0.0; C];`,
//!   `z[c] = s;`, `h[k] += …`) are arrays too. Nested loops and `if`s on differentiated values
//!   work inside. When the backward loop needs nothing computed after the forward one (a sum
//!   whose adjoint is a constant), the two run as one loop. The code size does not depend on the
//!   trip count or the array lengths.
//! - **At most 32 iterations known to the macro** (`0..31`, `0..x.len()` of a literal array,
//!   `for xi in x` over a differentiated array of at most 32 elements): the loop is *unrolled*, so its body may do
//!   anything a straight-line body may, and the derivative code is straight-line code with every
//!   repeated subexpression shared (faster at these sizes: 0.89 of hand-written against 1.27
//!   rolled, for 31 iterations of the extended Rosenbrock function).
//! - **Other loops** — `while`, `loop`, `for` over other iterables (`xs.iter().zip(ys)`), loops
//!   that read and write the same local array: the loop is emitted once and may carry any single
//!   floats. When every differentiated value it carries is
//!   a *sum* (`s += …`), the companion accumulates each increment's gradient in the same loop;
//!   otherwise (a product, Horner's rule over data, a fixed-point iteration) the loop carries,
//!   next to each value, its derivatives with respect to the values it started from and to those
//!   the body reads from outside (forward tangents): m·(m + k) extra multiply-adds per iteration.
//!   Carried arrays or tuples, `return` inside, and Hessians through such loops are compile
//!   errors; an array whose length the macro does not see cannot be indexed in them.
//!
//! `break` and `continue` (also under an `if` on differentiated values) work: the derivative is
//! that of the iterations that ran. Labelled jumps and `break value` are compile errors.
//!
//! Array parameters may have any constant length (`[f64; N]` with a module `const`, a const
//! generic parameter, `[f64; A * B]`); `&[f64; N]` (same gradient type as by value) and `&[f64]`
//! / `&Vec<f64>` (gradient a `Vec<f64>` of the same length) are differentiated when `wrt` names
//! them. Matrices `[[f64; C]; R]` (and `&[[f64; C]; R]` named in `wrt`) are read in place as
//! `w[r][c]`, with a gradient of the same type. Hessians and Jacobians with respect to arrays read
//! in place are compile errors.
//!
//! ```
//! use dual::gradient;
//!
//! /// The extended Rosenbrock function: unrolled (7 iterations).
//! #[gradient]
//! fn ext_rosenbrock(x: [f64; 8]) -> f64 {
//!     let mut s = 0.0;
//!     for i in 0..7 {
//!         s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
//!     }
//!     s
//! }
//! assert_eq!(ext_rosenbrock_gradient([1.0; 8]), [0.0; 8]);
//!
//! /// A mean squared error over a data set of any size: a run-time loop summing a loss.
//! #[gradient(wrt(w, b))]
//! fn mse(w: [f64; 2], b: f64, xs: &[[f64; 2]], ys: &[f64]) -> f64 {
//!     let mut l = 0.0;
//!     for i in 0..xs.len() {
//!         let z = w[0] * xs[i][0] + w[1] * xs[i][1] + b;
//!         l += (z - ys[i]).powi(2);
//!     }
//!     l / xs.len() as f64
//! }
//! // One sample: ∂/∂b = 2 (z − y) = 2 (1·1 + 2·1 + 0 − 1) = 4
//! let (gw, gb) = mse_gradient([1.0, 2.0], 0.0, &[[1.0, 1.0]], &[1.0]);
//! assert_eq!((gw, gb), ([4.0, 4.0], 4.0));
//! ```
//!
//! # Second derivatives: `hessian`
//!
//! `#[gradient(hessian)]` on a function with a scalar result also emits
//! `NAME_hessian(..) -> [[f64; n]; n]` and `NAME_value_gradient_and_hessian(..) -> (f64, G,
//! [[f64; n]; n])` (what Newton's method needs), with n the differentiated scalars in parameter
//! order, arrays flattened. It combines with `wrt`. The Hessian is exact and symmetric by
//! construction: the derivative code is differentiated again (reverse over reverse) and each
//! entry above the diagonal is computed once and used for both halves. It works through branches,
//! unrolled loops and calls to functions that are annotated with `hessian` too: a caller taking a
//! Hessian calls the callee's `NAME_value_gradient_and_hessian` (a callee without it is a compile
//! error at the call).
//!
//! ```
//! use dual::gradient;
//!
//! #[gradient(hessian)]
//! fn rosenbrock(x: f64, y: f64) -> f64 {
//!     (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
//! }
//! assert_eq!(rosenbrock_hessian(1.0, 1.0), [[802.0, -400.0], [-400.0, 200.0]]);
//! ```
//!
//! # `f32` functions and `const fn`
//!
//! A function whose result and differentiated parameters are all `f32` gets `f32` companions of
//! the same shapes; unsuffixed literals, `std::f32::consts` and `f32::sin(x)` work. Mixing `f32`
//! and `f64` differentiated values is a compile error.
//!
//! When the annotated function is a `const fn`, its companions are `const fn` too, so derivatives
//! can be computed — and checked — by the compiler:
//!
//! ```
//! use dual::gradient;
//!
//! #[gradient(hessian)]
//! const fn cubic(x: f64, y: f64) -> f64 {
//!     x * x * x - 2.0 * x * y + y * y
//! }
//! const G: [f64; 2] = cubic_gradient(1.0, 2.0);
//! const H: [[f64; 2]; 2] = cubic_hessian(1.0, 2.0);
//! const _: () = assert!(G[0] == -1.0 && G[1] == 2.0); // 3x² − 2y, −2x + 2y
//! const _: () = assert!(H[0][0] == 6.0 && H[0][1] == -2.0 && H[1][1] == 2.0);
//!
//! #[gradient]
//! const fn area(r: f32) -> f32 {
//!     std::f32::consts::PI * r * r
//! }
//! const DA: [f32; 1] = area_gradient(2.0); // 2πr, in f32
//! const _: () = assert!(DA[0] == 2.0 * std::f32::consts::PI * 2.0);
//! ```
//!
//! A `const fn` may only use what Rust evaluates at compile time (arithmetic, comparisons, `if`,
//! `abs`, `max`, …); a call such as `x.sin()` is rustc's own error, at your `sin`.
//!
//! # What is an error
//!
//! Anything else that touches a differentiated value is a compile error spanned on the offending
//! tokens, with a message that names the construct and says what is supported. Every problem of
//! a function is reported in one compile, and the original function is still emitted, so the rest
//! of your code keeps compiling. The macro never panics. The error kinds:
//!
//! - `#[gradient]` on something that is not a function with a body, or on an `async fn`;
//! - a return type other than `f64`, `[f64; M]` (literal `M`) or a tuple of `f64`; no
//!   parameter to differentiate; a differentiated array whose length is not a literal;
//! - an unknown option, a malformed `wrt`, or `wrt` naming a parameter that does not exist or is
//!   not `f64` / `[f64; N]`;
//! - an unknown method on a differentiated value (e.g. `x.fract()`);
//! - a `match` on a differentiated value, a closure capturing one that is stored, returned or
//!   passed to a function, a reference, a struct literal or a macro (other than in statement
//!   position) that carries a differentiated value;
//! - the loop forms that are not supported yet (see [loops](#loops));
//! - `hessian` on a vector-valued function or through a loop with a run-time trip count; mixing
//!   `f32` and `f64`;
//! - a call with differentiated arguments to a function that is neither built in nor annotated:
//!   rustc reports the missing `NAME_value_and_gradient` at the call (error E0425).
//! - a body beyond the sizes the expander reads with the compiler's stack to spare: more than 128
//!   levels of nesting, 2048 operators in one expression, or 256 chained method calls, prefix
//!   operators or `return`s (split such code with `let`, or into functions).
//!
//! A function of your own named like a companion (`f_gradient` beside `#[gradient] fn f`) is
//! rustc's "defined multiple times" (E0428): an attribute sees only the function it is on.
//!
//! A loop with a run-time trip count that carries an array (only single floats can be carried):
//!
//! ```compile_fail
//! use dual::gradient;
//!
//! #[gradient]
//! fn powers(x: f64, n: usize) -> f64 {
//!     let mut p = [1.0, 0.0];
//!     for _ in 0..n {
//!         // error: this loop changes `p` in a way that cannot be differentiated over a run-time
//!         // number of iterations
//!         p[0] *= x;
//!         p[1] += p[0];
//!     }
//!     p[1]
//! }
//! # fn main() {}
//! ```
//!
//! An unknown option:
//!
//! ```compile_fail
//! use dual::gradient;
//!
//! #[gradient(with_respect_to(x))] // error: unknown option `with_respect_to`; supported options: …
//! fn f(x: f64) -> f64 {
//!     x * x
//! }
//! # fn main() {}
//! ```
//!
//! A call with a differentiated argument to a function that is not annotated:
//!
//! ```compile_fail,E0425
//! use dual::gradient;
//!
//! fn plain(x: f64) -> f64 {
//!     x * x
//! }
//!
//! #[gradient]
//! fn f(x: f64) -> f64 {
//!     plain(x) // error[E0425]: cannot find function `plain_value_and_gradient`
//! }
//! # fn main() {}
//! ```
//!
//! The fix for the last one is to annotate `plain` with `#[gradient]`, or to write
//! `plain_value_and_gradient` by hand ([custom derivatives](#custom-derivatives)).
//!
//! # How it works
//!
//! The macro lowers the body into an intermediate representation: a flat arena of pure `f64`
//! expression nodes, each remembering the span of the user's tokens it came from, organised in
//! structured blocks that mirror the user's `if`s. Activity analysis follows the data flow to
//! decide which values depend on a differentiated parameter; everything else (integers, data
//! access, `println!`) is inactive and emitted as written. Nodes are hash-consed, so a repeated
//! subexpression is one node, and simplified as they are built (constant folding, algebraic
//! identities that are exact in IEEE arithmetic, no materialised zeros; in derivative code also
//! the regrouping of constant factors and reciprocals a careful human would write, which may
//! change the last bits of a derivative but never the value). The derivative is formed
//! by reverse accumulation of adjoints over this DAG, one rule per primitive from a single rule
//! table, reusing the primal result where it can (`exp`, `sqrt`, `tanh`, division); the adjoints
//! are nodes too, so they are simplified and shared with the primal computation. A branch becomes
//! a forward `if` that saves the values the backward sweep needs, and a backward `if` on the same
//! condition; an early `return` becomes a flag so the backward sweep always runs after the
//! forward one. The result is emitted as `let` bindings of `f64` arithmetic and method calls, so
//! the gradient of a function of n inputs costs a small constant multiple of the function,
//! independent of n. For `x * x * y + y` the gradient companion is, today:
//!
//! ```text
//! fn f_gradient(x: f64, y: f64) -> [f64; 2] {
//!     let __t0 = x;
//!     let __t1 = y;
//!     let __t2 = __t0 * __t0;
//!     let __t6 = __t2 + 1f64;
//!     let __t8 = __t0 * 2f64;
//!     let __t9 = __t1 * __t8;
//!     [__t9, __t6]
//! }
//! ```
//!
//! # Compile time
//!
//! Cargo builds proc macros without optimisations, in release builds too, so the expansion runs
//! 10–20 times slower than it could. With many annotated functions, optimise build scripts and
//! proc macros once, in the workspace's `Cargo.toml` (README, "Performance", has the figures):
//!
//! ```toml
//! [profile.dev.build-override]
//! opt-level = 3
//! [profile.release.build-override]
//! opt-level = 3
//! ```
//!
//! # Limitations
//!
//! Not supported yet, each reported by a compile error that says so:
//!
//! - in loops over differentiated values: `return`, labelled jumps, `break value`; in loops with a
//!   run-time trip count, carried arrays or tuples and Hessians;
//! - `match`, `if let` or `let … else` on a differentiated value (compare with `if` / `else`);
//! - closures capturing differentiated values that escape (stored, returned, passed on),
//!   references and macros that carry differentiated values;
//! - iterator adapters outside the list above (`scan`, `flat_map`, `take_while`, …), adapters
//!   that count positions after a `filter` (or, but for `rev`, after a `chain`), and `max_by` /
//!   `min_by` comparing something other than the items (write the loop over indices);
//! - Hessians and Jacobians with respect to arrays read in place (a length that is not a
//!   literal, a slice, a matrix), and matrices as results.

pub use dual_derive::gradient;

// The README's code blocks are compiled and run as doctests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
