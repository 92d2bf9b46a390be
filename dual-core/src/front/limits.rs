//! Limits on the shape of the input, checked on the raw tokens before anything parses them.
//!
//! syn's parser, its printing, cloning and dropping of expression trees, and the expander's own
//! lowering recurse once per level of nesting and per link of a chain (`a + b + …`,
//! `x.sin().cos()…`, `- - x`). The compiler runs a macro on its own stack, and a stack overflow
//! there aborts the whole compilation with no message. So input shaped beyond these limits (far
//! beyond anything people write, within what a debug build of the macro handles on the
//! compiler's stack) gets a spanned error instead; the check itself is a loop over the tokens.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

/// Parentheses, brackets and blocks nested in each other.
pub const MAX_NESTING: usize = 128;
/// Binary operators in one expression (`a + b * c - …`).
pub const MAX_OPERATORS: usize = 2048;
/// Method calls, fields and indices chained on one value (`x.sin().cos()[0]…`).
pub const MAX_CHAIN: usize = 256;
/// Prefix operators in a row (`- - !x`).
pub const MAX_PREFIX: usize = 256;
/// `return`s in one function: each early return guards the rest of the body, and what the
/// backward sweep needs is carried out through every guard, so the output grows with the square
/// of their number.
pub const MAX_RETURNS: usize = 256;

/// Counts along one token sequence (one group's contents).
#[derive(Default)]
struct Runs {
    /// Operators since the last `;` or `,`.
    operators: usize,
    /// Links of the current postfix chain.
    chain: usize,
    /// Prefix operators in a row.
    prefix: usize,
    /// Whether the previous token ends an operand (so a following `-` is binary).
    after_operand: bool,
}

/// The first place where `tokens` exceed a limit, as an error that says which and what to do.
pub fn check(tokens: &TokenStream) -> Result<(), syn::Error> {
    let mut stack: Vec<(proc_macro2::token_stream::IntoIter, Runs)> =
        vec![(tokens.clone().into_iter(), Runs::default())];
    let mut returns = 0;
    while let Some((iter, runs)) = stack.last_mut() {
        let Some(tt) = iter.next() else {
            stack.pop();
            continue;
        };
        match &tt {
            TokenTree::Group(g) => {
                let is_call_or_index = runs.after_operand && g.delimiter() != Delimiter::Brace;
                if !is_call_or_index {
                    runs.chain = 0;
                }
                runs.prefix = 0;
                runs.after_operand = g.delimiter() != Delimiter::Brace;
                if stack.len() > MAX_NESTING {
                    return Err(too_deep(g.span()));
                }
                stack.push((g.stream().into_iter(), Runs::default()));
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                match c {
                    ';' | ',' => *runs = Runs::default(),
                    '.' => {
                        runs.chain += 1;
                        runs.after_operand = false;
                        if runs.chain > MAX_CHAIN {
                            return Err(syn::Error::new(
                                p.span(),
                                format!(
                                    "more than {MAX_CHAIN} method calls, fields or indices are \
                                     chained here; `#[gradient]` reads at most {MAX_CHAIN} in a \
                                     row: split the chain with `let` bindings"
                                ),
                            ));
                        }
                    }
                    '+' | '-' | '*' | '/' | '%' | '^' | '|' | '&' | '<' | '>' | '!' | '=' => {
                        runs.chain = 0;
                        if runs.after_operand {
                            runs.operators += 1;
                            runs.prefix = 0;
                            if runs.operators > MAX_OPERATORS {
                                return Err(syn::Error::new(
                                    p.span(),
                                    format!(
                                        "more than {MAX_OPERATORS} operators in one expression; \
                                         `#[gradient]` reads at most {MAX_OPERATORS}: split it \
                                         into several `let` statements (partial sums, for \
                                         example)"
                                    ),
                                ));
                            }
                        } else {
                            runs.prefix += 1;
                            if runs.prefix > MAX_PREFIX {
                                return Err(syn::Error::new(
                                    p.span(),
                                    format!(
                                        "more than {MAX_PREFIX} prefix operators in a row; \
                                         `#[gradient]` reads at most {MAX_PREFIX}"
                                    ),
                                ));
                            }
                        }
                        // A two-character operator (`+=`, `->`, `&&`) is one operator.
                        runs.after_operand =
                            p.spacing() == proc_macro2::Spacing::Joint && runs.after_operand;
                    }
                    _ => {
                        runs.chain = 0;
                        runs.prefix = 0;
                        runs.after_operand = false;
                    }
                }
            }
            TokenTree::Ident(i) if i == "return" => {
                returns += 1;
                if returns > MAX_RETURNS {
                    return Err(syn::Error::new(
                        i.span(),
                        format!(
                            "more than {MAX_RETURNS} `return`s in one function; `#[gradient]` \
                             reads at most {MAX_RETURNS} (each early return guards the rest of \
                             the body): compute the result in a variable, or split the function"
                        ),
                    ));
                }
                *runs = Runs::default();
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                runs.prefix = 0;
                runs.after_operand = true;
            }
        }
    }
    Ok(())
}

