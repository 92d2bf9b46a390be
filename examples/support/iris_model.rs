//! A single-layer network with a softmax over the three Iris species (multinomial logistic
//! regression): 4 features → 3 classes, 15 parameters, trained by full-batch gradient descent.
//!
//! Shared by `examples/iris.rs` and `tests/iris.rs` (included with `#[path]`).
//!
//! The model computes, for a standardised sample `x`, the net inputs (logits)
//! `z_k = W_k · x + b_k` of the three classes, and predicts the class with the largest one. The
//! loss of a sample with label `y` is the cross-entropy of the softmax of `z`,
//!
//! ```text
//! ℓ(W, b; x, y) = −log softmax(z)_y = log Σ_k exp(z_k) − z_y,
//! ```
//!
//! written once, as an ordinary function, in [`sample_loss`]. `#[gradient(wrt(w, b))]` derives
//! `sample_loss_value_and_gradient`, which returns ℓ and (∂ℓ/∂W, ∂ℓ/∂b); the batch loss and its
//! gradient are the means over the samples, summed by a plain loop.

use dual::gradient;

/// Number of features (sepal length, sepal width, petal length, petal width).
pub const FEATURES: usize = 4;
/// Number of classes.
pub const CLASSES: usize = 3;
/// Feature names, in column order.
pub const FEATURE_NAMES: [&str; FEATURES] =
    ["sepal length", "sepal width", "petal length", "petal width"];
/// Class names, in label order.
pub const SPECIES: [&str; CLASSES] = ["setosa", "versicolor", "virginica"];
/// The data set, compiled into the binary so the example runs from any directory.
pub const IRIS_CSV: &str = include_str!("../data/iris.csv");

/// A labelled data set: one row of features and one label (index into [`SPECIES`]) per sample.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Features, one row per sample.
    pub x: Vec<[f64; FEATURES]>,
    /// Labels, `0..CLASSES`.
    pub y: Vec<usize>,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }
}

/// Parses the Iris CSV: a header line, then `f1,f2,f3,f4,species` per line. Blank lines are
/// skipped; anything else that does not parse is an error naming the line.
pub fn parse_csv(text: &str) -> Result<Dataset, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.split(',').count() == FEATURES + 1 => {}
        _ => return Err("line 1: expected a header with 5 columns".to_string()),
    }
    let mut data = Dataset {
        x: Vec::new(),
        y: Vec::new(),
    };
    for (i, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != FEATURES + 1 {
            return Err(format!(
                "line {}: expected {} fields, found {}",
                i + 1,
                FEATURES + 1,
                fields.len()
            ));
        }
        let mut row = [0.0; FEATURES];
        for (value, field) in row.iter_mut().zip(&fields) {
            *value = field
                .parse()
                .map_err(|e| format!("line {}: `{field}`: {e}", i + 1))?;
        }
        let label = SPECIES
            .iter()
            .position(|s| *s == fields[FEATURES])
            .ok_or_else(|| format!("line {}: unknown species `{}`", i + 1, fields[FEATURES]))?;
        data.x.push(row);
        data.y.push(label);
    }
    Ok(data)
}

/// Per-feature mean and standard deviation, used to standardise the features.
#[derive(Clone, Copy, Debug)]
pub struct Scaler {
    /// Mean of each feature.
    pub mean: [f64; FEATURES],
    /// Population standard deviation of each feature.
    pub std: [f64; FEATURES],
}

impl Scaler {
    /// Fits the scaler to the features of a data set.
    pub fn fit(data: &Dataset) -> Scaler {
        let n = data.len() as f64;
        let mut mean = [0.0; FEATURES];
        for row in &data.x {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v / n;
            }
        }
        let mut std = [0.0; FEATURES];
        for row in &data.x {
            for j in 0..FEATURES {
                std[j] += (row[j] - mean[j]).powi(2) / n;
            }
        }
        Scaler {
            mean,
            std: std.map(f64::sqrt),
        }
    }

    /// Standardises one sample: each feature minus its mean, divided by its standard deviation.
    pub fn transform(&self, row: [f64; FEATURES]) -> [f64; FEATURES] {
        std::array::from_fn(|j| (row[j] - self.mean[j]) / self.std[j])
    }

    /// Standardises every sample of a data set.
    pub fn transform_all(&self, data: &Dataset) -> Dataset {
        Dataset {
            x: data.x.iter().map(|&row| self.transform(row)).collect(),
            y: data.y.clone(),
        }
    }
}

