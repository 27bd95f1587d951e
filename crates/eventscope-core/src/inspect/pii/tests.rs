//! Tests of the PII matchers through `PiiMatchers::scan` (values, keys, places, configuration)
//! and against the labelled fixture.

use crate::model::json::Json;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::keys::Words;
use super::place::Place;
use super::*;
use crate::inspect::{Kind, Severity};

fn scan_with(matchers: &PiiMatchers, message: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    matchers.scan(&Json::from_value(message), &mut out);
    out
}

fn scan(message: &Value) -> Vec<Finding> {
    scan_with(&PiiMatchers::default(), message)
}

fn track(properties: Value) -> Value {
    json!({"type": "track", "event": "Note Added", "userId": "user_1", "properties": properties})
}

/// Rule codes found in `properties.notes = text`.
fn rules_in(text: &str) -> Vec<String> {
    scan(&track(json!({ "notes": text })))
        .into_iter()
        .map(|f| f.rule.into_owned())
        .collect()
}

fn assert_finds(rule: &str, texts: &[&str]) {
    for text in texts {
        let rules = rules_in(text);
        assert!(
            rules.iter().any(|r| r == rule),
            "{rule} not found in {text:?}: {rules:?}"
        );
    }
}

fn assert_clean(texts: &[&str]) {
    for text in texts {
        let findings = scan(&track(json!({ "notes": text })));
        assert!(findings.is_empty(), "{text:?} gave {findings:#?}");
    }
}

fn assert_not(rule: &str, texts: &[&str]) {
    for text in texts {
        let rules = rules_in(text);
        assert!(
            !rules.iter().any(|r| r == rule),
            "{rule} found in {text:?}: {rules:?}"
        );
    }
}

/// (rule, path, severity) of each finding.
fn summary(findings: &[Finding]) -> Vec<(String, String, Severity)> {
    findings
        .iter()
        .map(|f| (f.rule.to_string(), f.path.clone(), f.severity))
        .collect()
}

fn one(findings: &[Finding], path: &str) -> (String, Severity) {
    let at: Vec<_> = findings.iter().filter(|f| f.path == path).collect();
    assert_eq!(
        at.len(),
        1,
        "one finding at {path}: {:#?}",
        summary(findings)
    );
    (at[0].rule.to_string(), at[0].severity)
}

fn none_at(findings: &[Finding], path: &str) {
    assert!(
        findings.iter().all(|f| f.path != path),
        "nothing at {path}: {:#?}",
        summary(findings)
    );
}

// Secrets are assembled at run time so that the source holds no token-shaped literal.
fn stripe_key() -> String {
    format!("sk_{}_{}", "live", "SKjq47gJhC9phnWrA2Wgu2iK")
}

