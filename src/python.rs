//! Floats printed as Python prints them (`repr`): the micrograd lecture's numbers
//! (`notebooks/part0_micrograd/`) read digit for digit as in its notebook, `-8.0` and
//! `2.999378523327323e-06`, where Rust's `{}` prints `-8` and `0.000002999378523327323`.

/// `repr(x)` of a Python float: the shortest digits that read back as `x` (as Rust's `{}`), with
/// `.0` on whole numbers, in exponent form (`1e-05`, `1.5e+16`) below 1e-4 and from 1e16 up.
pub fn repr(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // `{:e}` gives the shortest digits too: "-2.999378523327323e-6"
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let point = exp + 1; // digits before the decimal point
    if !(-3..=16).contains(&point) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{rest}e{esign}{:02}", exp.abs());
    }
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{sign}{digits}{}.0", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    }
}

/// `f"{x:.{digits}e}"` as Python formats it: `6.0000e-05`, where Rust's `{:.4e}` prints
/// `6.0000e-5` (the exponent signed, at least two digits).
pub fn format_e(x: f64, digits: usize) -> String {
    let rust = format!("{x:.digits$e}");
    match rust.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.abs())
        }
        None => rust, // inf, nan
    }
}

#[cfg(test)]
mod tests {
    use super::repr;

    #[test]
    fn floats_print_as_pythons_repr() {
        // each right side is what CPython 3.11 prints for `repr(x)`
        let cases: [(f64, &str); 16] = [
            (-8.0, "-8.0"),
            (20.0, "20.0"),
            (2.999378523327323e-06, "2.999378523327323e-06"),
            (0.7071066904050358, "0.7071066904050358"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-05, "1.5e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e16, "1.2345e+16"),
            (123.456, "123.456"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (5e-324, "5e-324"),
        ];
        for (x, want) in cases {
            assert_eq!(repr(x), want, "repr of {x:e}");
        }
    }

    #[test]
    fn format_e_writes_pythons_exponent() {
        assert_eq!(super::format_e(6e-4 * 0.1, 4), "6.0000e-05"); // f"{6e-4 * 0.1:.4e}"
        assert_eq!(super::format_e(123456.0, 2), "1.23e+05");
        assert_eq!(super::format_e(0.0, 1), "0.0e+00");
    }
}
