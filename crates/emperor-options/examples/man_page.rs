//! Prints the man page `emperor(8)` (roff); `packaging/build-deb` installs it.

fn main() {
    print!(
        "{}",
        emperor_options::docs::man_page(env!("CARGO_PKG_VERSION"))
    );
}