fn github_token() -> String {
    format!("gh{}_{}", "p", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z00")
}

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

// --- value matchers --------------------------------------------------------------------------

#[test]
fn emails() {
    assert_finds(
        "pii/email",
        &[
            "jane.doe@example.com",
            "please email me at omar.doe4@gmail.com",
            "https://shop.example.com/checkout?email=jane.wei40@example.org",
            "?email=jane%40example.org",
            "Jane <jane+promo@mail.example.co.uk>.",
        ],
    );
    assert_clean(&[
        "user@localhost",
        "logo@2x.png",
        "@handle",
        "npm:@segment/analytics-next",
        "a @ b",
        "foo@bar",
    ]);
}

#[test]
fn phones() {
    assert_finds(
        "pii/phone",
        &[
            "+14155552671",
            "(415) 555-9120",
            "415-555-9120",
            "415.555.9120",
            "1-415-555-9120",
            "+44 20 7946 0958",
            "020 7946 0958",
            "call me on +1 (415) 555-9120 after 5pm",
            "?tel=+1+(415)+555-4966",
            "https://shop.example.com/cart?tel=415-555-1674",
        ],
    );
    assert_clean(&[
        "555-9120",
        "2025-10-21",
        "2025-10-21T10:00:00Z",
        "+12.50",
        "1,299.99",
        "42.50",
        "115-555-9120",
        "4155559120",
        "1763800000",
        "ord_4155559120",
        "SKU-41555-59120",
    ]);
    assert_not(
        "pii/phone",
        &["151.22.228.128", "4111 1111 1111 1111", "123-45-6789"],
    );
}

#[test]
fn cards() {
    assert_finds(
        "pii/card",
        &[
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "paid with 4507695206019579",
            "378282246310005",
            "3782 822463 10005",
            "5555555555554444",
            "6011111111111117",
            "2223003122003222",
        ],
    );
    assert_clean(&[
        // A 16-digit order id that fails Luhn.
        "4111111111111112",
        "order 4532015112830361",
        // Luhn-valid, but no issuer starts with 1.
        "1234567812345670",
        "1763800000000",
        "4111 1111 1111 11111 1",
        "41111111-11111111",
        "DE89370400440532013000x",
    ]);
}

#[test]
fn ssns() {
    assert_finds("pii/ssn", &["123-45-6789", "ssn 531-80-1933 for tax form"]);
    assert_clean(&[
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "123-00-4567",
        "123-45-0000",
        "123 45 6789",
        "2123-45-6789",
        "123-45-67890",
    ]);
}

#[test]
fn ibans() {
    assert_finds(
        "pii/iban",
        &[
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "refund to FR1420041010050500013M02606",
            "?ref=NL91ABNA0417164300",
            "refund to DE40370400447538320099",
        ],
    );
    assert_clean(&[
        "DE89370400440532013001",
        "DE8937040044053201300",
        "XX89370400440532013000",
        "ADE89370400440532013000",
    ]);
}

#[test]
fn ips() {
    assert_finds(
        "pii/ip",
        &[
            "73.207.186.118",
            "from 10.0.0.12, behind a proxy",
            "http://192.168.1.20:8080/admin",
            "2001:db8:85a3::8a2e:370:7334",
            "client [fe80::1ff:fe23:4567:890a] connected",
        ],
    );
    assert_clean(&[
        "1.70.0",
        "next-1.72.1",
        "npm:next-1.74.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/130.0.2849.80",
        "256.1.1.1",
        "1.2.3.4.5",
        "01.02.03.04",
        "0.0.0.0",
        "127.0.0.1",
        "10:00:00",
        "2025-10-21T10:00:00.123Z",
        "00:1A:2B:3C:4D:5E",
        "::1",
        "std::vec::Vec",
    ]);
    // A four-part version under a version key is not an address.
    let findings = scan(&track(
        json!({"app_version": "10.2.0.14", "build": "1.2.3.4"}),
    ));
    assert!(findings.is_empty(), "{:#?}", summary(&findings));
}

#[test]
fn jwts() {
    let fixture = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiODk4NjMiLCAiaWF0IjogMTc2MzgwMDAwMH0.hRH9W2_2ZrVXPp7mxVCwfakYXDbALKdI2jhVzBGL1Xs";
    assert_finds(
        "pii/jwt",
        &[JWT, fixture, &format!("https://x.example/?token={JWT}&a=1")],
    );
    assert_clean(&[
        // The header has no `alg`.
        "eyJmb28iOiJiYXIifQ.eyJ4IjoxfQ.c2lnbmF0dXJl",
        // Not three segments.
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "heyJude.eyJ.x",
    ]);
}

#[test]
fn api_keys() {
    let aws = format!("AKIA{}", "IOSFODNN7EXAMPLE");
    let sts = format!("ASIA{}", "Y34FZKBOKMUTVV7A");
    let github_pat = format!(
        "github_{}_{}",
        "pat", "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
    );
    let slack = format!(
        "xox{}-{}",
        "b", "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
    );
    let stripe_test = format!("rk_{}_{}", "test", "51H8xYzAbCdEfGhIjKlMnOp");
    for key in [
        &aws,
        &sts,
        &stripe_key(),
        &stripe_test,
        &github_token(),
        &github_pat,
        &slack,
    ] {
        assert_finds("pii/api-key", &[key, &format!("key={key};")]);
    }
    assert_clean(&[
        "AKIAIOSFODNN7EXAMPL",
        "XAKIAIOSFODNN7EXAMPLE",
        "sk_live_short",
        "pk_live_SKjq47gJhC9phnWrA2Wgu2iK",
        "ghp_tooShort123",
        "ghs_some_snake_case_identifier_name_here",
        "xoxb-no-digits-here",
        "task_live_SKjq47gJhC9phnWrA2Wgu2iK",
    ]);
}

#[test]
fn private_keys_and_bearer_tokens() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----";
    assert_finds(
        "pii/private-key",
        &[
            pem,
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "x -----BEGIN PRIVATE KEY----- y",
        ],
    );
    assert_clean(&["-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----"]);
    let f = scan(&track(json!({ "notes": pem })));
    assert_eq!(
        f[0].actual.as_deref(),
        Some("-----BEGIN RSA PRIVATE KEY-----")
    );

    assert_finds(
        "pii/bearer-token",
        &[
            "Authorization: Bearer abcdef0123456789abcdef",
            &format!("Bearer {JWT}"),
        ],
    );
    assert_clean(&[
        "Bearer token",
        "bearer ${TOKEN}",
        "Bearer abcdefghijklmnopqrstuvwxyz",
    ]);
    // A JWT inside a bearer header is reported once, as the bearer token.
    assert_eq!(rules_in(&format!("Bearer {JWT}")), ["pii/bearer-token"]);
}

