/// The built-in copy of `fixtures/nsfw-terms.json` (a test keeps the two identical), so the
/// binary needs no files at run time.
enum BuiltInNSFWTerms {
    static let json = #"""
        {
          "description": "Prompt terms the mock's NSFW detection flags, by the lowest nsfw_detection_level that flags them (docs/contract.md §8). Level n flags the terms of levels 0..n. Matching is per word, case-insensitive, plural 's' allowed.",
          "levels": [
            ["nude", "nudes", "naked", "nudity", "nsfw", "porn", "porno", "pornographic", "sex", "sexual", "intercourse", "erotic", "hentai", "xxx", "genitals", "dildo", "vibrator", "swastika", "nazi", "kkk"],
            ["topless", "lingerie", "kissing", "kiss", "bottomless", "nipples", "cleavage", "undressed", "see-through", "sheer"],
            ["bikini", "swimsuit", "swimwear", "underwear", "bra", "panties", "briefs", "trunks", "speedo", "thong"]
          ]
        }
        """#
}
