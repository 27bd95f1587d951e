//! Resolving `[[destination]]` tables: every kind's needs, keys, regions, hosts, defaults and
//! limits; the error messages users see; secret masking.

use base64::Engine as _;

use super::*;

fn config(toml_text: &str) -> DestinationConfig {
    toml::from_str(toml_text).unwrap()
}

fn env(var: &str) -> Option<String> {
    match var {
        "SEGMENT_KEY" => Some("wk_0123456789abcdef".to_string()),
        "HOOK_SECRET" => Some("hook-secret-value-42".to_string()),
        "TEAM_TOKEN" => Some("tt_abcdefghijklmnop".to_string()),
        _ => None,
    }
}

fn resolve(toml_text: &str) -> Result<Destination, DestinationError> {
    Destination::from_config_with(&config(toml_text), &env)
}

fn error(toml_text: &str) -> String {
    resolve(toml_text).unwrap_err().to_string()
}

#[test]
fn defaults_per_kind() {
    let d = resolve("name = \"s\"\nkind = \"segment\"\nwrite_key = \"env:SEGMENT_KEY\"").unwrap();
    assert_eq!(d.url, "https://api.segment.io/v1/batch");
    assert_eq!(
        (d.batch_size, d.timeout, d.concurrency, d.max_attempts),
        (100, Duration::from_secs(10), 4, 4)
    );
    let d = resolve("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://127.0.0.1:9/hook\"")
        .unwrap();
    assert_eq!((d.batch_size, d.timeout), (1, Duration::from_secs(5)));
    assert_eq!(d.url, "http://127.0.0.1:9/hook");
    let d =
        resolve("name = \"a\"\nkind = \"amplitude\"\napi_key = \"k\"\nregion = \"eu\"").unwrap();
    assert_eq!(d.url, "https://api.eu.amplitude.com/2/httpapi");
    assert_eq!(d.batch_size, 1000);
    let d = resolve("name = \"m\"\nkind = \"mixpanel\"\ntoken = \"t\"\nregion = \"in\"").unwrap();
    assert_eq!(d.url, "https://api-in.mixpanel.com/import?strict=1");
    assert_eq!(d.batch_size, 2000);
    let d =
        resolve("name = \"p\"\nkind = \"posthog\"\napi_key = \"phc\"\nregion = \"eu\"").unwrap();
    assert_eq!(d.url, "https://eu.i.posthog.com/batch/");
    let d = resolve(
        "name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G-1\"\napi_secret = \"a b&c\"\ndebug = true",
    )
    .unwrap();
    assert_eq!(
        d.url,
        "https://www.google-analytics.com/debug/mp/collect?measurement_id=G-1&api_secret=a+b%26c"
    );
    assert_eq!(d.batch_size, 25);
}

#[test]
fn endpoint_replaces_the_host_and_keeps_a_full_path() {
    let d = resolve("name = \"s\"\nkind = \"segment\"\nwrite_key = \"k\"\nendpoint = \"http://127.0.0.1:8707/\"").unwrap();
    assert_eq!(d.url, "http://127.0.0.1:8707/v1/batch");
    let d = resolve("name = \"s\"\nkind = \"segment\"\nwrite_key = \"k\"\nendpoint = \"http://127.0.0.1:8707/v1/batch\"").unwrap();
    assert_eq!(d.url, "http://127.0.0.1:8707/v1/batch");
    let d = resolve(
        "name = \"m\"\nkind = \"mixpanel\"\napi_secret = \"x\"\nendpoint = \"http://127.0.0.1:1\"",
    )
    .unwrap();
    assert_eq!(d.url, "http://127.0.0.1:1/import?strict=1");
}

#[test]
fn missing_credentials_name_destination_and_field() {
    assert_eq!(
        error("name = \"s\"\nkind = \"segment\""),
        "destination `s`: segment needs `write_key` (the source's write key)"
    );
    assert!(
        error("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G-1\"").contains("`api_secret`")
    );
    assert!(error("name = \"m\"\nkind = \"mixpanel\"").contains("`token`"));
    assert!(error("name = \"w\"\nkind = \"webhook\"").contains("`endpoint`"));
    assert!(error("name = \"f\"\nkind = \"file\"").contains("`path`"));
    assert_eq!(
        error("name = \"s\"\nkind = \"segment\"\nwrite_key = \"env:NOPE\""),
        "destination `s`: `write_key` reads env:NOPE, but the environment variable NOPE is not set"
    );
    assert!(error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\nheaders = { Authorization = \"env:NOPE\" }")
        .contains("header `Authorization` reads env:NOPE"));
}