#[test]
fn near_misses_are_clean() {
    assert_clean(&[
        "2025-10-21T10:00:00Z",
        "2026-11-01T00:00:00.752Z",
        "3bd1829f-6a9a-41b5-ac61-16e91db0a04e",
        "12345678-1234-1234-1234-123456789012",
        "1.70.0",
        "next-1.72.1",
        "42.50",
        "SKU-83512",
        "/products/trail-runner-3",
        "https://cdn.example.com/img/city-backpack-22l_8.jpg",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "d41d8cd98f00b204e9800998ecf8427e",
        "1763800000000",
        "ord_bb2d0f88080b",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "order 4111111111111112 shipped",
    ]);
}

#[test]
fn json_numbers_can_be_cards() {
    let f = scan(&track(
        json!({"amount": 4111111111111111u64, "order_id": 4111111111111111u64, "n": 4111111111111112u64, "ts": 1763800000000u64, "price": 42.5}),
    ));
    assert_eq!(
        summary(&f),
        [(
            "pii/card".to_string(),
            "properties.amount".to_string(),
            Severity::Error
        )]
    );
    // A bare number string under an id key is an id; in text it is a card.
    let f = scan(&track(
        json!({"order_id": "4111111111111111", "ref": "card 4111111111111111"}),
    ));
    assert_eq!(
        summary(&f),
        [(
            "pii/card".to_string(),
            "properties.ref".to_string(),
            Severity::Error
        )]
    );
}

#[test]
fn one_finding_per_text_and_several_per_string() {
    let f = scan(&track(
        json!({"notes": "mail jane@example.com or call 415-555-9120, card 4111 1111 1111 1111"}),
    ));
    let rules: Vec<_> = f.iter().map(|f| f.rule.as_ref()).collect();
    assert_eq!(rules, ["pii/email", "pii/phone", "pii/card"]);
}

#[test]
fn masks_never_echo_the_secret() {
    assert_eq!(mask("4111111111111111"), "41************11");
    assert_eq!(mask("abc"), "***");
    assert_eq!(mask("abcdef"), "a****f");
    assert_eq!(mask(&"x".repeat(100)).len(), 16);
    assert_eq!(mask("jöhn.doe@exämple.com"), "jö************om");
    for text in [
        stripe_key(),
        github_token(),
        JWT.to_string(),
        "123-45-6789".into(),
        "DE89370400440532013000".into(),
    ] {
        let f = scan(&track(json!({ "notes": format!("x {text} y") })));
        let actual = f[0].actual.as_deref().unwrap();
        assert!(!actual.contains(&text[2..text.len() - 2]), "{actual}");
        assert!(actual.contains('*'));
    }
}

#[test]
fn messages_and_paths() {
    let f = scan(&track(
        json!({"notes": "call me on +1 (415) 555-9120 after 5pm"}),
    ));
    assert_eq!(f[0].message, "a phone number in properties.notes");
    assert_eq!(f[0].kind, Kind::Pii);
    assert_eq!(f[0].pii, Some(PiiClass::Yellow));
    assert_eq!(f[0].actual.as_deref(), Some("+1************20"));
    let f = scan(&track(json!({"notes": stripe_key()})));
    assert_eq!(f[0].message, "a Stripe secret key in properties.notes");
    let f = scan(&track(
        json!({"contact info": {"list": ["x", "jane@example.com"]}}),
    ));
    assert_eq!(f[0].path, "properties[\"contact info\"].list[1]");
}

