use super::*;
use crate::inspect::Inspector;

/// Real user agents, as their senders write them, and what each is.
const BOTS: &[(&str, BotCategory, &str)] = &[
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        BotCategory::Crawler,
        "Googlebot",
    ),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        BotCategory::Crawler,
        "Googlebot",
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        BotCategory::Crawler,
        "bingbot",
    ),
    (
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        BotCategory::Crawler,
        "AhrefsBot",
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot",
        BotCategory::Crawler,
        "GPTBot",
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        BotCategory::Crawler,
        "ClaudeBot",
    ),
    (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        BotCategory::Crawler,
        "facebookexternalhit",
    ),
    (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        BotCategory::Crawler,
        "YandexBot",
    ),
    (
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        BotCategory::Monitor,
        "UptimeRobot",
    ),
    (
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        BotCategory::Monitor,
        "Pingdom",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/61.0.3163.100 Safari/537.36 PingdomPageSpeed/1.0 (pingbot/2.0; +http://www.pingdom.com/)",
        BotCategory::Monitor,
        "Pingdom",
    ),
    (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        BotCategory::Monitor,
        "Chrome-Lighthouse",
    ),
    (
        "Datadog/Synthetics",
        BotCategory::Monitor,
        "Datadog/Synthetics",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
        BotCategory::Headless,
        "HeadlessChrome",
    ),
    (
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        BotCategory::Headless,
        "PhantomJS",
    ),
    (
        "Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/22.1.0",
        BotCategory::Headless,
        "jsdom/",
    ),
    ("curl/8.4.0", BotCategory::Library, "curl/"),
    (
        "python-requests/2.31.0",
        BotCategory::Library,
        "python-requests",
    ),
    ("Go-http-client/2.0", BotCategory::Library, "Go-http-client"),
    ("axios/1.6.2", BotCategory::Library, "axios/"),
    (
        "Apache-HttpClient/4.5.14 (Java/17.0.9)",
        BotCategory::Library,
        "Apache-HttpClient",
    ),
    (
        "PostmanRuntime/7.36.0",
        BotCategory::Library,
        "PostmanRuntime",
    ),
    ("Wget/1.21.4", BotCategory::Library, "Wget/"),
    (
        "Mozilla/5.0 (compatible; NewShinyCrawler/0.3; +https://example.org/crawler)",
        BotCategory::Bot,
        "NewShinyCrawler",
    ),
    ("SomeRandomBot/1.0", BotCategory::Bot, "SomeRandomBot"),
];

/// Real browsers, apps and SDKs: people, or a back end sending for them.
const PEOPLE: &[&str] = &[
    // Chrome, Firefox, Safari and Edge on the desktop.
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
    // Mobile browsers.
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
    // A Cubot phone: "bot" in its model, a person holding it.
    "Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    // In-app web views and native apps (analytics-ios and analytics-android send these).
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.38.109;FBBV/541167950]",
    "Shop/5.12.0 (iPhone; iOS 17.1.1; Scale/3.00)",
    "Shop/5.12.0 CFNetwork/1474 Darwin/23.0.0",
    "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)",
    // OkHttp is every Android app's default user agent: its users are people.
    "okhttp/4.12.0",
    // Segment's server library, sending for a real back end.
    "analytics-node-next/latest (node.js/v20.10.0)",
];

#[test]
fn the_embedded_table_compiles() {
    let table = Classifier::parse(TABLE).unwrap();
    assert!(table.lines.len() > 100, "{}", table.lines.len());
}

#[test]
fn real_bot_user_agents_get_their_category_and_token() {
    let classifier = Classifier::embedded();
    for (user_agent, category, token) in BOTS {
        let bot = classifier
            .classify(user_agent)
            .unwrap_or_else(|| panic!("not a bot: {user_agent}"));
        assert_eq!(
            (bot.category, bot.token.as_str()),
            (*category, *token),
            "{user_agent}"
        );
    }
}

#[test]
fn real_browsers_apps_and_sdks_are_no_bots() {
    let classifier = Classifier::embedded();
    for user_agent in PEOPLE {
        assert_eq!(classifier.classify(user_agent), None, "{user_agent}");
    }
}

#[test]
fn a_bad_table_line_is_named() {
    let err = Classifier::parse("# fine\ncrawler\tgoodbot\nrobot\tx\n").err();
    assert_eq!(err.map(|e| e.line), Some(3));
    let err = Classifier::parse("crawler\t(unclosed\n").err();
    assert_eq!(err.map(|e| e.line), Some(1));
    let err = Classifier::parse("no tab here\n").err();
    assert!(err.is_some_and(|e| e.message.contains("category<TAB>pattern")));
}

fn findings(inspector: &Inspector, message: &str) -> Vec<Finding> {
    inspector
        .inspect_text(message)
        .into_iter()
        .filter(|f| f.kind == Kind::Traffic)
        .collect()
}

#[test]
fn a_bot_page_view_gets_an_info_finding_naming_the_category_and_token() {
    let message = r#"{"type":"page","name":"Home","anonymousId":"a1","context":{"userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}}"#;
    let found = findings(&Inspector::default(), message);
    assert_eq!(found.len(), 1, "{found:?}");
    let finding = &found[0];
    assert_eq!(finding.rule, RULE);
    assert_eq!(finding.severity, Severity::Info);
    assert_eq!(finding.path, "context.userAgent");
    assert!(finding.message.contains("a crawler"), "{}", finding.message);
    assert!(
        finding.message.contains("`Googlebot`"),
        "{}",
        finding.message
    );
    assert_eq!(finding.actual.as_deref(), Some("crawler `Googlebot`"));
    // A person's page view: none.
    let person = r#"{"type":"page","name":"Home","anonymousId":"a1","context":{"userAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"}}"#;
    assert!(findings(&Inspector::default(), person).is_empty());
    // No user agent at all (a server library's track): none.
    let server = r#"{"type":"track","event":"Order Completed","userId":"u1","context":{"library":{"name":"analytics-node","version":"2.1.0"}}}"#;
    assert!(findings(&Inspector::default(), server).is_empty());
}

#[test]
fn a_headless_brand_in_user_agent_data_tells_when_the_string_does_not() {
    let message = r#"{"type":"page","anonymousId":"a1","context":{"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","userAgentData":{"brands":[{"brand":"Not_A Brand","version":"8"},{"brand":"HeadlessChrome","version":"120"}],"mobile":false,"platform":"Linux"}}}"#;
    let found = findings(&Inspector::default(), message);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "context.userAgentData.brands");
    assert!(found[0].message.contains("a headless browser"));
}

#[test]
fn the_severity_is_configurable_and_off_means_no_finding() {
    let message =
        r#"{"type":"track","event":"Ping","userId":"u","context":{"userAgent":"curl/8.4.0"}}"#;
    let mut inspector = Inspector::default();
    inspector.traffic.bot = Some(Severity::Warning);
    let found = findings(&inspector, message);
    assert_eq!(found[0].severity, Severity::Warning);
    inspector.traffic.bot = None;
    assert!(findings(&inspector, message).is_empty());
}
