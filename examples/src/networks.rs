//! The two networks, each as its loss on one image written once with loops over the module
//! constants and differentiated by `#[gradient]`, and the same gradients written by hand
//! (backpropagation) to check and to time the generated ones against.
//!
//! Both end in a softmax over the ten digits with the cross-entropy loss
//! `ℓ = log Σ_d exp(z_d) − z_label`, computed stably around the largest logit `m`
//! (`m + log Σ_d exp(z_d − m)`; its derivative with respect to `m` is exactly 0).

// The losses are written the way users write loops: over indices.
#![allow(clippy::needless_range_loop)]

use crate::data::{DIGITS, PIXELS};
use dual::gradient;

/// The number of tanh units of [`TwoLayer`]'s hidden layer.
pub const HIDDEN: usize = 32;

/// The cross-entropy loss of the single-layer network on one standardised image `x` of digit
/// `label`: logits `z_d = b_d + Σ_p w[d][p] x_p`, then softmax. Differentiated with respect to
/// the weights and biases (`wrt(w, b)`); the image is data.
#[gradient(wrt(w, b))]
pub fn softmax_loss(
    w: &[[f64; PIXELS]; DIGITS],
    b: &[f64; DIGITS],
    x: &[f64; PIXELS],
    label: usize,
) -> f64 {
    let mut z = [0.0; DIGITS];
    for d in 0..DIGITS {
        let mut s = b[d];
        for p in 0..PIXELS {
            s += w[d][p] * x[p];
        }
        z[d] = s;
    }
    let mut m = z[0];
    for d in 1..DIGITS {
        m = m.max(z[d]);
    }
    let mut se = 0.0;
    for d in 0..DIGITS {
        se += (z[d] - m).exp();
    }
    m + se.ln() - z[label]
}

/// The cross-entropy loss of the two-layer network on one standardised image `x` of digit
/// `label`: hidden units `h_k = tanh(b1_k + Σ_p w1[k][p] x_p)`, logits
/// `z_d = b2_d + Σ_k w2[d][k] h_k`, then softmax. Differentiated with respect to all four
/// parameter arrays; the image is data.
#[gradient(wrt(w1, b1, w2, b2))]
pub fn two_layer_loss(
    w1: &[[f64; PIXELS]; HIDDEN],
    b1: &[f64; HIDDEN],
    w2: &[[f64; HIDDEN]; DIGITS],
    b2: &[f64; DIGITS],
    x: &[f64; PIXELS],
    label: usize,
) -> f64 {
    let mut h = [0.0; HIDDEN];
    for k in 0..HIDDEN {
        let mut s = b1[k];
        for p in 0..PIXELS {
            s += w1[k][p] * x[p];
        }
        h[k] = s.tanh();
    }
    let mut z = [0.0; DIGITS];
    for d in 0..DIGITS {
        let mut s = b2[d];
        for k in 0..HIDDEN {
            s += w2[d][k] * h[k];
        }
        z[d] = s;
    }
    let mut m = z[0];
    for d in 1..DIGITS {
        m = m.max(z[d]);
    }
    let mut se = 0.0;
    for d in 0..DIGITS {
        se += (z[d] - m).exp();
    }
    m + se.ln() - z[label]
}

/// A network that maps an image to ten logits, with a loss and its gradient on one image.
///
/// A gradient has the shape of the parameters, so it is a value of the network's own type.
pub trait Network: Clone {
    /// A short name for reports, e.g. `64 → 10 softmax`.
    fn describe(&self) -> String;
    /// The network with every parameter zero (the shape of a gradient, ready to accumulate).
    fn zeros() -> Self;
    /// Deterministic small initial parameters drawn from `seed`.
    fn init(seed: u64) -> Self;
    /// The logits of the ten digits for a standardised image.
    fn logits(&self, x: &[f64; PIXELS]) -> [f64; DIGITS];
    /// The loss on one image (the plain function, no derivative).
    fn loss(&self, x: &[f64; PIXELS], label: usize) -> f64;
    /// The loss on one image and its gradient with respect to every parameter, from the
    /// companion `#[gradient]` generated.
    fn loss_and_gradient(&self, x: &[f64; PIXELS], label: usize) -> (f64, Self);
    /// Every parameter array, flattened, in a fixed order.
    fn parameters(&self) -> Vec<&[f64]>;
    /// Every parameter array, flattened, mutable, in the order of [`Network::parameters`].
    fn parameters_mut(&mut self) -> Vec<&mut [f64]>;