#[test]
fn odd_text_never_panics() {
    // Multi-byte characters next to every kind of marker, in pseudo-random order.
    let parts = [
        "é",
        "☎",
        "日本",
        "@",
        "%40",
        ".",
        "-",
        "+",
        "(",
        ")",
        " ",
        "_",
        ":",
        "eyJ",
        "AKIA",
        "sk_live_",
        "ghp_",
        "xoxb-",
        "Bearer ",
        "-----BEGIN ",
        "4111",
        "1111",
        "415",
        "555",
        "9120",
        "DE89",
        "3704",
        "0044",
        "0532",
        "0130",
        "00",
        "a",
        "Z",
        "ü@ü.de",
        "x.y",
    ];
    let mut seed: u64 = 7;
    let m = PiiMatchers::default();
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..(seed % 24) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(parts[(seed >> 33) as usize % parts.len()]);
        }
        let mut out = Vec::new();
        m.scan(
            &Json::from_value(&track(json!({ "notes": text, &text: 1 }))),
            &mut out,
        );
        for f in &out {
            assert!(
                f.actual
                    .as_ref()
                    .is_some_and(|a| a.chars().count() <= 16 || f.rule == "pii/private-key")
            );
        }
    }
}

#[test]
fn odd_keys_and_deep_documents() {
    let long_key = "a_".repeat(40_000) + "email";
    let many_words = "one_two_three_four_five_six_seven_eight_nine_email";
    let f = scan(&track(
        json!({ long_key.clone(): "x", "": "z", "名前": "w", "Straße": "v" }),
    ));
    assert!(f.is_empty(), "{:#?}", summary(&f));
    // Words past the twelfth are not looked at.
    let f = scan(&track(json!({ many_words: "y" })));
    assert_eq!(
        one(&f, &format!("properties.{many_words}")).0,
        "pii/key-name"
    );
    let thirteenth = "a_b_c_d_e_f_g_h_i_j_k_l_email";
    let f = scan(&track(json!({ thirteenth: "y" })));
    assert!(f.is_empty());
    let mut deep = json!("jane@example.com");
    for _ in 0..300 {
        deep = json!({ "a": [deep] });
    }
    let f = scan(&track(deep));
    assert!(f.is_empty(), "past the depth limit");
}

// --- key names -------------------------------------------------------------------------------

fn words(key: &str) -> Vec<String> {
    let w = Words::of(key);
    (0..w.len())
        .map(|i| w.get(i).to_ascii_lowercase())
        .collect()
}

#[test]
fn key_normalisation() {
    for key in [
        "first_name",
        "firstName",
        "First Name",
        "first-name",
        "FIRST_NAME",
        "FirstName",
        " first  name ",
    ] {
        assert_eq!(words(key), ["first", "name"], "{key}");
    }
    assert_eq!(words("IPAddress"), ["ip", "address"]);
    assert_eq!(words("userIP"), ["user", "ip"]);
    assert_eq!(words("address2"), ["address", "2"]);
    assert_eq!(words("cardLast4"), ["card", "last", "4"]);
    assert_eq!(words("e-mail"), ["e", "mail"]);
    assert_eq!(words("straße_name"), ["straße", "name"]);
    assert_eq!(
        Words::of("contactEmailAddress").snake(),
        "contact_email_address"
    );
}

/// The rule name and class a key matches at `properties.<key>` with a string value.
fn key_match(key: &str) -> Option<(&'static str, PiiClass)> {
    let m = PiiMatchers::default();
    m.key_rule(key, &Place::root("properties").member(key))
        .map(|(r, c)| (r.name, c))
}

