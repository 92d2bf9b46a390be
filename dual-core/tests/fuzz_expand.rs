//! The expander never panics, never hangs and never overflows the stack.
//!
//! `dual_core::expand` catches panics and turns them into a `compile_error!` saying "internal error
//! in `#[gradient]`": here such an output is a failure, reported with the input that caused it.
//! The inputs are deterministic (a seeded PRNG):
//!
//! - mutations of a corpus of valid annotated functions covering every supported construct:
//!   tokens deleted, duplicated, swapped, replaced, bodies truncated and spliced, options mutated;
//! - random token streams, bare and as the body of a valid signature;
//! - huge and deeply nested bodies (nested parentheses, blocks, `if`s; 10⁴-statement bodies).
//!
//! Every input runs on worker threads with the 8 MiB stack of a main thread (the stack rustc gives
//! a proc macro); a watchdog fails the test if one input takes more than a few seconds.
//!
//! `FUZZ_EXPAND_INPUTS=n` changes the number of random inputs (default 100 000);
//! `FUZZ_EXPAND_SEED=s` the seed.

mod common;

use common::Rng;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

const STACK: usize = 8 << 20;
/// No single input may take longer than this (a hang).
const TIME_BOX: Duration = Duration::from_secs(20);

/// Valid annotated functions: `(options, item)`, one or more per construct of the support matrix.
const CORPUS: &[(&str, &str)] = &[
    ("", "fn f(x: f64, y: f64) -> f64 { x * x * y + y }"),
    ("", "pub fn g(x: f64) -> f64 { let a = x.sin(); let b = a * a; b + a.exp() - (x / 2.0).ln() }"),
    ("", "fn m(x: f64, y: f64) -> f64 { x.powi(3) + x.powf(y) + x.sqrt() + x.cbrt() + x.hypot(y) + x.recip() + x.mul_add(y, 1.0) }"),
    ("", "fn e(x: f64, y: f64) -> f64 { x.exp2() + x.exp_m1() + x.log(y) + x.log2() + x.log10() + x.ln_1p() }"),
    ("", "fn t(x: f64, y: f64) -> f64 { x.tan() + x.asin() + x.acos() + x.atan() + x.atan2(y) + x.to_degrees() + y.to_radians() }"),
    ("", "fn h(x: f64) -> f64 { x.sinh() + x.cosh() + x.tanh() + x.asinh() + (x + 2.0).acosh() + (x / 9.0).atanh() }"),
    ("", "fn p(x: f64, y: f64) -> f64 { x.abs() + x.signum() + x.max(y) + x.min(y) + x.clamp(0.0, 1.0) + x.floor() + x.ceil() + x.round() + x.trunc() }"),
    ("", "fn q(x: f64) -> f64 { f64::sin(x) * f64::powi(x, 2) + f64::max(x, 1.0) + std::f64::consts::PI * x + core::f64::consts::E }"),
    ("", "fn d(v: [f64; 3]) -> f64 { let (a, b) = (v[0], v[1]); let [p, q, r] = v; a * b + p * q * r }"),
    ("", "fn mu(x: f64, y: f64) -> f64 { let mut a = x; a += y; a -= 1.0; a *= x; a /= 2.0; let mut v = [0.0; 2]; v[1] = a; let mut t = (x, y); t.0 += v[1]; t.0 * t.1 }"),
    ("", "fn b(x: f64) -> f64 { let c = { let t = x * x; t + 1.0 }; let y; y = c * 2.; y }"),
    ("", "fn br(x: f64, y: f64) -> f64 { let z = x * y; let a = if z > 0.0 { z } else if z > -4.0 { 0.25 * z } else { 0.5 * z + 1.0 }; a * a }"),
    ("", "fn huber(r: f64) -> f64 { if r.abs() <= 1.0 { return 0.5 * r * r; } r.abs() - 0.5 }"),
    ("", "fn nested(x: f64, y: f64) -> f64 { if x > 0.0 { if y > 0.0 { return x * y; } else { let t = y * y; if t > 1.0 { return t; } } } x + y }"),
    ("", "fn unroll(x: [f64; 8]) -> f64 { let mut s = 0.0; for i in 0..7 { s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2); } s }"),
    ("", "fn each(x: [f64; 4]) -> f64 { let mut p = 1.0; for xi in x { if xi > 0.0 { p *= xi; } else { continue; } } p }"),
    ("wrt(w, b)", "fn mse(w: [f64; 2], b: f64, xs: &[[f64; 2]], ys: &[f64]) -> f64 { let mut l = 0.0; for i in 0..xs.len() { let z = w[0] * xs[i][0] + w[1] * xs[i][1] + b; l += (z - ys[i]).powi(2); } l / xs.len() as f64 }"),
    ("", "fn pw(x: f64, n: usize) -> f64 { let mut p = 1.0; for _ in 0..n { p *= x; if p > 1e6 { break; } } p }"),
    ("", "fn wh(x: f64) -> f64 { let mut s = x; let mut k = 0; while k < 10 { s = 0.5 * (s + 2.0 / s); k += 1; } s }"),
    ("", "fn lp(x: f64) -> f64 { let mut s = x; loop { s = s * 0.5; if s < 1e-3 { break; } } s }"),
    ("", "fn zipped(a: f64, xs: &[f64], ys: &[f64]) -> f64 { let mut s = 0.0; for (x, y) in xs.iter().zip(ys) { s += (a * x - y).powi(2); } s }"),
    ("", "fn call(x: f64) -> f64 { f(g(x), h(x)) + m::g(x) + self::k(x, 2.0) }"),
    ("", "fn vcall(x: f64) -> f64 { let [a, b] = inner::u(x); let (c, d) = v(x); a * b + c - d }"),
    ("", "fn method(&self, x: f64, y: f64) -> f64 { let d = (x * x + y * y).sqrt() - self.rest; 0.5 * self.k * d * d + self.energy(x, y) + Self::gravity(y) }"),
    ("hessian", "fn rosenbrock(x: f64, y: f64) -> f64 { (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2) }"),
    ("hessian, wrt(x)", "fn hw(x: f64, y: f64) -> f64 { if x > y { x * x * y } else { y.exp() * x } }"),
    ("", "pub fn vec_out(r: f64, t: f64) -> (f64, f64) { (r * t.cos(), r * t.sin()) }"),
    ("wrt(x)", "fn layer(w: [f64; 6], b: [f64; 3], x: [f64; 2]) -> [f64; 3] { [w[0] * x[0] + w[1] * x[1] + b[0], w[2] * x[0] + w[3] * x[1] + b[1], w[4] * x[0] + w[5] * x[1] + b[2]] }"),
    ("", "fn small(r: f32) -> f32 { std::f32::consts::PI * r * r + f32::sin(r) }"),
    ("hessian", "const fn cubic(x: f64, y: f64) -> f64 { x * x * x - 2.0 * x * y + y.abs().max(1.0) }"),
    ("", "fn misc(x: f64, y: f64, data: &[f64], k: usize) -> f64 { let scale = data.iter().sum::<f64>(); println!(\"{x}\"); debug_assert!(x.is_finite()); assert!(y == y, \"{}\", y); let n = match k { 0 => 1, _ => 2 }; let c = |t: f64| t * 2.0; scale * x + n as f64 * c(3.0) + [x, y][k] + [y; 4][k % 4] + 1e-3 + 2.0f64 * y + 2. }"),
    ("", "fn bad(x: f64) -> f64 { let g = |t: f64| t * x; let r = &x; match x { _ => x.fract() + g(1.0) + *r + vec![x][0] } }"),
    ("", "async fn a(x: f64) -> f64 { x }"),
    ("", "fn nothing(x: f64) { let _ = x; }"),
    ("foo, wrt = x, wrt()", "fn opts(x: f64) -> f64 { x }"),
];