/// The cross-entropy loss of one sample `x` with label `label`, for the weights `w` (row `k` of
/// W, the weights of class `k`, is `w[4k..4k + 4]`) and biases `b`:
/// ℓ = log Σ_k exp(z_k) − z_label with z_k = W_k · x + b_k.
///
/// The log-sum-exp is computed stably, as m + log Σ_k exp(z_k − m) with m = max_k z_k, so no
/// exponential overflows. (Its derivative with respect to m is exactly 0, so the choice of m does
/// not change the gradient.) Only `w` and `b` are differentiated; the sample is a constant.
#[gradient(wrt(w, b))]
pub fn sample_loss(w: [f64; 12], b: [f64; 3], x: [f64; 4], label: usize) -> f64 {
    // Net inputs of the three output units.
    let z0 = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + b[0];
    let z1 = w[4] * x[0] + w[5] * x[1] + w[6] * x[2] + w[7] * x[3] + b[1];
    let z2 = w[8] * x[0] + w[9] * x[1] + w[10] * x[2] + w[11] * x[3] + b[2];
    // Numerically stable log Σ exp(z_k).
    let m = z0.max(z1).max(z2);
    let log_sum_exp = m + ((z0 - m).exp() + (z1 - m).exp() + (z2 - m).exp()).ln();
    // −log softmax(z)_label
    let z = [z0, z1, z2];
    log_sum_exp - z[label]
}

/// The parameters of the network: W (3 × 4, row by row) and b.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    /// Weights, `w[4k + j]` is the weight of feature `j` for class `k`.
    pub w: [f64; CLASSES * FEATURES],
    /// Biases, one per class.
    pub b: [f64; CLASSES],
}

impl Model {
    /// All parameters zero: every class equally likely. The loss is convex, so gradient descent
    /// needs no random initialisation, and training is deterministic.
    pub fn zeros() -> Model {
        Model {
            w: [0.0; CLASSES * FEATURES],
            b: [0.0; CLASSES],
        }
    }

    /// The net inputs (logits) z = W·x + b of a standardised sample.
    pub fn logits(&self, x: [f64; FEATURES]) -> [f64; CLASSES] {
        std::array::from_fn(|k| {
            (0..FEATURES)
                .map(|j| self.w[FEATURES * k + j] * x[j])
                .sum::<f64>()
                + self.b[k]
        })
    }

    /// The class with the largest net input (the first one on a tie).
    pub fn predict(&self, x: [f64; FEATURES]) -> usize {
        let z = self.logits(x);
        (1..CLASSES).fold(0, |best, k| if z[k] > z[best] { k } else { best })
    }

    /// Mean cross-entropy loss over a data set, from the original (undifferentiated) function.
    pub fn mean_loss(&self, data: &Dataset) -> f64 {
        let total: f64 = data
            .x
            .iter()
            .zip(&data.y)
            .map(|(&x, &y)| sample_loss(self.w, self.b, x, y))
            .sum();
        total / data.len() as f64
    }

    /// Mean loss over a data set and its gradient with respect to the parameters, as a [`Model`]
    /// (∂L/∂W in `w`, ∂L/∂b in `b`): the mean of the per-sample values and gradients.
    pub fn mean_loss_and_gradient(&self, data: &Dataset) -> (f64, Model) {
        let n = data.len() as f64;
        let mut loss = 0.0;
        let mut grad = Model::zeros();
        for (&x, &y) in data.x.iter().zip(&data.y) {
            let (l, (dw, db)) = sample_loss_value_and_gradient(self.w, self.b, x, y);
            loss += l / n;
            for (g, d) in grad.w.iter_mut().zip(dw) {
                *g += d / n;
            }
            for (g, d) in grad.b.iter_mut().zip(db) {
                *g += d / n;
            }
        }
        (loss, grad)
    }

    /// Fraction of the samples whose predicted class is their label.
    pub fn accuracy(&self, data: &Dataset) -> f64 {
        let correct = data
            .x
            .iter()
            .zip(&data.y)
            .filter(|&(&x, &y)| self.predict(x) == y)
            .count();
        correct as f64 / data.len() as f64
    }

    /// `m[actual][predicted]`: how many samples of each species were predicted as each species.
    pub fn confusion_matrix(&self, data: &Dataset) -> [[usize; CLASSES]; CLASSES] {
        let mut m = [[0; CLASSES]; CLASSES];
        for (&x, &y) in data.x.iter().zip(&data.y) {
            m[y][self.predict(x)] += 1;
        }
        m
    }
}

/// One progress report of [`train`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Number of gradient steps taken so far.
    pub epoch: usize,
    /// Mean loss over the training set at this point.
    pub loss: f64,
    /// Training accuracy at this point.
    pub accuracy: f64,
}

/// Full-batch gradient descent from [`Model::zeros`]: `epochs` steps of size `learning_rate`
/// along the negative mean gradient. `report` is called before the first step, every
/// `report_every` steps and after the last step.
pub fn train(
    data: &Dataset,
    epochs: usize,
    learning_rate: f64,
    report_every: usize,
    mut report: impl FnMut(Progress),
) -> Model {
    let mut model = Model::zeros();
    for epoch in 0..epochs {
        let (loss, grad) = model.mean_loss_and_gradient(data);
        if epoch % report_every.max(1) == 0 {
            report(Progress {
                epoch,
                loss,
                accuracy: model.accuracy(data),
            });
        }
        for (p, g) in model.w.iter_mut().zip(grad.w) {
            *p -= learning_rate * g;
        }
        for (p, g) in model.b.iter_mut().zip(grad.b) {
            *p -= learning_rate * g;
        }
    }
    report(Progress {
        epoch: epochs,
        loss: model.mean_loss(data),
        accuracy: model.accuracy(data),
    });
    model
}