#[test]
fn key_rules_match_whole_words() {
    use PiiClass::{Red, Yellow};
    let cases: &[(&str, Option<(&str, PiiClass)>)] = &[
        ("email", Some(("email", Yellow))),
        ("contactEmail", Some(("email", Yellow))),
        ("email_address", Some(("email", Yellow))),
        ("E-Mail", Some(("email", Yellow))),
        ("first_name", Some(("name", Yellow))),
        ("lastName", Some(("name", Yellow))),
        ("surname", Some(("name", Yellow))),
        ("billing_name", Some(("name", Yellow))),
        ("phone_number", Some(("phone", Yellow))),
        ("shipping_address", Some(("address", Yellow))),
        ("ip_address", Some(("ip", Yellow))),
        ("zip", Some(("zipcode", Yellow))),
        ("postalCode", Some(("zipcode", Yellow))),
        ("date_of_birth", Some(("birthdate", Yellow))),
        ("dob", Some(("birthdate", Yellow))),
        ("ssn", Some(("social security number", Red))),
        (
            "social_security_number",
            Some(("social security number", Red)),
        ),
        ("password", Some(("password", Red))),
        ("credit_card_number", Some(("credit card", Red))),
        ("cardNumber", Some(("credit card", Red))),
        ("cvv", Some(("credit card", Red))),
        ("passport_number", Some(("passport", Red))),
        ("access_token", Some(("token", Red))),
        ("api_key", Some(("token", Red))),
        ("push_token", Some(("token", Yellow))),
        ("veteran_status", Some(("veteran", Red))),
        ("medical_condition", Some(("condition", Yellow))),
        ("sexual_orientation", Some(("sexual orientation", Yellow))),
        ("gender", Some(("gender", Yellow))),
        // Not personal data, or about it rather than it.
        ("name", None),
        ("product_name", None),
        ("coupon_name", None),
        ("wishlist_name", None),
        ("username", None),
        ("user_name", None),
        ("email_id", None),
        ("email_verified", None),
        ("emailOptIn", None),
        ("phone_model", None),
        ("password_strength", None),
        ("token_count", None),
        ("next_page_token", None),
        ("ip_country", None),
        ("condition", None),
        ("card_last4", None),
        ("gift_card_number", None),
        ("currency", None),
        ("sku", None),
        ("title", None),
        ("zipper_color", None),
        ("shipping", None),
        ("description", None),
        ("recipient", None),
        ("sussex", None),
        ("race_distance", None),
        ("visa_checkout_enabled", None),
    ];
    for (key, want) in cases {
        assert_eq!(key_match(key), *want, "{key}");
    }
}

#[test]
fn key_findings_in_place() {
    let message = json!({
        "type": "track",
        "event": "Order Completed",
        "userId": "user_1",
        "properties": {
            "name": "Trail Runner 3",
            "products": [{"name": "Sock", "photo_url": "https://x/y.jpg", "serial": "SN1", "condition": "used"}],
            "recipient": {"name": "Jane Doe", "email_id": "em_1"},
            "first_name": "Jane",
            "password": "hunter2",
            "password_reset_sent": true,
            "veteran": true,
            "email_verified": false,
            "token_count": 5,
            "shipping_address": {"street": "1 Main St", "city": "Austin", "zip": "73301"},
            "contact_email": "jane@example.com",
            "username": "jdoe",
            "phone": "",
            "ssn": null
        },
        "context": {
            "app": {"name": "Example Shop", "version": "5.12.0"},
            "campaign": {"name": "spring_launch"},
            "device": {"token": "f0e1d2c3b4a5968778695a4b3c2d1e0f", "id": "3bd1829f-6a9a-41b5-ac61-16e91db0a04e"}
        }
    });
    let f = scan(&message);
    assert_eq!(
        one(&f, "properties.recipient.name"),
        ("pii/key-name".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "properties.first_name"),
        ("pii/key-name".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "properties.password"),
        ("pii/key-name".into(), Severity::Error)
    );
    assert_eq!(
        one(&f, "properties.veteran"),
        ("pii/key-name".into(), Severity::Error)
    );
    assert_eq!(
        one(&f, "properties.shipping_address"),
        ("pii/key-name".into(), Severity::Warning)
    );
    // The value matcher says more than the key: one finding.
    assert_eq!(
        one(&f, "properties.contact_email"),
        ("pii/email".into(), Severity::Warning)
    );
    // A push token is expected in context.device.
    assert_eq!(
        one(&f, "context.device.token"),
        ("pii/key-name".into(), Severity::Info)
    );
    for path in [
        "properties.name",
        "properties.products[0].name",
        "properties.products[0].photo_url",
        "properties.products[0].serial",
        "properties.products[0].condition",
        "properties.recipient.email_id",
        "properties.password_reset_sent",
        "properties.email_verified",
        "properties.token_count",
        "properties.shipping_address.street",
        "properties.shipping_address.city",
        "properties.username",
        "properties.phone",
        "properties.ssn",
        "context.app.name",
        "context.app.version",
        "context.campaign.name",
        "context.device.id",
    ] {
        none_at(&f, path);
    }
    let password = f.iter().find(|f| f.path == "properties.password").unwrap();
    assert_eq!(
        password.message,
        "a password in properties.password (going by its key)"
    );
    assert_eq!(password.actual.as_deref(), Some("h*****2"));
}

