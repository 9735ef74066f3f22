//! What settlement tells each party, in Chinese and English: one function a kind of mail, kept
//! out of the operations that send them.

use chrono::NaiveDate;

use super::rules::outstanding;
use super::PaymentRow;
use crate::money::Money;
use crate::outbox::Mail;
use crate::payables::PayableRow;

/// To the hospital: an invoice is matched; confirm or dispute by `deadline`.
pub(super) fn confirmation_requested(p: &PayableRow, deadline: NaiveDate) -> Mail<'_> {
    Mail {
        dedup_key: format!("confirmation_requested:{}", p.id),
        region_id: Some(&p.region_id),
        kind: "confirmation_requested",
        to_org_id: &p.hospital_id,
        roles: &["hospital_buyer"],
        subject: format!("请确认结算应付 {} / Please confirm payable {}", p.payable_no, p.payable_no),
        body: format!(
            "结算应付 {no} 金额 ¥{amt} 已匹配发票，请于 {deadline} 前确认或提出异议；逾期未处理视为确认。\n\n\
             Payable {no} of ¥{amt} is matched with its invoice. Please confirm or dispute it by {deadline}; \
             silence counts as confirmation.",
            no = p.payable_no,
            amt = Money::from_fen(p.amount),
        ),
    }
}

/// To the hospital: its silence until `deadline` confirmed the payable.
pub(super) fn deemed_confirmed(p: &PayableRow, deadline: NaiveDate) -> Mail<'_> {
    Mail {
        dedup_key: format!("deemed_confirmed:{}", p.id),
        region_id: Some(&p.region_id),
        kind: "deemed_confirmed",
        to_org_id: &p.hospital_id,
        roles: &["hospital_buyer"],
        subject: format!("结算应付 {} 已视为确认 / Payable {} deemed confirmed", p.payable_no, p.payable_no),
        body: format!(
            "结算应付 {no} 金额 ¥{amt} 在确认期限 {deadline} 内未收到确认或异议，已视为确认。\n\n\
             No confirmation or dispute of payable {no} (¥{amt}) arrived by {deadline}: it is deemed confirmed.",
            no = p.payable_no,
            amt = Money::from_fen(p.amount)
        ),
    }
}

/// To the fund's officers: a batch of `count` payables, `total` fen, awaits approval.
pub(super) fn batch_awaiting_approval<'a>(
    batch_id: &str,
    region_id: &'a str,
    bureau: &'a str,
    count: usize,
    total: i64,
) -> Mail<'a> {
    Mail {
        dedup_key: format!("batch_awaiting_approval:{batch_id}"),
        region_id: Some(region_id),
        kind: "batch_awaiting_approval",
        to_org_id: bureau,
        roles: &["fund_officer"],
        subject: format!("付款批次待审核：{} 笔，¥{} / Payment batch awaiting approval", count, Money::from_fen(total)),
        body: format!(
            "新的付款批次包含 {n} 笔已确认的结算应付，共 ¥{t}，请经办人准备并由另一名经办人审核。\n\n\
             A payment batch of {n} confirmed payables, ¥{t} in all, awaits preparation and approval by a second officer.",
            n = count,
            t = Money::from_fen(total)
        ),
    }
}

/// To the supplier: the fund paid (with late interest, if any).
pub(super) fn payment_made<'a>(p: &'a PayableRow, payment: &PaymentRow, interest: Money) -> Mail<'a> {
    Mail {
        dedup_key: format!("payment_made:{}", payment.id),
        region_id: Some(&p.region_id),
        kind: "payment_made",
        to_org_id: &p.supplier_id,
        roles: &["supplier"],
        subject: format!(
            "货款已支付 ¥{} / Payment made: ¥{}",
            Money::from_fen(payment.amount),
            Money::from_fen(payment.amount)
        ),
        body: format!(
            "医保基金已代医疗机构支付结算应付 {no}：金额 ¥{amt}，银行流水号 {r}，付款日期 {d}{late}。\n\n\
             The insurance fund paid payable {no} on the hospital's behalf: ¥{amt}, bank reference {r}, value date {d}.",
            no = p.payable_no,
            amt = Money::from_fen(payment.amount),
            r = payment.bank_reference,
            d = payment.paid_on,
            late = if interest.fen() > 0 { format!("，逾期利息 ¥{interest}") } else { String::new() },
        ),
    }
}

/// To the party a payable waits on (`party`: supplier, hospital or fund), `left` days before it
/// falls due (the reminder of D-`mark`).
pub(super) fn payable_at_risk<'a>(
    p: &'a PayableRow,
    left: i64,
    mark: i64,
    org: &'a str,
    roles: &'a [&'static str],
    party: &str,
) -> Mail<'a> {
    Mail {
        dedup_key: format!("reminder:D-{mark}:{}", p.id),
        region_id: Some(&p.region_id),
        kind: "payable_at_risk",
        to_org_id: org,
        roles,
        subject: format!(
            "结算应付 {} 将于 {} 到期 / Payable {} falls due on {}",
            p.payable_no, p.due_date, p.payable_no, p.due_date
        ),
        body: format!(
            "结算应付 {no}（¥{amt}）将于 {due} 到期，还剩 {left} 天，目前等待{who}处理（{stage}）。\n\n\
             Payable {no} (¥{amt}) falls due on {due} ({left} day(s) left); it is waiting on the {party} ({stage}).",
            no = p.payable_no,
            amt = outstanding(p),
            due = p.due_date,
            who = match party {
                "supplier" => "企业开具发票",
                "hospital" => "医疗机构确认",
                _ => "医保经办机构付款",
            },
            stage = p.stage_now(),
        ),
    }
}

/// To the bureau: a payable became overdue.
pub(super) fn overdue_alert<'a>(p: &'a PayableRow, bureau: &'a str) -> Mail<'a> {
    Mail {
        dedup_key: format!("overdue_alert:{}", p.id),
        region_id: Some(&p.region_id),
        kind: "overdue_alert",
        to_org_id: bureau,
        roles: &["bureau_officer"],
        subject: format!("逾期预警：结算应付 {} 已逾期 / Overdue: payable {}", p.payable_no, p.payable_no),
        body: format!(
            "结算应付 {no}（¥{amt}）应于 {due} 前支付，现已逾期；当前阶段：{stage}。\n\n\
             Payable {no} (¥{amt}) was due by {due} and is overdue; it stands at {stage}.",
            no = p.payable_no,
            amt = outstanding(p),
            due = p.due_date,
            stage = p.stage_now()
        ),
    }
}

/// To the supplier: its payable became overdue.
pub(super) fn payable_overdue(p: &PayableRow) -> Mail<'_> {
    Mail {
        dedup_key: format!("overdue_supplier:{}", p.id),
        region_id: Some(&p.region_id),
        kind: "payable_overdue",
        to_org_id: &p.supplier_id,
        roles: &["supplier"],
        subject: format!("结算应付 {} 已逾期 / Payable {} is overdue", p.payable_no, p.payable_no),
        body: format!(
            "您的结算应付 {no}（¥{amt}）已超过到期日 {due}，平台已向医保局预警并按日记录逾期责任方。\n\n\
             Your payable {no} (¥{amt}) is past its due date {due}; the bureau has been alerted and every late \
             day is attributed to the party it waited on.",
            no = p.payable_no,
            amt = outstanding(p),
            due = p.due_date
        ),
    }
}
