//! The columns of each import: the field it fills, the headers it is known by (Chinese as the
//! bureau writes them, and the API's field name), whether it is required, and how its cells read.

use crate::error::ErrorCode;
use serde_json::Value;

use crate::money::{Money, UnitPrice};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Products,
    WinningBids,
    AgreedVolumes,
    ListedProducts,
    MonthlySettlements,
    RetentionInputs,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Products,
        Kind::WinningBids,
        Kind::AgreedVolumes,
        Kind::ListedProducts,
        Kind::MonthlySettlements,
        Kind::RetentionInputs,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Products => "products",
            Kind::WinningBids => "winning-bids",
            Kind::AgreedVolumes => "agreed-volumes",
            Kind::ListedProducts => "listed-products",
            Kind::MonthlySettlements => "monthly-settlements",
            Kind::RetentionInputs => "retention-inputs",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Products => PRODUCTS,
            Kind::WinningBids => WINNING_BIDS,
            Kind::AgreedVolumes => AGREED_VOLUMES,
            Kind::ListedProducts => LISTED,
            Kind::MonthlySettlements => MONTHLY,
            Kind::RetentionInputs => RETENTION,
        }
    }

    /// A product is named by its code, or by generic name, specification and pack together; a
    /// winning bid (for a volume) by its id, or by its product and enterprise.
    pub(super) fn has_alternative(self, field: &str, found: &[(usize, &Column)]) -> bool {
        let has = |f: &str| found.iter().any(|(_, c)| c.field == f);
        let by_name = has("generic_name") && has("specification");
        match field {
            "product_code" => by_name,
            "generic_name" | "specification" => {
                matches!(self, Kind::WinningBids | Kind::AgreedVolumes | Kind::ListedProducts) && has("product_code")
            }
            "winning_bid_id" => (has("product_code") || by_name) && has("enterprise_id"),
            "enterprise_id" if self == Kind::AgreedVolumes => has("winning_bid_id"),
            _ => false,
        }
    }

    /// The template's example row, in the order of `columns`.
    pub fn example(self) -> &'static [&'static str] {
        match self {
            Kind::Products => {
                &["XA10BAE021A010010201652", "盐酸二甲双胍肠溶片", "Metformin", "片剂", "0.25 g", "48", "片", "通过"]
            }
            Kind::WinningBids => &[
                "国家组织药品集中采购 第七批",
                "",
                "磷酸奥司他韦胶囊",
                "75 mg",
                "10粒/盒",
                "Hetero Labs Limited",
                "16.50",
                "",
                "",
                "国药控股深圳有限公司、华润广东医药有限公司",
            ],
            Kind::AgreedVolumes => {
                &["深圳市人民医院", "", "", "磷酸奥司他韦胶囊", "75 mg", "10粒/盒", "Hetero Labs Limited", "1", "12000"]
            }
            Kind::ListedProducts => &["", "依巴斯汀片", "10 mg", "10片/盒", "Almirall, S.A.", "3.98", ""],
            Kind::MonthlySettlements => &["深圳市人民医院", "2026-11", "1800000.00"],
            Kind::RetentionInputs => &["1", "集采前价格", "依折麦布片", "6.5000", "2019 年医保结算加权平均价"],
        }
    }
}

/// How a cell reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parse {
    Text,
    /// A whole number ("120000" or "120000.0", as spreadsheets store them).
    Int,
    /// The pack: "10", "10粒/盒", "10 capsules/box": the units in a pack.
    Pack,
    /// Yuan with at most 2 decimals; "¥1,192.79" reads 1192.79.
    Money,
    /// Yuan per minimum unit with at most 4 decimals.
    UnitPrice,
    /// `YYYY-MM`, or a date of that month.
    Month,
    /// Names or codes separated by 、 , ; or ；.
    List,
    /// 原研 / 通过 / 未通过 (or the API's words).
    Consistency,
}

#[derive(Debug)]
pub struct Column {
    /// The API's field (after resolution: `enterprise_id` holds an id, read from a name).
    pub field: &'static str,
    /// Header names, the first as the template writes it.
    pub headers: &'static [&'static str],
    pub required: bool,
    pub parse: Parse,
}