#[test]
fn misplaced_and_bad_values_are_refused() {
    assert_eq!(
        error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\nwrite_key = \"k\""),
        "destination `w`: `write_key` is not used by webhook destinations (it is for segment)"
    );
    assert!(
        error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"ftp://x/\"")
            .contains("http:// or https://")
    );
    assert!(
        error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"not a url\"")
            .contains("is not a URL")
    );
    assert!(error("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G\"\napi_secret = \"s\"\nregion = \"eu\"").contains("ga4 has no regions"));
    assert!(
        error("name = \"a\"\nkind = \"amplitude\"\napi_key = \"k\"\nregion = \"in\"")
            .contains("no region `in`")
    );
    assert!(
        error("name = \"a\"\nkind = \"amplitude\"\napi_key = \"k\"\nbatch_size = 5000")
            .contains("limit of 2000")
    );
    assert!(error("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G\"\napi_secret = \"s\"\nbatch_size = 26").contains("limit of 25"));
    // Credentials in a URL would be shown wherever the URL is; huge numbers are typos.
    let hook = "name = \"h\"\nkind = \"webhook\"\n";
    assert!(
        error(&format!("{hook}endpoint = \"http://u:p@127.0.0.1:9/\""))
            .contains("user or password")
    );
    assert!(
        error(&format!(
            "{hook}endpoint = \"http://127.0.0.1:9/\"\nconcurrency = 100000"
        ))
        .contains("between 1 and 256")
    );
    assert!(
        error("name = \"f\"\nkind = \"file\"\npath = \"x.ndjson\"\nbatch_size = 1000000")
            .contains("limit of 100000")
    );
    assert!(
        error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\ntransform = \"{\"")
            .contains("`transform`")
    );
    assert!(
        error("name = \" \"\nkind = \"webhook\"\nendpoint = \"http://x/\"")
            .contains("`name` is empty")
    );
}

/// Pins every kind's table: what it needs, which keys it takes, its regions and hosts, its
/// defaults and limits.
#[test]
fn every_kind_names_what_it_needs() {
    let cases = [
        (
            "segment",
            "",
            "segment needs `write_key` (the source's write key)",
        ),
        (
            "amplitude",
            "",
            "amplitude needs `api_key` (the project's API key)",
        ),
        (
            "posthog",
            "",
            "posthog needs `api_key` (the project API key, phc_…)",
        ),
        ("ga4", "", "ga4 needs `measurement_id` (G-…)"),
        (
            "ga4",
            "measurement_id = \"G-1\"\n",
            "ga4 needs `api_secret` (a Measurement Protocol API secret)",
        ),
        (
            "mixpanel",
            "",
            "mixpanel needs `token` (the project token) or `api_secret`",
        ),
        (
            "webhook",
            "",
            "webhook needs `endpoint` (the URL to send to)",
        ),
        ("file", "", "file needs `path` (where NDJSON is appended)"),
    ];
    for (kind, extra, message) in cases {
        assert_eq!(
            error(&format!("name = \"x\"\nkind = \"{kind}\"\n{extra}")),
            format!("destination `x`: {message}")
        );
    }
}