    /// The digit with the largest logit (the first one on a tie).
    fn predict(&self, x: &[f64; PIXELS]) -> usize {
        let z = self.logits(x);
        (1..DIGITS).fold(0, |best, d| if z[d] > z[best] { d } else { best })
    }

    /// The number of parameters.
    fn parameter_count(&self) -> usize {
        self.parameters().iter().map(|p| p.len()).sum()
    }

    /// `self += scale · other`, parameter by parameter.
    fn add_scaled(&mut self, other: &Self, scale: f64) {
        for (mine, theirs) in self.parameters_mut().into_iter().zip(other.parameters()) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += scale * b;
            }
        }
    }
}

/// The single-layer network: 64 pixels → 10 digits, softmax (multinomial logistic regression),
/// 650 parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Softmax {
    /// Weights: `w[d][p]`, pixel `p`'s weight for digit `d`.
    pub w: [[f64; PIXELS]; DIGITS],
    /// Biases, one per digit.
    pub b: [f64; DIGITS],
}

impl Network for Softmax {
    fn describe(&self) -> String {
        format!("single layer, {PIXELS} → {DIGITS} softmax")
    }

    fn zeros() -> Self {
        Softmax {
            w: [[0.0; PIXELS]; DIGITS],
            b: [0.0; DIGITS],
        }
    }

    /// Weights uniform in ±0.01 (the loss is convex: zeros would do as well).
    fn init(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Softmax {
            w: std::array::from_fn(|_| std::array::from_fn(|_| 0.01 * rng.symmetric())),
            b: [0.0; DIGITS],
        }
    }

    fn logits(&self, x: &[f64; PIXELS]) -> [f64; DIGITS] {
        std::array::from_fn(|d| self.b[d] + dot(&self.w[d], x))
    }

    fn loss(&self, x: &[f64; PIXELS], label: usize) -> f64 {
        softmax_loss(&self.w, &self.b, x, label)
    }

    fn loss_and_gradient(&self, x: &[f64; PIXELS], label: usize) -> (f64, Self) {
        let (loss, (w, b)) = softmax_loss_value_and_gradient(&self.w, &self.b, x, label);
        (loss, Softmax { w, b })
    }

    fn parameters(&self) -> Vec<&[f64]> {
        vec![self.w.as_flattened(), &self.b]
    }

    fn parameters_mut(&mut self) -> Vec<&mut [f64]> {
        vec![self.w.as_flattened_mut(), &mut self.b]
    }
}

/// The two-layer network: 64 pixels → [`HIDDEN`] tanh units → 10 digits, softmax; 2,410
/// parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoLayer {
    /// First-layer weights: `w1[k][p]`, pixel `p`'s weight for hidden unit `k`.
    pub w1: [[f64; PIXELS]; HIDDEN],
    /// First-layer biases, one per hidden unit.
    pub b1: [f64; HIDDEN],
    /// Second-layer weights: `w2[d][k]`, hidden unit `k`'s weight for digit `d`.
    pub w2: [[f64; HIDDEN]; DIGITS],
    /// Second-layer biases, one per digit.
    pub b2: [f64; DIGITS],
}

impl TwoLayer {
    /// The hidden layer's activations for a standardised image.
    pub fn hidden(&self, x: &[f64; PIXELS]) -> [f64; HIDDEN] {
        std::array::from_fn(|k| (self.b1[k] + dot(&self.w1[k], x)).tanh())
    }
}

impl Network for TwoLayer {
    fn describe(&self) -> String {
        format!("two layers, {PIXELS} → {HIDDEN} tanh → {DIGITS} softmax")
    }

    fn zeros() -> Self {
        TwoLayer {
            w1: [[0.0; PIXELS]; HIDDEN],
            b1: [0.0; HIDDEN],
            w2: [[0.0; HIDDEN]; DIGITS],
            b2: [0.0; DIGITS],
        }
    }

    /// Weights uniform in ±1/√fan-in (Xavier-like, so the tanh units start unsaturated on
    /// standardised pixels); biases zero.
    fn init(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let s1 = 1.0 / (PIXELS as f64).sqrt();
        let s2 = 1.0 / (HIDDEN as f64).sqrt();
        TwoLayer {
            w1: std::array::from_fn(|_| std::array::from_fn(|_| s1 * rng.symmetric())),
            b1: [0.0; HIDDEN],
            w2: std::array::from_fn(|_| std::array::from_fn(|_| s2 * rng.symmetric())),
            b2: [0.0; DIGITS],
        }
    }

