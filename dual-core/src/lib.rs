//! The engine behind `#[gradient]`: option parsing, lowering from syn, IR, derivative rules,
//! simplification and emission. An ordinary library so that every stage is unit-testable.

use proc_macro2::TokenStream;

/// Expands `#[gradient(args)] item`.
pub fn expand(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
