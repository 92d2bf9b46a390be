//! Finds the functions annotated with `#[gradient]` in a source file: shared by the tests that
//! expand the workspace's sources (`expansions.rs`, `messages.rs`).

use quote::ToTokens;
use syn::visit::Visit;

/// The annotated functions of `src`, in source order; `None` if syn does not read the file (such
/// as a UI test's deliberately malformed input).
pub fn annotated_functions(src: &str) -> Option<Vec<Function>> {
    let parsed: syn::File = syn::parse_file(src).ok()?;
    let mut finder = Annotated::default();
    finder.visit_file(&parsed);
    Some(finder.found)
}

/// `(name, attribute arguments, the item without the attribute)` of an annotated function.
pub type Function = (String, proc_macro2::TokenStream, proc_macro2::TokenStream);

#[derive(Default)]
struct Annotated {
    found: Vec<Function>,
}

fn take_gradient_attr(attrs: &mut Vec<syn::Attribute>) -> Option<proc_macro2::TokenStream> {
    let pos = attrs.iter().position(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "gradient")
    })?;
    let attr = attrs.remove(pos);
    Some(match attr.meta {
        syn::Meta::List(l) => l.tokens,
        _ => proc_macro2::TokenStream::new(),
    })
}

impl Annotated {
    /// Records `item` if it carries the attribute, as written but without the attribute
    /// (`attrs` reaches the attributes of a copy, to take it off).
    fn record<T: Clone + ToTokens>(
        &mut self,
        item: &T,
        name: &syn::Ident,
        attrs: fn(&mut T) -> &mut Vec<syn::Attribute>,
    ) {
        let mut item = item.clone();
        if let Some(args) = take_gradient_attr(attrs(&mut item)) {
            self.found
                .push((name.to_string(), args, item.to_token_stream()));
        }
    }
}

impl<'ast> Visit<'ast> for Annotated {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.record(f, &f.sig.ident, |f| &mut f.attrs);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.record(f, &f.sig.ident, |f| &mut f.attrs);
        syn::visit::visit_impl_item_fn(self, f);
    }

    // The attribute misplaced, which the macro reports: on a declaration without a body, and on
    // an item that is not a function.
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.record(f, &f.sig.ident, |f| &mut f.attrs);
        syn::visit::visit_trait_item_fn(self, f);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        self.record(s, &s.ident, |s| &mut s.attrs);
        syn::visit::visit_item_struct(self, s);
    }
}
