//! The fund's double-entry journal per pooling region. Money never moves without a balanced
//! entry; entries are immutable (the database refuses UPDATE and DELETE); a correction is a
//! reversing entry. Each entry is keyed by its source, so posting twice is impossible.
//!
//! Accounts (the fund's books):
//! * `fund`: the pooled fund's money (asset).
//! * `prepayment_advance` (per hospital): advances on future settlements (asset).
//! * `hospital_prepayment` (per hospital): the hospital's ring-fenced VBP prepayment balance,
//!   drawn first by direct payments (liability).
//! * `hospital_settlement` (per hospital): what the fund owes the hospital for insured care,
//!   from which direct payments are deducted (liability).
//! * `hospital_receivable` (per hospital): what could not be deducted, to collect (托收) (asset).
//! * `supplier_payable` (per supplier): owed to suppliers on hospitals' behalf (liability).
//!   Recognised when a payable arises, cleared by its payment or by a credited dispute, so its
//!   balance is what the payables list shows as still owed.
//! * `hospital_offset_due` (per hospital): what the fund pays or will pay on a hospital's behalf
//!   and has not yet netted out of the hospital's money (asset). Recognised with the payable,
//!   cleared at payment by the hospital's cover (prepayment, settlement, receivable).
//! * `medical_expense`: the fund's cost of insured care (expense).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::clock::to_db;
use crate::db::{unique_conflict, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{Actor, OrgNames, Role};
use crate::ids::new_id;
use crate::money::Money;
use crate::schema::{journal_entries, journal_lines, prepayments};

mod mails;
pub mod rules;
pub use rules::{balanced, split_offset, Account, Offset, Posting};

/// A journal entry's head, as it is stored (the insert form of `journal_entries`).
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = journal_entries, treat_none_as_default_value = false)]
pub struct JournalEntryRow {
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

/// One line of a journal entry, as it is stored (the insert form of `journal_lines`).
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = journal_lines, treat_none_as_default_value = false)]
pub struct JournalLineRow {
    pub id: String,
    pub entry_id: String,
    pub region_id: String,
    pub account: String,
    pub party_id: Option<String>,
    pub debit: i64,
    pub credit: i64,
    pub entry_date: NaiveDate,
}

/// A hospital's prepayment for a batch's agreement year (the insert form of `prepayments`).
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = prepayments, treat_none_as_default_value = false)]
pub struct PrepaymentRow {
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

pub struct Entry<'a> {
    pub region_id: &'a str,
    pub date: NaiveDate,
    pub kind: &'static str,
    pub memo: String,
    pub source_type: &'static str,
    pub source_id: &'a str,
    pub postings: Vec<Posting>,
}

/// Posts an entry; refuses an unbalanced one. Zero-amount postings are left out.
pub fn post(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let postings: Vec<Posting> =
        entry.postings.into_iter().filter(|p| p.debit.fen() != 0 || p.credit.fen() != 0).collect();
    if !balanced(&postings) || postings.is_empty() {
        return Err(DomainError::Internal(format!("unbalanced journal entry {} for {}", entry.kind, entry.source_id)));
    }
    let head = JournalEntryRow {
        id: new_id(),
        region_id: entry.region_id.to_string(),
        entry_date: entry.date,
        kind: entry.kind.to_string(),
        memo: entry.memo.clone(),
        source_type: entry.source_type.to_string(),
        source_id: entry.source_id.to_string(),
        reverses_entry_id: None,
        created_by: actor.map(|a| a.user_id.clone()).filter(|u| !u.is_empty()),
        created_at: to_db(now),
    };
    let lines: Vec<JournalLineRow> = postings
        .iter()
        .map(|p| JournalLineRow {
            id: new_id(),
            entry_id: head.id.clone(),
            region_id: entry.region_id.to_string(),
            account: p.account.as_str().to_string(),
            party_id: p.party_id.clone(),
            debit: p.debit.fen(),
            credit: p.credit.fen(),
            entry_date: entry.date,
        })
        .collect();
    write_entry(conn, &head, &lines).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::AlreadyPosted,
                format!("{} of {} is already posted", entry.kind, entry.source_id),
            )
        })
    })?;
    let id = head.id;
    Ok(id)
}

