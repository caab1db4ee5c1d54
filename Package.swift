// swift-tools-version:6.1
import PackageDescription

// Debian ships OpenCV's headers under opencv4/ without a pkg-config file for the
// individual -dev packages, so the facade names the include path itself.
let openCVModules = ["opencv_core", "opencv_imgproc", "opencv_photo", "opencv_objdetect", "opencv_dnn"]

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "prodvisual",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prodvisual", targets: ["prodvisual"]),
        // The Swift client of the API (sdks/swift/README.md): depends on none of the server's targets.
        .library(name: "ProdVisualClient", targets: ["ProdVisualClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // C shims over the system libraries.
        .systemLibrary(name: "CLibVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        // Optimised even in debug builds: their per-pixel loops would crawl at -O0.
        .target(name: "CVips", dependencies: ["CLibVips"], cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "COpenCV",
            // Sources sit in one folder per capability (core, cutout, compose, analysis, tryon,
            // models); private headers are included by their path from the target's root.
            cxxSettings: [.headerSearchPath("."), .unsafeFlags(["-I/usr/include/opencv4", "-O2"])],
            linkerSettings: openCVModules.map { .linkedLibrary($0) }
        ),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // The imaging engine: decoding, cutout, compositing, encoding. Knows nothing of HTTP.
        .target(
            name: "ProdVisualEngine",
            dependencies: ["CVips", "COpenCV", .product(name: "Crypto", package: "swift-crypto")],
            // The catalogue of learned models: what scripts/install-models.py installs and checks.
            resources: [.copy("Models/catalog.json")],
            swiftSettings: swiftSettings
        ),
        // Persistence: the `Store` protocol over SQLite (the embedded default) or PostgreSQL, and
        // the `ObjectStore` protocol over a local folder (the default) or an S3-compatible bucket.
        .target(
            name: "ProdVisualStore",
            dependencies: [
                "CSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                // The S3 object store: HTTP to the bucket, SigV4 signing.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Outbound HTTP that must not be turned against the host: image fetches, webhooks.
        .target(
            name: "ProdVisualNet",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Accounts, keys, credits, generations, styles, platforms.
        .target(
            name: "ProdVisualDomain",
            dependencies: [
                "ProdVisualEngine",
                "ProdVisualStore",
                "ProdVisualNet",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The REST API.
        .target(
            name: "ProdVisualHTTP",
            dependencies: [
                "ProdVisualDomain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                // Parser errors answered with the envelope (ParserErrorEnvelopeHandler).
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The console (HTML, CSS, JavaScript modules; no build step), served from the bundle.
            resources: [.copy("openapi.json"), .copy("Console")],
            swiftSettings: swiftSettings
        ),
        // The client SDK: async/await over AsyncHTTPClient, Codable results, typed errors, retries,
        // idempotency keys, polling and webhook verification.
        .target(
            name: "ProdVisualClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "prodvisual",
            dependencies: [
                "ProdVisualHTTP",
                "ProdVisualDomain",
                "ProdVisualStore",
                "ProdVisualEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The queue bench serves its source images on loopback.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "EngineTests", dependencies: ["ProdVisualEngine"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NetTests",
            dependencies: ["ProdVisualNet", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "ProdVisualStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // A loopback server that stalls, for the S3 store's timeouts.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DomainTests", dependencies: ["ProdVisualDomain"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPTests",
            dependencies: [
                "ProdVisualHTTP",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs the built `prodvisual` executable and talks to it over loopback HTTP only, as a
        // customer would: no server module is linked in, so crashes and restarts are real.
        // Starts the built `prodvisual` on loopback for the test targets that talk to a real server,
        // and serves what such a server fetches from loopback (the bench photos).
        .target(
            name: "ServerHarness",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/ServerHarness",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProcessTests",
            dependencies: [
                "ServerHarness",
                "ProdVisualClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The client SDK against the real executable (sdks/TEST_PLAN.md), like ProcessTests: no
        // server module is linked in.
        .testTarget(
            name: "ClientTests",
            dependencies: [
                "ServerHarness",
                "ProdVisualClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    cxxLanguageStandard: .cxx17
)
