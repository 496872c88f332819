import XapiDescriptions

/// Feeds fuzzed files to the description checker as JSON, as YAML and with the format guessed from the
/// content. The checker must return or throw `DescriptionError`; anything else is a crash that libFuzzer
/// reports.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDescriptionChecker(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let contents = Array(UnsafeBufferPointer(start: data, count: size))
    for path in ["openapi.json", "openapi.yaml", "openapi"] {
        _ = try? DescriptionChecker.check(contents, path: path)
        _ = try? DescriptionChecker.check(contents, path: path, allowFragments: true)
    }
    return 0
}
