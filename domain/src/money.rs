//! Exact money. Amounts are whole fen (分), unit prices whole 1/10,000 yuan; both are stored as
//! integers and computed with `rust_decimal`. No float ever holds money.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalParseError {
    #[error("not a decimal number")]
    NotANumber,
    #[error("at most {0} decimal places are allowed")]
    TooManyDecimals(u32),
    #[error("must not be negative")]
    Negative,
    #[error("too large")]
    TooLarge,
}

/// Digits a decimal may have in all, before and after its point: 10^15 units stay exact in an
/// i64 with room to multiply by a quantity (13 yuan digits for amounts, 11 for unit prices).
const MAX_DIGITS: u32 = 15;

/// Parses a plain decimal string (`"16.50"`, `"3"`, `"0.0412"`) into an integer count of
/// 10^-scale units, refusing more precision than `scale` and more than `MAX_DIGITS - scale`
/// digits before the point. The shape is the one the OpenAPI document states: digits, and a
/// point followed by digits (no sign, exponent, or bare point).
fn parse_scaled(s: &str, scale: u32) -> Result<i64, DecimalParseError> {
    let t = s.trim();
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let (whole, fraction) = unsigned.split_once('.').map_or((unsigned, None), |(w, f)| (w, Some(f)));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(DecimalParseError::NotANumber);
    }
    let d = Decimal::from_str(t).map_err(|_| DecimalParseError::TooLarge)?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(DecimalParseError::Negative);
    }
    // Trailing zeros beyond the scale are not extra precision ("2.500" is 2.50).
    if fraction.map_or(0, |f| f.trim_end_matches('0').len()) > scale as usize {
        return Err(DecimalParseError::TooManyDecimals(scale));
    }
    if whole.trim_start_matches('0').len() > (MAX_DIGITS - scale) as usize {
        return Err(DecimalParseError::TooLarge);
    }
    // Within 15 digits, the scaled value fits an i64 with room to spare.
    let units = d.normalize().checked_mul(Decimal::from(10i64.pow(scale))).ok_or(DecimalParseError::TooLarge)?;
    units.to_i64().ok_or(DecimalParseError::TooLarge)
}

/// `units` written with `scale` decimals (-5 with 2 is "-0.05"), as `Decimal` writes them,
/// into a buffer on the stack: amounts are written into every page of payables, many times.
struct Scaled {
    digits: [u8; 24],
    start: usize,
}

impl Scaled {
    fn new(units: i64, scale: u32) -> Scaled {
        let mut digits = [0u8; 24];
        let mut i = digits.len();
        let mut rest = units.unsigned_abs();
        let mut put = |i: &mut usize, b: u8| {
            *i -= 1;
            digits[*i] = b;
        };
        for _ in 0..scale {
            put(&mut i, b'0' + (rest % 10) as u8);
            rest /= 10;
        }
        if scale > 0 {
            put(&mut i, b'.');
        }
        loop {
            put(&mut i, b'0' + (rest % 10) as u8);
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if units < 0 {
            put(&mut i, b'-');
        }
        Scaled { digits, start: i }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[self.start..]).expect("ASCII digits")
    }
}

/// The OpenAPI schema of a [`Money`] that can be negative (a ledger balance); requests never take
/// one.
pub struct SignedMoney;

/// An amount of money in fen. Displays and serializes as a yuan string with two decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);
    pub fn from_fen(fen: i64) -> Money {
        Money(fen)
    }
    pub fn fen(self) -> i64 {
        self.0
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
    /// Rounds an exact yuan amount half-up (away from zero at .5) to the fen.
    pub fn round_half_up(yuan: Decimal) -> Money {
        let rounded = yuan.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        Money((rounded * Decimal::from(100)).to_i64().expect("amount within i64 fen"))
    }
    pub fn parse(s: &str) -> Result<Money, DecimalParseError> {
        parse_scaled(s, 2).map(Money)
    }
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Scaled::new(self.0, 2).as_str())
    }
}

