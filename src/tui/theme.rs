//! Themes: a UI palette (`themes/NAME.toml`) and a syntect theme for the JSON payload
//! (`themes/NAME.tmTheme`), both built into the binary, with colors converted once for the
//! terminal's color support.
//!
//! In [`ColorMode::NoColor`] no style carries a color: [`Theme::style`] falls back to
//! modifiers (selection `REVERSED`, matches `UNDERLINED`…), so everything stays visible.

use std::io::Cursor;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// What the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    /// 24-bit colors.
    TrueColor,
    /// The 16 ANSI colors, which every terminal has (and whose exact shades it chooses).
    Ansi16,
    /// No colors at all: only bold, reversed, underlined…
    NoColor,
}

impl ColorMode {
    /// `NO_COLOR` set and non-empty → `NoColor`; `COLORTERM` `truecolor` or `24bit` →
    /// `TrueColor`; otherwise `Ansi16`.
    pub fn detect() -> ColorMode {
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        ColorMode::from_env(var("NO_COLOR").as_deref(), var("COLORTERM").as_deref())
    }

    /// [`ColorMode::detect`] over given values of `NO_COLOR` and `COLORTERM`.
    pub fn from_env(no_color: Option<&str>, colorterm: Option<&str>) -> ColorMode {
        if no_color.is_some_and(|v| !v.is_empty()) {
            ColorMode::NoColor
        } else if colorterm
            .is_some_and(|v| v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit"))
        {
            ColorMode::TrueColor
        } else {
            ColorMode::Ansi16
        }
    }

    /// A mode by name, for a command-line option: `truecolor` (`24bit`), `16` (`ansi16`,
    /// `ansi`), `none` (`no-color`, `never`).
    pub fn from_name(name: &str) -> Option<ColorMode> {
        match name.to_ascii_lowercase().as_str() {
            "truecolor" | "24bit" => Some(ColorMode::TrueColor),
            "16" | "ansi16" | "ansi" => Some(ColorMode::Ansi16),
            "none" | "no-color" | "nocolor" | "never" => Some(ColorMode::NoColor),
            _ => None,
        }
    }
}

/// The UI's named colors, already converted for the theme's [`ColorMode`] (all
/// `Color::Reset` in `NoColor`). Prefer [`Theme::style`], which also knows what to do
/// without colors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiPalette {
    pub fg: Color,
    pub bg: Color,
    pub muted: Color,
    pub accent: Color,
    pub header_fg: Color,
    pub header_bg: Color,
    pub selected_bg: Color,
    pub selected_fg: Color,
    pub border: Color,
    pub rejected: Color,
    pub gap: Color,
    pub match_bg: Color,
    pub match_fg: Color,
    pub error: Color,
    pub warning: Color,
    pub info: Color,
    pub pii: Color,
    pub live: Color,
    pub paused: Color,
    /// The source column's colours (never empty), one per source by a hash of its name.
    pub sources: Vec<Color>,
}

/// A loaded theme.
#[derive(Clone, Debug)]
pub struct Theme {
    pub name: String,
    pub ui: UiPalette,
    /// For the JSON payload; its colors are converted when highlighting.
    pub payload: syntect::highlighting::Theme,
    pub mode: ColorMode,
}

/// What a piece of the UI is, for [`Theme::style`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Ordinary text on the pane background.
    Base,
    Muted,
    Accent,
    Header,
    Selected,
    Border,
    Rejected,
    Gap,
    /// A search or filter match.
    Match,
    Error,
    Warning,
    Info,
    Pii,
    Live,
    Paused,
}

impl Role {
    pub const ALL: [Role; 15] = [
        Role::Base,
        Role::Muted,
        Role::Accent,
        Role::Header,
        Role::Selected,
        Role::Border,
        Role::Rejected,
        Role::Gap,
        Role::Match,
        Role::Error,
        Role::Warning,
        Role::Info,
        Role::Pii,
        Role::Live,
        Role::Paused,
    ];
}

