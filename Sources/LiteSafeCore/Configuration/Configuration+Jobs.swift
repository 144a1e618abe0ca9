extension Configuration {
    /// The backup job for a configured database, as the daemon and `litesafe backup` run it:
    /// each successful backup prunes by the database's retention. `stores` makes its store.
    public func backupJob(for database: Database, stores: any StoreFactory) -> BackupJob {
        BackupJob(
            name: database.name, sourcePath: database.path, store: stores.makeStore(at: database.store),
            stagingDirectory: stagingDirectory, checkpoint: database.checkpoint, compression: database.compression,
            encryption: database.encryption, integrityCheck: database.integrityCheck, busyTimeout: database.busyTimeout,
            retention: database.retention, timeZone: timeZone)
    }

    /// The job that stores a logical SQL dump of a configured database (`dump_schedule`,
    /// `litesafe dump NAME --store`): the backup job's store, encryption, compression and
    /// retention, with dumps counted apart from snapshots.
    public func dumpJob(for database: Database, stores: any StoreFactory) -> BackupJob {
        var job = backupJob(for: database, stores: stores)
        job.kind = .dump
        return job
    }
}
