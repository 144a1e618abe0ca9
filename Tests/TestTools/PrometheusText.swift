import Foundation

/// Prometheus text-format files read by the reference parser: Debian's python3-prometheus-client
/// (`/usr/bin/python3`; the `python3` on PATH may be another one without it).
public enum PrometheusText {
    /// Sample values by metric sample name and `database` label.
    public struct Samples: Sendable {
        public var values: [String: Double] = [:]
        public subscript(name: String, database: String) -> Double? { values[name + "/" + database] }
    }

    static let script = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        text = open(sys.argv[1]).read()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                print(family.type, sample.name, sample.labels.get("database", ""), repr(float(sample.value)), sep="\\t")
        """

    public static func parse(file: String) throws -> Samples {
        let result = try Subprocess.run("/usr/bin/python3", ["-c", script, file])
        guard result.status == 0 else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "\(result)"])
        }
        var samples = Samples()
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let value = Double(fields[3]) else { continue }
            samples.values[fields[1] + "/" + fields[2]] = value
        }
        return samples
    }
}