/// Tokens for random streams and replacements.
const VOCAB: &[&str] = &[
    "fn",
    "let",
    "mut",
    "if",
    "else",
    "return",
    "for",
    "in",
    "while",
    "loop",
    "break",
    "continue",
    "match",
    "as",
    "const",
    "pub",
    "self",
    "Self",
    "async",
    "move",
    "ref",
    "impl",
    "struct",
    "x",
    "y",
    "z",
    "v",
    "f",
    "g",
    "__t0",
    "__c1",
    "__dual_broke",
    "f64",
    "f32",
    "usize",
    "i32",
    "bool",
    "sin",
    "exp",
    "powi",
    "powf",
    "clamp",
    "max",
    "mul_add",
    "sqrt",
    "ln",
    "std",
    "core",
    "consts",
    "PI",
    "0",
    "1",
    "2",
    "0.0",
    "1.5",
    "2.",
    "1e-3",
    "2.0f64",
    "-1",
    "'a",
    "\"s\"",
    "true",
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "==",
    "<",
    ">",
    "<=",
    ">=",
    "!",
    "&&",
    "||",
    "&",
    "|",
    "..",
    "..=",
    ".",
    ",",
    ";",
    ":",
    "::",
    "->",
    "=>",
    "#",
    "?",
    "_",
    "@",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "0..3",
    "x[0]",
    "x.sin()",
    "println!",
    "vec!",
];

