//! The built-in key rules (the Privacy Portal's default matchers) and their word lists: data
//! more than code, in the order the rules are tried.

use super::keys::{KeyRule, Needs, Takes};
use crate::inspect::PiiClass;

/// Words that say a key is about the data, not the data.
#[rustfmt::skip]
const META: &[&str] = &[
    "id", "ids", "count", "type", "types", "status", "enabled", "verified", "validated", "valid",
    "confirmed", "opt", "optin", "opted", "consent", "consented", "preference", "preferences",
    "template", "format", "length", "provided", "present", "required", "changed", "updated", "sent",
    "field", "fields", "label", "placeholder", "error", "errors", "domain", "provider", "source",
    "campaign", "list", "frequency", "subscribed", "unsubscribed", "subject", "opened", "clicked",
    "bounced", "delivered", "reminder", "strength", "reset", "policy", "hint", "attempts",
    "attempt", "failed", "expired", "expires", "expiry", "expiration", "ttl", "visible", "hidden",
    "mode", "option", "options", "method", "methods", "code", "set", "exists", "known", "step",
];

#[rustfmt::skip]
pub(super) const NAME_QUALIFIERS: &[&str] = &[
    "first", "last", "full", "middle", "given", "family", "maiden", "legal", "sur", "fore",
    "customer", "contact", "billing", "shipping", "recipient", "sender", "holder", "cardholder",
    "person", "patient", "employee", "guest", "passenger", "traveler", "traveller", "beneficiary",
    "payer", "payee", "buyer", "owner", "parent", "child", "spouse", "emergency", "member", "birth",
    "real", "student", "driver", "applicant", "candidate", "referrer", "attendee", "author",
];

#[rustfmt::skip]
pub(super) const PERSON_WORDS: &[&str] = &[
    "user", "users", "customer", "customers", "contact", "contacts", "person", "people",
    "recipient", "recipients", "sender", "buyer", "billing", "shipping", "owner", "patient",
    "member", "members", "employee", "employees", "guest", "guests", "passenger", "passengers",
    "traveler", "traveller", "travelers", "travellers", "beneficiary", "payer", "payee", "holder",
    "cardholder", "applicant", "candidate", "student", "driver", "parent", "child", "spouse",
    "emergency", "profile", "identity", "attendee", "attendees", "invitee", "author", "friend",
    "referee",
];

#[rustfmt::skip]
pub(super) const HEALTH_WORDS: &[&str] = &[
    "medical", "health", "chronic", "preexisting", "pre", "existing", "mental", "heart", "skin",
    "surgical", "dental", "patient", "clinical", "diagnosed",
];

#[rustfmt::skip]
const NAME_NEUTRAL: &[&str] = &[
    "user", "display", "screen", "nick", "file", "app", "product", "event", "page", "list",
    "wishlist", "coupon", "campaign", "company", "brand", "store", "shop", "team", "org",
    "organization", "group", "account", "project", "workspace", "channel", "plan", "feature",
    "variant", "category", "experiment", "variation", "device", "host", "domain", "bucket", "table",
    "column", "field", "key", "id", "ids", "type", "count", "label", "placeholder", "error",
];

#[rustfmt::skip]
const CARD_NEUTRAL: &[&str] = &[
    "id", "ids", "count", "type", "types", "status", "enabled", "verified", "valid", "brand",
    "network", "last", "four", "bin", "issuer", "country", "funding", "exp", "expiry", "month",
    "year", "fingerprint", "saved", "gift", "loyalty", "library", "membership", "reward", "rewards",
    "sim", "wallet", "present", "provided", "required", "field", "label", "placeholder", "error",
    "errors", "token", "tokenized", "method", "on", "file",
];

#[rustfmt::skip]
const SMALL_NEUTRAL: &[&str] = &[
    "count", "provided", "required", "present", "field", "label", "placeholder", "error", "errors",
    "enabled", "verified", "valid",
];

#[rustfmt::skip]
const PASSWORD_NEUTRAL: &[&str] = &[
    "count", "type", "status", "enabled", "verified", "validated", "valid", "provided", "present",
    "required", "changed", "updated", "sent", "field", "label", "placeholder", "error", "errors",
    "strength", "reset", "policy", "hint", "attempts", "attempt", "failed", "expired", "expires",
    "expiry", "expiration", "length", "set", "visible", "hidden", "manager", "less", "rules",
];

