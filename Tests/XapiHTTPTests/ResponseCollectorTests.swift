import Testing
@testable import XapiHTTP

/// Header parsing and size limits of the callbacks that receive a response.
@Suite struct ResponseCollectorTests {
    func makeCollector(maxHeaderBytes: Int = 1 << 16, maxBodyBytes: Int = 1 << 16) -> ResponseCollector {
        ResponseCollector(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes, cancellation: CancellationFlag())
    }

    func feed(_ collector: ResponseCollector, headerLines: [String]) -> Bool {
        headerLines.allSatisfy { line in
            Array(line.utf8).withUnsafeBytes { collector.receiveHeaderLine($0) }
        }
    }

    @Test func headerLinesAreSplitAndTrimmed() {
        let collector = makeCollector()

        let accepted = feed(
            collector,
            headerLines: [
                "HTTP/1.1 200 OK\r\n", "Content-Type:  application/json \r\n", "X-Empty:\r\n", "ETag: \"a:b\"\n",
                "\r\n",
            ])

        #expect(accepted)
        #expect(collector.fields.map(\.name) == ["Content-Type", "X-Empty", "ETag"])
        #expect(collector.fields.map(\.value) == ["application/json", "", "\"a:b\""])
    }

    @Test func statusLineStartsNewHeaderBlock() {
        let collector = makeCollector()

        _ = feed(
            collector,
            headerLines: [
                "HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "\r\n",
                "HTTP/2 201 \r\n", "location: /new\r\n", "\r\n",
            ])

        #expect(collector.fields.map(\.name) == ["location"])
        #expect(HTTPHeaders(collector.fields)["Location"] == "/new")
    }

    @Test func foldedLineContinuesPreviousValue() {
        let collector = makeCollector()

        _ = feed(collector, headerLines: ["HTTP/1.1 200 OK\r\n", "X-Long: first\r\n", "\t second\r\n", "\r\n"])

        #expect(collector.fields.count == 1)
        #expect(collector.fields.first?.value == "first second")
    }

    @Test func headerLimitStopsCollection() {
        let collector = makeCollector(maxHeaderBytes: 100)
        let line = "X-Filler: " + String(repeating: "x", count: 40) + "\r\n"

        let accepted = feed(collector, headerLines: ["HTTP/1.1 200 OK\r\n", line, line, line])

        #expect(!accepted)
        #expect(collector.exceededLimit == .headers(max: 100))
    }

    @Test func bodyLimitRejectsChunkThatWouldPassIt() {
        let collector = makeCollector(maxBodyBytes: 10)

        let first = Array("123456".utf8).withUnsafeBytes { collector.receiveBody($0) }
        let second = Array("7890".utf8).withUnsafeBytes { collector.receiveBody($0) }
        let third = Array("!".utf8).withUnsafeBytes { collector.receiveBody($0) }

        #expect(first)
        #expect(second)
        #expect(!third)
        #expect(collector.body.count == 10)
        #expect(collector.exceededLimit == .body(max: 10))
    }
}

/// Base64 against the test vectors of RFC 4648, section 10.
@Suite struct Base64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func encodesVector(input: String, expected: String) {
        #expect(Base64.encode(Array(input.utf8)) == expected)
    }
}
