//! Array-scale benchmark cases: for each, the plain function written the way a user writes it
//! (loops over module constants, indexing; no `#[gradient]`), an expert's hand-written
//! `_value_and_gradient` (fused forward and backward loops over adjoint arrays, O(n), no heap
//! allocation) and deterministic inputs.
//!
//! Not part of `support/mod.rs`: a benchmark includes it with
//! `#[path = "support/arrays.rs"] mod arrays;`, and `tests/array_references.rs` checks the
//! expert gradients against the plain functions.
//!
//! 1. `ext_rosenbrock` over `[f64; N]`, `N = 1000`; also written as iterator chains
//!    (`rosenbrock_windows`, `rosenbrock_zip`), against the same expert gradient.
//! 2. `softmax_xent`: softmax cross-entropy of one sample, a linear layer of `CLASSES` rows of
//!    `FEATURES` weights (row `c` is `w[c * FEATURES..(c + 1) * FEATURES]`) and `CLASSES` biases.
//! 3. `mlp_loss`: the softmax cross-entropy of one sample through a two-layer network,
//!    `INPUTS` inputs, `HIDDEN` tanh units, `OUTPUTS` classes (row-major weights as above).

// The plain functions are written the way users write loops.
#![allow(clippy::needless_range_loop)]

// ---------------------------------------------------------------------------------------------
// Deterministic inputs
// ---------------------------------------------------------------------------------------------

/// The 64-bit LCG of `benches/loops.rs`: the next state.
fn lcg_next(s: &mut u64) -> u64 {
    *s = s
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *s
}

