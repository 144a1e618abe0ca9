import Foundation
import S3

/// Reads an S3 access key from a file in AWS's shared-credentials format, or from the environment.
///
/// The file (the `credentials:` of an S3 store) is AWS's INI format, so `aws` reads the same file
/// (`AWS_SHARED_CREDENTIALS_FILE`):
/// ```
/// [default]
/// aws_access_key_id = AKIA…
/// aws_secret_access_key = …
/// aws_session_token = …        # optional, for temporary credentials
/// ```
/// Only the `[default]` profile (or keys before any `[section]`) is read. It must not be readable
/// by group or others. A name without `/` is looked up in `$CREDENTIALS_DIRECTORY` when systemd's
/// `LoadCredential=` set it. Without a file, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` are read from the environment.
public enum S3CredentialsFile {
    /// The credentials `location` names, and how messages name where they came from.
    public static func load(_ file: String?, environment: [String: String]) throws(S3StoreError) -> (
        SigV4Credentials, source: String
    ) {
        guard let file else {
            let source = "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
            guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
                let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
            else {
                throw .credentials(
                    source: source, reason: "they are not set; set them, or name a credentials file")
            }
            return (
                SigV4Credentials(
                    accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"]), source
            )
        }
        var path = file
        if !file.contains("/") {
            // A bare name is a systemd credential: without LoadCredential= there is no folder to
            // look in, and "No such file or directory" would send the operator looking for a file.
            guard let folder = environment["CREDENTIALS_DIRECTORY"], !folder.isEmpty else {
                throw .credentials(
                    source: file,
                    reason:
                        "'\(file)' names a systemd credential, but no LoadCredential= passed any (CREDENTIALS_DIRECTORY is not set); give the unit LoadCredential=\(file):/etc/litesafe/\(file).credentials (the S3 drop-in does), or name the file by its absolute path"
                )
            }
            path = folder + "/" + file
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw .credentials(source: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .credentials(source: path, reason: "it is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw .credentials(
                source: path,
                reason:
                    "group or others may read it (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 64 << 10 else {
            throw .credentials(source: path, reason: "it cannot be read, or is larger than 64 KiB")
        }
        var values: [String: String] = [:]
        var section = "default"
        for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == "default", let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            values[name] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty else {
            throw .credentials(source: path, reason: "it has no aws_access_key_id in its [default] profile")
        }
        guard let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            throw .credentials(source: path, reason: "it has no aws_secret_access_key in its [default] profile")
        }
        let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return (SigV4Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token), path)
    }
}
