//! Domain errors, in the user's terms. The api maps each variant to an HTTP status and
//! renders `code`, `message` and, for validation, the offending `field`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Every code a refusal can carry, one variant each. The OpenAPI document publishes this enum
/// (`ErrorCode`), and the web app's Chinese and English message tables are typed over it, so a
/// code without both messages fails `npm run build`. Serialized in snake_case:
/// `PriceMismatch` is `price_mismatch`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumCount,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    AcceptanceArithmetic,
    AcceptanceConfirmed,
    AcceptanceExists,
    AccountDisabled,
    AlreadyPaid,
    AlreadyPosted,
    AlreadyPublished,
    AlreadyQualified,
    AmbiguousBid,
    AmbiguousName,
    AmbiguousProduct,
    BadCredentials,
    BadRequest,
    BankReferenceConflict,
    BatchStatus,
    BeforeOpeningTime,
    BidChanged,
    BidDeadlinePassed,
    BidExists,
    BiddingRefused,
    BiddingSuspended,
    BidsSealed,
    Busy,
    CategoryMismatch,
    CommitmentLetterMissing,
    ConcurrentComputation,
    ConcurrentPublication,
    ConfirmationWindowClosed,
    DatabaseUnavailable,
    DateOutOfRange,
    DemandBelowFloor,
    DemandRequired,
    DemandWindowClosed,
    DistributionSuspended,
    DuplicateAgreedVolume,
    DuplicateBatch,
    DuplicateBid,
    DuplicateDistributor,
    DuplicateGeneric,
    DuplicateInvoice,
    DuplicateLine,
    DuplicateListedProduct,
    DuplicateOrganization,
    DuplicateParty,
    DuplicatePolicy,
    DuplicateProduct,
    DuplicateRegion,
    DuplicateSettlement,
    DuplicateSupplyRegion,
    DuplicateTender,
    DuplicateUsername,
    EffectiveDatePassed,
    EmptySheet,
    ExpiredGoods,
    FillVolumeMismatch,
    Forbidden,
    FutureAsOf,
    FutureDate,
    GenericsRequired,
    HeadersTooLarge,
    IdempotencyKeyReused,
    ImportRolledBack,
    Internal,
    InvalidAgreementYear,
    InvalidAmount,
    InvalidBankReference,
    InvalidBasis,
    InvalidBody,
    InvalidConsistency,
    InvalidCreditCode,
    InvalidCycle,
    InvalidDates,
    InvalidDecimal,
    InvalidEnterprise,
    InvalidFile,
    InvalidFormat,
    InvalidHospitalLevel,
    InvalidIdempotencyKey,
    InvalidInputKind,
    InvalidInvoiceAmount,
    InvalidInvoiceDate,
    InvalidInvoiceNo,
    InvalidJson,
    InvalidLotNo,
    InvalidMonth,
    InvalidPack,
    InvalidPackSize,
    InvalidPaidOn,
    InvalidPart,
    InvalidPolicy,
    InvalidPrice,
    InvalidProductCode,
    InvalidQuantity,
    InvalidQuery,
    InvalidRatioTable,
    InvalidRegionCode,
    InvalidRow,
    InvalidSubject,
    InvalidSupplyRole,
    InvalidTimetable,
    InvalidUnitPrice,
    InvalidUsername,
    InvalidValue,
    InvalidYear,
    InvoiceAmountMismatch,
    LengthRequired,
    LineSource,
    LinesIncomplete,
    LinesRequired,
    ListingCancelled,
    ListingSuspended,
    MakerChecker,
    MeasureNotRequired,
    MethodNotAllowed,
    MissingColumns,
    NoAgreedVolumes,
    NoDispute,
    NoOffer,
    NoWinningGeneric,
    NotABidder,
    NotADemoDatabase,
    NotADistributor,
    NotAManufacturer,
    NotAWholeNumber,
    NotFound,
    NotQualified,
    NotWholePacks,
    NotYourTurn,
    NothingToCompute,
    NothingToPublish,
    ObjectionAnswered,
    ObjectionWindowClosed,
    ObjectionWindowOpen,
    ObjectionsUnanswered,
    OfferAnswered,
    OfferLapsed,
    OffersPending,
    OrderNotOpen,
    OrderNotSubmitted,
    OutsideCycle,
    OverShipment,
    OwnAccount,
    PartiesRequired,
    PayableExists,
    PayableInBatch,
    PayableNotEligible,
    PayableStage,
    PayeeMismatch,
    PayloadTooLarge,
    PaymentAmountMismatch,
    PickTaken,
    PicksComplete,
    PolicyMissing,
    PriceMismatch,
    ProductIsWinning,
    ProductNotOfGeneric,
    QuantityBeyondLimit,
    ReasonRequired,
    Refused,
    RegionNotAvailable,
    RegionNotSupplied,
    RejectReasonRequired,
    RepairAlreadyReviewed,
    RepairAlreadySubmitted,
    Required,
    RetentionInputsMissing,
    RetentionRunInProgress,
    RetroactivePolicy,
    RetroactiveStandard,
    RoleMismatch,
    RoleNotGrantable,
    RunAlreadyApproved,
    RunStatus,
    SamePassword,
    SecondOfficerRequired,
    SessionRevoked,
    SheetHasErrors,
    SheetRowsInvalid,
    StandardNotDraft,
    StandardSuperseded,
    StorageFull,
    SupplierNotAssigned,
    SupplyRegionsRequired,
    Timeout,
    TooLong,
    TooMany,
    TooManyLines,
    TooManySignInAttempts,
    Unauthenticated,
    UnitPriceMismatch,
    UnknownBatch,
    UnknownBid,
    UnknownDeliveryLine,
    UnknownEnterprise,
    UnknownGeneric,
    UnknownGrade,
    UnknownHospital,
    UnknownImport,
    UnknownJob,
    UnknownListedProduct,
    UnknownOrderLine,
    UnknownOrganization,
    UnknownPolicyKind,
    UnknownProduct,
    UnknownPublicationKind,
    UnknownRegion,
    UnknownStandardVariant,
    UnknownSupplier,
    UnknownTenderRule,
    UnreadableSheet,
    UnsupportedMediaType,
    UriTooLong,
    WeakPassword,
    WrongCaseStatus,
    WrongPassword,
    WrongTenderStage,
}