#[rustfmt::skip]
const TOKEN_NEUTRAL: &[&str] = &[
    "count", "type", "types", "status", "enabled", "valid", "provided", "present", "required",
    "expires", "expiry", "expiration", "expired", "ttl", "page", "pagination", "cursor", "next",
    "limit", "limits", "used", "usage", "input", "output", "prompt", "completion", "total", "max",
    "min", "budget", "cost", "price", "symbol", "name", "amount", "balance", "decimals", "supply",
    "standard", "length", "refreshed", "field", "label", "error", "errors",
];

#[rustfmt::skip]
const PUSH_WORDS: &[&str] = &[
    "push", "device", "fcm", "apns", "registration", "notification", "notifications", "firebase",
];

macro_rules! rule {
    ($name:expr, $what:expr, $class:ident, $takes:ident, $seqs:expr, $neutral:expr) => {
        rule!($name, $what, $class, $takes, $seqs, $neutral, Nothing)
    };
    (
        $name:expr, $what:expr, $class:ident, $takes:ident, $seqs:expr, $neutral:expr,
        $needs:ident
    ) => {
        KeyRule {
            name: $name,
            what: $what,
            class: PiiClass::$class,
            takes: Takes::$takes,
            seqs: $seqs,
            neutral: $neutral,
            needs: Needs::$needs,
            softer: &[],
            softer_what: $what,
        }
    };
}

