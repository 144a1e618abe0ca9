import Foundation
import TestSupport
import Testing

@testable import LiteSafeCore

/// The top-level `stores:`, `stores:` lists under defaults and databases, and their checks.
@Suite struct ConfigurationStoresTests {
    /// A file with a folder store and an S3 store; `s3` replaces the S3 store's settings
    /// (lines 6 on), `defaults` the defaults' `stores:` line (line N).
    func text(
        _ fixture: ConfigurationFixture, s3: String? = nil, defaults: String = "  stores: [local, offsite]",
        database: String = ""
    ) throws -> String {
        let credentials = try fixture.write("s3.credentials", "[default]\n", mode: 0o600)
        return """
            stores:
              local:
                path: \(fixture.destination)
              offsite:
                s3:
            \(s3 ?? """
                  bucket: acme-backups
                  prefix: db01
                  region: eu-central-1
                  endpoint: http://127.0.0.1:9000
                  path_style: true
                  credentials: \(credentials)
                  storage_class: STANDARD_IA
                  object_lock: { mode: compliance, days: 7 }
            """)
                retention: { keep_daily: 30 }
            defaults:
            \(defaults)
              encryption:
                recipients: [\(ConfigurationFixture.recipient)]
            databases:
              - name: app
                path: \(fixture.databasePath)
            \(database)
            """
    }

