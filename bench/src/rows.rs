//! Insert forms of the generated rows, written by the domain's bulk writer
//! (`jicai_domain::bulk_insert!`: COPY on PostgreSQL, multi-row inserts on SQLite).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use jicai_domain::schema::*;

#[derive(Insertable)]
#[diesel(table_name = regions, treat_none_as_default_value = false)]
pub struct Region {
    pub id: String,
    pub code: String,
    pub province_code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = region_policies, treat_none_as_default_value = false)]
pub struct Policy {
    pub id: String,
    pub region_id: String,
    pub kind: String,
    pub effective_from: NaiveDate,
    pub params: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = organizations, treat_none_as_default_value = false)]
pub struct Org {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub credit_code: Option<String>,
    pub region_id: Option<String>,
    pub hospital_level: Option<i16>,
    pub is_manufacturer: bool,
    pub is_distributor: bool,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub org_id: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = products, treat_none_as_default_value = false)]
pub struct Product {
    pub id: String,
    pub code: String,
    pub category: String,
    pub generic_name: String,
    pub generic_name_en: Option<String>,
    pub dosage_form: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = batches, treat_none_as_default_value = false)]
pub struct Batch {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub level: String,
    pub category: String,
    pub document_no: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub volume_ratios: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = winning_bids, treat_none_as_default_value = false)]
pub struct Bid {
    pub id: String,
    pub batch_id: String,
    pub product_id: String,
    pub enterprise_id: String,
    pub unit_price: i64,
    pub pack_price: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = bid_supply_regions, treat_none_as_default_value = false)]
pub struct BidSupply {
    pub bid_id: String,
    pub region_code: String,
    pub role: String,
}

#[derive(Insertable)]
#[diesel(table_name = bid_distributors, treat_none_as_default_value = false)]
pub struct BidDistributor {
    pub bid_id: String,
    pub enterprise_id: String,
}

#[derive(Insertable)]
#[diesel(table_name = agreed_volumes, treat_none_as_default_value = false)]
pub struct Volume {
    pub id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub bid_id: String,
    pub agreement_year: i16,
    pub year_start: NaiveDate,
    pub year_end: NaiveDate,
    pub reported_demand: i64,
    pub winners: i16,
    pub ratio_bp: i32,
    pub agreed_qty: i64,
    pub ordered_qty: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub accepted_qty: i64,
}

#[derive(Insertable)]
#[diesel(table_name = orders, treat_none_as_default_value = false)]
pub struct Order {
    pub id: String,
    pub order_no: String,
    pub region_id: String,
    pub hospital_id: String,
    pub supplier_id: String,
    pub status: String,
    pub total_amount: i64,
    pub note: Option<String>,
    pub decline_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = order_lines, treat_none_as_default_value = false)]
pub struct OrderLine {
    pub id: String,
    pub order_id: String,
    pub line_no: i32,
    pub kind: String,
    pub bid_id: Option<String>,
    pub listed_product_id: Option<String>,
    pub product_id: String,
    pub agreed_volume_id: Option<String>,
    pub unit_price: i64,
    pub quantity: i64,
    pub in_volume_qty: i64,
    pub above_volume_qty: i64,
    pub amount: i64,
    pub accepted_qty: i64,
}

#[derive(Insertable)]
#[diesel(table_name = deliveries, treat_none_as_default_value = false)]
pub struct Delivery {
    pub id: String,
    pub delivery_no: String,
    pub order_id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub supplier_id: String,
    pub status: String,
    pub note: Option<String>,
    pub shipped_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Insertable)]
#[diesel(table_name = delivery_lines, treat_none_as_default_value = false)]
pub struct DeliveryLine {
    pub id: String,
    pub delivery_id: String,
    pub order_line_id: String,
    pub line_no: i32,
    pub quantity: i64,
    pub lot_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub accepted_qty: Option<i64>,
    pub rejected_qty: Option<i64>,
    pub reject_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = acceptances, treat_none_as_default_value = false)]
pub struct Acceptance {
    pub id: String,
    pub delivery_id: String,
    pub status: String,
    pub received_by: String,
    pub delivered_by: String,
    pub note: Option<String>,
    pub accepted_at: Option<NaiveDateTime>,
    pub acceptance_date: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub confirmed_by: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = payables, treat_none_as_default_value = false)]
pub struct Payable {
    pub id: String,
    pub payable_no: String,
    pub acceptance_id: String,
    pub delivery_id: String,
    pub order_id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub supplier_id: String,
    pub amount: i64,
    pub acceptance_date: NaiveDate,
    pub due_date: NaiveDate,
    pub deadline_policy_id: String,
    pub created_at: NaiveDateTime,
    pub stage: String,
    pub invoiced_on: Option<NaiveDate>,
    pub confirm_deadline: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    pub confirmation: Option<String>,
    pub disputed_amount: i64,
    pub dispute_reason: Option<String>,
    pub paid_amount: i64,
    pub paid_on: Option<NaiveDate>,
    pub bank_reference: Option<String>,
    pub batch_id: Option<String>,
    pub overdue_since: Option<NaiveDate>,
    pub supplier_delay_days: i32,
    pub hospital_delay_days: i32,
    pub fund_delay_days: i32,
    pub interest: i64,
    pub interest_policy_id: Option<String>,
    pub confirmation_policy_id: Option<String>,
    pub order_no: String,
    pub delivery_no: String,
}

#[derive(Insertable)]
#[diesel(table_name = invoices, treat_none_as_default_value = false)]
pub struct Invoice {
    pub id: String,
    pub payable_id: String,
    pub supplier_id: String,
    pub invoice_no: String,
    pub invoice_date: NaiveDate,
    pub amount: i64,
    pub tax_amount: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = payment_batches, treat_none_as_default_value = false)]
pub struct PaymentBatch {
    pub id: String,
    pub batch_no: String,
    pub region_id: String,
    pub status: String,
    pub proposed_on: Option<NaiveDate>,
    pub total_amount: i64,
    pub item_count: i32,
    pub prepared_by: Option<String>,
    pub prepared_at: Option<NaiveDateTime>,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = payment_batch_items, treat_none_as_default_value = false)]
pub struct BatchItem {
    pub batch_id: String,
    pub payable_id: String,
    pub amount: i64,
}

#[derive(Insertable)]
#[diesel(table_name = payments, treat_none_as_default_value = false)]
pub struct Payment {
    pub id: String,
    pub bank_reference: String,
    pub payable_id: String,
    pub batch_id: String,
    pub region_id: String,
    pub payee_id: String,
    pub amount: i64,
    pub paid_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = journal_entries, treat_none_as_default_value = false)]
pub struct JournalEntry {
    pub id: String,
    pub region_id: String,
    pub entry_date: NaiveDate,
    pub kind: String,
    pub memo: String,
    pub source_type: String,
    pub source_id: String,
    pub reverses_entry_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = journal_lines, treat_none_as_default_value = false)]
pub struct JournalLine {
    pub id: String,
    pub entry_id: String,
    pub region_id: String,
    pub account: String,
    pub party_id: Option<String>,
    pub debit: i64,
    pub credit: i64,
    pub entry_date: NaiveDate,
}

#[derive(Insertable)]
#[diesel(table_name = prepayments, treat_none_as_default_value = false)]
pub struct Prepayment {
    pub id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub batch_id: String,
    pub agreement_year: i16,
    pub annual_amount: i64,
    pub share_bp: i32,
    pub amount: i64,
    pub policy_id: String,
    pub prepaid_on: NaiveDate,
    pub created_at: NaiveDateTime,
}
