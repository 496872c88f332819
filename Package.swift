// swift-tools-version:6.0
import PackageDescription

/// Upcoming-feature and strict-concurrency settings shared by every Swift target.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "xapi-git",
    products: [
        .library(name: "XapiSync", targets: ["XapiSync"]),
        // Lower layers, for the fuzz targets in Fuzz/ and for programs that need only one layer.
        .library(name: "XapiPlatforms", targets: ["XapiPlatforms"]),
        .library(name: "XapiGit", targets: ["XapiGit"]),
        .library(name: "XapiDescriptions", targets: ["XapiDescriptions"]),
        .executable(name: "xapi-git", targets: ["xapi-git"]),
    ],
    targets: [
        // C bridges: Debian's libraries through pkg-config, with typed wrappers for variadic calls.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "CGitCurlTransport", dependencies: ["CCurl", "CGit2"]),

        // Swift layers, lowest first.
        .target(name: "XapiCore", swiftSettings: strictSettings),
        .target(name: "XapiHTTP", dependencies: ["CCurl", "XapiCore"], swiftSettings: strictSettings),
        .target(
            name: "XapiGit",
            dependencies: ["CGit2", "CGitCurlTransport", "XapiCore"],
            swiftSettings: strictSettings
        ),
        .target(name: "XapiPlatforms", dependencies: ["XapiHTTP", "XapiCore"], swiftSettings: strictSettings),
        .target(name: "XapiDescriptions", dependencies: ["CYAML", "XapiCore"], swiftSettings: strictSettings),
        .target(name: "XapiStore", dependencies: ["CSQLite", "CSodium", "XapiCore"], swiftSettings: strictSettings),
        .target(
            name: "XapiSync",
            dependencies: ["XapiCore", "XapiHTTP", "XapiGit", "XapiPlatforms", "XapiStore", "XapiDescriptions"],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "xapi-git", dependencies: ["XapiSync"], swiftSettings: strictSettings),

        // Tests. LabSupport starts the local hosting lab and creates tokens and repositories in it.
        .target(name: "LabSupport", dependencies: ["XapiCore"], path: "Tests/LabSupport", swiftSettings: strictSettings),
        .testTarget(name: "XapiHTTPTests", dependencies: ["XapiHTTP", "LabSupport"], swiftSettings: strictSettings),
        .testTarget(name: "XapiGitTests", dependencies: ["XapiGit", "LabSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "XapiPlatformsTests",
            dependencies: ["XapiPlatforms", "LabSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "XapiDescriptionsTests", dependencies: ["XapiDescriptions"], swiftSettings: strictSettings),
        .testTarget(name: "XapiStoreTests", dependencies: ["XapiStore"], swiftSettings: strictSettings),
        .testTarget(name: "XapiSyncTests", dependencies: ["XapiSync", "LabSupport"], swiftSettings: strictSettings),
        .testTarget(name: "CommandLineTests", dependencies: ["xapi-git", "LabSupport"], swiftSettings: strictSettings),
    ]
)
