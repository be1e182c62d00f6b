import CGnuTLS

/// SHA-256 (FIPS 180-4) through GnuTLS, which libmicrohttpd already links: content-addressed
/// keys, ETags, image file names and SigV4 payload hashes.
public enum SHA256 {
    /// Length of a digest in bytes.
    public static let byteCount = 32

    /// The digest of `bytes`, hashed in place.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { digest, count in
            let code = gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes.nonNullBase, bytes.count, digest.baseAddress)
            GnuTLS.check(code, "gnutls_hash_fast")
            count = byteCount
        }
    }

    /// The digest of `bytes`; contiguous collections (`[UInt8]`, slices, a native string's
    /// `utf8`) are hashed without a copy.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        GnuTLS.withContiguousBytes(bytes) { hash($0) }
    }
}

/// HMAC-SHA256 (RFC 2104) through GnuTLS: image URL signatures and the SigV4 signing key chain.
public enum HMACSHA256 {
    /// Length of an authentication code in bytes.
    public static let byteCount = 32

    /// The code of `message` under `key`; a key longer than the 64-byte block is hashed first,
    /// as RFC 2104 says.
    public static func authenticationCode(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { code, count in
            let result = gnutls_hmac_fast(
                GNUTLS_MAC_SHA256, key.nonNullBase, key.count, message.nonNullBase, message.count, code.baseAddress)
            GnuTLS.check(result, "gnutls_hmac_fast")
            count = byteCount
        }
    }

    /// The code of `message` under `key`; contiguous collections are read without a copy.
    public static func authenticationCode(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        GnuTLS.withContiguousBytes(key) { key in
            GnuTLS.withContiguousBytes(message) { message in authenticationCode(key: key, message: message) }
        }
    }
}

/// What the two digests share: pointer plumbing and the error check.
private enum GnuTLS {
    /// A failing digest call means a bad algorithm id or a broken library, never bad input.
    static func check(_ code: Int32, _ function: StaticString) {
        if code < 0 { preconditionFailure("\(function): \(String(cString: gnutls_strerror(code)))") }
    }

    /// `body` over the bytes of `bytes`, copying only a collection without contiguous storage.
    static func withContiguousBytes<Result>(
        _ bytes: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        if let result = bytes.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes(body)
    }

    /// Never read: somewhere valid to point for zero-length input.
    nonisolated(unsafe) static let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
}

extension UnsafeRawBufferPointer {
    /// The base address, or a valid dummy one for an empty buffer: GnuTLS hands the pointer to
    /// `memcpy`, where null is undefined even for zero bytes.
    fileprivate var nonNullBase: UnsafeRawPointer {
        baseAddress ?? UnsafeRawPointer(GnuTLS.emptyByte)
    }
}