const OPTIONS: &[&str] = &[
    "",
    "",
    "",
    "hessian",
    "wrt(x)",
    "wrt(x, y)",
    "wrt(y), hessian",
    "wrt()",
    "wrt = x",
    "wrt(x, x)",
    "wrt(z)",
    "foo",
    "hessian, hessian",
    "wrt(x) wrt(y)",
    "wrt(x,",
    "(",
    "1",
    "wrt(self)",
];

/// A flat token: its text and whether it is joined to the next (`-` `>` in `->`).
#[derive(Clone)]
struct Tok {
    text: String,
    joint: bool,
}

fn flatten(ts: TokenStream, out: &mut Vec<Tok>) {
    for tt in ts {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                out.push(tok(open));
                flatten(g.stream(), out);
                out.push(tok(close));
            }
            TokenTree::Punct(p) => out.push(Tok {
                text: p.as_char().to_string(),
                joint: p.spacing() == Spacing::Joint,
            }),
            other => out.push(tok(&other.to_string())),
        }
    }
}

fn tok(s: &str) -> Tok {
    Tok {
        text: s.to_string(),
        joint: false,
    }
}

/// Joins tokens, dropping unmatched closing delimiters and closing the ones left open, so that
/// almost every mutant lexes.
fn join_balanced(toks: &[Tok]) -> String {
    let mut s = String::new();
    let mut stack = Vec::new();
    for t in toks {
        let text = t.text.as_str();
        match text {
            "(" | "[" | "{" => stack.push(text),
            ")" | "]" | "}" => {
                let want = match text {
                    ")" => "(",
                    "]" => "[",
                    _ => "{",
                };
                if stack.last() == Some(&want) {
                    stack.pop();
                } else {
                    continue;
                }
            }
            _ => {}
        }
        s.push_str(text);
        if !t.joint {
            s.push(' ');
        }
    }
    for open in stack.into_iter().rev() {
        s.push_str(match open {
            "(" => ")",
            "[" => "]",
            _ => "}",
        });
    }
    s
}

fn lex(s: &str) -> Option<TokenStream> {
    TokenStream::from_str(s).ok()
}