#[test]
fn a_red_key_is_not_hidden_by_a_yellow_value() {
    let f = scan(&track(json!({"password": "jane@example.com"})));
    let mut rules: Vec<_> = summary(&f).into_iter().map(|(r, _, s)| (r, s)).collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            ("pii/email".into(), Severity::Warning),
            ("pii/key-name".into(), Severity::Error)
        ]
    );
}

// --- severity --------------------------------------------------------------------------------

#[test]
fn expected_places_give_info() {
    let identify = json!({
        "type": "identify",
        "userId": "jane@example.com",
        "traits": {
            "email": "jane@example.com",
            "name": "Jane Khan",
            "firstName": "Jane",
            "last_name": "Khan",
            "phone": "+1 415 555 9120",
            "birthday": "1990-01-01",
            "address": {"street": "1 Main St", "city": "Berlin", "postalCode": "10115"},
            "notes": "call me on 415-555-6915 after 5pm",
            "work_email": "jane@corp.example"
        },
        "context": {
            "ip": "73.207.186.118",
            "traits": {"email": "jane@example.com", "notes": "jane@example.com"},
            "page": {"url": "https://shop.example.com/?email=jane@example.com"}
        }
    });
    let f = scan(&identify);
    for path in [
        "userId",
        "traits.email",
        "traits.name",
        "traits.firstName",
        "traits.last_name",
        "traits.phone",
        "traits.birthday",
        "traits.address",
        "context.ip",
        "context.traits.email",
        "context.traits.notes",
    ] {
        assert_eq!(one(&f, path).1, Severity::Info, "{path}");
    }
    assert_eq!(one(&f, "traits.email").0, "pii/email");
    assert_eq!(one(&f, "traits.phone").0, "pii/phone");
    assert_eq!(one(&f, "context.ip").0, "pii/ip");
    // Not where it belongs.
    assert_eq!(
        one(&f, "traits.notes"),
        ("pii/phone".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "traits.work_email"),
        ("pii/email".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "context.page.url"),
        ("pii/email".into(), Severity::Warning)
    );
    let info = f.iter().find(|f| f.path == "traits.email").unwrap();
    assert_eq!(
        info.message,
        "an email address in traits.email (an expected place)"
    );
}

#[test]
fn reserved_traits_are_expected_only_on_identify_and_group() {
    let f = scan(&json!({"type": "track", "event": "X", "traits": {"email": "jane@example.com"}}));
    assert_eq!(
        one(&f, "traits.email"),
        ("pii/email".into(), Severity::Warning)
    );
    let f = scan(
        &json!({"type": "group", "groupId": "g1", "traits": {"email": "billing@acme.example", "name": "Acme"}}),
    );
    assert_eq!(one(&f, "traits.email").1, Severity::Info);
    assert_eq!(one(&f, "traits.name").1, Severity::Info);
}

#[test]
fn red_is_never_expected_by_default() {
    let f = scan(&json!({
        "type": "identify",
        "userId": JWT,
        "traits": {"email": "4111 1111 1111 1111"},
        "context": {"traits": {"password": "hunter22"}}
    }));
    assert_eq!(one(&f, "userId"), ("pii/jwt".into(), Severity::Error));
    assert_eq!(
        one(&f, "traits.email"),
        ("pii/card".into(), Severity::Error)
    );
    assert_eq!(
        one(&f, "context.traits.password"),
        ("pii/key-name".into(), Severity::Error)
    );
}

#[test]
fn elsewhere_yellow_warns_and_red_errs() {
    let f = scan(&track(
        json!({"ip": "73.207.186.118", "comment": "ssn 531-80-1933"}),
    ));
    assert_eq!(
        one(&f, "properties.ip"),
        ("pii/ip".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "properties.comment"),
        ("pii/ssn".into(), Severity::Error)
    );
}