impl Theme {
    /// The style for a role: the palette's colors, or in `NoColor` modifiers only.
    pub fn style(&self, role: Role) -> Style {
        let ui = &self.ui;
        let fg = |color: Color| Style::new().fg(color);
        if self.mode == ColorMode::NoColor {
            return match role {
                Role::Base | Role::Border | Role::Info => Style::new(),
                Role::Muted => Style::new().add_modifier(Modifier::DIM),
                Role::Accent | Role::Rejected | Role::Error | Role::Warning | Role::Live => {
                    Style::new().add_modifier(Modifier::BOLD)
                }
                Role::Header => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                Role::Selected | Role::Paused => Style::new().add_modifier(Modifier::REVERSED),
                Role::Gap => Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC),
                Role::Match => Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
                Role::Pii => Style::new().add_modifier(Modifier::UNDERLINED),
            };
        }
        match role {
            Role::Base => fg(ui.fg).bg(ui.bg),
            Role::Muted => fg(ui.muted),
            Role::Accent => fg(ui.accent),
            Role::Header => fg(ui.header_fg)
                .bg(ui.header_bg)
                .add_modifier(Modifier::BOLD),
            Role::Selected => fg(ui.selected_fg).bg(ui.selected_bg),
            Role::Border => fg(ui.border),
            Role::Rejected => fg(ui.rejected),
            Role::Gap => fg(ui.gap).add_modifier(Modifier::ITALIC),
            Role::Match => fg(ui.match_fg).bg(ui.match_bg),
            Role::Error => fg(ui.error).add_modifier(Modifier::BOLD),
            Role::Warning => fg(ui.warning),
            Role::Info => fg(ui.info),
            Role::Pii => fg(ui.pii),
            Role::Live => fg(ui.live).add_modifier(Modifier::BOLD),
            Role::Paused => fg(ui.paused).add_modifier(Modifier::BOLD),
        }
    }

    /// The source colour for a source whose name hashes to `hash` (plain in `NoColor`).
    pub fn source_style(&self, hash: u64) -> Style {
        let colors = &self.ui.sources;
        match colors.len() {
            0 => self.style(Role::Muted),
            n => self.fg(colors[(hash % n as u64) as usize]),
        }
    }

    /// A key as the popups name it in their hints (`Enter`, `Esc`): accent, bold.
    pub fn key(&self, key: &str) -> ratatui::text::Span<'static> {
        ratatui::text::Span::styled(
            key.to_string(),
            self.style(Role::Accent).add_modifier(Modifier::BOLD),
        )
    }

    /// A foreground-only style in `color`, or no style in `NoColor` (for text drawn on
    /// backgrounds the caller chose).
    pub fn fg(&self, color: Color) -> Style {
        match self.mode {
            ColorMode::NoColor => Style::new(),
            _ => Style::new().fg(color),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme `{name}`; built-in themes: {known}")]
    Unknown { name: String, known: String },
    #[error("theme `{theme}`: palette: {message}")]
    Palette { theme: String, message: String },
    #[error("theme `{theme}`: payload theme: {message}")]
    Payload { theme: String, message: String },
}

struct Builtin {
    name: &'static str,
    palette: &'static str,
    payload: &'static str,
}

const BUILTINS: [Builtin; 3] = [
    Builtin {
        name: "dark",
        palette: include_str!("../../themes/dark.toml"),
        payload: include_str!("../../themes/dark.tmTheme"),
    },
    Builtin {
        name: "light",
        palette: include_str!("../../themes/light.toml"),
        payload: include_str!("../../themes/light.tmTheme"),
    },
    Builtin {
        name: "high-contrast",
        palette: include_str!("../../themes/high-contrast.toml"),
        payload: include_str!("../../themes/high-contrast.tmTheme"),
    },
];

/// `dark`, `light`, `high-contrast`; the first is the default.
pub fn builtin_theme_names() -> &'static [&'static str] {
    &["dark", "light", "high-contrast"]
}

/// A built-in theme, converted for `mode`.
pub fn load_theme(name: &str, mode: ColorMode) -> Result<Theme, ThemeError> {
    let builtin = BUILTINS
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| ThemeError::Unknown {
            name: name.to_string(),
            known: builtin_theme_names().join(", "),
        })?;
    let palette_error = |message: String| ThemeError::Palette {
        theme: name.to_string(),
        message,
    };
    let file: PaletteFile =
        toml::from_str(builtin.palette).map_err(|e| palette_error(e.to_string()))?;
    let ui = file.convert(mode).map_err(palette_error)?;
    let payload = syntect::highlighting::ThemeSet::load_from_reader(&mut Cursor::new(
        builtin.payload.as_bytes(),
    ))
    .map_err(|e| ThemeError::Payload {
        theme: name.to_string(),
        message: e.to_string(),
    })?;
    Ok(Theme {
        name: name.to_string(),
        ui,
        payload,
        mode,
    })
}

