// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for novita-mock (docs/hardening.md). A separate package so the main build
// never sees `-sanitize=fuzzer`: build with
//   swift build -c release -Xswiftc -sanitize=fuzzer,address   (scripts/fuzz does it)
// Each harness is an executable target without `main`: libFuzzer supplies it and calls the
// `@_cdecl("LLVMFuzzerTestOneInput")` function; `-parse-as-library` keeps Swift from emitting one.
let harnessSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "novita-mock-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "novita-mock", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "NovitaMockKit", package: "novita-mock")]),
        .executableTarget(name: "fuzz-api", dependencies: ["FuzzSupport"], swiftSettings: harnessSettings),
        .executableTarget(name: "fuzz-query", dependencies: ["FuzzSupport"], swiftSettings: harnessSettings),
        .executableTarget(name: "fuzz-control", dependencies: ["FuzzSupport"], swiftSettings: harnessSettings),
        .executableTarget(name: "fuzz-image", dependencies: ["FuzzSupport"], swiftSettings: harnessSettings),
        .executableTarget(name: "fuzz-image-url", dependencies: ["FuzzSupport"], swiftSettings: harnessSettings),
    ]
)