#[test]
fn messages_that_are_not_objects_and_skipped_fields() {
    assert!(scan(&json!("jane@example.com")).is_empty());
    let f = scan(
        &json!({"type": "track", "event": "jane@example.com", "messageId": "jane@example.com", "integrations": {"x": "jane@example.com"}, "timestamp": "2025-10-21T10:00:00Z"}),
    );
    assert!(f.is_empty(), "{:#?}", summary(&f));
    // Only the unmistakable matchers in SDK-filled context parts.
    let f = scan(
        &json!({"type": "track", "event": "X", "context": {"library": {"name": "x", "version": "415-555-9120"}, "userAgent": "Bot/1.0 (+1 415 555 9120; bot@example.com)"}}),
    );
    assert_eq!(
        summary(&f)
            .into_iter()
            .map(|(r, p, _)| (r, p))
            .collect::<Vec<_>>(),
        [("pii/email".into(), "context.userAgent".into())]
    );
}

// --- configuration ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct File {
    pii: PiiConfig,
}

fn config(toml_text: &str) -> PiiConfig {
    toml::from_str::<File>(toml_text).expect("valid config").pii
}

#[test]
fn config_adds_matchers_and_expected_places() {
    let cfg = config(
        r#"
        [pii]
        expected = ["properties.contact_email", "properties.products[*].email", "properties.vault"]

        [[pii.matcher]]
        name = "loyalty"
        class = "red"
        on = "value"
        pattern = "LOY-[0-9]{6}"

        [[pii.matcher]]
        name = "member number"
        class = "yellow"
        on = "key"
        pattern = "^member_number$"
        "#,
    );
    assert_eq!(cfg.matcher.len(), 2);
    let m = PiiMatchers::from_config(&cfg).unwrap();
    let f = scan_with(
        &m,
        &track(json!({
            "contact_email": "jane@example.com",
            "other_email": "jane@example.com",
            "products": [{"email": "a@example.com"}, {"email": "b@example.com"}],
            "vault": {"card": "4111 1111 1111 1111"},
            "note": "card LOY-123456 used",
            "memberNumber": "A-1",
            "member_number": 42
        })),
    );
    assert_eq!(
        one(&f, "properties.contact_email"),
        ("pii/email".into(), Severity::Info)
    );
    assert_eq!(
        one(&f, "properties.other_email"),
        ("pii/email".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "properties.products[1].email"),
        ("pii/email".into(), Severity::Info)
    );
    assert_eq!(
        one(&f, "properties.vault.card"),
        ("pii/card".into(), Severity::Info)
    );
    assert_eq!(
        one(&f, "properties.note"),
        ("pii/custom:loyalty".into(), Severity::Error)
    );
    assert_eq!(
        one(&f, "properties.memberNumber"),
        ("pii/custom:member number".into(), Severity::Warning)
    );
    assert_eq!(
        one(&f, "properties.member_number"),
        ("pii/custom:member number".into(), Severity::Warning)
    );
    let note = f.iter().find(|f| f.path == "properties.note").unwrap();
    assert_eq!(note.actual.as_deref(), Some("LO******56"));
    assert_eq!(note.pii, Some(PiiClass::Red));
    let listed = f
        .iter()
        .find(|f| f.path == "properties.contact_email")
        .unwrap();
    assert!(
        listed.message.ends_with("(a place listed in pii.expected)"),
        "{}",
        listed.message
    );
}

#[test]
fn a_custom_matcher_replaces_the_default_of_its_name() {
    let cfg = config(
        r#"
        [pii]
        [[pii.matcher]]
        name = "Name"
        class = "red"
        on = "key"
        pattern = "^(first|last)_name$"
        "#,
    );
    let m = PiiMatchers::from_config(&cfg).unwrap();
    let f = scan_with(
        &m,
        &track(json!({"firstName": "Jane", "billing_name": "Jane Doe"})),
    );
    assert_eq!(
        one(&f, "properties.firstName"),
        ("pii/custom:Name".into(), Severity::Error)
    );
    none_at(&f, "properties.billing_name");
}

