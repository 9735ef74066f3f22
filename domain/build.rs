// `embed_migrations!` (db.rs) reads ../migrations at compile time, which Cargo does not see:
// without this, a new migration would not rebuild the crate, and the binary would lack it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
