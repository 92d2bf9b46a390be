//! The examples of [`dual`], and what their tests and benchmarks share.
//!
//! The main example classifies the UCI handwritten digits (1,797 images of 8 × 8 pixels, see
//! `data/README.md`) with two networks whose loss on one image is written once, as ordinary Rust
//! with loops over the module constants [`PIXELS`], [`DIGITS`] and [`HIDDEN`], and differentiated
//! by `#[gradient]` at compile time:
//!
//! ```sh
//! cargo run --release --example digits               # 64 → 10 softmax (650 parameters)
//! cargo run --release --example digits -- --hidden 32  # 64 → 32 tanh → 10 (2,410 parameters)
//! ```
//!
//! - [`data`]: parsing `digits.csv`, the held-out split, standardisation, images as text;
//! - [`networks`]: the two losses ([`softmax_loss`], [`two_layer_loss`]) and their hand-written
//!   backpropagation ([`softmax_backprop`], [`two_layer_backprop`]);
//! - [`training`]: mini-batch gradient descent and evaluation;
//! - [`chart`]: the SVG picture of training.

pub mod chart;
pub mod data;
pub mod networks;
pub mod training;

pub use data::{DIGITS, PIXELS};
pub use networks::{
    softmax_backprop, softmax_loss, two_layer_backprop, two_layer_loss, Network, Softmax, TwoLayer,
    HIDDEN,
};