/// An RGB color for `mode`: `Rgb` in true color, the closest of the 16 ANSI colors in
/// `Ansi16`, `Reset` in `NoColor`.
///
/// The ANSI choice goes by hue and lightness rather than plain RGB distance, which would
/// send most pastel theme colors to gray: low-chroma colors become black, bright black, white
/// (ANSI 7) or bright white by lightness; others take the ANSI hue they are closest to, bright
/// when light. Pure red, green, blue, yellow, cyan and magenta map to their ANSI names.
pub fn to_color(rgb: (u8, u8, u8), mode: ColorMode) -> Color {
    match mode {
        ColorMode::TrueColor => Color::Rgb(rgb.0, rgb.1, rgb.2),
        ColorMode::Ansi16 => nearest_ansi(rgb),
        ColorMode::NoColor => Color::Reset,
    }
}

fn nearest_ansi((r, g, b): (u8, u8, u8)) -> Color {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    let lightness = (max + min) / 2.0 / 255.0;
    if chroma < 30.0 {
        return match lightness {
            l if l < 0.18 => Color::Black,
            l if l < 0.6 => Color::DarkGray,
            l if l < 0.87 => Color::Gray,
            _ => Color::White,
        };
    }
    if lightness < 0.12 {
        return Color::Black;
    }
    let hue = if max == r {
        (60.0 * (g - b) / chroma).rem_euclid(360.0)
    } else if max == g {
        60.0 * (b - r) / chroma + 120.0
    } else {
        60.0 * (r - g) / chroma + 240.0
    };
    let bright = lightness > 0.55;
    let pick = |normal: Color, light: Color| if bright { light } else { normal };
    match hue {
        h if !(20.0..340.0).contains(&h) => pick(Color::Red, Color::LightRed),
        h if h < 80.0 => pick(Color::Yellow, Color::LightYellow),
        h if h < 160.0 => pick(Color::Green, Color::LightGreen),
        h if h < 200.0 => pick(Color::Cyan, Color::LightCyan),
        h if h < 260.0 => pick(Color::Blue, Color::LightBlue),
        _ => pick(Color::Magenta, Color::LightMagenta),
    }
}

/// A palette color: `#rrggbb`, an ANSI name (`red`, `bright-black`…; `white` is ANSI 7,
/// `bright-white` ANSI 15) or `default` / `reset`, converted for `mode`.
pub fn parse_color(text: &str, mode: ColorMode) -> Option<Color> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        return Some(to_color((channel(0)?, channel(2)?, channel(4)?), mode));
    }
    let named = match text.to_ascii_lowercase().replace('_', "-").as_str() {
        "default" | "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "white" => Color::Gray,
        "bright-black" | "gray" | "grey" => Color::DarkGray,
        "bright-red" => Color::LightRed,
        "bright-green" => Color::LightGreen,
        "bright-yellow" => Color::LightYellow,
        "bright-blue" => Color::LightBlue,
        "bright-magenta" => Color::LightMagenta,
        "bright-cyan" => Color::LightCyan,
        "bright-white" => Color::White,
        _ => return None,
    };
    Some(match mode {
        ColorMode::NoColor => Color::Reset,
        ColorMode::TrueColor | ColorMode::Ansi16 => named,
    })
}

/// `themes/NAME.toml` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaletteFile {
    fg: String,
    bg: String,
    muted: String,
    accent: String,
    header_fg: String,
    header_bg: String,
    selected_bg: String,
    selected_fg: String,
    border: String,
    rejected: String,
    gap: String,
    match_bg: String,
    match_fg: String,
    error: String,
    warning: String,
    info: String,
    pii: String,
    live: String,
    paused: String,
    sources: Vec<String>,
}