/// The next number in [-1, 1) from the LCG state `s`.
fn lcg_unit(s: &mut u64) -> f64 {
    ((lcg_next(s) >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// `L` deterministic pseudo-random numbers in [-scale, scale), continuing from state `s`.
fn lcg_array<const L: usize>(s: &mut u64, scale: f64) -> [f64; L] {
    std::array::from_fn(|_| scale * lcg_unit(s))
}

/// A deterministic label in `0..classes`, continuing from state `s`.
fn lcg_label(s: &mut u64, classes: usize) -> usize {
    // From the high bits (multiply-shift): the low bits of an LCG have short periods.
    ((u128::from(lcg_next(s)) * classes as u128) >> 64) as usize
}

// ---------------------------------------------------------------------------------------------
// 1. Extended Rosenbrock over [f64; N]
// ---------------------------------------------------------------------------------------------

/// The dimension of `ext_rosenbrock`.
pub const N: usize = 1000;

/// The extended Rosenbrock function, `Σ_{i<N-1} 100 (x_{i+1} - x_i²)² + (1 - x_i)²`.
#[dual::gradient]
pub fn ext_rosenbrock(x: [f64; N]) -> f64 {
    let mut s = 0.0;
    for i in 0..N - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

/// [`ext_rosenbrock`] as an iterator chain over `windows(2)`.
#[dual::gradient]
pub fn rosenbrock_windows(x: [f64; N]) -> f64 {
    x.windows(2)
        .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
        .sum()
}

/// [`ext_rosenbrock`] as argmin writes it: `zip` with `skip(1)`.
#[dual::gradient]
pub fn rosenbrock_zip(x: [f64; N]) -> f64 {
    x.iter()
        .zip(x.iter().skip(1))
        .map(|(&a, &b)| 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2))
        .sum()
}

/// The expert's value and gradient of [`ext_rosenbrock`]: one fused loop, each term adding its
/// two contributions to the adjoint array at once.
#[inline]
pub fn ext_rosenbrock_expert(x: &[f64; N]) -> (f64, [f64; N]) {
    let mut f = 0.0;
    let mut g = [0.0; N];
    for i in 0..N - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        f += 100.0 * t * t + u * u;
        g[i] += -400.0 * t * x[i] - 2.0 * u;
        g[i + 1] = 200.0 * t;
    }
    (f, g)
}

/// A deterministic point for [`ext_rosenbrock`], coordinates in [-1.2, 1.2).
pub fn ext_rosenbrock_input(seed: u64) -> [f64; N] {
    let mut s = seed;
    lcg_array(&mut s, 1.2)
}

// ---------------------------------------------------------------------------------------------
// 2. Softmax cross-entropy of one sample
// ---------------------------------------------------------------------------------------------

/// The number of features of `softmax_xent`.
pub const FEATURES: usize = 64;
/// The number of classes of `softmax_xent`.
pub const CLASSES: usize = 10;

/// The softmax cross-entropy of the sample `x` with class `label` under the linear model `(w, b)`:
/// `log Σ_c exp(z_c) - z_label` with `z_c = b_c + Σ_j w[c * FEATURES + j] x_j`, computed stably
/// around the largest logit.
#[dual::gradient]
pub fn softmax_xent(
    w: [f64; FEATURES * CLASSES],
    b: [f64; CLASSES],
    x: &[f64; FEATURES],
    label: usize,
) -> f64 {
    let mut z = [0.0; CLASSES];
    for c in 0..CLASSES {
        let mut s = b[c];
        for j in 0..FEATURES {
            s += w[c * FEATURES + j] * x[j];
        }
        z[c] = s;
    }
    let mut m = z[0];
    for c in 1..CLASSES {
        m = m.max(z[c]);
    }
    let mut se = 0.0;
    for c in 0..CLASSES {
        se += (z[c] - m).exp();
    }
    m + se.ln() - z[label]
}

/// The expert's value and gradient of [`softmax_xent`] with respect to `(w, b)`:
/// `dz_c = softmax_c - [c = label]`, `dw[c * FEATURES + j] = dz_c x_j`, `db_c = dz_c`.
/// The exponentials of the forward pass are kept for the backward one, which is one loop over
/// the classes writing each row of `dw`.
#[inline]
pub fn softmax_xent_expert(
    w: &[f64; FEATURES * CLASSES],
    b: &[f64; CLASSES],
    x: &[f64; FEATURES],
    label: usize,
) -> (f64, ([f64; FEATURES * CLASSES], [f64; CLASSES])) {
    // Forward: logits, their maximum, the shifted exponentials and their sum.
    let mut z = [0.0; CLASSES];
    for c in 0..CLASSES {
        let row = &w[c * FEATURES..(c + 1) * FEATURES];
        let mut s = b[c];
        for j in 0..FEATURES {
            s += row[j] * x[j];
        }
        z[c] = s;
    }
    let mut m = z[0];
    for c in 1..CLASSES {
        m = m.max(z[c]);
    }
    let mut e = [0.0; CLASSES];
    let mut se = 0.0;
    for c in 0..CLASSES {
        e[c] = (z[c] - m).exp();
        se += e[c];
    }
    let f = m + se.ln() - z[label];

    // Backward: dz = softmax - onehot(label), then the outer product with x.
    let inv = 1.0 / se;
    let mut dw = [0.0; FEATURES * CLASSES];
    let mut db = [0.0; CLASSES];
    for c in 0..CLASSES {
        let dz = e[c] * inv - if c == label { 1.0 } else { 0.0 };
        db[c] = dz;
        let row = &mut dw[c * FEATURES..(c + 1) * FEATURES];
        for j in 0..FEATURES {
            row[j] = dz * x[j];
        }
    }
    (f, (dw, db))
}

/// The parameters and data of one [`softmax_xent`] evaluation.
#[derive(Clone, Debug)]
pub struct SoftmaxXentInputs {
    /// Weights, row `c` (class `c`) at `c * FEATURES..`, in [-0.25, 0.25).
    pub w: [f64; FEATURES * CLASSES],
    /// Biases, in [-0.5, 0.5).
    pub b: [f64; CLASSES],
    /// The sample's features, in [-1, 1).
    pub x: [f64; FEATURES],
    /// The sample's class, in `0..CLASSES`.
    pub label: usize,
}

/// Deterministic inputs for [`softmax_xent`]; weights of about `1 / sqrt(FEATURES)` keep the
/// logits of order 1.
pub fn softmax_xent_inputs(seed: u64) -> SoftmaxXentInputs {
    let mut s = seed;
    SoftmaxXentInputs {
        w: lcg_array(&mut s, 0.25),
        b: lcg_array(&mut s, 0.5),
        x: lcg_array(&mut s, 1.0),
        label: lcg_label(&mut s, CLASSES),
    }
}

// ---------------------------------------------------------------------------------------------
// 3. A two-layer network: INPUTS -> HIDDEN tanh -> OUTPUTS softmax, loss of one sample
// ---------------------------------------------------------------------------------------------

/// The number of inputs of `mlp_loss`.
pub const INPUTS: usize = 16;
/// The number of tanh hidden units of `mlp_loss`.
pub const HIDDEN: usize = 16;
/// The number of classes (softmax outputs) of `mlp_loss`.
pub const OUTPUTS: usize = 4;

/// The gradient of [`mlp_loss`] with respect to `(w1, b1, w2, b2)`.
pub type MlpGradient = (
    [f64; HIDDEN * INPUTS],
    [f64; HIDDEN],
    [f64; OUTPUTS * HIDDEN],
    [f64; OUTPUTS],
);

/// The softmax cross-entropy of the sample `x` with class `label` through the network
/// `h_k = tanh(b1_k + Σ_i w1[k * INPUTS + i] x_i)`, `z_o = b2_o + Σ_k w2[o * HIDDEN + k] h_k`.
#[dual::gradient]
pub fn mlp_loss(
    w1: [f64; HIDDEN * INPUTS],
    b1: [f64; HIDDEN],
    w2: [f64; OUTPUTS * HIDDEN],
    b2: [f64; OUTPUTS],
    x: &[f64; INPUTS],
    label: usize,
) -> f64 {
    let mut h = [0.0; HIDDEN];
    for k in 0..HIDDEN {
        let mut s = b1[k];
        for i in 0..INPUTS {
            s += w1[k * INPUTS + i] * x[i];
        }
        h[k] = s.tanh();
    }
    let mut z = [0.0; OUTPUTS];
    for o in 0..OUTPUTS {
        let mut s = b2[o];
        for k in 0..HIDDEN {
            s += w2[o * HIDDEN + k] * h[k];
        }
        z[o] = s;
    }
    let mut m = z[0];
    for o in 1..OUTPUTS {
        m = m.max(z[o]);
    }
    let mut se = 0.0;
    for o in 0..OUTPUTS {
        se += (z[o] - m).exp();
    }
    m + se.ln() - z[label]
}

/// The expert's value and gradient of [`mlp_loss`] with respect to `(w1, b1, w2, b2)`: hand-written
/// backprop. The backward pass over the outputs writes `dw2`, `db2` and accumulates `dh` in the
/// same loop; the one over the hidden units applies `tanh' = 1 - h²` and writes `dw1`, `db1`.
#[inline]
pub fn mlp_loss_expert(
    w1: &[f64; HIDDEN * INPUTS],
    b1: &[f64; HIDDEN],
    w2: &[f64; OUTPUTS * HIDDEN],
    b2: &[f64; OUTPUTS],
    x: &[f64; INPUTS],
    label: usize,
) -> (f64, MlpGradient) {
    // Forward: hidden activations, logits, max, shifted exponentials.
    let mut h = [0.0; HIDDEN];
    for k in 0..HIDDEN {
        let row = &w1[k * INPUTS..(k + 1) * INPUTS];
        let mut s = b1[k];
        for i in 0..INPUTS {
            s += row[i] * x[i];
        }
        h[k] = s.tanh();
    }
    let mut z = [0.0; OUTPUTS];
    for o in 0..OUTPUTS {
        let row = &w2[o * HIDDEN..(o + 1) * HIDDEN];
        let mut s = b2[o];
        for k in 0..HIDDEN {
            s += row[k] * h[k];
        }
        z[o] = s;
    }
    let mut m = z[0];
    for o in 1..OUTPUTS {
        m = m.max(z[o]);
    }
    let mut e = [0.0; OUTPUTS];
    let mut se = 0.0;
    for o in 0..OUTPUTS {
        e[o] = (z[o] - m).exp();
        se += e[o];
    }
    let f = m + se.ln() - z[label];

    // Backward through the output layer: dz = softmax - onehot(label); dw2 = dz hᵀ, db2 = dz,
    // dh = w2ᵀ dz, all in one pass over w2's rows.
    let inv = 1.0 / se;
    let mut dw2 = [0.0; OUTPUTS * HIDDEN];
    let mut db2 = [0.0; OUTPUTS];
    let mut dh = [0.0; HIDDEN];
    for o in 0..OUTPUTS {
        let dz = e[o] * inv - if o == label { 1.0 } else { 0.0 };
        db2[o] = dz;
        let row = &w2[o * HIDDEN..(o + 1) * HIDDEN];
        let drow = &mut dw2[o * HIDDEN..(o + 1) * HIDDEN];
        for k in 0..HIDDEN {
            drow[k] = dz * h[k];
            dh[k] += dz * row[k];
        }
    }

    // Backward through tanh and the hidden layer: ds = dh (1 - h²); dw1 = ds xᵀ, db1 = ds.
    let mut dw1 = [0.0; HIDDEN * INPUTS];
    let mut db1 = [0.0; HIDDEN];
    for k in 0..HIDDEN {
        let ds = dh[k] * (1.0 - h[k] * h[k]);
        db1[k] = ds;
        let drow = &mut dw1[k * INPUTS..(k + 1) * INPUTS];
        for i in 0..INPUTS {
            drow[i] = ds * x[i];
        }
    }
    (f, (dw1, db1, dw2, db2))
}

/// The parameters and data of one [`mlp_loss`] evaluation.
#[derive(Clone, Debug)]
pub struct MlpInputs {
    /// First-layer weights, row `k` (hidden unit `k`) at `k * INPUTS..`, in [-0.5, 0.5).
    pub w1: [f64; HIDDEN * INPUTS],
    /// First-layer biases, in [-0.1, 0.1).
    pub b1: [f64; HIDDEN],
    /// Second-layer weights, row `o` (class `o`) at `o * HIDDEN..`, in [-0.5, 0.5).
    pub w2: [f64; OUTPUTS * HIDDEN],
    /// Second-layer biases, in [-0.1, 0.1).
    pub b2: [f64; OUTPUTS],
    /// The sample's inputs, in [-1, 1).
    pub x: [f64; INPUTS],
    /// The sample's class, in `0..OUTPUTS`.
    pub label: usize,
}

/// Deterministic inputs for [`mlp_loss`]; weights of about `2 / sqrt(fan-in)` keep the hidden
/// units mostly out of tanh's saturation.
pub fn mlp_inputs(seed: u64) -> MlpInputs {
    let mut s = seed;
    MlpInputs {
        w1: lcg_array(&mut s, 0.5),
        b1: lcg_array(&mut s, 0.1),
        w2: lcg_array(&mut s, 0.5),
        b2: lcg_array(&mut s, 0.1),
        x: lcg_array(&mut s, 1.0),
        label: lcg_label(&mut s, OUTPUTS),
    }
}
