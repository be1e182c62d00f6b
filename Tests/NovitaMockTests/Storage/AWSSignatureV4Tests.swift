import OutboundHTTP
import Testing

@testable import NovitaMock

@Suite("AWSSignatureV4")
struct AWSSignatureV4Tests {
    /// The "GET Object" example of AWS's S3 SigV4 header-auth docs (also what botocore's
    /// S3SigV4Auth produces for the same request at the same time).
    @Test func awsDocumentationGetObjectExample() {
        let credentials = S3Credentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let signed = AWSSignatureV4.sign(
            method: "GET", url: OutboundURL("https://examplebucket.s3.amazonaws.com/test.txt")!,
            headers: [("Range", "bytes=0-9")], payloadSHA256Hex: AWSSignatureV4.emptyPayloadSHA256Hex,
            region: "us-east-1", service: "s3", credentials: credentials, nowEpochMs: 1_369_353_600_000)
        #expect(
            signed.canonicalRequest == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            signed.stringToSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// Expected values from botocore 1.43 (`botocore.auth.S3SigV4Auth.add_auth` on the same PUT,
    /// time fixed at 2025-03-07T13:45:09Z): port in Host, encoded unicode key, session token.
    @Test func putWithSessionTokenMatchesBotocore() {
        let body: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0...255).map { UInt8($0) }
        let payload = AWSSignatureV4.sha256Hex(body)
        #expect(payload == "9d0c38e7aafe062c3a6dfc561e42771ec997d9359bb3d417ac4775a303292964")
        let credentials = S3Credentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: "FQoGZXIvYXdzEXAMPLETOKEN/+=")
        let headers = AWSSignatureV4.authorizationHeaders(
            method: "PUT", url: OutboundURL("http://127.0.0.1:5000/my-bucket/images/task%201/%C3%BC%2B%26.png")!,
            headers: [("Content-Type", "image/png")], payloadSHA256Hex: payload, region: "eu-west-1",
            credentials: credentials, nowEpochMs: 1_741_355_109_000)
        #expect(headers.map(\.name) == ["Authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"])
        #expect(
            headers[0].value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250307/eu-west-1/s3/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                + "Signature=df06b1427430d74a902fdbf91ba7b9070e2854b0ff732264d2bbfcdb70bfbe86")
        #expect(headers[1].value == "20250307T134509Z")
        #expect(headers[2].value == payload)
        #expect(headers[3].value == "FQoGZXIvYXdzEXAMPLETOKEN/+=")
    }

    @Test func canonicalPathIsEncodedOnceWhateverTheSpelling() {
        let credentials = S3Credentials(accessKeyID: "a", secretAccessKey: "b")
        func signature(_ url: String) -> String {
            AWSSignatureV4.sign(
                method: "PUT", url: OutboundURL(url)!, headers: [],
                payloadSHA256Hex: AWSSignatureV4.emptyPayloadSHA256Hex,
                region: "us-east-1", service: "s3", credentials: credentials, nowEpochMs: 0
            ).signature
        }
        #expect(signature("http://h:9000/b/a%7Eb") == signature("http://h:9000/b/a~b"))
        #expect(signature("http://h:9000/b/a%2bb") == signature("http://h:9000/b/a%2Bb"))
        #expect(signature("http://h:9000/b/a") != signature("http://h:9000/b/A"))
    }

    @Test func uriEncodingKeepsOnlyUnreservedCharacters() {
        #expect(AWSSignatureV4.uriEncode("AZaz09-._~") == "AZaz09-._~")
        #expect(AWSSignatureV4.uriEncode("a b/c+d=e&f", encodeSlash: true) == "a%20b%2Fc%2Bd%3De%26f")
        #expect(AWSSignatureV4.uriEncode("a b/c", encodeSlash: false) == "a%20b/c")
        #expect(AWSSignatureV4.uriEncode("ü✓") == "%C3%BC%E2%9C%93")
        #expect(AWSSignatureV4.percentDecode("%C3%BC%zz%4") == "ü%zz%4")
    }

    @Test func canonicalQueryIsSortedAndEncoded() {
        let signed = AWSSignatureV4.sign(
            method: "GET", url: OutboundURL("http://h/b?uploads&prefix=a%20b&max-keys=2")!, headers: [],
            payloadSHA256Hex: AWSSignatureV4.emptyPayloadSHA256Hex, region: "us-east-1", service: "s3",
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), nowEpochMs: 0)
        #expect(
            signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2]
                == "max-keys=2&prefix=a%20b&uploads=")
    }
}