/// A unit price per minimum unit, in 1/10,000 yuan (e.g. ¥0.0412/片 is 412).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice(i64);

impl UnitPrice {
    pub fn from_ten_thousandths(v: i64) -> UnitPrice {
        UnitPrice(v)
    }
    pub fn ten_thousandths(self) -> i64 {
        self.0
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 4)
    }
    pub fn parse(s: &str) -> Result<UnitPrice, DecimalParseError> {
        parse_scaled(s, 4).map(UnitPrice)
    }
    /// The unit price implied by a pack price: pack price / pack size, half-up to 4 decimals.
    pub fn from_pack_price(pack: Money, pack_size: i64) -> UnitPrice {
        let unit = pack.to_decimal() / Decimal::from(pack_size);
        let rounded = unit.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
        UnitPrice((rounded * Decimal::from(10_000)).to_i64().expect("unit price within i64"))
    }
    /// Exact value of `qty` units at this price, in yuan (not rounded).
    pub fn extend(self, qty: i64) -> Decimal {
        Decimal::from(qty) * self.to_decimal()
    }
}

impl fmt::Display for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Scaled::new(self.0, 4).as_str())
    }
}

/// Σ quantity × unit price over the lines, computed exactly, rounded half-up to the fen once.
pub fn amount_of<I: IntoIterator<Item = (i64, UnitPrice)>>(lines: I) -> Money {
    let exact: Decimal = lines.into_iter().map(|(q, p)| p.extend(q)).sum();
    Money::round_half_up(exact)
}

macro_rules! serde_as_decimal_string {
    ($t:ty, $scale:literal, $parse:path, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(Scaled::new(self.0, $scale).as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d).map_err(|_| {
                    serde::de::Error::custom(concat!($what, " must be a decimal string, e.g. \"16.50\""))
                })?;
                if s.trim() != s {
                    return Err(serde::de::Error::custom(format!(
                        concat!($what, " {:?}: remove the spaces around it"),
                        s
                    )));
                }
                $parse(&s).map_err(|e| serde::de::Error::custom(format!(concat!($what, " {:?}: {}"), s, e)))
            }
        }
    };
}
serde_as_decimal_string!(Money, 2, Money::parse, "an amount");

/// For a stored amount in fen (`#[serde(serialize_with = …)]`): the API's decimal string.
pub fn ser_fen<S: Serializer>(fen: &i64, s: S) -> Result<S::Ok, S::Error> {
    Money::from_fen(*fen).serialize(s)
}

/// For a stored unit price in 1/10,000 yuan: the API's decimal string with 4 decimals.
pub fn ser_ten_thousandths<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    UnitPrice::from_ten_thousandths(*v).serialize(s)
}
serde_as_decimal_string!(UnitPrice, 4, UnitPrice::parse, "a unit price");

/// A share in basis points (5000 = 50%). Serialized as a decimal string, e.g. "0.5".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ratio(u32);

impl Ratio {
    pub fn from_bp(bp: u32) -> Ratio {
        Ratio(bp)
    }
    pub fn bp(self) -> u32 {
        self.0
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0 as i64, 4)
    }
    pub fn parse(s: &str) -> Result<Ratio, String> {
        let d = Decimal::from_str(s.trim()).map_err(|_| format!("{s:?} is not a decimal ratio such as \"0.5\""))?;
        let bp = d * Decimal::from(10_000);
        if bp.fract() != Decimal::ZERO || bp < Decimal::ZERO || bp > Decimal::from(10_000) {
            return Err(format!("a ratio is between 0 and 1 with at most 4 decimals, not {s:?}"));
        }
        Ok(Ratio(bp.to_u32().expect("0..=10000")))
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.to_decimal().normalize())
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)
            .map_err(|_| serde::de::Error::custom("a ratio is a decimal string, e.g. \"0.5\""))?;
        Ratio::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
mod openapi {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    fn decimal_string(description: &str, pattern: &str, example: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
            .pattern(Some(pattern))
            .examples([serde_json::json!(example)])
            .into()
    }

