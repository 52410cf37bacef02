// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "missive",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "missive", targets: ["missive"]),
        .library(name: "MissiveCore", targets: ["MissiveCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(
            name: "MissiveSOAP",
            dependencies: [
                "MissiveCore", "MissiveMIME", "CLibXML2",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .target(
            // Streaming MIME reader and writer (RFC 2045-2049, 2047, 2231, 3464): no
            // dependencies, so it can be fuzzed alone.
            name: "MissiveMIME",
            swiftSettings: swiftSettings
        ),
        .target(
            // Evidence: CAdES seals (CMS SignedData with ESS signing-certificate-v2) and an
            // RFC 3161 timestamp authority, on swift-certificates and swift-asn1.
            name: "MissiveEvidence",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MissiveSMTP",
            dependencies: [
                "MissiveCore", "MissiveMIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MissiveCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MissiveStore",
            dependencies: [
                "MissiveCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MissiveChannels",
            dependencies: [
                "MissiveCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MissiveREST",
            dependencies: [
                "MissiveCore", "MissiveMIME",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .target(
            name: "MissiveServer",
            dependencies: [
                "MissiveCore", "MissiveStore", "MissiveChannels", "MissiveREST", "MissiveSOAP", "MissiveSMTP", "MissiveEvidence",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            // The fuzz harnesses: each feeds untrusted bytes to one component's entry point and
            // checks its invariants. `swift test` replays fuzz/corpus and fuzz/crashes through
            // them; scripts/fuzz links them into the libFuzzer binary `missive-fuzz`.
            name: "MissiveFuzzing",
            dependencies: [
                // Not MissiveREST: its OpenAPI build plugin cannot be built with -sanitize=fuzzer.
                "MissiveMIME", "MissiveSMTP", "MissiveSOAP", "MissiveEvidence", "MissiveCore",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            // The libFuzzer entry point (`LLVMFuzzerTestOneInput`); a no-op program in a
            // normal build. Built by scripts/fuzz with -sanitize=fuzzer,address.
            name: "missive-fuzz",
            dependencies: ["MissiveFuzzing"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "missive",
            dependencies: [
                "MissiveServer", "MissiveCore", "MissiveStore", "MissiveSMTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveSOAPTests",
            dependencies: ["MissiveSOAP", "MissiveCore", "MissiveMIME"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveMIMETests",
            dependencies: ["MissiveMIME"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveEvidenceTests",
            dependencies: [
                "MissiveEvidence",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveSMTPTests",
            dependencies: [
                "MissiveSMTP", "MissiveMIME", "MissiveCore", "MissiveStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveFuzzingTests",
            dependencies: ["MissiveFuzzing"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveCoreTests",
            dependencies: ["MissiveCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveStoreTests",
            dependencies: ["MissiveStore", "MissiveCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveChannelsTests",
            dependencies: [
                "MissiveChannels", "MissiveCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MissiveServerTests",
            dependencies: [
                "MissiveServer", "MissiveREST", "MissiveCore", "MissiveStore", "MissiveChannels", "MissiveEvidence",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// scripts/fuzz builds with MISSIVE_FUZZ_BUILD=1 and --sanitize=fuzzer. SwiftPM then builds
// the build-tool plugins' tools with libFuzzer as well, and the OpenAPI generator's tool
// cannot link (its `main` and libFuzzer's). The fuzz build therefore leaves out the REST
// module, the only one with a plugin, and what depends on it; no fuzz target needs them.
if Context.environment["MISSIVE_FUZZ_BUILD"] != nil {
    let needsREST: Set<String> = ["MissiveREST", "MissiveServer", "missive", "MissiveServerTests"]
    package.targets.removeAll { needsREST.contains($0.name) }
    package.products.removeAll { $0.name == "missive" }
}