/// Writes an entry with its lines (a handful). On PostgreSQL in one statement: the entry's
/// INSERT is a data-modifying WITH of the lines' multi-row INSERT (the lines' foreign key is
/// checked at the statement's end, when the entry is there). On SQLite, which has no such WITH,
/// in two.
fn write_entry(conn: &mut DbConnection, head: &JournalEntryRow, lines: &[JournalLineRow]) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
    let DbConnection::Postgresql(pg) = conn else {
        diesel::insert_into(journal_entries::table).values(head).execute(conn)?;
        crate::db::insert_rows!(&mut *conn, journal_lines::table, lines)?;
        return Ok(());
    };
    let mut sql = String::from(
        "WITH entry AS (INSERT INTO journal_entries (id, region_id, entry_date, kind, memo, source_type, source_id, \
         reverses_entry_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)) \
         INSERT INTO journal_lines (id, entry_id, region_id, account, party_id, debit, credit, entry_date) VALUES ",
    );
    for i in 0..lines.len() {
        let at = 10 + i * 8;
        let row: Vec<String> = (1..=8).map(|k| format!("${}", at + k)).collect();
        sql.push_str(&format!("{}({})", if i == 0 { "" } else { ", " }, row.join(", ")));
    }
    let mut q = diesel::sql_query(sql)
        .into_boxed::<diesel::pg::Pg>()
        .bind::<Text, _>(&head.id)
        .bind::<Text, _>(&head.region_id)
        .bind::<Date, _>(head.entry_date)
        .bind::<Text, _>(&head.kind)
        .bind::<Text, _>(&head.memo)
        .bind::<Text, _>(&head.source_type)
        .bind::<Text, _>(&head.source_id)
        .bind::<Nullable<Text>, _>(&head.reverses_entry_id)
        .bind::<Nullable<Text>, _>(&head.created_by)
        .bind::<Timestamp, _>(head.created_at);
    for l in lines {
        q = q
            .bind::<Text, _>(&l.id)
            .bind::<Text, _>(&l.entry_id)
            .bind::<Text, _>(&l.region_id)
            .bind::<Text, _>(&l.account)
            .bind::<Nullable<Text>, _>(&l.party_id)
            .bind::<BigInt, _>(l.debit)
            .bind::<BigInt, _>(l.credit)
            .bind::<Date, _>(l.entry_date);
    }
    // One text per number of lines (two, mostly): kept prepared.
    crate::db::Reused(q).execute(pg)?;
    Ok(())
}

