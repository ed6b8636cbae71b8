// swift-tools-version:6.2
// The Swift benchmarks of pegasus-em, a package of their own so that `swift build` of the main package does not
// build them. Build: `swift build -c release --package-path Benchmarks` (see README.md).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "pegasus-em-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "pegasus-em", path: ".."),
        // The same URLs and versions as ../Package.swift.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "watchers-bench",
            dependencies: [.product(name: "Watchers", package: "pegasus-em")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "scheduler-bench",
            dependencies: [
                .product(name: "EnsembleServer", package: "pegasus-em"),
                .product(name: "EnsembleStore", package: "pegasus-em"),
                .product(name: "PegasusConfig", package: "pegasus-em"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ledger-bench",
            dependencies: [
                .product(name: "EnsembleStore", package: "pegasus-em"),
                .product(name: "TriggerKit", package: "pegasus-em"),
                .product(name: "Watchers", package: "pegasus-em"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dashboard-bench",
            dependencies: [
                .product(name: "PegasusService", package: "pegasus-em"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
