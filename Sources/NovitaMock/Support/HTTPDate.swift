/// Civil-time formatting without Foundation's formatters: the S3 `X-Amz-Date` form and HTTP's
/// IMF-fixdate, both UTC.
enum HTTPDate {
    /// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a civil date.
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func parts(_ epochMs: Int64) -> (Int64, Int, Int, Int64, Int64, Int64, Int) {
        let seconds = epochMs >= 0 ? epochMs / 1000 : (epochMs - 999) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        let (y, m, d) = civil(fromDays: days)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday; 0 = Sunday
        return (y, m, d, rest / 3600, rest / 60 % 60, rest % 60, weekday)
    }

    /// `yyyyMMddTHHmmssZ`, the `X-Amz-Date` form.
    static func amzDate(_ epochMs: Int64) -> String {
        let (y, m, d, h, mi, s, _) = parts(epochMs)
        return pad(y, 4) + pad(Int64(m), 2) + pad(Int64(d), 2) + "T" + pad(h, 2) + pad(mi, 2) + pad(s, 2) + "Z"
    }

    /// Parses the `X-Amz-Date` form back to epoch milliseconds.
    static func parseAmzDate(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        guard chars.count == 16, chars[8] == UInt8(ascii: "T"), chars[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for c in chars[range] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int64(c - 0x30)
            }
            return value
        }
        guard let y = number(0..<4), let m = number(4..<6), let d = number(6..<8), let h = number(9..<11),
            let mi = number(11..<13), let s = number(13..<15), (1...12).contains(m), (1...31).contains(d), h < 24,
            mi < 60, s < 61
        else { return nil }
        let days = days(year: y, month: Int(m), day: Int(d))
        return ((days * 86400) + h * 3600 + mi * 60 + s) * 1000
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func imfFixdate(_ epochMs: Int64) -> String {
        let (y, m, d, h, mi, s, weekday) = parts(epochMs)
        return
            "\(weekdays[weekday]), \(pad(Int64(d), 2)) \(months[m - 1]) \(pad(y, 4)) \(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)) GMT"
    }

    /// ISO 8601 with milliseconds, for logs and the control plane.
    static func iso8601(_ epochMs: Int64) -> String {
        let (y, m, d, h, mi, s, _) = parts(epochMs)
        let ms = ((epochMs % 1000) + 1000) % 1000
        return
            "\(pad(y, 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }
}