/// Balance of an account (of a party) up to and including `on`, in its normal direction.
pub fn balance(
    conn: &mut DbConnection,
    region_id: &str,
    account: Account,
    party: Option<&str>,
    on: NaiveDate,
) -> DomainResult<Money> {
    let mut q = journal_lines::table
        .filter(journal_lines::region_id.eq(region_id))
        .filter(journal_lines::account.eq(account.as_str()))
        .filter(journal_lines::entry_date.le(on))
        .select((journal_lines::debit, journal_lines::credit))
        .into_boxed();
    q = match party {
        Some(p) => q.filter(journal_lines::party_id.eq(p.to_string())),
        None => q.filter(journal_lines::party_id.is_null()),
    };
    let rows: Vec<(i64, i64)> = q.load(conn)?;
    let (d, c) = rows.iter().fold((0i64, 0i64), |(d, c), (x, y)| (d + x, c + y));
    Ok(Money::from_fen(if account.credit_normal() { c - d } else { d - c }))
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountBalance {
    pub account: Account,
    pub party_id: Option<String>,
    pub party_name: Option<String>,
    pub debit: Money,
    pub credit: Money,
    /// In the account's normal direction (credits for liabilities); negative when the account
    /// stands on its other side.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::SignedMoney))]
    pub balance: Money,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balances {
    pub as_of: NaiveDate,
    pub total_debit: Money,
    pub total_credit: Money,
    pub accounts: Vec<AccountBalance>,
}

/// Every account's balance in the caller's region (fund and bureau officers), or the hospital's
/// own accounts (hospital buyer).
pub fn balances(conn: &mut DbConnection, actor: &Actor, as_of: NaiveDate) -> DomainResult<Balances> {
    actor.require(&[Role::FundOfficer, Role::BureauOfficer, Role::HospitalBuyer], "read the fund ledger")?;
    let region = actor.region()?.to_string();
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool};
    // A hospital sees only its own accounts; officers every party's.
    let party = (actor.role == Role::HospitalBuyer).then(|| actor.org_id.clone());
    let everyone = party.is_none();
    // Summed by the database: the journal grows by millions of lines a year.
    let rows: Vec<(String, Option<String>, i64, i64)> = journal_lines::table
        .filter(journal_lines::region_id.eq(&region))
        .filter(journal_lines::entry_date.le(as_of))
        .filter(journal_lines::party_id.eq(party).or(everyone.into_sql::<Bool>()))
        .group_by((journal_lines::account, journal_lines::party_id))
        .select((
            journal_lines::account,
            journal_lines::party_id,
            sql::<BigInt>("CAST(SUM(debit) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(credit) AS BIGINT)"),
        ))
        .load(conn)?;
    let sums: BTreeMap<(String, Option<String>), (i64, i64)> =
        rows.into_iter().map(|(account, party, d, c)| ((account, party), (d, c))).collect();
    let party_ids: Vec<&str> = sums.keys().filter_map(|(_, p)| p.as_deref()).collect();
    let names = OrgNames::load(conn, &party_ids)?;
    let mut accounts = Vec::new();
    let (mut td, mut tc) = (0i64, 0i64);
    for ((account, party), (d, c)) in &sums {
        let Some(acc) = Account::parse(account) else { continue };
        td += d;
        tc += c;
        accounts.push(AccountBalance {
            account: acc,
            party_name: party.as_deref().map(|p| names.reference(p).name),
            party_id: party.clone(),
            debit: Money::from_fen(*d),
            credit: Money::from_fen(*c),
            balance: Money::from_fen(if acc.credit_normal() { c - d } else { d - c }),
        });
    }
    accounts.sort_by(|a, b| (a.account, &a.party_name).cmp(&(b.account, &b.party_name)));
    Ok(Balances { as_of, total_debit: Money::from_fen(td), total_credit: Money::from_fen(tc), accounts })
}

// ---------------------------------------------------------------- prepayments and settlements

#[derive(Clone, Debug, Default, Serialize)]
pub struct PrepaymentCounts {
    pub prepaid: i64,
    pub amount: Money,
}

/// Prepays every hospital, for every batch and agreement year begun on or before `as_of` and
/// not yet prepaid, a share of its annual agreed amount (Σ agreed volume × winning price).
/// Safe to repeat; catches up missed days.
pub fn run_prepayments(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<PrepaymentCounts> {
    use crate::schema::{agreed_volumes, winning_bids};
    crate::db::write_tx(conn, |conn| {
        crate::db::job_lock(conn, "prepayment")?;
        let mut rows = agreed_volumes::table
            .inner_join(winning_bids::table)
            .filter(agreed_volumes::year_start.le(as_of))
            .filter(agreed_volumes::year_end.ge(as_of))
            .select((
                agreed_volumes::region_id,
                agreed_volumes::hospital_id,
                winning_bids::batch_id,
                agreed_volumes::agreement_year,
                agreed_volumes::agreed_qty,
                winning_bids::unit_price,
            ))
            .into_boxed();
        if let Some(r) = region {
            rows = rows.filter(agreed_volumes::region_id.eq(r.to_string()));
        }
        let rows: Vec<(String, String, String, i16, i64, i64)> = rows.load(conn)?;
        // (region, hospital, batch, agreement year) → (agreed quantity, winning price) lines
        type Group = (String, String, String, i16);
        let mut groups: BTreeMap<Group, Vec<(i64, crate::money::UnitPrice)>> = BTreeMap::new();
        for (region, hospital, batch, year, qty, price) in rows {
            groups
                .entry((region, hospital, batch, year))
                .or_default()
                .push((qty, crate::money::UnitPrice::from_ten_thousandths(price)));
        }
        let mut counts = PrepaymentCounts::default();
        for ((region, hospital, batch, year), lines) in groups {
            let done: i64 = prepayments::table
                .filter(prepayments::hospital_id.eq(&hospital))
                .filter(prepayments::batch_id.eq(&batch))
                .filter(prepayments::agreement_year.eq(year))
                .count()
                .get_result(conn)?;
            if done > 0 {
                continue;
            }
            let annual = crate::money::amount_of(lines);
            let (policy, policy_id): (crate::policy::PrepaymentPolicy, String) =
                crate::policy::params_in_force(conn, &region, crate::policy::PREPAYMENT, as_of)?;
            let amount = Money::round_half_up(annual.to_decimal() * policy.share);
            let id = new_id();
            diesel::insert_into(prepayments::table)
                .values(&PrepaymentRow {
                    id: id.clone(),
                    region_id: region.clone(),
                    hospital_id: hospital.clone(),
                    batch_id: batch.clone(),
                    agreement_year: year,
                    annual_amount: annual.fen(),
                    share_bp: (policy.share * rust_decimal::Decimal::from(10_000)).round().try_into().unwrap_or(0i32),
                    amount: amount.fen(),
                    policy_id: policy_id.clone(),
                    prepaid_on: as_of,
                    created_at: to_db(now),
                })
                .execute(conn)?;
            if amount.fen() > 0 {
                post(
                    conn,
                    None,
                    Entry {
                        region_id: &region,
                        date: as_of,
                        kind: "prepayment",
                        memo: format!("VBP prepayment, agreement year {year}: {} of {annual}", policy.share),
                        source_type: "prepayment",
                        source_id: &id,
                        postings: vec![
                            Posting::debit(Account::PrepaymentAdvance, Some(&hospital), amount),
                            Posting::credit(Account::HospitalPrepayment, Some(&hospital), amount),
                        ],
                    },
                    now,
                )?;
            }
            counts.prepaid += 1;
            counts.amount = counts.amount.checked_add(amount).unwrap_or(counts.amount);
        }
        Ok(counts)
    })
}

#[derive(Clone, Debug, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMonthlySettlement {
    pub hospital_id: String,
    /// `YYYY-MM`.
    pub month: String,
    /// What the fund owes the hospital for the month's insured care.
    pub amount: Money,
}

/// Records what the fund owes a hospital for a month (fund officer); direct payments are then
/// deducted from it.
pub fn record_monthly_settlement(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewMonthlySettlement,
    now: DateTime<Utc>,
) -> DomainResult<serde_json::Value> {
    use crate::schema::{monthly_settlements, organizations};
    actor.require(&[Role::FundOfficer], "record monthly settlements")?;
    let region = actor.region()?.to_string();
    let month = input.month.trim();
    let valid_month = month.len() == 7 && NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok();
    if !valid_month {
        return Err(DomainError::invalid(ErrorCode::InvalidMonth, "month", "a month is written YYYY-MM"));
    }
    let hospital: Option<String> = organizations::table
        .find(input.hospital_id.trim())
        .filter(organizations::kind.eq("hospital"))
        .filter(organizations::region_id.eq(&region))
        .select(organizations::id)
        .first(conn)
        .optional()?;
    let hospital = hospital.ok_or_else(|| {
        DomainError::invalid(ErrorCode::UnknownHospital, "hospital_id", "no such hospital in your region")
    })?;
    if input.amount.fen() <= 0 {
        return Err(DomainError::invalid(
            ErrorCode::InvalidAmount,
            "amount",
            "a monthly settlement is above zero; record nothing for a month without insured care",
        ));
    }
    let today = crate::clock::shanghai_date(now);
    crate::db::write_tx(conn, |conn| {
        let id = new_id();
        diesel::insert_into(monthly_settlements::table)
            .values((
                monthly_settlements::id.eq(&id),
                monthly_settlements::region_id.eq(&region),
                monthly_settlements::hospital_id.eq(&hospital),
                monthly_settlements::month.eq(month),
                monthly_settlements::amount.eq(input.amount.fen()),
                monthly_settlements::created_by.eq(&actor.user_id),
                monthly_settlements::created_at.eq(to_db(now)),
            ))
            .execute(conn)
            .map_err(|e| {
                unique_conflict(e, || {
                    DomainError::conflict(
                        ErrorCode::DuplicateSettlement,
                        format!("the settlement of {month} is already recorded"),
                    )
                })
            })?;
        post(
            conn,
            Some(actor),
            Entry {
                region_id: &region,
                date: today,
                kind: "monthly_settlement",
                memo: format!("insured care of {month}"),
                source_type: "monthly_settlement",
                source_id: &id,
                postings: vec![
                    Posting::debit(Account::MedicalExpense, None, input.amount),
                    Posting::credit(Account::HospitalSettlement, Some(&hospital), input.amount),
                ],
            },
            now,
        )?;
        let out = serde_json::json!({"id": id, "hospital_id": hospital, "month": month, "amount": input.amount});
        crate::audit::record(
            conn,
            crate::audit::AuditEntry::created(actor, Some(&region), "monthly_settlement", &id, &out),
            now,
        )?;
        Ok(out)
    })
}

/// A hospital's monthly statement, from the journal.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    pub hospital_id: String,
    pub month: String,
    /// Prepayment balance at the start of the month.
    pub opening_prepayment: Money,
    pub prepaid: Money,
    /// Direct payments to suppliers on the hospital's behalf.
    pub payments_on_behalf: Money,
    /// Of those, drawn from the prepayment.
    pub offset_from_prepayment: Money,
    /// Of those, deducted from the monthly settlement.
    pub deducted_from_settlement: Money,
    /// Of those, left to collect from the hospital (托收).
    pub receivable: Money,
    pub settlement_recorded: Money,
    pub closing_prepayment: Money,
    pub closing_settlement_owed: Money,
    pub closing_receivable: Money,
}