#[test]
fn every_kind_refuses_the_keys_of_others() {
    let all_but_file = "webhook, segment, amplitude, mixpanel, ga4, posthog";
    let keys = [
        ("write_key", "write_key = \"k\"", "segment"),
        ("api_key", "api_key = \"k\"", "amplitude, posthog"),
        ("token", "token = \"k\"", "mixpanel"),
        ("measurement_id", "measurement_id = \"G-1\"", "ga4"),
        ("api_secret", "api_secret = \"k\"", "mixpanel, ga4"),
        ("shared_secret", "shared_secret = \"k\"", "webhook"),
        ("debug", "debug = true", "ga4"),
        ("method", "method = \"PUT\"", "webhook"),
        ("path", "path = \"out.ndjson\"", "file"),
        (
            "endpoint",
            "endpoint = \"http://127.0.0.1:9/\"",
            all_but_file,
        ),
        ("headers", "headers = { X-A = \"b\" }", all_but_file),
    ];
    for kind in DestinationKind::ALL {
        for (key, line, users) in keys {
            let got = resolve(&format!("name = \"x\"\nkind = \"{kind}\"\n{line}"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let refused = format!(
                "destination `x`: `{key}` is not used by {kind} destinations (it is for {users})"
            );
            if users.split(", ").any(|u| u == kind.as_str()) {
                assert!(!got.contains("is not used"), "{kind} {key}: {got}");
            } else {
                assert_eq!(got, refused, "{kind} {key}");
            }
        }
    }
    // Misplaced keys are reported in one fixed order, before anything else.
    assert_eq!(
        error("name = \"f\"\nkind = \"file\"\nendpoint = \"http://x/\"\nwrite_key = \"env:NOPE\""),
        "destination `f`: `write_key` is not used by file destinations (it is for segment)"
    );
}

#[test]
fn every_kind_knows_its_regions_and_hosts() {
    let creds = |kind: &str| match kind {
        "segment" => "write_key = \"k\"",
        "amplitude" | "posthog" => "api_key = \"k\"",
        "mixpanel" => "token = \"k\"",
        "ga4" => "measurement_id = \"G-1\"\napi_secret = \"s\"",
        "webhook" => "endpoint = \"http://127.0.0.1:9/\"",
        _ => "path = \"out.ndjson\"",
    };
    let hosts = [
        ("segment", None, "https://api.segment.io/v1/batch"),
        ("segment", Some("us"), "https://api.segment.io/v1/batch"),
        (
            "segment",
            Some("eu"),
            "https://events.eu1.segmentapis.com/v1/batch",
        ),
        ("amplitude", None, "https://api2.amplitude.com/2/httpapi"),
        (
            "amplitude",
            Some("us"),
            "https://api2.amplitude.com/2/httpapi",
        ),
        (
            "amplitude",
            Some("eu"),
            "https://api.eu.amplitude.com/2/httpapi",
        ),
        ("mixpanel", None, "https://api.mixpanel.com/import?strict=1"),
        (
            "mixpanel",
            Some("us"),
            "https://api.mixpanel.com/import?strict=1",
        ),
        (
            "mixpanel",
            Some("eu"),
            "https://api-eu.mixpanel.com/import?strict=1",
        ),
        (
            "mixpanel",
            Some("in"),
            "https://api-in.mixpanel.com/import?strict=1",
        ),
        ("posthog", None, "https://us.i.posthog.com/batch/"),
        ("posthog", Some("us"), "https://us.i.posthog.com/batch/"),
        ("posthog", Some("eu"), "https://eu.i.posthog.com/batch/"),
        (
            "ga4",
            None,
            "https://www.google-analytics.com/mp/collect?measurement_id=G-1&api_secret=s",
        ),
        ("webhook", None, "http://127.0.0.1:9/"),
    ];
    for (kind, region, url) in hosts {
        let region = region
            .map(|r| format!("region = \"{r}\"\n"))
            .unwrap_or_default();
        let d = resolve(&format!(
            "name = \"x\"\nkind = \"{kind}\"\n{region}{}",
            creds(kind)
        ))
        .unwrap();
        assert_eq!(d.url, url, "{kind} {region}");
    }
    let refused = [
        (
            "segment",
            "in",
            "segment has no region `in` (known: us, eu)",
        ),
        (
            "amplitude",
            "in",
            "amplitude has no region `in` (known: us, eu)",
        ),
        (
            "posthog",
            "in",
            "posthog has no region `in` (known: us, eu)",
        ),
        (
            "ga4",
            "us",
            "ga4 has no regions; use `endpoint` to choose the host",
        ),
        (
            "file",
            "eu",
            "file has no regions; use `endpoint` to choose the host",
        ),
    ];
    for (kind, region, message) in refused {
        assert_eq!(
            error(&format!(
                "name = \"x\"\nkind = \"{kind}\"\nregion = \"{region}\"\n{}",
                creds(kind)
            )),
            format!("destination `x`: {message}")
        );
    }
    assert_eq!(
        error(
            "name = \"x\"\nkind = \"webhook\"\nregion = \"us\"\nendpoint = \"http://127.0.0.1:9/\""
        ),
        "destination `x`: set `endpoint` or `region`, not both (the endpoint decides the host)"
    );
}

#[test]
fn every_kind_has_its_defaults_and_limits() {
    use DestinationKind as K;
    let secs = Duration::from_secs;
    let table = [
        (K::Webhook, "webhook", 1, Some(4000), secs(5), vec![]),
        (
            K::Segment,
            "segment",
            100,
            Some(2500),
            secs(10),
            vec![Region::Us, Region::Eu],
        ),
        (
            K::Amplitude,
            "amplitude",
            1000,
            Some(2000),
            secs(10),
            vec![Region::Us, Region::Eu],
        ),
        (
            K::Mixpanel,
            "mixpanel",
            2000,
            Some(2000),
            secs(10),
            vec![Region::Us, Region::Eu, Region::In],
        ),
        (K::Ga4, "ga4", 25, Some(25), secs(10), vec![]),
        (
            K::Posthog,
            "posthog",
            1000,
            Some(100_000),
            secs(10),
            vec![Region::Us, Region::Eu],
        ),
        (K::File, "file", 1000, Some(100_000), secs(10), vec![]),
    ];
    assert_eq!(DestinationKind::ALL.len(), table.len());
    for (kind, (expected, name, batch, max, timeout, regions)) in
        DestinationKind::ALL.into_iter().zip(table)
    {
        assert_eq!(kind, expected);
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
        let parsed: DestinationKind =
            serde_json::from_value(serde_json::Value::String(name.to_string())).unwrap();
        assert_eq!(parsed, kind);
        assert_eq!(kind.default_batch_size(), batch, "{kind}");
        assert_eq!(kind.max_batch_size(), max, "{kind}");
        assert_eq!(kind.default_timeout(), timeout, "{kind}");
        assert_eq!(kind.regions().to_vec(), regions, "{kind}");
    }
}

#[test]
fn timeouts_read_numbers_and_units() {
    assert_eq!(parse_timeout("5s"), Some(Duration::from_secs(5)));
    assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_timeout("1.5"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_timeout("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_timeout("0"), None);
    assert_eq!(parse_timeout("-1s"), None);
    assert_eq!(parse_timeout("soon"), None);
    let d = resolve("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\ntimeout = 0.25")
        .unwrap();
    assert_eq!(d.timeout, Duration::from_millis(250));
}

#[test]
fn duplicates_and_lookups() {
    let a = config("name = \"a\"\nkind = \"webhook\"\nendpoint = \"http://x/\"");
    let b = config("name = \"b\"\nkind = \"file\"\npath = \"out.ndjson\"");
    let err = resolve_all_with(&[a.clone(), b.clone(), a.clone()], &env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "destination `a` is configured twice; names must be unique"
    );
    let all = resolve_all_with(&[a, b], &env).unwrap();
    assert_eq!(find(&all, "b").unwrap().kind, DestinationKind::File);
    assert_eq!(
        find(&all, "x").unwrap_err().to_string(),
        "no destination `x`; configured: a, b"
    );
    assert!(
        find(&[], "x")
            .unwrap_err()
            .to_string()
            .contains("none is configured")
    );
    let file = find(&all, "b").unwrap();
    assert!(file.file.as_ref().unwrap().is_absolute());
    assert!(
        file.url.starts_with("file:///") && file.url.ends_with("/out.ndjson"),
        "{}",
        file.url
    );
}

#[test]
fn every_secret_form_is_masked() {
    let d = resolve(
        "name = \"s\"\nkind = \"segment\"\nwrite_key = \"env:SEGMENT_KEY\"\nheaders = { X-Team = \"env:TEAM_TOKEN\", X-Plain = \"visible\" }",
    )
    .unwrap();
    let key = "wk_0123456789abcdef";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    let text = format!("key={key} auth=Basic {basic} team=tt_abcdefghijklmnop plain=visible");
    let masked = d.mask(&text);
    assert!(!masked.contains(key), "{masked}");
    assert!(!masked.contains(&basic), "{masked}");
    assert!(!masked.contains("tt_abcdefghijklmnop"), "{masked}");
    assert!(
        masked.contains("wk_0…cdef") && masked.contains("plain=visible"),
        "{masked}"
    );
    // Debug output never shows a credential either.
    let debug = format!("{d:?}");
    assert!(!debug.contains(key), "{debug}");

    let g = resolve(
        "name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G-1\"\napi_secret = \"sec ret/+=value\"",
    )
    .unwrap();
    let masked = g.mask(&g.url);
    assert!(
        !masked.contains("sec+ret") && !masked.contains("sec%20ret"),
        "{masked}"
    );
    assert!(masked.contains("measurement_id=G-1"), "{masked}");
}

#[test]
fn preview_masks_and_cuts() {
    let d =
        resolve("name = \"a\"\nkind = \"amplitude\"\napi_key = \"amp_key_0123456789\"").unwrap();
    let big = "x".repeat(PREVIEW_BYTES * 2);
    let body = format!("{{\"api_key\":\"amp_key_0123456789\",\"pad\":\"{big}\"}}");
    let request = Request {
        method: "POST".into(),
        url: d.url.clone(),
        headers: vec![("X-Key".into(), "amp_key_0123456789".into())],
        body: body.clone().into_bytes(),
        carries: Vec::new(),
    };
    let preview = d.preview(&request);
    assert_eq!(preview.body_bytes, body.len() as u64);
    assert!(preview.body.len() <= PREVIEW_BYTES);
    assert!(!preview.body.contains("amp_key_0123456789"));
    assert!(
        preview.body.starts_with("{\"api_key\":\"amp_…6789\""),
        "{}",
        &preview.body[..40]
    );
    assert_eq!(preview.headers[0].1, "amp_…6789");
}
