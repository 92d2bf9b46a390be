//! Shared by the benchmarks: timing the variants of a case in alternating batches, so that a
//! disturbance of the (shared) machine hits them all alike.

use std::time::Instant;

/// How the batches of one variant are summarised.
#[allow(dead_code)] // each benchmark uses one of them
pub enum Summary {
    /// The fastest batch: the least disturbed by other work on the machine.
    Fastest,
    /// The median batch.
    Median,
}

/// Nanoseconds per call of each of `fs` (each runs its function the given number of times),
/// measured in alternating batches of about 0.5 ms, `rounds` rounds.
pub fn interleaved_ns(fs: &mut [&mut dyn FnMut(u32)], rounds: usize, summary: Summary) -> Vec<f64> {
    let batch: Vec<u32> = fs
        .iter_mut()
        .map(|f| {
            let mut n = 1u32;
            loop {
                let t = Instant::now();
                f(n);
                if t.elapsed().as_secs_f64() > 5e-4 || n >= 1 << 24 {
                    return n;
                }
                n *= 2;
            }
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (k, f) in fs.iter_mut().enumerate() {
            let t = Instant::now();
            f(batch[k]);
            samples[k].push(t.elapsed().as_secs_f64() * 1e9 / f64::from(batch[k]));
        }
    }
    samples
        .into_iter()
        .map(|mut s| match summary {
            Summary::Fastest => s.into_iter().fold(f64::INFINITY, f64::min),
            Summary::Median => {
                s.sort_by(f64::total_cmp);
                s[s.len() / 2]
            }
        })
        .collect()
}