pub fn statement(conn: &mut DbConnection, actor: &Actor, hospital_id: &str, month: &str) -> DomainResult<Statement> {
    actor.require(&[Role::FundOfficer, Role::BureauOfficer, Role::HospitalBuyer], "read hospital statements")?;
    let region = actor.region()?.to_string();
    if actor.role == Role::HospitalBuyer && actor.org_id != hospital_id {
        return Err(DomainError::not_found("hospital"));
    }
    let in_region: i64 = crate::schema::organizations::table
        .find(hospital_id)
        .filter(crate::schema::organizations::kind.eq("hospital"))
        .filter(crate::schema::organizations::region_id.eq(&region))
        .count()
        .get_result(conn)?;
    if in_region == 0 {
        return Err(DomainError::not_found("hospital"));
    }
    statement_of(conn, &region, hospital_id, month)
}

fn statement_of(conn: &mut DbConnection, region: &str, hospital_id: &str, month: &str) -> DomainResult<Statement> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| DomainError::invalid(ErrorCode::InvalidMonth, "month", "a month is written YYYY-MM"))?;
    let mut all = statements(conn, Some(region), Some(hospital_id), first)?;
    Ok(all.pop().map(|(_, st)| st).unwrap_or_else(|| Statement::zero(hospital_id, first)))
}

