//! Prints the expansion of the function in `$DUAL_SHOW` (a file path); a debugging aid.
#[test]
fn show() {
    let Ok(path) = std::env::var("DUAL_SHOW") else {
        return;
    };
    let src = std::fs::read_to_string(path).unwrap();
    let file: syn::File = syn::parse_str(&src).unwrap();
    for item in file.items {
        let syn::Item::Fn(mut f) = item else { continue };
        let Some(pos) = f.attrs.iter().position(|a| a.path().is_ident("gradient")) else {
            continue;
        };
        let attr = f.attrs.remove(pos);
        let args = match attr.meta {
            syn::Meta::List(l) => l.tokens,
            _ => Default::default(),
        };
        let out = dual_core::expand(args, quote::ToTokens::to_token_stream(&f));
        match syn::parse2::<syn::File>(out.clone()) {
            Ok(file) => println!("{}", prettyplease::unparse(&file)),
            Err(_) => println!("{out}"),
        }
    }
}