#[test]
fn config_errors() {
    let bad = PiiConfig {
        matcher: vec![CustomMatcher {
            name: "loyalty".into(),
            class: MatcherClass::Red,
            on: MatchOn::Value,
            pattern: "LOY-[0-9".into(),
        }],
        expected: vec![],
    };
    let err = PiiMatchers::from_config(&bad).unwrap_err();
    assert!(matches!(err, PiiConfigError::BadPattern { ref name, .. } if name == "loyalty"));
    assert!(
        err.to_string()
            .starts_with("[[pii.matcher]] `loyalty`: bad pattern"),
        "{err}"
    );

    let mut twice = bad.clone();
    twice.matcher[0].pattern = "x".into();
    twice.matcher.push(twice.matcher[0].clone());
    assert!(matches!(
        PiiMatchers::from_config(&twice),
        Err(PiiConfigError::Duplicate(_))
    ));

    for path in [
        "",
        "properties.",
        "properties..x",
        "a[",
        "a[x]",
        "a[\"b]",
        "a[0]b",
    ] {
        let cfg = PiiConfig {
            expected: vec![path.into()],
            ..PiiConfig::default()
        };
        let err = PiiMatchers::from_config(&cfg).unwrap_err();
        assert!(
            matches!(err, PiiConfigError::BadExpected { .. }),
            "{path}: {err}"
        );
    }

    let unknown = toml::from_str::<File>("[pii]\nexpect = []\n");
    assert!(unknown.is_err());
    let unknown = toml::from_str::<File>(
        "[pii]\n[[pii.matcher]]\nname = \"x\"\nclass = \"green\"\npattern = \"x\"\n",
    );
    assert!(unknown.is_err());
}

#[test]
fn place_paths_parse() {
    use PlaceSeg::{Any, Index, Key};
    assert_eq!(
        parse_place("properties.products[*].email").unwrap(),
        [
            Key("properties".into()),
            Key("products".into()),
            Any,
            Key("email".into())
        ]
    );
    assert_eq!(
        parse_place("context[\"user-agent\"].*[2]").unwrap(),
        [
            Key("context".into()),
            Key("user-agent".into()),
            Any,
            Index(2)
        ]
    );
}

// --- the fixture -----------------------------------------------------------------------------

#[derive(Deserialize)]
struct Label {
    line: usize,
    pii: Option<String>,
}

fn label_rules(label: &str) -> &'static [&'static str] {
    match label {
        "email" => &["pii/email"],
        "phone" => &["pii/phone"],
        "card" => &["pii/card"],
        "ssn" => &["pii/ssn"],
        "iban" => &["pii/iban"],
        "jwt" => &["pii/jwt", "pii/bearer-token"],
        "api_key" => &["pii/api-key", "pii/private-key", "pii/bearer-token"],
        other => panic!("unknown label {other}"),
    }
}

#[test]
fn fixture_labels_are_found_and_clean_messages_stay_clean() {
    let events = include_str!("../../../../../tests/fixtures/events.ndjson");
    let labels = include_str!("../../../../../tests/fixtures/labels.ndjson");
    let m = PiiMatchers::default();
    // label (or "none") -> (messages, found as labelled)
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut infos = 0;
    for (event, label) in events.lines().zip(labels.lines()) {
        let message: Value = serde_json::from_str(event).unwrap();
        let label: Label = serde_json::from_str(label).unwrap();
        let findings = scan_with(&m, &message);
        infos += findings
            .iter()
            .filter(|f| f.severity == Severity::Info)
            .count();
        let loud: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        let row = label.pii.clone().unwrap_or_else(|| "none".into());
        let got = if loud.is_empty() {
            "none".to_string()
        } else {
            let mut rules: Vec<&str> = loud.iter().map(|f| f.rule.as_ref()).collect();
            rules.sort();
            rules.dedup();
            rules.join("+")
        };
        *confusion.entry(row).or_default().entry(got).or_default() += 1;
        let ok = match &label.pii {
            Some(l) => loud
                .iter()
                .any(|f| label_rules(l).contains(&f.rule.as_ref())),
            None => loud.is_empty(),
        };
        if !ok {
            problems.push(format!(
                "line {} ({:?}): {:?}",
                label.line,
                label.pii,
                loud.iter()
                    .map(|f| (f.rule.as_ref(), f.path.as_str(), f.actual.as_deref()))
                    .collect::<Vec<_>>()
            ));
        }
    }
    let table: String = confusion
        .iter()
        .map(|(label, got)| format!("  {label:>8} -> {got:?}\n"))
        .collect();
    assert!(
        problems.is_empty(),
        "confusion (label -> findings at warning or above):\n{table}problems:\n{}",
        problems.join("\n")
    );
    assert!(infos > 0);
}
