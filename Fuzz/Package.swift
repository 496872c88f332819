// swift-tools-version:6.0
import PackageDescription

/// Fuzz targets for the parsers that read server responses and user files, kept in their own package so that
/// a plain `swift build` of xapi-git never links them: each defines `LLVMFuzzerTestOneInput` and gets its
/// `main` from libFuzzer, which only `--sanitize=fuzzer` links. Run them with `make fuzz` (scripts/fuzz).
let package = Package(
    name: "xapi-git-fuzz",
    dependencies: [.package(name: "xapi-git", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzAdapterResponses",
            dependencies: [.product(name: "XapiPlatforms", package: "xapi-git")],
            path: "Targets/FuzzAdapterResponses"
        ),
        .executableTarget(
            name: "FuzzExpirationDate",
            dependencies: [.product(name: "XapiPlatforms", package: "xapi-git")],
            path: "Targets/FuzzExpirationDate"
        ),
        .executableTarget(
            name: "FuzzRepositoryPath",
            dependencies: [.product(name: "XapiGit", package: "xapi-git")],
            path: "Targets/FuzzRepositoryPath"
        ),
        .executableTarget(
            name: "FuzzDescriptionChecker",
            dependencies: [.product(name: "XapiDescriptions", package: "xapi-git")],
            path: "Targets/FuzzDescriptionChecker"
        ),
    ]
)
