//! Paper when the network is down (issue 19): the numbers printed on a batch of intake
//! and hand-out slips. A number names the site and a random batch, so printing slips twice
//! never gives two families one number (a slip entered twice records once, so a number
//! shared by two families would lose one of them).

use rand::Rng;

/// How many slips one print makes at most.
pub const MAX_SLIPS: usize = 50;

/// The numbers of a new batch of `count` slips for a site with this code: `DRUID-K7M2-01` …
pub fn slip_numbers(site_code: &str, count: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let batch: String = (0..4).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    let code: String =
        site_code.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect::<String>().to_uppercase();
    (1..=count.clamp(1, MAX_SLIPS)).map(|n| format!("{code}-{batch}-{n:02}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_numbered_in_order_and_two_batches_differ() {
        let a = slip_numbers("druid-1", 3);
        assert_eq!(a.len(), 3);
        assert!(a[0].starts_with("DRUID1-") && a[0].ends_with("-01") && a[2].ends_with("-03"), "{a:?}");
        let b = slip_numbers("druid-1", 3);
        assert_ne!(a[0], b[0], "a second print is another batch");
        assert_eq!(slip_numbers("x", 500).len(), MAX_SLIPS);
        assert!(a.iter().all(|n| n.len() <= 40), "fits the slip field");
    }
}
