//! The arguments of `#[gradient(...)]`, parsed in one place.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

/// The keywords of the attribute.
mod kw {
    pub const WRT: &str = "wrt";
    pub const HESSIAN: &str = "hessian";
}

const SUPPORTED: &str = "supported options: `wrt(a, b, ...)` and `hessian`, e.g. \
                         `#[gradient(wrt(x, y), hessian)]`";

/// Parsed options.
#[derive(Default, Debug)]
pub struct Options {
    /// `wrt(a, b)`: the differentiated parameters, if restricted.
    pub wrt: Option<Vec<Ident>>,
    /// `hessian`: the span of the keyword, if present.
    pub hessian: Option<Span>,
}

/// Parses the attribute's arguments.
pub fn parse(args: TokenStream) -> syn::Result<Options> {
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident(kw::WRT) {
            if options.wrt.is_some() {
                return Err(
                    meta.error("`wrt` is given twice; list all parameters in one `wrt(...)`")
                );
            }
            if !meta.input.peek(syn::token::Paren) {
                return Err(meta.error(
                    "malformed `wrt`: expected a parenthesised list of parameter names, \
                     e.g. `wrt(x, y)`",
                ));
            }
            let content;
            syn::parenthesized!(content in meta.input);
            let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content).map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "malformed `wrt`: expected parameter names separated by commas, e.g. `wrt(x, y)`",
                )
            })?;
            if names.is_empty() {
                return Err(
                    meta.error("`wrt()` names no parameter; name at least one, e.g. `wrt(x)`")
                );
            }
            options.wrt = Some(names.into_iter().collect());
            Ok(())
        } else if meta.path.is_ident(kw::HESSIAN) {
            if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                return Err(meta.error("malformed `hessian`: it takes no arguments"));
            }
            options.hessian = Some(
                meta.path
                    .get_ident()
                    .map_or_else(Span::call_site, Ident::span),
            );
            Ok(())
        } else {
            let name = quote::ToTokens::to_token_stream(&meta.path)
                .to_string()
                .replace(' ', "");
            Err(meta.error(format!("unknown option `{name}`; {SUPPORTED}")))
        }
    });
    parser.parse2(args).map_err(|e| {
        if e.to_string().contains(SUPPORTED)
            || e.to_string().contains("`wrt")
            || e.to_string().contains("`hessian")
        {
            e
        } else {
            syn::Error::new(e.span(), format!("malformed options: {e}; {SUPPORTED}"))
        }
    })?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn accepts_supported_forms() {
        assert!(parse(quote!()).unwrap().wrt.is_none());
        let o = parse(quote!(wrt(x, y), hessian)).unwrap();
        assert_eq!(o.wrt.unwrap().len(), 2);
        assert!(o.hessian.is_some());
        assert!(parse(quote!(wrt(x,))).is_ok());
    }

    #[test]
    fn rejects_bad_forms() {
        let msg = |t| parse(t).unwrap_err().to_string();
        assert!(msg(quote!(foo)).contains("unknown option `foo`"));
        assert!(msg(quote!(wrt = x)).contains("malformed `wrt`"));
        assert!(msg(quote!(wrt())).contains("names no parameter"));
        assert!(msg(quote!(wrt(x), wrt(y))).contains("given twice"));
        assert!(msg(quote!(wrt(1))).contains("malformed `wrt`"));
        assert!(msg(quote!(hessian(2))).contains("takes no arguments"));
    }
}
