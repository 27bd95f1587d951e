//! A string's profile: one pass over its bytes (16 at a time) that counts digits and notes the
//! marker bytes (`@`, `eyJ`'s `J`, `_`…) each value matcher needs, so most matchers never look.

/// What one pass over a string's bytes tells: how many digits, and which of the bytes that
/// start a match it holds.
pub(super) struct Profile {
    pub(super) digits: usize,
    pub(super) flags: u16,
}

pub(super) const C_COLON: u16 = 1;
pub(super) const C_AT: u16 = 1 << 1;
pub(super) const C_PERCENT: u16 = 1 << 2;
pub(super) const C_DOT: u16 = 1 << 4;
pub(super) const C_J: u16 = 1 << 5;
pub(super) const C_UNDERSCORE: u16 = 1 << 6;
pub(super) const C_DASH: u16 = 1 << 7;
pub(super) const C_X: u16 = 1 << 8;
pub(super) const C_UPPER_A: u16 = 1 << 9;
pub(super) const C_SPACE: u16 = 1 << 10;
pub(super) const C_UPPER: u16 = 1 << 11;
pub(super) const C_B: u16 = 1 << 12;

const F_AT: u8 = 1;
const F_PERCENT: u8 = 1 << 1;
const F_DOT: u8 = 1 << 2;
const F_J: u8 = 1 << 3;
const F_UNDERSCORE: u8 = 1 << 4;
const F_DASH: u8 = 1 << 5;
const F_X: u8 = 1 << 6;
const F_SPACE: u8 = 1 << 7;
const G_UPPER_A: u8 = 1;
const G_UPPER: u8 = 1 << 1;
const G_DIGIT: u8 = 1 << 2;
const G_COLON: u8 = 1 << 3;
const G_B: u8 = 1 << 4;

/// Per byte: (F flags, G flags), for the tail of a string.
static BYTE_CLASS: [(u8, u8); 256] = {
    let mut table = [(0u8, 0u8); 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let upper = if b.is_ascii_uppercase() { G_UPPER } else { 0 };
        let (f, g) = match b {
            b'0'..=b'9' => (0, G_DIGIT),
            b':' => (0, G_COLON),
            b'@' => (F_AT, 0),
            b'%' => (F_PERCENT, 0),
            b'.' => (F_DOT, 0),
            b'J' => (F_J, 0),
            b'_' => (F_UNDERSCORE, 0),
            b'-' => (F_DASH, 0),
            b'x' => (F_X, 0),
            b' ' => (F_SPACE, 0),
            b'A' => (0, G_UPPER_A),
            b'B' | b'b' => (0, G_B),
            _ => (0, 0),
        };
        table[c] = (f, g | upper);
        c += 1;
    }
    table
};

impl Profile {
    /// Whole 16-byte blocks with byte-wide lanes the compiler vectorises (counts summed every
    /// 15 blocks, before a lane can overflow), the tail through a table.
    #[inline]
    pub(super) fn of(b: &[u8]) -> Profile {
        let mut digits = 0usize;
        let (mut f, mut g) = (0u8, 0u8);
        let blocks = b.chunks_exact(16);
        let tail = blocks.remainder();
        for group in b[..b.len() - tail.len()].chunks(16 * 15) {
            let (mut d, mut fl, mut gl) = ([0u8; 16], [0u8; 16], [0u8; 16]);
            for block in group.chunks_exact(16) {
                for k in 0..16 {
                    let c = block[k];
                    let digit = c.wrapping_sub(b'0') < 10;
                    d[k] += u8::from(digit);
                    fl[k] |= u8::from(c == b'@')
                        | u8::from(c == b'%') << 1
                        | u8::from(c == b'.') << 2
                        | u8::from(c == b'J') << 3
                        | u8::from(c == b'_') << 4
                        | u8::from(c == b'-') << 5
                        | u8::from(c == b'x') << 6
                        | u8::from(c == b' ') << 7;
                    gl[k] |= u8::from(c == b'A')
                        | u8::from(c.wrapping_sub(b'A') < 26) << 1
                        | u8::from(c == b':') << 3
                        | u8::from(c | 0x20 == b'b') << 4;
                }
            }
            digits += d.iter().map(|&x| usize::from(x)).sum::<usize>();
            f |= fl.iter().fold(0, |a, &x| a | x);
            g |= gl.iter().fold(0, |a, &x| a | x);
        }
        for &c in tail {
            let (cf, cg) = BYTE_CLASS[usize::from(c)];
            f |= cf;
            g |= cg;
            digits += usize::from(cg & G_DIGIT != 0);
        }
        let bit = |set: bool, bit: u16| if set { bit } else { 0 };
        let flags = bit(f & F_AT != 0, C_AT)
            | bit(f & F_PERCENT != 0, C_PERCENT)
            | bit(f & F_DOT != 0, C_DOT)
            | bit(f & F_J != 0, C_J)
            | bit(f & F_UNDERSCORE != 0, C_UNDERSCORE)
            | bit(f & F_DASH != 0, C_DASH)
            | bit(f & F_X != 0, C_X)
            | bit(f & F_SPACE != 0, C_SPACE)
            | bit(g & G_UPPER_A != 0, C_UPPER_A)
            | bit(g & G_UPPER != 0, C_UPPER)
            | bit(g & G_COLON != 0, C_COLON)
            | bit(g & G_B != 0, C_B);
        Profile { digits, flags }
    }
}

/// Where `needle` starts in `s`, left to right, not overlapping: a `memchr` for its byte at
/// `anchor` (pick a rare one), then a comparison.
pub(super) fn find_all<'s, const N: usize>(
    s: &'s str,
    needle: &'static [u8; N],
    anchor: usize,
) -> impl Iterator<Item = usize> + 's {
    let b = s.as_bytes();
    let mut from = anchor;
    std::iter::from_fn(move || {
        loop {
            let hit = from + s.get(from..)?.find(char::from(needle[anchor]))?;
            from = hit + 1;
            let start = hit - anchor;
            if b.get(start..start + N).is_some_and(|w| w == needle) {
                from = start + N + anchor;
                return Some(start);
            }
        }
    })
}
