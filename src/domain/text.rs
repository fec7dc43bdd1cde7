//! Which characters the program stores. Names such as O'Brien-Núñez, any script, and text
//! that merely looks hostile (`<script>`) are stored exactly and shown escaped. What is
//! refused is what no person types and what changes how other text reads: the C0 control
//! characters (NUL among them, which PostgreSQL cannot store in text at all) and DEL, the
//! C1 controls, and the bidirectional overrides and isolates that can make "evil.exe" read
//! as "exe.live". Tab and line breaks are allowed only in multi-line text (notes, reasons).
//!
//! Every input surface applies it: JSON bodies (`api::body`), form bodies (`web::fields`),
//! paths and query strings (`web::input`), and the domain's single-line fields.

/// The first character of `text` the program will not store, if any.
pub fn refused_char(text: &str, multi_line: bool) -> Option<char> {
    text.chars().find(|&c| is_refused(c, multi_line))
}

/// Whether a character is refused (`multi_line`: tab, line feed and carriage return are allowed).
pub fn is_refused(c: char, multi_line: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => !multi_line,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// The sentence for a field that holds a refused character: what it is, and what to do.
pub fn refusal(c: char) -> String {
    let what = match c {
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            format!("an invisible character that changes the direction of text (U+{:04X})", c as u32)
        }
        _ => format!("an invisible control character (U+{:04X})", c as u32),
    };
    format!("This contains {what}, which cannot be stored here. Type the text again without it.")
}

/// `Err(sentence)` when single-line text holds a refused character.
pub fn check_single_line(text: &str) -> Result<(), String> {
    refused_char(text, false).map_or(Ok(()), |c| Err(refusal(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_names_pass_and_invisible_controls_do_not() {
        for ok in ["O'Brien-Núñez", "<script>alert(1)</script>", "Nguyễn Thị Minh", "محمد", "李小龍", "Zoë 😀"]
        {
            assert_eq!(refused_char(ok, false), None, "{ok}");
        }
        assert_eq!(refused_char("a\u{0}b", true), Some('\u{0}'));
        assert_eq!(refused_char("Ann\u{202e}gpj.exe", true), Some('\u{202e}'));
        assert_eq!(refused_char("x\u{2066}y", true), Some('\u{2066}'));
        assert_eq!(refused_char("bell\u{7}", true), Some('\u{7}'));
        assert_eq!(refused_char("c1\u{85}", true), Some('\u{85}'));
        assert_eq!(refused_char("del\u{7f}", true), Some('\u{7f}'));
        assert_eq!(refused_char("two\nlines\tand tab", true), None, "multi-line text keeps its breaks");
        assert_eq!(refused_char("two\nlines", false), Some('\n'));
        assert!(refusal('\u{0}').contains("U+0000"));
        assert!(refusal('\u{202e}').contains("direction"));
    }
}