    @Test func readsNamedStoresAndEachStoresRetention() throws {
        let fixture = try ConfigurationFixture()
        let loaded = try fixture.load(try text(fixture))
        #expect(loaded.warnings.isEmpty)
        let configuration = loaded.configuration
        let database = try #require(configuration.databases.first)
        #expect(database.stores.map(\.name) == ["local", "offsite"])
        #expect(database.store == .directory(fixture.destination))
        #expect(database.destination == fixture.destination + "/app")
        #expect(
            database.stores[1].location
                == .s3(
                    S3Location(
                        bucket: "acme-backups", prefix: "db01/", region: "eu-central-1",
                        endpoint: "http://127.0.0.1:9000", pathStyle: true,
                        credentialsFile: fixture.root + "/s3.credentials", storageClass: "STANDARD_IA",
                        objectLock: S3Location.ObjectLock(mode: .compliance, days: 7))))
        #expect(database.retention(in: database.stores[0]) == .default)
        #expect(database.retention(in: database.stores[1]) == RetentionPolicy(keepDaily: 30))
        #expect(configuration.stores.map(\.name) == ["local", "offsite"])
    }

    @Test func theOldDestinationIsAnImplicitStore() throws {
        let fixture = try ConfigurationFixture()
        let database = try #require(try fixture.load(fixture.text()).configuration.databases.first)
        #expect(database.stores == [.init(name: "destination", location: .directory(fixture.destination))])
    }

    @Test func aDatabasesStoresReplaceTheDefaultsDestination() throws {
        let fixture = try ConfigurationFixture()
        let text = try text(
            fixture, defaults: "  destination: \(fixture.destination)", database: "    stores: [offsite]")
        let loaded = try fixture.load(text)
        #expect(loaded.configuration.databases[0].stores.map(\.name) == ["offsite"])
        #expect(
            loaded.warnings.map(\.description) == [
                "test.yml:2:3: warning: store 'local' is used by no database: add it to `stores:` under defaults or a database"
            ])
    }

    @Test func refusesAnUnknownStoreNameWithTheNearestOne() throws {
        let fixture = try ConfigurationFixture()
        let problems = fixture.problems(try text(fixture, defaults: "  stores: [local, ofsite]"))
        #expect(
            problems == [
                "test.yml:4:3: warning: store 'offsite' is used by no database: add it to `stores:` under defaults or a database",
                "test.yml:16:19: defaults.stores: no store named 'ofsite' — did you mean 'offsite'?",
            ])
    }

    @Test func refusesDestinationAndStoresTogether() throws {
        let fixture = try ConfigurationFixture()
        let problems = fixture.problems(
            try text(fixture, defaults: "  stores: [local]\n  destination: \(fixture.destination)"))
        #expect(problems.count == 2, "\(problems)")
        #expect(
            problems.contains {
                $0.hasPrefix("test.yml:16:11: defaults: set either `destination:` (one folder) or `stores:`")
            }, "\(problems)")
        #expect(
            problems.contains { $0.hasPrefix("test.yml:4:3: warning: store 'offsite' is used by no database") },
            "\(problems)")
    }

    @Test func refusesPlainHTTPToAnotherMachineUnlessAllowed() throws {
        let fixture = try ConfigurationFixture()
        let s3 = """
                  bucket: acme-backups
                  region: eu-central-1
                  endpoint: http://s3.example.com:9000
            """
        let problems = fixture.problems(try text(fixture, s3: s3))
        #expect(
            problems == [
                "test.yml:8:17: stores.offsite.s3.endpoint: http://s3.example.com is not encrypted: requests and their signatures would cross the network in the clear; use https://, or add `allow_http: true` to this store's s3 if the network is trusted"
            ])
        let allowed = try fixture.load(try text(fixture, s3: s3 + "\n      allow_http: true"))
        guard case .s3(let bucket) = allowed.configuration.stores[1].location else {
            Issue.record("not an S3 store")
            return
        }
        #expect(bucket.allowHTTP)
        #expect(bucket.endpoint == "http://s3.example.com:9000")
        for loopback in ["http://localhost:9000", "http://127.0.0.2", "http://[::1]:9000", "https://s3.example.com/"] {
            let text = try text(fixture, s3: s3.replacingOccurrences(of: "http://s3.example.com:9000", with: loopback))
            #expect(fixture.rejection(text) == nil, "\(loopback)")
        }
    }

    @Test func neverQuotesAnEndpointThatCarriesASecret() throws {
        let fixture = try ConfigurationFixture()
        let s3 = """
                  bucket: acme-backups
                  region: eu-central-1
                  endpoint: https://AKIAEXAMPLE:sekrit@s3.example.com
            """
        let problems = fixture.problems(try text(fixture, s3: s3))
        #expect(problems.count == 1)
        #expect(!problems.joined().contains("sekrit"))
        #expect(problems.first?.contains("no user, path or query") == true)
    }

    @Test("a credential name is checked in the credentials folder given, else a warning with no service words")
    func credentialNames() throws {
        let fixture = try ConfigurationFixture()
        let s3 = """
                  bucket: acme-backups
                  region: eu-central-1
                  credentials: s3
            """
        let text = try text(fixture, s3: s3)
        let unpassed = try ConfigurationLoader.load(text: text, source: "test.yml")
        let warning = try #require(unpassed.warnings.first { $0.description.contains("credentials") })
        #expect(warning.fix == .credentialNotPassed(name: "s3"))
        #expect(
            warning.description
                == "test.yml:8:20: warning: stores.offsite.s3.credentials: 's3' names a credential, not a file, and none was passed to this check, so it was not checked"
        )
        let error = try #require(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(text: text, source: "test.yml", credentialsDirectory: fixture.root)
        }
        #expect(error.errors.map(\.description).contains { $0.contains("\(fixture.root)/s3 does not exist") })
    }

    @Test func checksTheCredentialsFile() throws {
        let fixture = try ConfigurationFixture()
        func problems(_ file: String) throws -> [String] {
            let s3 = """
                      bucket: acme-backups
                      region: eu-central-1
                      credentials: \(file)
                """
            return fixture.problems(try text(fixture, s3: s3))
        }
        let missing = fixture.root + "/absent.credentials"
        #expect(
            try problems(missing) == [
                "test.yml:8:20: stores.offsite.s3.credentials: \(missing) does not exist; create it in AWS's format (`[default]`, `aws_access_key_id = …`, `aws_secret_access_key = …`) with mode 0600"
            ])
        let open = try fixture.write("open.credentials", "[default]\naws_secret_access_key = sekrit\n", mode: 0o640)
        let openProblems = try problems(open)
        #expect(
            openProblems == [
                "test.yml:8:20: stores.offsite.s3.credentials: \(open) holds a secret key but group or others may use it (mode 0640); run `chmod 600 \(open)`"
            ])
        #expect(!openProblems.joined().contains("sekrit"))
        let link = fixture.root + "/link.credentials"
        #expect(symlink(fixture.root + "/s3.credentials", link) == 0)
        #expect(
            try problems(link) == [
                "test.yml:8:20: stores.offsite.s3.credentials: \(link) is a symbolic link; the S3 store reads only a regular file: name the file itself"
            ])
        if geteuid() == 0 {
            // Owned by another user (nobody exists on Debian): that user could swap the key.
            let foreign = try fixture.write("foreign.credentials", "[default]\n", mode: 0o600)
            #expect(chown(foreign, 65534, 65534) == 0)
            let foreignProblems = try problems(foreign)
            #expect(foreignProblems.count == 1)
            #expect(foreignProblems.first?.contains("is owned by") == true)
            #expect(foreignProblems.first?.contains("replace the S3 credentials") == true)
        }
    }

    @Test func checksEveryS3Setting() throws {
        let fixture = try ConfigurationFixture()
        let s3 = """
                  bucket: Acme_Backups
                  regoin: eu-central-1
                  prefix: /db01
                  path_style: yes
                  storage_class: GLACIER
                  object_lock: { mode: governence }
            """
        let problems = fixture.problems(try text(fixture, s3: s3))
        #expect(
            problems == [
                "test.yml:6:15: stores.offsite.s3.bucket: 'Acme_Backups' is not a bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
                "test.yml:7:7: unknown key 'regoin' — did you mean 'region'?",
                "test.yml:8:15: stores.offsite.s3.prefix: '/db01' is not a usable key prefix: no leading '/', no empty, '.' or '..' parts (e.g. `prefix: db01/`)",
                "test.yml:9:19: stores.offsite.s3.path_style: expected true or false, got 'yes'",
                "test.yml:10:22: stores.offsite.s3.storage_class: GLACIER objects must be thawed before they can be read, so restores, verification and read-back would fail; use STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR",
                "test.yml:11:20: stores.offsite.s3.object_lock has no days: add `days: 30` (how long each backup cannot be deleted)",
                "test.yml:11:28: stores.offsite.s3.object_lock.mode: expected governance or compliance, got 'governence' — did you mean 'governance'?",
            ])
    }

    @Test func refusesAStoreWithNeitherOrBothPlaces() throws {
        let fixture = try ConfigurationFixture()
        let text = """
            stores:
              nowhere: { retention: { keep_last: 2 } }
              both: { path: \(fixture.destination), s3: { bucket: acme-backups, region: r } }
            defaults:
              stores: [nowhere, both]
              encryption: none
            databases:
              - name: app
                path: \(fixture.databasePath)
            """
        #expect(
            fixture.problems(text) == [
                "test.yml:2:12: stores.nowhere: add `path:` (a folder) or `s3:` (a bucket) to say where the store is",
                "test.yml:3:\(23 + fixture.destination.count): stores.both: set either `path:` (a folder) or `s3:` (a bucket), not both",
            ])
    }

    @Test func aFolderStoreIsCheckedAsADestination() throws {
        let fixture = try ConfigurationFixture()
        let missing = fixture.root + "/gone"
        let text = try text(fixture).replacingOccurrences(of: "path: \(fixture.destination)", with: "path: \(missing)")
        let problems = try #require(fixture.rejection(text))
        #expect(
            problems.map(\.description) == [
                "test.yml:3:11: destination folder \(missing) does not exist, so every backup would fail"
            ])
        #expect(problems.first?.fix == .createDestination(path: missing))
    }

    @Test func aStoreNameOnTheCommandLineMustBeOneOfTheDatabasesStores() throws {
        let fixture = try ConfigurationFixture()
        let configuration = try fixture.load(try text(fixture)).configuration
        let database = configuration.databases[0]
        #expect(try configuration.store(named: "offsite", of: database).name == "offsite")
        #expect(throws: Configuration.UnknownStore.self) { try configuration.store(named: "elsewhere", of: database) }
        #expect(
            Configuration.UnknownStore(name: "x", database: "app", configured: ["local", "offsite"]).description
                == "database 'app' has no store named 'x'; its stores: local, offsite")
    }
}