#[derive(QueryableByName)]
struct MonthSum {
    #[diesel(sql_type = diesel::sql_types::Text)]
    region_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    party_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    account: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    debit: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    credit: i64,
}

#[derive(QueryableByName)]
struct AccountBalances {
    #[diesel(sql_type = diesel::sql_types::Text)]
    region_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    party_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    account: String,
    /// Debits less credits up to the day before the month.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    opening_net_debit: i64,
    /// Debits less credits up to the month's last day.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    closing_net_debit: i64,
}

impl Statement {
    fn zero(hospital_id: &str, first: NaiveDate) -> Statement {
        Statement {
            hospital_id: hospital_id.to_string(),
            month: first.format("%Y-%m").to_string(),
            opening_prepayment: Money::ZERO,
            prepaid: Money::ZERO,
            payments_on_behalf: Money::ZERO,
            offset_from_prepayment: Money::ZERO,
            deducted_from_settlement: Money::ZERO,
            receivable: Money::ZERO,
            settlement_recorded: Money::ZERO,
            closing_prepayment: Money::ZERO,
            closing_settlement_owed: Money::ZERO,
            closing_receivable: Money::ZERO,
        }
    }
}

/// The statements of the month starting `first` for every hospital with a balance or activity in
/// a hospital account by the month's end (of one region, or one hospital), keyed by region and
/// sorted: two grouped queries over the journal, whatever the number of hospitals.
fn statements(
    conn: &mut DbConnection,
    region: Option<&str>,
    hospital: Option<&str>,
    first: NaiveDate,
) -> DomainResult<Vec<(String, Statement)>> {
    use diesel::sql_types::{Date, Nullable, Text};
    let last = first + chrono::Months::new(1) - chrono::Days::new(1);
    let before = first.pred_opt().expect("in range");
    // One region at a time, so that the region is an equality and the balances index
    // (region, account, party, date; debit and credit included) serves both sums.
    let regions: Vec<String> = match region {
        Some(r) => vec![r.to_string()],
        None => crate::schema::regions::table
            .select(crate::schema::regions::id)
            .order(crate::schema::regions::id)
            .load(conn)?,
    };
    let (mut balances, mut sums): (Vec<AccountBalances>, Vec<MonthSum>) = (Vec::new(), Vec::new());
    for region in &regions {
        // `$n IS NULL OR …` keeps one statement text for either filter; both databases bind `$n`
        // positionally, in order of first appearance.
        balances.extend(
            diesel::sql_query(
                "SELECT region_id, party_id, account, \
                        CAST(COALESCE(SUM(CASE WHEN entry_date <= $1 THEN debit - credit ELSE 0 END), 0) AS BIGINT) \
                            AS opening_net_debit, \
                        CAST(COALESCE(SUM(debit - credit), 0) AS BIGINT) AS closing_net_debit \
                 FROM journal_lines \
                 WHERE entry_date <= $2 AND party_id IS NOT NULL AND region_id = $3 \
                   AND account IN ('hospital_prepayment', 'hospital_settlement', 'hospital_receivable') \
                   AND ($4 IS NULL OR party_id = $4) \
                 GROUP BY region_id, party_id, account",
            )
            .bind::<Date, _>(before)
            .bind::<Date, _>(last)
            .bind::<Text, _>(region)
            .bind::<Nullable<Text>, _>(hospital)
            .load::<AccountBalances>(conn)?,
        );
        // The month's movements by entry kind: the month's entries by date, their hospital
        // lines from the balances index.
        sums.extend(
            diesel::sql_query(
                "SELECT l.region_id, l.party_id, e.kind, l.account, \
                        CAST(COALESCE(SUM(l.debit), 0) AS BIGINT) AS debit, \
                        CAST(COALESCE(SUM(l.credit), 0) AS BIGINT) AS credit \
                 FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
                 WHERE l.entry_date >= $1 AND l.entry_date <= $2 AND l.party_id IS NOT NULL AND l.region_id = $3 \
                   AND l.account IN ('hospital_prepayment', 'hospital_settlement', 'hospital_receivable') \
                   AND e.region_id = $3 AND e.entry_date >= $1 AND e.entry_date <= $2 \
                   AND ($4 IS NULL OR l.party_id = $4) \
                 GROUP BY l.region_id, l.party_id, e.kind, l.account",
            )
            .bind::<Date, _>(first)
            .bind::<Date, _>(last)
            .bind::<Text, _>(region)
            .bind::<Nullable<Text>, _>(hospital)
            .load::<MonthSum>(conn)?,
        );
    }
    let mut out: BTreeMap<(String, String), Statement> = BTreeMap::new();
    for b in balances {
        let Some(account) = Account::parse(&b.account) else { continue };
        let sign = if account.credit_normal() { -1 } else { 1 };
        let st = out.entry((b.region_id, b.party_id.clone())).or_insert_with(|| Statement::zero(&b.party_id, first));
        let (opening, closing) =
            (Money::from_fen(sign * b.opening_net_debit), Money::from_fen(sign * b.closing_net_debit));
        match account {
            Account::HospitalPrepayment => {
                st.opening_prepayment = opening;
                st.closing_prepayment = closing;
            }
            Account::HospitalSettlement => st.closing_settlement_owed = closing,
            Account::HospitalReceivable => st.closing_receivable = closing,
            _ => {}
        }
    }
    for m in sums {
        // Activity without a hospital-account balance by the month's end makes no statement
        // (the parties are those with hospital-account lines).
        let Some(st) = out.get_mut(&(m.region_id, m.party_id)) else { continue };
        let add = |field: &mut Money, fen: i64| *field = Money::from_fen(field.fen() + fen);
        match (m.kind.as_str(), m.account.as_str()) {
            ("direct_payment_cover", "hospital_prepayment") => add(&mut st.offset_from_prepayment, m.debit),
            ("direct_payment_cover", "hospital_settlement") => add(&mut st.deducted_from_settlement, m.debit),
            ("direct_payment_cover", "hospital_receivable") => add(&mut st.receivable, m.debit),
            ("prepayment", "hospital_prepayment") => add(&mut st.prepaid, m.credit),
            ("monthly_settlement", "hospital_settlement") => add(&mut st.settlement_recorded, m.credit),
            _ => {}
        }
    }
    Ok(out
        .into_iter()
        .map(|((region, _), mut st)| {
            st.payments_on_behalf = Money::from_fen(
                st.offset_from_prepayment.fen() + st.deducted_from_settlement.fen() + st.receivable.fen(),
            );
            (region, st)
        })
        .collect())
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StatementCounts {
    pub month: String,
    pub statements: i64,
}

/// Mails every hospital with journal activity its statement of the month before `as_of`'s
/// (once per hospital and month).
pub fn send_statements(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<StatementCounts> {
    let first = NaiveDate::from_ymd_opt(as_of.year(), as_of.month(), 1).expect("valid") - chrono::Months::new(1);
    let month = first.format("%Y-%m").to_string();
    crate::db::write_tx(conn, |conn| {
        crate::db::job_lock(conn, "monthly-statements")?;
        let all = statements(conn, region, None, first)?;
        let mails = all.iter().map(|(region, st)| mails::monthly_statement(&month, region, st)).collect();
        let counts =
            StatementCounts { month: month.clone(), statements: crate::outbox::enqueue_many(conn, mails, now)? };
        Ok(counts)
    })
}
