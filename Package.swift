// swift-tools-version: 6.1
import PackageDescription

/// One set of settings for every Swift target (docs/architecture.md, house style).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "novita-mock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "novita-mock", targets: ["novita-mock"]),
        // For packages that drive the domain in-process (Fuzz/, the libFuzzer harnesses).
        .library(name: "NovitaMockKit", targets: ["NovitaMock", "MicroHTTP", "ImageCodecs", "Digests"]),
        .library(name: "VideoCodecs", targets: ["VideoCodecs"]),
        // The mock in-process on a free port, for other packages' tests (swift-testing or XCTest).
        .library(name: "NovitaMockTesting", targets: ["NovitaMockTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // System libraries: C lives only in C* targets.
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(
            name: "CLibWebP", pkgConfig: "libwebpmux", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CGnuTLS", pkgConfig: "gnutls", providers: [.apt(["libgnutls28-dev"])]),
        .systemLibrary(
            name: "COpenH264", pkgConfig: "openh264", providers: [.apt(["libopenh264-dev"])]),
        // The C that must be C: libpng's setjmp error handling.
        .target(name: "CImageShims", dependencies: ["CLibPNG"]),

        // Text helpers every Swift layer shares (the server, the outbound client, the mock).
        .target(name: "ASCIIText", swiftSettings: swiftSettings),
        .target(name: "MicroHTTP", dependencies: ["CMicroHTTPD", "ASCIIText"], swiftSettings: swiftSettings),
        .target(name: "OutboundHTTP", dependencies: ["CGnuTLS", "ASCIIText"], swiftSettings: swiftSettings),
        .target(name: "Digests", dependencies: ["CGnuTLS"], swiftSettings: swiftSettings),
        // Transparent mode's private CA and server certificates (GnuTLS's X.509 API).
        .target(name: "TLSCertificates", dependencies: ["CGnuTLS"], swiftSettings: swiftSettings),
        .target(
            name: "ImageCodecs", dependencies: ["CImageShims", "CLibPNG", "CTurboJPEG", "CLibWebP"],
            swiftSettings: swiftSettings),
        .target(
            name: "VideoCodecs", dependencies: ["COpenH264", "ImageCodecs"],
            swiftSettings: swiftSettings),
        .target(
            name: "NovitaMock",
            dependencies: [
                "ASCIIText", "MicroHTTP", "ImageCodecs", "VideoCodecs", "OutboundHTTP", "Digests",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "novita-mock",
            dependencies: [
                "ASCIIText", "ImageCodecs", "NovitaMock", "MicroHTTP", "OutboundHTTP", "TLSCertificates",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        .testTarget(
            name: "MicroHTTPTests", dependencies: ["MicroHTTP", "OutboundHTTP"], swiftSettings: swiftSettings),
        .testTarget(
            name: "OutboundHTTPTests", dependencies: ["OutboundHTTP"],
            exclude: ["TLS"],  // read from the source tree by path: a test CA and a Python TLS server
            swiftSettings: swiftSettings),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VideoCodecsTests", dependencies: ["VideoCodecs", "ImageCodecs"], swiftSettings: swiftSettings),
        .testTarget(name: "DigestsTests", dependencies: ["Digests"], swiftSettings: swiftSettings),
        .target(
            name: "NovitaMockTesting", dependencies: ["NovitaMock", "MicroHTTP", "OutboundHTTP"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "NovitaMockTestingTests", dependencies: ["NovitaMockTesting", "OutboundHTTP"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TLSTests", dependencies: ["TLSCertificates", "MicroHTTP", "OutboundHTTP", "NovitaMock"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "NovitaMockTests",
            dependencies: ["ASCIIText", "NovitaMock", "MicroHTTP", "ImageCodecs", "OutboundHTTP", "Digests"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings),
    ]
)