/// One mutation of a flat token list.
fn mutate(rng: &mut Rng, toks: &mut Vec<Tok>, corpus: &[Vec<Tok>]) {
    if toks.is_empty() {
        toks.push(tok(rng.pick(VOCAB)));
        return;
    }
    let i = rng.below(toks.len());
    match rng.below(8) {
        0 => {
            toks.remove(i);
        }
        1 => {
            let t = toks[i].clone();
            toks.insert(i, t);
        }
        2 => {
            let j = rng.below(toks.len());
            toks.swap(i, j);
        }
        3 => toks[i] = tok(rng.pick(VOCAB)),
        4 => toks.insert(i, tok(rng.pick(VOCAB))),
        5 => toks.truncate(i),
        6 => {
            // Splice a slice of another corpus function in.
            let other = &corpus[rng.below(corpus.len())];
            let a = rng.below(other.len());
            let b = (a + 1 + rng.below(12)).min(other.len());
            let piece: Vec<Tok> = other[a..b].to_vec();
            let at = rng.below(toks.len() + 1);
            toks.splice(at..at, piece);
        }
        _ => {
            // Duplicate a run of tokens (statements, subexpressions).
            let b = (i + 1 + rng.below(16)).min(toks.len());
            let piece: Vec<Tok> = toks[i..b].to_vec();
            toks.splice(b..b, piece);
        }
    }
}

/// A random token stream of about `len` tokens, with balanced groups.
fn random_stream(rng: &mut Rng, len: usize) -> String {
    let toks: Vec<Tok> = (0..len).map(|_| tok(rng.pick(VOCAB))).collect();
    join_balanced(&toks)
}

/// What happens to one input.
enum Outcome {
    Ok,
    Internal(String),
}

thread_local! {
    /// Set while this thread runs the expander: its panics are recorded, not printed.
    static IN_EXPAND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_EXPAND.with(std::cell::Cell::get) {
                let msg = info.to_string();
                LAST_PANIC.with(|p| *p.borrow_mut() = msg);
            } else {
                default(info);
            }
        }));
    });
}