impl PaletteFile {
    fn convert(&self, mode: ColorMode) -> Result<UiPalette, String> {
        let c = |field: &str, text: &str| {
            parse_color(text, mode).ok_or_else(|| format!("`{field}`: bad color `{text}`"))
        };
        Ok(UiPalette {
            fg: c("fg", &self.fg)?,
            bg: c("bg", &self.bg)?,
            muted: c("muted", &self.muted)?,
            accent: c("accent", &self.accent)?,
            header_fg: c("header_fg", &self.header_fg)?,
            header_bg: c("header_bg", &self.header_bg)?,
            selected_bg: c("selected_bg", &self.selected_bg)?,
            selected_fg: c("selected_fg", &self.selected_fg)?,
            border: c("border", &self.border)?,
            rejected: c("rejected", &self.rejected)?,
            gap: c("gap", &self.gap)?,
            match_bg: c("match_bg", &self.match_bg)?,
            match_fg: c("match_fg", &self.match_fg)?,
            error: c("error", &self.error)?,
            warning: c("warning", &self.warning)?,
            info: c("info", &self.info)?,
            pii: c("pii", &self.pii)?,
            live: c("live", &self.live)?,
            paused: c("paused", &self.paused)?,
            sources: if self.sources.is_empty() {
                return Err("`sources`: list at least one color".into());
            } else {
                self.sources
                    .iter()
                    .map(|text| c("sources", text))
                    .collect::<Result<_, _>>()?
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODES: [ColorMode; 3] = [ColorMode::TrueColor, ColorMode::Ansi16, ColorMode::NoColor];

    fn all_colors(ui: &UiPalette) -> [Color; 19] {
        [
            ui.fg,
            ui.bg,
            ui.muted,
            ui.accent,
            ui.header_fg,
            ui.header_bg,
            ui.selected_bg,
            ui.selected_fg,
            ui.border,
            ui.rejected,
            ui.gap,
            ui.match_bg,
            ui.match_fg,
            ui.error,
            ui.warning,
            ui.info,
            ui.pii,
            ui.live,
            ui.paused,
        ]
    }

    #[test]
    fn all_themes_load_in_all_modes() {
        for name in builtin_theme_names() {
            for mode in MODES {
                let theme = load_theme(name, mode).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(theme.name, *name);
                assert_eq!(theme.mode, mode);
                assert!(theme.payload.scopes.len() >= 6, "{name}: payload scopes");
                assert!(theme.payload.settings.background.is_some());
                for color in all_colors(&theme.ui) {
                    match mode {
                        ColorMode::TrueColor => assert!(matches!(color, Color::Rgb(..))),
                        ColorMode::Ansi16 => {
                            assert!(!matches!(color, Color::Rgb(..) | Color::Indexed(_)))
                        }
                        ColorMode::NoColor => assert_eq!(color, Color::Reset),
                    }
                }
            }
        }
    }

    /// Each theme's source colours are several, distinct, and stand out from its background
    /// and its selection (by luminance, in true colour); `NO_COLOR` draws sources plain.
    #[test]
    fn source_colours_are_distinct_and_readable_on_each_theme() {
        let luminance = |color: Color| match color {
            Color::Rgb(r, g, b) => {
                (0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b)) / 255.0
            }
            other => panic!("{other:?}"),
        };
        for name in builtin_theme_names() {
            let theme = load_theme(name, ColorMode::TrueColor).unwrap();
            let ui = &theme.ui;
            assert!(
                ui.sources.len() >= 4,
                "{name}: {} colours",
                ui.sources.len()
            );
            for (i, color) in ui.sources.iter().enumerate() {
                assert!(!ui.sources[..i].contains(color), "{name}: {color:?} twice");
                let contrast = (luminance(*color) - luminance(ui.bg)).abs();
                assert!(
                    contrast > 0.25,
                    "{name}: {color:?} on {:?}: {contrast}",
                    ui.bg
                );
            }
            for hash in 0..12 {
                assert!(theme.source_style(hash).fg.is_some());
            }
            let plain = load_theme(name, ColorMode::NoColor).unwrap();
            assert_eq!(plain.source_style(3), Style::new());
        }
    }

    #[test]
    fn pairs_stay_readable_in_color_modes() {
        for name in builtin_theme_names() {
            for mode in [ColorMode::TrueColor, ColorMode::Ansi16] {
                let ui = load_theme(name, mode).unwrap().ui;
                let pairs = [
                    ("fg/bg", ui.fg, ui.bg),
                    ("muted/bg", ui.muted, ui.bg),
                    ("selected", ui.selected_fg, ui.selected_bg),
                    ("selected/bg", ui.selected_bg, ui.bg),
                    ("header", ui.header_fg, ui.header_bg),
                    ("match", ui.match_fg, ui.match_bg),
                    ("match/selected", ui.match_bg, ui.selected_bg),
                    ("error/bg", ui.error, ui.bg),
                    ("live/paused", ui.live, ui.paused),
                ];
                for (what, a, b) in pairs {
                    assert_ne!(a, b, "{name} {mode:?}: {what}");
                }
            }
        }
    }

    #[test]
    fn unknown_theme_lists_builtins() {
        let err = load_theme("solarized", ColorMode::TrueColor).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("solarized"), "{text}");
        for name in builtin_theme_names() {
            assert!(text.contains(name), "{text}");
        }
    }

    #[test]
    fn nearest_ansi_colors() {
        let cases = [
            ((255, 0, 0), Color::Red),
            ((0, 255, 0), Color::Green),
            ((0, 0, 255), Color::Blue),
            ((255, 255, 0), Color::Yellow),
            ((0, 255, 255), Color::Cyan),
            ((255, 0, 255), Color::Magenta),
            ((0, 0, 0), Color::Black),
            ((255, 255, 255), Color::White),
            ((128, 128, 128), Color::DarkGray),
            ((192, 192, 192), Color::Gray),
            ((255, 128, 128), Color::LightRed),
            ((128, 255, 128), Color::LightGreen),
            ((85, 85, 255), Color::LightBlue),
            ((0, 0, 128), Color::Blue),
            ((128, 0, 0), Color::Red),
            ((255, 165, 0), Color::Yellow),
            ((10, 10, 40), Color::Black),
            ((0x61, 0xaf, 0xef), Color::LightBlue),
            ((0x98, 0xc3, 0x79), Color::LightGreen),
        ];
        for (rgb, expected) in cases {
            assert_eq!(to_color(rgb, ColorMode::Ansi16), expected, "{rgb:?}");
        }
        assert_eq!(
            to_color((255, 0, 0), ColorMode::TrueColor),
            Color::Rgb(255, 0, 0)
        );
        assert_eq!(to_color((255, 0, 0), ColorMode::NoColor), Color::Reset);
    }

    #[test]
    fn palette_colors_parse() {
        let tc = ColorMode::TrueColor;
        assert_eq!(parse_color("#0a0B0c", tc), Some(Color::Rgb(10, 11, 12)));
        assert_eq!(parse_color("red", tc), Some(Color::Red));
        assert_eq!(parse_color("bright-black", tc), Some(Color::DarkGray));
        assert_eq!(parse_color("white", tc), Some(Color::Gray));
        assert_eq!(parse_color("bright-white", tc), Some(Color::White));
        assert_eq!(parse_color("default", tc), Some(Color::Reset));
        assert_eq!(
            parse_color("bright-cyan", ColorMode::Ansi16),
            Some(Color::LightCyan)
        );
        assert_eq!(parse_color("red", ColorMode::NoColor), Some(Color::Reset));
        for bad in ["#12345", "#1234567", "#gg0000", "pink", "", "#"] {
            assert_eq!(parse_color(bad, tc), None, "{bad}");
        }
    }

    #[test]
    fn no_color_styles_carry_no_colors() {
        for name in builtin_theme_names() {
            let theme = load_theme(name, ColorMode::NoColor).unwrap();
            for role in Role::ALL {
                let style = theme.style(role);
                assert_eq!((style.fg, style.bg), (None, None), "{name} {role:?}");
            }
            assert_eq!(theme.fg(theme.ui.accent), Style::new());
            let selected = theme.style(Role::Selected);
            assert!(selected.add_modifier.contains(Modifier::REVERSED));
            let matched = theme.style(Role::Match);
            assert!(matched.add_modifier.contains(Modifier::UNDERLINED));
            // A match inside the selected line is still visible.
            assert_ne!(selected.patch(matched), selected);
        }
    }

    #[test]
    fn color_styles_use_the_palette() {
        let theme = load_theme("dark", ColorMode::TrueColor).unwrap();
        let selected = theme.style(Role::Selected);
        assert_eq!(selected.bg, Some(theme.ui.selected_bg));
        assert_eq!(selected.fg, Some(theme.ui.selected_fg));
        assert_eq!(theme.style(Role::Base).bg, Some(theme.ui.bg));
        assert_eq!(theme.fg(Color::Red), Style::new().fg(Color::Red));
    }

    #[test]
    fn color_mode_detection() {
        use ColorMode::*;
        assert_eq!(ColorMode::from_env(Some("1"), Some("truecolor")), NoColor);
        assert_eq!(ColorMode::from_env(Some(""), Some("truecolor")), TrueColor);
        assert_eq!(ColorMode::from_env(None, Some("24bit")), TrueColor);
        assert_eq!(ColorMode::from_env(None, Some("TrueColor")), TrueColor);
        assert_eq!(ColorMode::from_env(None, Some("yes")), Ansi16);
        assert_eq!(ColorMode::from_env(None, None), Ansi16);
        assert_eq!(ColorMode::from_name("16"), Some(Ansi16));
        assert_eq!(ColorMode::from_name("never"), Some(NoColor));
        assert_eq!(ColorMode::from_name("256"), None);
    }
}