    impl utoipa::PartialSchema for super::Money {
        fn schema() -> RefOr<Schema> {
            // 13 digits before the point: the largest amount the server keeps exactly (fen as i64).
            decimal_string(
                "An amount in yuan with at most 2 decimals, as a string",
                r"^[0-9]{1,13}(\.[0-9]{1,2}0*)?$",
                "16.50",
            )
        }
    }
    impl utoipa::ToSchema for super::Money {}

    impl utoipa::PartialSchema for super::UnitPrice {
        fn schema() -> RefOr<Schema> {
            decimal_string(
                "A price per minimum unit in yuan with at most 4 decimals, as a string",
                r"^[0-9]{1,11}(\.[0-9]{1,4}0*)?$",
                "1.6500",
            )
        }
    }
    impl utoipa::ToSchema for super::UnitPrice {}

    impl utoipa::PartialSchema for super::Ratio {
        fn schema() -> RefOr<Schema> {
            decimal_string("A share between 0 and 1, as a string", r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", "0.5")
        }
    }
    impl utoipa::ToSchema for super::Ratio {}

    impl utoipa::PartialSchema for super::SignedMoney {
        fn schema() -> RefOr<Schema> {
            decimal_string(
                "An amount in yuan with 2 decimals that can be negative (a balance), as a string",
                r"^-?[0-9]+\.[0-9]{2}$",
                "-20296.91",
            )
        }
    }
    impl utoipa::ToSchema for super::SignedMoney {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_exactly() {
        assert_eq!(Money::parse("16.50").unwrap().fen(), 1650);
        assert_eq!(Money::parse("16.5").unwrap().fen(), 1650);
        assert_eq!(Money::parse("3").unwrap().fen(), 300);
        assert_eq!(Money::from_fen(1650).to_string(), "16.50");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(UnitPrice::parse("0.0412").unwrap().ten_thousandths(), 412);
        assert_eq!(UnitPrice::from_ten_thousandths(412).to_string(), "0.0412");
        assert_eq!(UnitPrice::from_ten_thousandths(16500).to_string(), "1.6500");
    }

    #[test]
    fn amounts_are_written_as_decimal_writes_them() {
        let edges = [0, 1, -1, 5, -5, 99, 100, -100, 1650, 123_456_789, i64::MAX, i64::MIN, i64::MIN + 1];
        let spread = (0..2_000).map(|k: i64| k.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64) >> (k % 60));
        for units in edges.into_iter().chain(spread) {
            for scale in [2, 4] {
                assert_eq!(
                    Scaled::new(units, scale).as_str(),
                    Decimal::new(units, scale).to_string(),
                    "{units}/{scale}"
                );
            }
            let money = Money::from_fen(units);
            assert_eq!(serde_json::to_string(&money).unwrap(), format!("\"{}\"", Decimal::new(units, 2)));
        }
    }

    #[test]
    fn refuses_bad_decimals() {
        assert_eq!(Money::parse("1.005"), Err(DecimalParseError::TooManyDecimals(2)));
        assert_eq!(UnitPrice::parse("0.00001"), Err(DecimalParseError::TooManyDecimals(4)));
        assert_eq!(Money::parse("-1"), Err(DecimalParseError::Negative));
        assert_eq!(Money::parse("abc"), Err(DecimalParseError::NotANumber));
        assert_eq!(Money::parse(""), Err(DecimalParseError::NotANumber));
        assert_eq!(Money::parse("1e3"), Err(DecimalParseError::NotANumber));
        // trailing zeros beyond the scale are not extra precision
        assert_eq!(Money::parse("2.500").unwrap().fen(), 250);
    }