/// Whether the expansion is the expander's report of its own panic.
fn is_internal_error(out: TokenStream) -> bool {
    let mut after_compile_error = false;
    for tt in out {
        match &tt {
            TokenTree::Ident(i) => after_compile_error = i == "compile_error",
            TokenTree::Group(g)
                if after_compile_error && g.stream().to_string().contains("internal error") =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

fn run_one(args: &str, item: &str) -> Outcome {
    let (Some(args), Some(item)) = (lex(args).or_else(|| lex("")), lex(item)) else {
        return Outcome::Ok;
    };
    LAST_PANIC.with(|p| p.borrow_mut().clear());
    IN_EXPAND.with(|f| f.set(true));
    let out = dual_core::expand(args, item);
    IN_EXPAND.with(|f| f.set(false));
    if is_internal_error(out) {
        Outcome::Internal(LAST_PANIC.with(|p| p.borrow().clone()))
    } else {
        Outcome::Ok
    }
}

/// The `n`-th generated input `(options, item)` for seed `seed`: a pure function of both.
fn input(seed: u64, n: u64, corpus: &[Vec<Tok>]) -> (String, String) {
    let mut rng = Rng(seed ^ n.wrapping_mul(0xd134_2543_de82_ef95));
    rng.next();
    match rng.below(10) {
        // Random tokens as the body of a valid signature: exercises lowering.
        0 | 1 => {
            let len = 1 + rng.below(40);
            let body = random_stream(&mut rng, len);
            let sig = rng.pick(&[
                "fn f(x: f64, y: f64) -> f64",
                "fn f(x: [f64; 3], k: usize) -> [f64; 2]",
                "const fn f(x: f32) -> f32",
            ]);
            (rng.pick(OPTIONS).to_string(), format!("{sig} {{ {body} }}"))
        }
        // Random tokens, anywhere.
        2 => {
            let (a, b) = (rng.below(4), rng.below(60));
            (random_stream(&mut rng, a), random_stream(&mut rng, b))
        }
        // Mutants of the corpus.
        _ => {
            let k = rng.below(CORPUS.len());
            let mut toks = corpus[k].clone();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut toks, corpus);
            }
            let opts = if rng.below(4) == 0 {
                rng.pick(OPTIONS).to_string()
            } else {
                CORPUS[k].0.to_string()
            };
            (opts, join_balanced(&toks))
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `inputs` (a closure generating input `n`) on worker threads with 8 MiB stacks, under a
/// watchdog. Returns the failures.
fn run_parallel<F>(count: u64, gen: F) -> Vec<String>
where
    F: Fn(u64) -> (String, String) + Send + Sync + 'static,
{
    install_quiet_panic_hook();
    let gen = Arc::new(gen);
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let (tx, rx) = mpsc::channel::<(usize, Option<(u64, String, String)>)>();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (gen, next, failures, tx) = (gen.clone(), next.clone(), failures.clone(), tx.clone());
        handles.push(
            std::thread::Builder::new()
                .stack_size(STACK)
                .spawn(move || loop {
                    let n = next.fetch_add(1, Ordering::Relaxed) as u64;
                    if n >= count {
                        let _ = tx.send((w, None));
                        return;
                    }
                    let (args, item) = gen(n);
                    let _ = tx.send((w, Some((n, args.clone(), item.clone()))));
                    if let Outcome::Internal(panic) = run_one(&args, &item) {
                        failures.lock().unwrap().push(format!(
                            "input #{n}: #[gradient({args})] {item}\n  panicked: {panic}"
                        ));
                    }
                })
                .expect("spawn"),
        );
    }
    drop(tx);
    // Watchdog: every worker reports the input it starts; none may stay on one for TIME_BOX.
    let mut current: Vec<Option<(Instant, u64, String, String)>> = vec![None; workers];
    let mut done = 0;
    while done < workers {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok((w, Some((n, a, i)))) => current[w] = Some((Instant::now(), n, a, i)),
            Ok((w, None)) => {
                current[w] = None;
                done += 1;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        for (start, n, a, i) in current.iter().flatten() {
            assert!(
                start.elapsed() < TIME_BOX,
                "input #{n} runs for more than {TIME_BOX:?} (a hang?): #[gradient({a})] {i}"
            );
        }
    }
    for h in handles {
        h.join().expect("a worker died");
    }
    Arc::try_unwrap(failures).unwrap().into_inner().unwrap()
}

fn report(failures: &[String], total: u64) {
    if !failures.is_empty() {
        let mut msg = format!(
            "{} of {total} inputs made the expander panic (\"internal error\"):\n",
            failures.len()
        );
        for f in failures.iter().take(20) {
            let _ = writeln!(msg, "{f}");
        }
        panic!("{msg}");
    }
}

fn corpus_tokens() -> Vec<Vec<Tok>> {
    CORPUS
        .iter()
        .map(|(_, item)| {
            let mut v = Vec::new();
            flatten(lex(item).expect("corpus lexes"), &mut v);
            v
        })
        .collect()
}

#[test]
fn corpus_expands_without_internal_errors() {
    install_quiet_panic_hook();
    for (args, item) in CORPUS {
        // Also every prefix of each function (truncation at every token).
        let mut toks = Vec::new();
        flatten(lex(item).unwrap(), &mut toks);
        for cut in 0..=toks.len() {
            let src = join_balanced(&toks[..cut]);
            if let Outcome::Internal(p) = run_one(args, &src) {
                panic!("#[gradient({args})] {src}\n  panicked: {p}");
            }
        }
    }
}

#[test]
fn random_and_mutated_inputs() {
    let count = env_u64("FUZZ_EXPAND_INPUTS", 100_000);
    let seed = env_u64("FUZZ_EXPAND_SEED", 0x5eed_d0a1);
    let corpus = Arc::new(corpus_tokens());
    let start = Instant::now();
    let failures = run_parallel(count, move |n| input(seed, n, &corpus));
    eprintln!(
        "fuzz_expand: {count} inputs (seed {seed:#x}) in {:.2?}, {} failures",
        start.elapsed(),
        failures.len()
    );
    report(&failures, count);
}

/// Expansion is a function of the input: the same tokens give byte-identical output.
#[test]
fn deterministic_output() {
    install_quiet_panic_hook();
    let corpus = corpus_tokens();
    for n in 0..300 {
        let (a, i) = if (n as usize) < CORPUS.len() {
            let (a, i) = CORPUS[n as usize];
            (a.to_string(), i.to_string())
        } else {
            input(7, n, &corpus)
        };
        let (Some(ta), Some(ti)) = (lex(&a), lex(&i)) else {
            continue;
        };
        let first = dual_core::expand(ta.clone(), ti.clone()).to_string();
        let second = dual_core::expand(ta, ti).to_string();
        assert_eq!(first, second, "non-deterministic expansion of {i}");
    }
}

/// Big bodies of about `n` statements: a sum accumulated statement by statement, a chain of
/// `let`s, one long expression, a chain of `if`s, a chain of early `return`s; and an unrolled
/// loop at the unrolling limit, and one beyond it.
fn huge_cases(n: usize) -> Vec<String> {
    let mut big = String::from("fn f(x: f64, y: f64) -> f64 { let mut s = 0.0; ");
    for i in 0..n {
        let _ = write!(big, "s += x * {i}.0 + y.sin(); ");
    }
    big.push_str("s }");
    let mut lets = String::from("fn f(x: f64) -> f64 { let a0 = x; ");
    for i in 1..n {
        let _ = write!(lets, "let a{i} = a{} * 0.5 + x; ", i - 1);
    }
    let _ = write!(lets, "a{} }}", n - 1);
    let mut sum = String::from("fn f(x: f64) -> f64 { x");
    for i in 0..n {
        let _ = write!(sum, " + x * {i}.0");
    }
    sum.push_str(" }");
    let mut ifs = String::from("fn f(x: f64) -> f64 { let mut s = x; ");
    for i in 0..n / 5 {
        let _ = write!(ifs, "if s > {i}.0 {{ s = s * 0.5; }} else {{ s += x; }} ");
    }
    ifs.push_str("s }");
    let mut rets = String::from("fn f(x: f64) -> f64 { ");
    for i in 0..n / 5 {
        let _ = write!(rets, "if x > {i}.0 {{ return x * {i}.0; }} ");
    }
    rets.push_str("x }");
    let unrolled = "fn f(x: [f64; 4]) -> f64 { let mut s = 0.0; \
                    for i in 0..4096 { s += x[i % 4] * x[(i + 1) % 4]; } s }";
    let too_long = "fn f(x: f64) -> f64 { let mut s = 0.0; for _ in 0..100000000 { s += x; } s }";
    vec![
        big,
        lets,
        sum,
        ifs,
        rets,
        unrolled.to_string(),
        too_long.to_string(),
    ]
}

fn run_huge(n: usize) {
    let cases = huge_cases(n);
    let count = cases.len() as u64;
    let cases = Arc::new(cases);
    let start = Instant::now();
    let failures = run_parallel(count, move |k| (String::new(), cases[k as usize].clone()));
    eprintln!(
        "huge_bodies: {count} bodies of ~{n} statements in {:.2?}",
        start.elapsed()
    );
    report(&failures, count);
}

/// Big bodies.
#[test]
fn huge_bodies() {
    run_huge(500);
}

/// 10⁴-statement bodies (beyond the limits of `dual_core::front::limits`, a spanned error, quickly).
#[test]
fn huge_bodies_10k() {
    run_huge(10_000);
}

/// A body nested `depth` deep in `kind` (parentheses, blocks, `if`s, unary minus, method chains).
fn nested(kind: &str, depth: usize) -> String {
    let mut s = String::from("fn f(x: f64) -> f64 { ");
    match kind {
        "parens" => {
            s.push_str(&"(".repeat(depth));
            s.push('x');
            s.push_str(&")".repeat(depth));
        }
        "blocks" => {
            s.push_str(&"{ ".repeat(depth));
            s.push('x');
            s.push_str(&" }".repeat(depth));
        }
        "ifs" => {
            s.push_str(&"if x > 0.0 { ".repeat(depth));
            s.push('x');
            s.push_str(&" } else { x }".repeat(depth));
        }
        "neg" => {
            s.push_str(&"-".repeat(depth));
            s.push('x');
        }
        "sum" => {
            s.push_str(&"(x + ".repeat(depth));
            s.push('x');
            s.push_str(&")".repeat(depth));
        }
        "methods" => {
            s.push('x');
            s.push_str(&".sin()".repeat(depth));
        }
        "flat_sum" => {
            s.push_str(&vec!["x * x"; depth].join(" + "));
        }
        _ => unreachable!(),
    }
    s.push_str(" }");
    s
}

const NESTING: &[&str] = &[
    "parens", "blocks", "ifs", "neg", "sum", "methods", "flat_sum",
];

/// Runs `nested(kind, depth)` in this process on an 8 MiB thread. A stack overflow aborts the
/// process, so callers probe depths in a child process first (see [`deep_nesting`]).
fn run_nested(kind: &str, depth: usize) -> Outcome {
    let src = nested(kind, depth);
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            install_quiet_panic_hook();
            run_one("", &src)
        })
        .unwrap()
        .join()
        .unwrap_or(Outcome::Internal("thread panicked".into()))
}

/// Child mode of [`deep_nesting`]: runs one `(kind, depth)` given by the environment.
#[test]
fn deep_nesting_child() {
    let (Ok(kind), Ok(depth)) = (
        std::env::var("DUAL_NESTED_KIND"),
        std::env::var("DUAL_NESTED_DEPTH"),
    ) else {
        return; // not a child
    };
    if let Outcome::Internal(p) = run_nested(&kind, depth.parse().unwrap()) {
        panic!("internal error: {p}");
    }
    // Evidence for the parent that this test ran and finished (a filter matching no test
    // succeeds too).
    println!("{CHILD_DONE} {kind} {depth}");
}

/// What [`deep_nesting_child`] prints when it has expanded its input.
const CHILD_DONE: &str = "deep_nesting_child expanded";

/// Whether `(kind, depth)` expands without crashing, in a child process (a stack overflow kills
/// only the child).
fn survives(kind: &str, depth: usize) -> Result<(), String> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "deep_nesting_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DUAL_NESTED_KIND", kind)
        .env("DUAL_NESTED_DEPTH", depth.to_string())
        .output()
        .expect("run the test binary");
    let done = format!("{CHILD_DONE} {kind} {depth}");
    if out.status.success() {
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&done),
            "the child process did not run deep_nesting_child"
        );
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let what = if err.contains("overflow") {
            "stack overflow".to_string()
        } else {
            err.lines()
                .filter(|l| l.contains("internal error") || l.contains("panicked"))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        Err(what)
    }
}

/// Bisects the deepest nesting of `kind` that expands, below `depth` (which fails).
fn deepest(kind: &str, depth: usize) -> usize {
    let (mut ok, mut bad) = (0, depth);
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if survives(kind, mid).is_ok() {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    ok
}

fn check_nesting(depth: usize) {
    let mut failures = Vec::new();
    for kind in NESTING {
        if let Err(why) = survives(kind, depth) {
            let ok = deepest(kind, depth);
            failures.push(format!(
                "{kind}: fails at depth {depth} ({why}); the deepest that expands: {ok}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Nested parentheses, blocks, `if`s, unary minus, sums, method chains and flat sums, 300 and
/// 5000 deep, on an 8 MiB stack: the expander returns — beyond the limits of `dual_core::front::limits`
/// with a spanned error, checked on the raw tokens before syn (whose parser, printer and drop
/// recurse per level: in a debug build it overflows 8 MiB at about 760 nested parentheses, 470
/// nested blocks, 400 nested `if`s) or the lowering recurse.
#[test]
fn deep_nesting() {
    check_nesting(300);
    check_nesting(5000);
}
