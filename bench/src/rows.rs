//! The generated rows are the domain's own insert forms, written by the domain's bulk writer
//! (`jicai_domain::bulk_insert!`: COPY on PostgreSQL, multi-row inserts on SQLite). The short
//! names here are the generator's.

pub use jicai_domain::catalog::volumes::AgreedVolumeRow as Volume;
pub use jicai_domain::catalog::{
    BatchRow as Batch, BidDistributorRow as BidDistributor, BidRow as Bid, BidSupplyRow as BidSupply,
    ProductRow as Product,
};
pub use jicai_domain::identity::{OrgRow as Org, RegionRow as Region, UserRow as User};
pub use jicai_domain::ledger::{
    JournalEntryRow as JournalEntry, JournalLineRow as JournalLine, PrepaymentRow as Prepayment,
};
pub use jicai_domain::ordering::delivery::{
    AcceptanceRow as Acceptance, DeliveryLineRow as DeliveryLine, DeliveryRow as Delivery,
};
pub use jicai_domain::ordering::orders::{OrderLineRow as OrderLine, OrderRow as Order};
pub use jicai_domain::policy::PolicyRow as Policy;
pub use jicai_domain::settlement::payable::PayableRow as Payable;
pub use jicai_domain::settlement::{
    BatchItemRow as BatchItem, InvoiceRow as Invoice, PaymentBatchRow as PaymentBatch, PaymentRow as Payment,
};