fn too_deep(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "nested more than {MAX_NESTING} levels deep (parentheses, brackets and blocks); \
             `#[gradient]` reads at most {MAX_NESTING} levels: move the inner part into a `let` \
             binding or a function of its own"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> TokenStream {
        format!("fn f(x: f64) -> f64 {{ {s} }}").parse().unwrap()
    }

    #[test]
    fn ordinary_code_passes() {
        for s in [
            "let a = -x * 2.0 + (x - 1.0).powi(2) / x.sin().cos(); a",
            "if x > 0.0 && !(x < 1.0) { x } else { -x }",
            "let v = [x; 3]; v[0] + v[1] * v[2]",
            "let mut s = 0.0; s += x; s -= -x; s",
        ] {
            assert!(check(&body(s)).is_ok(), "{s}");
        }
        // Right at the limits.
        let sum = vec!["x"; MAX_OPERATORS + 1].join(" + ");
        assert!(check(&body(&sum)).is_ok());
        let chain = format!("x{}", ".sin()".repeat(MAX_CHAIN));
        assert!(check(&body(&chain)).is_ok());
        let prefix = format!("{}x", "- ".repeat(MAX_PREFIX));
        assert!(check(&body(&prefix)).is_ok());
        // The body's braces are one level.
        let nested = format!(
            "{}x{}",
            "(".repeat(MAX_NESTING - 1),
            ")".repeat(MAX_NESTING - 1)
        );
        assert!(check(&body(&nested)).is_ok());
    }

    #[test]
    fn beyond_the_limits_is_an_error() {
        let message = |s: &str| check(&body(s)).unwrap_err().to_string();
        let sum = vec!["x"; MAX_OPERATORS + 2].join(" + ");
        assert!(message(&sum).contains("more than 2048 operators"));
        let chain = format!("x{}", ".sin()".repeat(MAX_CHAIN + 1));
        assert!(message(&chain).contains("more than 256 method calls"));
        let prefix = format!("{}x", "- ".repeat(MAX_PREFIX + 1));
        assert!(message(&prefix).contains("more than 256 prefix operators"));
        let nested = format!("{}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(message(&nested).contains("nested more than 128 levels"));
        let returns = "if x > 0.0 { return x; } ".repeat(MAX_RETURNS + 1);
        assert!(message(&format!("{returns} x")).contains("more than 256 `return`s"));
        assert!(check(&body(&"if x > 0.0 { return x; } ".repeat(MAX_RETURNS))).is_ok());
        // Separate statements and arguments do not add up.
        let statements = vec!["let _a = x + x;"; MAX_OPERATORS].join(" ");
        assert!(check(&body(&format!("{statements} x"))).is_ok());
    }
}
