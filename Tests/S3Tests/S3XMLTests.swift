import S3
import Testing

@Suite("S3 XML")
struct S3XMLTests {
    @Test("a listing page: elements, entities, an empty element, the declaration skipped")
    func listing() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
              <Contents><Key>db01/app/a&amp;b &lt;1&gt; &#233;.json</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>
              <Contents><Key>x</Key><Size>0</Size><Owner/></Contents>
              <IsTruncated>true</IsTruncated><NextContinuationToken>t/1=</NextContinuationToken>
            </ListBucketResult>
            """
        let document = try S3XML.parse(Array(text.utf8))
        #expect(document.name == "ListBucketResult")
        #expect(document.all("Contents").map { $0["Key"] } == ["db01/app/a&b <1> é.json", "x"])
        #expect(document.all("Contents").first?["ETag"] == "\"abc\"")
        #expect(document["NextContinuationToken"] == "t/1=")
    }

    @Test(
        "a truncated or unknown-entity document is refused", arguments: ["<Error><Code>x</Code>", "<a>&nope;</a>", ""])
    func malformed(text: String) {
        #expect(throws: S3XML.Malformed.self) { try S3XML.parse(Array(text.utf8)) }
    }
}
