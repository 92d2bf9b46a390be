//! Mini-batch gradient descent over the training images, evaluation, and the history of a run.

use crate::data::{Sample, DIGITS};
use crate::networks::{Network, Rng};
use std::time::Instant;

/// How to train.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per gradient step; the step follows their mean gradient.
    pub batch_size: usize,
    /// The step size.
    pub learning_rate: f64,
    /// Seeds the order of the images in each epoch (reshuffled every epoch, deterministically).
    pub seed: u64,
}

/// The state of training after an epoch (epoch 0: before the first step).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// The number of passes over the training images so far.
    pub epoch: usize,
    /// The mean loss over the training images.
    pub loss: f64,
    /// The fraction of training images classified correctly.
    pub training_accuracy: f64,
    /// The fraction of held-out images classified correctly.
    pub held_out_accuracy: f64,
    /// Seconds spent on the gradient steps of this epoch (evaluation not included; 0 for
    /// epoch 0).
    pub seconds: f64,
}

/// What [`train`] reports while it runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event<'a> {
    /// A gradient step of the given epoch (counted from 1) is done: `done` of `total` steps of
    /// the whole run.
    Step {
        /// The epoch the step belongs to.
        epoch: usize,
        /// Steps done so far, over all epochs.
        done: usize,
        /// Steps of the whole run.
        total: usize,
    },
    /// An epoch is done and evaluated (also sent for epoch 0, before training).
    Epoch(&'a Epoch),
}

/// The mean loss of `net` over `samples` (from the plain loss, no derivative).
pub fn mean_loss<N: Network>(net: &N, samples: &[Sample]) -> f64 {
    let total: f64 = samples.iter().map(|s| net.loss(&s.x, s.label)).sum();
    total / samples.len().max(1) as f64
}

/// The fraction of `samples` that `net` classifies correctly.
pub fn accuracy<N: Network>(net: &N, samples: &[Sample]) -> f64 {
    let correct = samples
        .iter()
        .filter(|s| net.predict(&s.x) == s.label)
        .count();
    correct as f64 / samples.len().max(1) as f64
}

/// `m[actual][predicted]`: how many samples of each digit were classified as each digit.
pub fn confusion_matrix<N: Network>(net: &N, samples: &[Sample]) -> [[usize; DIGITS]; DIGITS] {
    let mut m = [[0; DIGITS]; DIGITS];
    for s in samples {
        m[s.label][net.predict(&s.x)] += 1;
    }
    m
}

/// The mean loss over `batch` and its gradient (the mean of the per-image gradients
/// [`Network::loss_and_gradient`] returns).
pub fn batch_loss_and_gradient<N: Network>(net: &N, batch: &[&Sample]) -> (f64, N) {
    let scale = 1.0 / batch.len().max(1) as f64;
    let mut loss = 0.0;
    let mut grad = N::zeros();
    for s in batch {
        let (l, g) = net.loss_and_gradient(&s.x, s.label);
        loss += scale * l;
        grad.add_scaled(&g, scale);
    }
    (loss, grad)
}

/// Evaluates `net` on both sets.
pub fn evaluate<N: Network>(
    net: &N,
    epoch: usize,
    training: &[Sample],
    held_out: &[Sample],
    seconds: f64,
) -> Epoch {
    Epoch {
        epoch,
        loss: mean_loss(net, training),
        training_accuracy: accuracy(net, training),
        held_out_accuracy: accuracy(net, held_out),
        seconds,
    }
}

/// Trains `net` by mini-batch gradient descent on `training`, evaluating it on both sets before
/// the first step and after every epoch. Deterministic: the images are visited in an order
/// shuffled from `config.seed`. Returns the evaluation of every epoch, epoch 0 first.
pub fn train<N: Network>(
    net: &mut N,
    training: &[Sample],
    held_out: &[Sample],
    config: &Config,
    mut report: impl FnMut(Event<'_>),
) -> Vec<Epoch> {
    let batch_size = config.batch_size.max(1);
    let steps_per_epoch = training.len().div_ceil(batch_size);
    let total = steps_per_epoch * config.epochs;
    let mut rng = Rng::new(config.seed);
    let mut order: Vec<usize> = (0..training.len()).collect();
    let mut history = vec![evaluate(net, 0, training, held_out, 0.0)];
    report(Event::Epoch(&history[0]));
    let mut done = 0;
    for epoch in 1..=config.epochs {
        let start = Instant::now();
        rng.shuffle(&mut order);
        for chunk in order.chunks(batch_size) {
            let batch: Vec<&Sample> = chunk.iter().map(|&i| &training[i]).collect();
            let (_, grad) = batch_loss_and_gradient(net, &batch);
            net.add_scaled(&grad, -config.learning_rate);
            done += 1;
            report(Event::Step { epoch, done, total });
        }
        let seconds = start.elapsed().as_secs_f64();
        history.push(evaluate(net, epoch, training, held_out, seconds));
        report(Event::Epoch(&history[history.len() - 1]));
    }
    history
}