    #[test]
    fn payable_amount_rounds_half_up_once_over_the_sum() {
        // 3 × 0.0005 = 0.0015 → 0.00; 10 × 0.0005 = 0.005 → 0.01 (half-up, not banker's)
        let p = UnitPrice::from_ten_thousandths(5);
        assert_eq!(amount_of([(3, p)]).fen(), 0);
        assert_eq!(amount_of([(10, p)]).fen(), 1);
        // 30 tablets of ezetimibe at 1.2963 = 38.889 → 38.89
        let eze = UnitPrice::parse("1.2963").unwrap();
        assert_eq!(amount_of([(30, eze)]).to_string(), "38.89");
        // two lines of 0.005 each: summed exactly first (0.01), not rounded per line (0.02)
        assert_eq!(amount_of([(10, p), (10, p)]).fen(), 1);
        let half = UnitPrice::from_ten_thousandths(25); // 0.0025
        assert_eq!(amount_of([(2, half), (2, half)]).to_string(), "0.01");
        // 0.0125 → 0.01 (a third decimal below 5 rounds down)
        assert_eq!(amount_of([(5, half)]).to_string(), "0.01");
    }

    #[test]
    fn unit_price_from_pack_price() {
        assert_eq!(UnitPrice::from_pack_price(Money::parse("16.50").unwrap(), 10).to_string(), "1.6500");
        assert_eq!(UnitPrice::from_pack_price(Money::parse("38.89").unwrap(), 30).to_string(), "1.2963");
        assert_eq!(UnitPrice::from_pack_price(Money::parse("34.46").unwrap(), 28).to_string(), "1.2307");
        // 1.00 / 8 = 0.125 exactly; 1.00 / 16 = 0.0625 exactly
        assert_eq!(UnitPrice::from_pack_price(Money::parse("1.00").unwrap(), 16).to_string(), "0.0625");
        // 0.01 / 32 = 0.0003125 → 0.0003
        assert_eq!(UnitPrice::from_pack_price(Money::parse("0.01").unwrap(), 32).to_string(), "0.0003");
        // 0.03 / 8 = 0.00375 → 0.0038 (half-up)
        assert_eq!(UnitPrice::from_pack_price(Money::parse("0.03").unwrap(), 8).to_string(), "0.0038");
    }

    #[test]
    fn only_the_documented_shape_is_a_number() {
        for bad in ["1.", ".5", "1e3", "+1", "1,000.00", "0x10", "", "-"] {
            assert_eq!(Money::parse(bad), Err(DecimalParseError::NotANumber), "{bad:?}");
        }
        assert_eq!(Money::parse("1.501"), Err(DecimalParseError::TooManyDecimals(2)));
        assert_eq!(Money::parse("9999999999999.99").unwrap().fen(), 999_999_999_999_999);
        assert_eq!(Money::parse("10000000000000"), Err(DecimalParseError::TooLarge));
        assert_eq!(Money::parse("0000000000000001.00").unwrap().fen(), 100);
        assert_eq!(UnitPrice::parse("99999999999.9999").unwrap().ten_thousandths(), 999_999_999_999_999);
        assert_eq!(UnitPrice::parse("100000000000"), Err(DecimalParseError::TooLarge));
    }

    #[test]
    fn numbers_past_decimal_range_are_too_large_not_a_panic() {
        assert_eq!(Money::parse("999999999999999999999999999"), Err(DecimalParseError::TooLarge));
        assert_eq!(Money::parse("79228162514264337593543950335"), Err(DecimalParseError::TooLarge));
        assert_eq!(UnitPrice::parse("999999999999999999999999.9"), Err(DecimalParseError::TooLarge));
    }

    #[test]
    fn serde_uses_strings() {
        let m: Money = serde_json::from_str("\"45.00\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"45.00\"");
        assert!(serde_json::from_str::<Money>("45.0").is_err());
        // The API takes no spaces around a figure (a sheet's cell is trimmed by its reader).
        assert!(serde_json::from_str::<Money>("\" 1.00\"").is_err());
        assert!(serde_json::from_str::<UnitPrice>("\"1.2963 \"").is_err());
        assert_eq!(Money::parse(" 1.00").unwrap().fen(), 100);
    }
}
