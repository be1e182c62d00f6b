import Digests
import OutboundHTTP

/// AWS Signature Version 4 for S3 requests, header form
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
enum AWSSignatureV4 {
    static let algorithm = "AWS4-HMAC-SHA256"
    /// SHA-256 of no bytes, the payload hash of a bodiless request.
    static let emptyPayloadSHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The headers to add to a request so S3 accepts it: `Authorization`, `x-amz-date`,
    /// `x-amz-content-sha256` and, for temporary credentials, `x-amz-security-token`.
    ///
    /// `Host` is signed but not returned: it is `url.hostHeader`, the header OutboundHTTPClient
    /// sends (lowercased, default port dropped).
    ///
    /// - Parameters:
    ///   - url: absolute and path-style, e.g. `http://127.0.0.1:5000/bucket/key`; its path and
    ///     query are canonicalised (decoded, then encoded once by SigV4's rules), so a path built
    ///     with `uriEncode` is signed exactly as sent.
    ///   - headers: every one is signed (typically just `Content-Type`); names are
    ///     case-insensitive and the caller sends them unchanged.
    static func authorizationHeaders(
        method: String, url: OutboundURL, headers: [(name: String, value: String)], payloadSHA256Hex: String,
        region: String, service: String = "s3", credentials: S3Credentials, nowEpochMs: Int64
    ) -> [(name: String, value: String)] {
        let signed = sign(
            method: method, url: url, headers: headers, payloadSHA256Hex: payloadSHA256Hex, region: region,
            service: service, credentials: credentials, nowEpochMs: nowEpochMs)
        var result: [(name: String, value: String)] = [
            ("Authorization", signed.authorization), ("x-amz-date", signed.amzDate),
            ("x-amz-content-sha256", payloadSHA256Hex),
        ]
        if let token = credentials.sessionToken { result.append(("x-amz-security-token", token)) }
        return result
    }

    /// Every intermediate of one signature, for tests and debugging.
    struct Signature {
        var amzDate: String
        var canonicalRequest: String
        var stringToSign: String
        var signedHeaders: String
        var signature: String
        var authorization: String
    }

    static func sign(
        method: String, url: OutboundURL, headers: [(name: String, value: String)], payloadSHA256Hex: String,
        region: String, service: String, credentials: S3Credentials, nowEpochMs: Int64
    ) -> Signature {
        let amzDate = HTTPDate.amzDate(nowEpochMs)
        let dateStamp = String(amzDate.prefix(8))

        var fields: [String: [String]] = [:]
        let computed: Set<String> = [
            "host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization",
        ]
        for header in headers where !computed.contains(header.name.lowercased()) {
            fields[header.name.lowercased(), default: []].append(canonicalValue(header.value))
        }
        let callerHost = headers.first { $0.name.lowercased() == "host" }?.value
        fields["host"] = [canonicalValue(callerHost ?? url.hostHeader)]
        fields["x-amz-date"] = [amzDate]
        fields["x-amz-content-sha256"] = [payloadSHA256Hex]
        if let token = credentials.sessionToken { fields["x-amz-security-token"] = [canonicalValue(token)] }
        let names = fields.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(fields[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            method, canonicalURI(url.path), canonicalQuery(url.query), canonicalHeaders, signedHeaders,
            payloadSHA256Hex,
        ].joined(separator: "\n")
        let scope = "\(dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = [algorithm, amzDate, scope, sha256Hex(canonicalRequest.utf8)]
            .joined(separator: "\n")

        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for step in [dateStamp, region, service, "aws4_request"] {
            key = HMACSHA256.authenticationCode(key: key, message: step.utf8)
        }
        let signature = Hex.string(HMACSHA256.authenticationCode(key: key, message: stringToSign.utf8))
        let authorization =
            "\(algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(
            amzDate: amzDate, canonicalRequest: canonicalRequest, stringToSign: stringToSign,
            signedHeaders: signedHeaders, signature: signature, authorization: authorization)
    }

    /// Lowercase hex SHA-256, the form of `x-amz-content-sha256`.
    static func sha256Hex(_ bytes: some Collection<UInt8>) -> String {
        Hex.string(SHA256.hash(bytes))
    }

    /// SigV4's URI encoding: every byte of the UTF-8 form except `A-Z a-z 0-9 - . _ ~` becomes
    /// `%XX` (uppercase); `/` stays when `encodeSlash` is false (object keys).
    static func uriEncode(_ text: String, encodeSlash: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (byte == UInt8(ascii: "/") && !encodeSlash) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    private static let hexDigits = Array("0123456789ABCDEF")

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// `%XX` sequences back to bytes; anything malformed stays as written.
    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// S3 signs the path as sent, without removing `.` or `..` segments, encoded once.
    private static func canonicalURI(_ path: Substring) -> String {
        path.isEmpty ? "/" : uriEncode(percentDecode(path), encodeSlash: false)
    }

    private static func canonicalQuery(_ query: Substring) -> String {
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = uriEncode(percentDecode(parts[0]))
            let value = parts.count > 1 ? uriEncode(percentDecode(parts[1])) : ""
            return (name, value)
        }
        return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Trimmed, with inner runs of whitespace collapsed to one space (as botocore does).
    private static func canonicalValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }
}
