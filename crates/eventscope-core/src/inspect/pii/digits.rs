//! Digit groups (`+1 (415) 555-9120`, `4507 6952 0601 9579`, `123-45-6789`) and what they can
//! be: a US Social Security number, a payment card (Luhn and issuer prefix) or a phone number.

/// Digit groups read from a position: `+1 (415) 555-9120`, `4507 6952 0601 9579`,
/// `123-45-6789`.
#[derive(Default)]
pub(super) struct Groups {
    pub(super) end: usize,
    plus: bool,
    /// (start, length, in parentheses)
    groups: [(usize, usize, bool); 8],
    pub(super) n: usize,
    /// Too many groups to be any of ours.
    overflow: bool,
    seps: u8,
    digits: usize,
}

const SEP_SPACE: u8 = 1;
const SEP_DASH: u8 = 2;
const SEP_DOT: u8 = 4;
const SEP_PLUS: u8 = 8;

impl Groups {
    #[inline]
    pub(super) fn read(b: &[u8], start: usize) -> Groups {
        let mut g = Groups {
            end: start,
            ..Groups::default()
        };
        let mut i = start;
        if b[i] == b'+' {
            g.plus = true;
            i += 1;
        }
        let digits_end = |from: usize| {
            let mut e = from;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            e
        };
        loop {
            let (gs, len, paren);
            if b.get(i) == Some(&b'(') {
                let e = digits_end(i + 1);
                if e == i + 1 || b.get(e) != Some(&b')') {
                    break;
                }
                (gs, len, paren) = (i + 1, e - i - 1, true);
                i = e + 1;
            } else {
                let e = digits_end(i);
                if e == i {
                    break;
                }
                (gs, len, paren) = (i, e - i, false);
                i = e;
            }
            if g.n < g.groups.len() {
                g.groups[g.n] = (gs, len, paren);
                g.n += 1;
            } else {
                g.overflow = true;
            }
            g.digits += len;
            g.end = i;
            let starts_group = |j: usize| {
                b.get(j).is_some_and(u8::is_ascii_digit)
                    || (b.get(j) == Some(&b'(') && b.get(j + 1).is_some_and(u8::is_ascii_digit))
            };
            match b.get(i) {
                Some(&c @ (b' ' | b'-' | b'.' | b'+')) if starts_group(i + 1) => {
                    g.seps |= match c {
                        b' ' => SEP_SPACE,
                        b'-' => SEP_DASH,
                        b'.' => SEP_DOT,
                        _ => SEP_PLUS,
                    };
                    i += 1;
                }
                Some(c) if paren && c.is_ascii_digit() => {}
                _ => break,
            }
        }
        if g.overflow {
            g.n = 0;
        }
        g
    }

    #[inline]
    fn len(&self, k: usize) -> usize {
        self.groups[k].1
    }

    #[inline]
    fn any_paren(&self) -> bool {
        self.groups[..self.n].iter().any(|g| g.2)
    }

    #[inline]
    fn number(&self, b: &[u8], k: usize) -> u32 {
        let (s, len, _) = self.groups[k];
        b[s..s + len]
            .iter()
            .fold(0, |v, c| v * 10 + u32::from(c - b'0'))
    }

    #[inline]
    fn first_digit(&self, b: &[u8], k: usize) -> u8 {
        b[self.groups[k].0]
    }

    /// `123-45-6789`, without the never-issued ranges (area 000, 666, 900–999; group 00;
    /// serial 0000).
    #[inline]
    pub(super) fn is_ssn(&self, b: &[u8]) -> bool {
        if self.plus
            || self.n != 3
            || self.seps != SEP_DASH
            || self.any_paren()
            || (self.len(0), self.len(1), self.len(2)) != (3, 2, 4)
        {
            return false;
        }
        let area = self.number(b, 0);
        area != 0 && area != 666 && area < 900 && self.number(b, 1) != 0 && self.number(b, 2) != 0
    }

    /// 13–19 digits, one block or 4-digit-led groups split by one kind of separator,
    /// Luhn-valid, with a known issuer prefix.
    #[inline]
    pub(super) fn is_card(&self, b: &[u8]) -> bool {
        if self.plus
            || self.any_paren()
            || !matches!(self.seps, 0 | SEP_SPACE | SEP_DASH)
            || !(13..=19).contains(&self.digits)
            || (self.n > 1
                && (self.len(0) != 4 || (1..self.n).any(|k| !(3..=6).contains(&self.len(k)))))
        {
            return false;
        }
        let mut digits = [0u8; 19];
        let mut n = 0;
        for &(s, len, _) in &self.groups[..self.n] {
            digits[n..n + len].copy_from_slice(&b[s..s + len]);
            n += len;
        }
        luhn(&digits[..n]) && iin_ok(&digits[..n])
    }

    /// `+14155552671`, `+44 20 7946 0958`, `+1 (415) 555-9120`, `(415) 555-9120`,
    /// `415-555-9120`, `1-415-555-9120`, `020 7946 0958`.
    #[inline]
    pub(super) fn is_phone(&self, b: &[u8]) -> bool {
        if self.n == 0 {
            return false;
        }
        if self.plus {
            if self.first_digit(b, 0) == b'0' {
                return false;
            }
            return if self.n == 1 {
                (10..=15).contains(&self.digits)
            } else {
                (9..=15).contains(&self.digits) && self.len(0) <= 4 && self.n <= 6
            };
        }
        // North American: [1] (NPA) NXX-XXXX.
        let off = usize::from(
            self.n == 4 && self.len(0) == 1 && self.first_digit(b, 0) == b'1' && !self.groups[0].2,
        );
        if self.n - off == 3
            && (self.len(off), self.len(off + 1), self.len(off + 2)) == (3, 3, 4)
            && !self.groups[off + 1].2
            && !self.groups[off + 2].2
            && (b'2'..=b'9').contains(&self.first_digit(b, off))
            && (b'2'..=b'9').contains(&self.first_digit(b, off + 1))
        {
            return true;
        }
        // National with a trunk 0: 020 7946 0958, 07700 900123.
        (2..=4).contains(&self.n)
            && self.first_digit(b, 0) == b'0'
            && (2..=5).contains(&self.len(0))
            && (1..self.n).all(|k| (2..=8).contains(&self.len(k)) && !self.groups[k].2)
            && (10..=11).contains(&self.digits)
            && self.seps & !(SEP_SPACE | SEP_DASH) == 0
    }
}

/// The Luhn checksum of ASCII digits.
#[inline]
pub(super) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A known issuer prefix for the number's length: Visa, Mastercard, Amex, Discover, JCB,
/// Diners, UnionPay, Maestro.
#[inline]
pub(super) fn iin_ok(d: &[u8]) -> bool {
    let num = |k: usize| {
        d[..k]
            .iter()
            .fold(0u32, |v, c| v * 10 + u32::from(c - b'0'))
    };
    let len = d.len();
    let (p2, p3, p4) = (num(2), num(3), num(4));
    match d[0] {
        b'4' => matches!(len, 13 | 16 | 19),
        b'5' => {
            ((51..=55).contains(&p2) && len == 16)
                || (matches!(p2, 50 | 56..=58) && (13..=19).contains(&len))
        }
        b'2' => (2221..=2720).contains(&p4) && len == 16,
        b'3' => {
            (matches!(p2, 34 | 37) && len == 15)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&len))
                || (((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39))
                    && (14..=19).contains(&len))
        }
        b'6' => (16..=19).contains(&len) || ((13..=19).contains(&len) && matches!(p2, 63 | 67)),
        _ => false,
    }
}