    fn logits(&self, x: &[f64; PIXELS]) -> [f64; DIGITS] {
        let h = self.hidden(x);
        std::array::from_fn(|d| self.b2[d] + dot(&self.w2[d], &h))
    }

    fn loss(&self, x: &[f64; PIXELS], label: usize) -> f64 {
        two_layer_loss(&self.w1, &self.b1, &self.w2, &self.b2, x, label)
    }

    fn loss_and_gradient(&self, x: &[f64; PIXELS], label: usize) -> (f64, Self) {
        let (loss, (w1, b1, w2, b2)) =
            two_layer_loss_value_and_gradient(&self.w1, &self.b1, &self.w2, &self.b2, x, label);
        (loss, TwoLayer { w1, b1, w2, b2 })
    }

    fn parameters(&self) -> Vec<&[f64]> {
        vec![
            self.w1.as_flattened(),
            &self.b1,
            self.w2.as_flattened(),
            &self.b2,
        ]
    }

    fn parameters_mut(&mut self) -> Vec<&mut [f64]> {
        vec![
            self.w1.as_flattened_mut(),
            &mut self.b1,
            self.w2.as_flattened_mut(),
            &mut self.b2,
        ]
    }
}

/// Hand-written backpropagation for [`Softmax`]: the loss on one image and its gradient,
/// `dz_d = softmax_d − [d = label]`, `dw[d][p] = dz_d x_p`, `db_d = dz_d`.
pub fn softmax_backprop(net: &Softmax, x: &[f64; PIXELS], label: usize) -> (f64, Softmax) {
    let z = net.logits(x);
    let (loss, dz) = softmax_cross_entropy(&z, label);
    let mut grad = Softmax::zeros();
    for d in 0..DIGITS {
        grad.b[d] = dz[d];
        for p in 0..PIXELS {
            grad.w[d][p] = dz[d] * x[p];
        }
    }
    (loss, grad)
}

/// Hand-written backpropagation for [`TwoLayer`]: the loss on one image and its gradient.
/// Backward through the output layer, `dz = softmax − onehot(label)`, `dw2 = dz hᵀ`,
/// `db2 = dz`, `dh = w2ᵀ dz` (in one pass over `w2`'s rows); then through tanh,
/// `ds = dh (1 − h²)`, `dw1 = ds xᵀ`, `db1 = ds`.
pub fn two_layer_backprop(net: &TwoLayer, x: &[f64; PIXELS], label: usize) -> (f64, TwoLayer) {
    let h = net.hidden(x);
    let z: [f64; DIGITS] = std::array::from_fn(|d| net.b2[d] + dot(&net.w2[d], &h));
    let (loss, dz) = softmax_cross_entropy(&z, label);
    let mut grad = TwoLayer::zeros();
    let mut dh = [0.0; HIDDEN];
    for d in 0..DIGITS {
        grad.b2[d] = dz[d];
        for k in 0..HIDDEN {
            grad.w2[d][k] = dz[d] * h[k];
            dh[k] += dz[d] * net.w2[d][k];
        }
    }
    for k in 0..HIDDEN {
        let ds = dh[k] * (1.0 - h[k] * h[k]);
        grad.b1[k] = ds;
        for p in 0..PIXELS {
            grad.w1[k][p] = ds * x[p];
        }
    }
    (loss, grad)
}

/// The cross-entropy of the softmax of the logits `z` for `label`, and its gradient with respect
/// to `z`: `softmax(z) − onehot(label)`.
fn softmax_cross_entropy(z: &[f64; DIGITS], label: usize) -> (f64, [f64; DIGITS]) {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = z.map(|zd| (zd - m).exp());
    let se: f64 = e.iter().sum();
    let loss = m + se.ln() - z[label];
    let dz = std::array::from_fn(|d| e[d] / se - if d == label { 1.0 } else { 0.0 });
    (loss, dz)
}

/// The dot product of two arrays.
fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A small deterministic pseudo-random generator (xorshift64*): parameter initialisation and the
/// order of the training images, reproducible without a `rand` dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value; 0 is replaced by a fixed non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number uniform in [−1, 1).
    pub fn symmetric(&mut self) -> f64 {
        2.0 * self.unit() - 1.0
    }

    /// An index uniform in `0..n` (multiply-shift on the high bits).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}
