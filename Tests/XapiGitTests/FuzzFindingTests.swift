import Testing
import XapiGit

/// Inputs that the fuzz target `FuzzRepositoryPath` found, kept as regular tests.
@Suite struct FuzzFindingTests {
    /// "/" followed by a combining mark is one Swift Character, and splitting by Character kept the "/"
    /// inside one component, which Git would take as a tree entry name.
    @Test func slashBeforeCombiningMarkSplits() {
        let path = "specs/\u{0CF3}openapi.yaml"

        let components = FuzzEntryPoints.repositoryPathComponents(path)

        #expect(components == ["specs", "\u{0CF3}openapi.yaml"])
        #expect(components?.allSatisfy { !$0.utf8.contains(UInt8(ascii: "/")) } == true)
    }

    @Test func dotDotBeforeCombiningSlashIsRejected() {
        #expect(FuzzEntryPoints.repositoryPathComponents("specs/../\u{0301}x") == nil)
    }
}
