import ArgumentParser

@main
struct LiteSafe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "litesafe",
        abstract: "Consistent, compressed, encrypted backups of SQLite databases.",
        version: LiteSafeVersionText.text,
        subcommands: [
            RunCommand.self,
            BackupCommand.self, ListCommand.self, RestoreCommand.self, KeygenCommand.self, CheckConfigCommand.self,
            CheckStoreCommand.self,
            PruneCommand.self, VerifyCommand.self, StatusCommand.self, DumpCommand.self, FixtureCommand.self,
            DiffCommand.self, ExportCommand.self,
        ])

    /// Hardens the process before any subcommand can read a key, then runs it.
    static func main() {
        ProcessHardening.apply()
        main(nil)
    }
}