/// In order: the first rule that matches wins (`email_address` is an email, not an address).
#[rustfmt::skip]
pub(super) static KEY_RULES: &[KeyRule] = &[
    // Red
    rule!("social security number", "a US Social Security number", Red, Identifier,
        &[&["ssn"], &["social", "security"], &["socialsecuritynumber"]], SMALL_NEUTRAL),
    rule!("password", "a password", Red, Secret,
        &[&["password"], &["passwords"], &["passwd"], &["pwd"], &["passcode"], &["pass", "word"]],
        PASSWORD_NEUTRAL),
    rule!("passport", "a passport number", Red, Identifier, &[&["passport"]], SMALL_NEUTRAL),
    rule!("credit card", "a payment card number", Red, Identifier,
        &[&["credit", "card"], &["creditcard"], &["card", "number"], &["cardnumber"],
          &["cc", "number"], &["cvv"], &["cvc"], &["card", "security", "code"]],
        CARD_NEUTRAL),
    rule!("visa", "visa details", Red, Identifier, &[&["visa"]],
        &["checkout", "card", "cards", "payment", "payments", "pay", "brand", "enabled", "accepted",
          "debit", "credit", "count"]),
    rule!("veteran", "veteran status", Red, Attribute, &[&["veteran"]],
        &["discount", "discounts", "id", "count"]),
    rule!("disability", "disability information", Red, Attribute,
        &[&["disability"], &["disabilities"]], &["id", "count"]),
    KeyRule {
        name: "token",
        what: "a token (a secret)",
        class: PiiClass::Red,
        takes: Takes::Secret,
        seqs: &[&["token"], &["tokens"], &["access", "token"], &["refresh", "token"],
                &["api", "key"], &["apikey"], &["secret"], &["client", "secret"]],
        neutral: TOKEN_NEUTRAL,
        needs: Needs::Nothing,
        softer: PUSH_WORDS,
        softer_what: "a push token",
    },
    // Yellow
    rule!("email", "an email address", Yellow, Identifier,
        &[&["email"], &["emails"], &["emailaddress"], &["e", "mail"], &["mail", "address"]], META),
    rule!("ip", "an IP address", Yellow, Identifier,
        &[&["ip"], &["ips"], &["ipaddress"], &["ipv", "4"], &["ipv", "6"]],
        &["id", "ids", "count", "type", "country", "region", "city", "version", "range", "location",
          "geo", "lookup", "enabled", "allowlist", "blocklist"]),
    rule!("mac", "a MAC address", Yellow, Identifier,
        &[&["mac", "address"], &["macaddress"], &["mac"]],
        &["id", "count", "type", "version", "os", "app", "model", "user", "users", "book",
          "enabled"]),
    rule!("birthdate", "a date of birth", Yellow, Identifier,
        &[&["birthdate"], &["birth", "date"], &["birthday"], &["date", "of", "birth"], &["dob"],
          &["birth", "day"]],
        META),
    rule!("phone", "a phone number", Yellow, Identifier,
        &[&["phone"], &["phones"], &["telephone"], &["phonenumber"], &["tel"],
          &["mobile", "number"], &["cell", "number"]],
        &["id", "ids", "count", "type", "status", "verified", "validated", "confirmed", "opt",
          "optin", "consent", "country", "model", "make", "brand", "os", "carrier", "manufacturer",
          "code", "field", "label", "placeholder", "error", "errors", "provided", "present",
          "required", "changed", "updated", "enabled"]),
    rule!("address", "a postal address", Yellow, Identifier, &[&["address"], &["addresses"]], META),
    rule!("street", "a street address", Yellow, Identifier,
        &[&["street"], &["streetaddress"]], META),
    rule!("city", "a city", Yellow, Identifier, &[&["city"]], META),
    rule!("zipcode", "a postal code", Yellow, Identifier,
        &[&["zipcode"], &["zip"], &["postal", "code"], &["postalcode"], &["postcode"]], META),
    rule!("gender", "a gender", Yellow, Attribute, &[&["gender"]], SMALL_NEUTRAL),
    rule!("race", "a race", Yellow, Attribute, &[&["race"]],
        &["id", "ids", "name", "distance", "time", "type", "date", "count", "number", "pace",
          "result", "results", "position", "category", "event", "course", "series", "track", "car",
          "day", "start", "finish"]),
    rule!("ethnicity", "an ethnicity", Yellow, Attribute,
        &[&["ethnicity"], &["ethnic", "origin"]], SMALL_NEUTRAL),
    rule!("citizenship", "a citizenship", Yellow, Attribute,
        &[&["citizenship"], &["nationality"]], SMALL_NEUTRAL),
    rule!("certificate", "a certificate", Yellow, Identifier, &[&["certificate"]],
        &["id", "ids", "count", "type", "gift", "ssl", "tls", "status", "enabled"]),
    rule!("license", "a licence number", Yellow, Identifier, &[&["license"], &["licence"]],
        &["count", "type", "plan", "tier", "seats", "seat", "level", "model", "software",
          "agreement", "terms", "status", "enabled", "valid", "expires", "expiry"]),
    rule!("identification", "an identification document", Yellow, Identifier,
        &[&["identification"]], META),
    rule!("serial", "a serial number", Yellow, Identifier, &[&["serial"]], META),
    rule!("photo", "a photo", Yellow, Identifier, &[&["photo"], &["photos"], &["photograph"]],
        &["id", "ids", "count", "type", "filter", "filters", "size", "width", "height", "enabled",
          "uploaded", "status"]),
    rule!("salary", "a salary", Yellow, Identifier, &[&["salary"]],
        &["range", "currency", "period", "count", "type"]),
    rule!("religion", "a religion", Yellow, Attribute,
        &[&["religion"], &["religious"]], SMALL_NEUTRAL),
    rule!("sexual orientation", "a sexual orientation", Yellow, Attribute,
        &[&["sexual", "orientation"]], SMALL_NEUTRAL),
    rule!("sex", "a sex", Yellow, Attribute, &[&["sex"]], SMALL_NEUTRAL),
    rule!("medication", "a medication", Yellow, Attribute,
        &[&["medication"], &["medications"], &["medicine"], &["medicines"]], SMALL_NEUTRAL),
    rule!("allergy", "an allergy", Yellow, Attribute,
        &[&["allergy"], &["allergies"]], SMALL_NEUTRAL),
    rule!("condition", "a medical condition", Yellow, Attribute,
        &[&["condition"], &["conditions"]], SMALL_NEUTRAL, Health),
    rule!("diagnosis", "a diagnosis", Yellow, Attribute,
        &[&["diagnosis"], &["diagnoses"]], SMALL_NEUTRAL),
    rule!("procedure", "a medical procedure", Yellow, Attribute,
        &[&["procedure"], &["procedures"]], SMALL_NEUTRAL, Health),
    rule!("name", "a person's name", Yellow, Identifier,
        &[&["firstname"], &["lastname"], &["fullname"], &["surname"], &["forename"], &["givenname"],
          &["familyname"], &["middlename"], &["maidenname"]],
        NAME_NEUTRAL),
    rule!("name", "a person's name", Yellow, Identifier,
        &[&["name"], &["names"]], NAME_NEUTRAL, Person),
];
