//! The macro's entry: the item unchanged, followed by its companions — or by every problem found,
//! each spanned on the offending tokens. A panic in the engine becomes a `compile_error!`, never a
//! crash of the compiler.

use proc_macro2::TokenStream;
use quote::quote;

use crate::pipeline;

/// Expands `#[gradient(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pipeline::compile(args, &item)
    }));
    match result {
        Ok(Ok(companions)) => {
            // The function is used through its companions, where rustc's dead-code analysis does
            // not follow: without this, a function called only through them, or only by other
            // annotated functions, would warn. Appended in place: the item can be most of the
            // output.
            let mut out = quote!(#[allow(dead_code)]);
            out.extend(item);
            out.extend(companions);
            out
        }
        Ok(Err(diag)) => {
            // The item stays, so that the rest of the user's code still type-checks against it.
            let errors = diag.to_compile_errors();
            quote!(#item #errors)
        }
        Err(_) => {
            let msg = "internal error in `#[gradient]` (the macro panicked); please report this \
                       function at the `dual` issue tracker";
            quote!(#item ::core::compile_error!(#msg);)
        }
    }
}
