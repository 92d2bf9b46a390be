//! The proc-macro entry of [`dual`](https://docs.rs/dual). Depend on `dual`, not on this crate.

/// Differentiates an `f64` function at compile time; see the `dual` crate for the user guide.
#[proc_macro_attribute]
pub fn gradient(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    dual_core::expand(args.into(), item.into()).into()
}