const fn col(field: &'static str, headers: &'static [&'static str], required: bool, parse: Parse) -> Column {
    Column { field, headers, required, parse }
}

const CODE: &[&str] = &["医保编码", "医保药品代码", "药品代码", "产品编码", "国家医保代码", "product_code", "code"];
const GENERIC: &[&str] = &["通用名", "药品通用名", "产品名称", "generic_name", "generic_name_zh"];
const SPEC: &[&str] = &["规格", "specification"];
const PACK: &[&str] = &["包装", "包装数量", "转换比", "最小包装数量", "pack", "pack_size"];
const ENTERPRISE: &[&str] =
    &["中选企业", "企业名称", "生产企业", "挂网企业", "winning_enterprise", "enterprise", "enterprise_id"];
const HOSPITAL: &[&str] = &["医疗机构", "医院", "医疗机构名称", "hospital", "hospital_id"];

static PRODUCTS: &[Column] = &[
    col(
        "code",
        &["医保编码", "医保药品代码", "药品代码", "产品编码", "国家医保代码", "code", "product_code"],
        true,
        Parse::Text,
    ),
    col("generic_name", GENERIC, true, Parse::Text),
    col("generic_name_en", &["英文名", "英文通用名", "generic_name_en"], false, Parse::Text),
    col("dosage_form", &["剂型", "dosage_form"], true, Parse::Text),
    col("specification", SPEC, true, Parse::Text),
    col("pack_size", PACK, true, Parse::Pack),
    col("min_unit", &["最小单位", "最小制剂单位", "min_unit"], true, Parse::Text),
    col("consistency", &["一致性评价", "consistency"], false, Parse::Consistency),
];

static WINNING_BIDS: &[Column] = &[
    col("batch_id", &["批次", "集采批次", "batch", "batch_id"], true, Parse::Text),
    col("product_code", CODE, true, Parse::Text),
    col("generic_name", GENERIC, true, Parse::Text),
    col("specification", SPEC, true, Parse::Text),
    col("pack_size", PACK, false, Parse::Pack),
    col("enterprise_id", ENTERPRISE, true, Parse::Text),
    col(
        "pack_price",
        &["中选价格", "中选价格（元/盒）", "申报价格", "每盒价格", "price_per_pack_cny", "pack_price"],
        true,
        Parse::Money,
    ),
    col("unit_price", &["最小单位价格", "unit_price"], false, Parse::UnitPrice),
    col("supply_regions", &["供应地区", "supply_regions"], false, Parse::List),
    col("distributor_ids", &["配送企业", "distributors", "distributor_ids"], false, Parse::List),
];

static AGREED_VOLUMES: &[Column] = &[
    col("hospital_id", HOSPITAL, true, Parse::Text),
    col("winning_bid_id", &["中选结果ID", "winning_bid_id"], true, Parse::Text),
    col("product_code", CODE, false, Parse::Text),
    col("generic_name", GENERIC, false, Parse::Text),
    col("specification", SPEC, false, Parse::Text),
    col("pack_size", PACK, false, Parse::Pack),
    col("enterprise_id", ENTERPRISE, true, Parse::Text),
    col("agreement_year", &["协议年度", "年度", "agreement_year"], false, Parse::Int),
    col("reported_demand", &["报送需求量", "年需求量", "需求量", "reported_demand"], true, Parse::Int),
];

static LISTED: &[Column] = &[
    col("product_code", CODE, true, Parse::Text),
    col("generic_name", GENERIC, true, Parse::Text),
    col("specification", SPEC, true, Parse::Text),
    col("pack_size", PACK, false, Parse::Pack),
    col("enterprise_id", ENTERPRISE, true, Parse::Text),
    col("pack_price", &["挂网价格", "挂网价格（元/盒）", "每盒价格", "pack_price"], true, Parse::Money),
    col("unit_price", &["最小单位价格", "unit_price"], false, Parse::UnitPrice),
];

static MONTHLY: &[Column] = &[
    col("hospital_id", HOSPITAL, true, Parse::Text),
    col("month", &["结算月份", "月份", "month"], true, Parse::Month),
    col("amount", &["结算金额", "应付医院金额", "金额", "amount"], true, Parse::Money),
];

static RETENTION: &[Column] = &[
    col("agreement_year", &["协议年度", "年度", "agreement_year"], true, Parse::Int),
    col("kind", &["类型", "数据类型", "kind"], true, Parse::Text),
    col("subject", &["对象", "品种或医院", "subject"], false, Parse::Text),
    col("value", &["数值", "value"], true, Parse::Text),
    col("comment", &["说明", "备注", "comment"], false, Parse::Text),
];

/// Reads a cell by its column's rule: `Ok(None)` for an empty cell.
pub(super) fn read(col: &Column, text: &str) -> Result<Option<Value>, (ErrorCode, String)> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let whole = |s: &str| s.strip_suffix(".0").unwrap_or(s).parse::<i64>().ok();
    Ok(Some(match col.parse {
        Parse::Text => Value::String(t.to_string()),
        Parse::Int => match whole(t) {
            Some(n) => Value::from(n),
            None => return Err((ErrorCode::NotAWholeNumber, format!("{t:?} is not a whole number"))),
        },
        Parse::Pack => {
            // The leading number: "10粒/盒", "10 capsules/box", "10".
            let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
            let rest = &t[digits.len()..];
            match digits.parse::<i64>() {
                Ok(n)
                    if n > 0
                        && (rest.is_empty()
                            || rest == ".0"
                            || !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit())) =>
                {
                    Value::from(n)
                }
                _ => {
                    return Err((
                        ErrorCode::InvalidPack,
                        format!("{t:?} does not start with the number of units in a pack"),
                    ))
                }
            }
        }
        Parse::Money => {
            let n = t.trim_start_matches(['¥', '￥']).replace(',', "");
            match Money::parse(&n) {
                Ok(m) => Value::String(m.to_string()),
                Err(_) => {
                    return Err((
                        ErrorCode::InvalidAmount,
                        format!("{t:?} is not an amount in yuan with at most 2 decimals"),
                    ))
                }
            }
        }
        Parse::UnitPrice => {
            let n = t.trim_start_matches(['¥', '￥']).replace(',', "");
            match UnitPrice::parse(&n) {
                Ok(p) => Value::String(p.to_string()),
                Err(_) => {
                    return Err((ErrorCode::InvalidUnitPrice, format!("{t:?} is not a price with at most 4 decimals")))
                }
            }
        }
        Parse::Month => {
            let m: String = t.replace(['/', '.'], "-").chars().take(7).collect();
            let ok = m.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok();
            if !ok {
                return Err((ErrorCode::InvalidMonth, format!("{t:?} is not a month (YYYY-MM)")));
            }
            Value::String(m)
        }
        Parse::List => Value::Array(
            t.split(['、', ',', ';', '；', '，'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        Parse::Consistency => Value::String(
            match t {
                "原研" | "原研药" | "originator" => "originator",
                "通过" | "已通过" | "passed" => "passed",
                "未通过" | "not_passed" => "not_passed",
                _ => return Err((ErrorCode::InvalidConsistency, format!("{t:?}: write 原研, 通过 or 未通过"))),
            }
            .to_string(),
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(parse: Parse, t: &str) -> Result<Option<Value>, (ErrorCode, String)> {
        read(&Column { field: "f", headers: &["f"], required: false, parse }, t)
    }

    #[test]
    fn cells_read_as_spreadsheets_write_them() {
        assert_eq!(cell(Parse::Int, "120000.0").unwrap(), Some(Value::from(120000)));
        assert_eq!(cell(Parse::Int, "12.5").unwrap_err().0, ErrorCode::NotAWholeNumber);
        assert_eq!(cell(Parse::Pack, "10 capsules/box").unwrap(), Some(Value::from(10)));
        assert_eq!(cell(Parse::Pack, "10粒/盒").unwrap(), Some(Value::from(10)));
        assert_eq!(cell(Parse::Pack, "2.5片").unwrap_err().0, ErrorCode::InvalidPack);
        assert_eq!(cell(Parse::Pack, "盒").unwrap_err().0, ErrorCode::InvalidPack);
        assert_eq!(cell(Parse::Money, "¥1,192.79").unwrap(), Some(Value::from("1192.79")));
        assert_eq!(cell(Parse::Money, "16.5").unwrap(), Some(Value::from("16.50")));
        assert_eq!(cell(Parse::Money, "16.505").unwrap_err().0, ErrorCode::InvalidAmount);
        assert_eq!(cell(Parse::Month, "2026-11-01").unwrap(), Some(Value::from("2026-11")));
        assert_eq!(cell(Parse::Month, "2026/11").unwrap(), Some(Value::from("2026-11")));
        assert_eq!(cell(Parse::Month, "11月").unwrap_err().0, ErrorCode::InvalidMonth);
        assert_eq!(
            cell(Parse::List, "国药控股、 华润；x").unwrap(),
            Some(serde_json::json!(["国药控股", "华润", "x"]))
        );
        assert_eq!(cell(Parse::Consistency, "通过").unwrap(), Some(Value::from("passed")));
        assert_eq!(cell(Parse::Text, "   ").unwrap(), None);
    }

    #[test]
    fn every_kind_has_an_example_for_each_column() {
        for k in Kind::ALL {
            assert_eq!(k.example().len(), k.columns().len(), "{}", k.as_str());
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
    }
}
