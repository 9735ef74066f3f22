//! The pure rules of the fund's books: the accounts and their normal side, a balanced entry,
//! and how a direct payment for a hospital is covered (its prepayment first, then the monthly
//! settlement the fund owes it, the rest a receivable). No database here.

use serde::Serialize;

use crate::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Account {
    Fund,
    PrepaymentAdvance,
    HospitalPrepayment,
    HospitalSettlement,
    HospitalReceivable,
    HospitalOffsetDue,
    SupplierPayable,
    MedicalExpense,
}

impl Account {
    pub const ALL: [Account; 8] = [
        Account::Fund,
        Account::PrepaymentAdvance,
        Account::HospitalPrepayment,
        Account::HospitalSettlement,
        Account::HospitalReceivable,
        Account::HospitalOffsetDue,
        Account::SupplierPayable,
        Account::MedicalExpense,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Fund => "fund",
            Account::PrepaymentAdvance => "prepayment_advance",
            Account::HospitalPrepayment => "hospital_prepayment",
            Account::HospitalSettlement => "hospital_settlement",
            Account::HospitalReceivable => "hospital_receivable",
            Account::SupplierPayable => "supplier_payable",
            Account::MedicalExpense => "medical_expense",
            Account::HospitalOffsetDue => "hospital_offset_due",
        }
    }
    pub fn parse(s: &str) -> Option<Account> {
        Account::ALL.into_iter().find(|a| a.as_str() == s)
    }
    /// Liabilities grow by credits; assets and expenses by debits.
    pub fn credit_normal(self) -> bool {
        matches!(self, Account::HospitalPrepayment | Account::HospitalSettlement | Account::SupplierPayable)
    }
}

/// One side of an entry: an account (of a party), debit or credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub party_id: Option<String>,
    pub debit: Money,
    pub credit: Money,
}

impl Posting {
    pub fn debit(account: Account, party: Option<&str>, amount: Money) -> Posting {
        Posting { account, party_id: party.map(str::to_string), debit: amount, credit: Money::ZERO }
    }
    pub fn credit(account: Account, party: Option<&str>, amount: Money) -> Posting {
        Posting { account, party_id: party.map(str::to_string), debit: Money::ZERO, credit: amount }
    }
}

/// Debits equal credits, and no posting is empty (zero postings are dropped first).
pub fn balanced(postings: &[Posting]) -> bool {
    let debits: i64 = postings.iter().map(|p| p.debit.fen()).sum();
    let credits: i64 = postings.iter().map(|p| p.credit.fen()).sum();
    debits == credits && postings.iter().all(|p| (p.debit.fen() == 0) != (p.credit.fen() == 0))
}

/// How a direct payment of `amount` for a hospital is covered: prepayment first, then the
/// monthly settlement owed to the hospital, the rest a receivable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Offset {
    pub from_prepayment: Money,
    pub from_settlement: Money,
    pub receivable: Money,
}

pub fn split_offset(amount: Money, prepayment_balance: Money, settlement_balance: Money) -> Offset {
    let a = amount.fen();
    let p = a.min(prepayment_balance.fen().max(0));
    let d = (a - p).min(settlement_balance.fen().max(0));
    Offset {
        from_prepayment: Money::from_fen(p),
        from_settlement: Money::from_fen(d),
        receivable: Money::from_fen(a - p - d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    #[test]
    fn prepayment_first_then_settlement_then_receivable() {
        assert_eq!(
            split_offset(m(100), m(500), m(0)),
            Offset { from_prepayment: m(100), from_settlement: m(0), receivable: m(0) }
        );
        assert_eq!(
            split_offset(m(100), m(30), m(50)),
            Offset { from_prepayment: m(30), from_settlement: m(50), receivable: m(20) }
        );
        assert_eq!(
            split_offset(m(100), m(0), m(1000)),
            Offset { from_prepayment: m(0), from_settlement: m(100), receivable: m(0) }
        );
        assert_eq!(
            split_offset(m(100), m(-5), m(-5)),
            Offset { from_prepayment: m(0), from_settlement: m(0), receivable: m(100) }
        );
    }

    #[test]
    fn entries_must_balance() {
        let ok =
            [Posting::debit(Account::SupplierPayable, Some("s"), m(10)), Posting::credit(Account::Fund, None, m(10))];
        assert!(balanced(&ok));
        let off =
            [Posting::debit(Account::SupplierPayable, Some("s"), m(10)), Posting::credit(Account::Fund, None, m(9))];
        assert!(!balanced(&off));
        let both = [Posting { account: Account::Fund, party_id: None, debit: m(1), credit: m(1) }];
        assert!(!balanced(&both));
    }
}
