//! Disclosure (信息披露, domain.md section 11): what the public and the market may see without
//! signing in. This is composition: it reads every capability and nothing imports it.
//!
//! `ocds` publishes tenders and VBP batches as Open Contracting Data Standard 1.1 release and
//! record packages.

pub mod ocds;