impl ErrorCode {
    /// The code as it travels: `price_mismatch`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a refusal says: a stable machine code, a human message, the offending field.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    pub details: Option<Value>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Problem { code, message: message.into(), field: None, details: None }
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The request breaks a business rule or a field is malformed (422).
    #[error("{0}")]
    Invalid(Problem),
    /// The record's current state does not allow this (409).
    #[error("{0}")]
    Conflict(Problem),
    /// Absent, or not visible to the caller: another tenant's record is indistinguishable (404).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The caller's role may not perform this operation at all (403).
    #[error("{0}")]
    Forbidden(Problem),
    #[error("wrong username or password")]
    BadCredentials,
    /// Failed sign-ins lock the account or the client address for a while (429).
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The token's session has ended: the user was switched off, or changed since (401).
    #[error("{0}")]
    SessionEnded(Problem),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(Problem::new(code, message).field(field))
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError::Conflict(Problem::new(code, message))
    }
    pub fn not_found(entity: &'static str) -> Self {
        DomainError::NotFound { entity }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::Forbidden(Problem::new(ErrorCode::Forbidden, message))
    }
    /// Adds details to an Invalid / Conflict / Forbidden problem.
    pub fn with_details(self, details: Value) -> Self {
        match self {
            DomainError::Invalid(p) => DomainError::Invalid(p.details(details)),
            DomainError::Conflict(p) => DomainError::Conflict(p.details(details)),
            DomainError::Forbidden(p) => DomainError::Forbidden(p.details(details)),
            other => other,
        }
    }
}

impl From<diesel::r2d2::PoolError> for DomainError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        DomainError::Internal(format!("database pool: {e}"))
    }
}

/// A required text field, trimmed: refused when empty or longer than `max` characters.
pub fn required_text(value: &str, field: &str, max: usize) -> DomainResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(ErrorCode::Required, field, format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(DomainError::invalid(
            ErrorCode::TooLong,
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use strum::IntoEnumIterator;

    #[test]
    fn every_code_travels_as_its_published_name() {
        for code in ErrorCode::iter() {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_string()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
            assert!(code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
        }
        assert_eq!(ErrorCode::PriceMismatch.as_str(), "price_mismatch");
    }
}
