extension Configuration {
    /// The backup job for a configured database, as the daemon and `litesafe backup` run it:
    /// one backup to each of its stores, each pruned by its retention there. `stores` makes the
    /// stores.
    ///
    /// With `cancellation`, its stores' blocking requests end soon after it is set (a stop).
    public func backupJob(for database: Database, stores: any StoreFactory, cancellation: Cancellation? = nil)
        -> BackupJob
    {
        let targets = database.stores.map { named in
            BackupJob.Target(
                name: named.name,
                store: cancellation.map { stores.makeStore(at: named.location, cancellation: $0) }
                    ?? stores.makeStore(at: named.location),
                retention: database.retention(in: named))
        }
        var job = BackupJob(
            name: database.name, sourcePath: database.path, store: targets[0].store,
            stagingDirectory: stagingDirectory, checkpoint: database.checkpoint, compression: database.compression,
            encryption: database.encryption, integrityCheck: database.integrityCheck, busyTimeout: database.busyTimeout,
            retention: database.retention, timeZone: timeZone)
        job.targets = targets
        job.cpuPriority = backupCPUPriority
        job.format = database.format
        job.pageStateDirectory = pageStateDirectory
        return job
    }

    /// The job that stores a logical SQL dump of a configured database (`dump_schedule`,
    /// `litesafe dump NAME --store`): the backup job's store, encryption, compression and
    /// retention, with dumps counted apart from snapshots.
    public func dumpJob(for database: Database, stores: any StoreFactory, cancellation: Cancellation? = nil)
        -> BackupJob
    {
        var job = backupJob(for: database, stores: stores, cancellation: cancellation)
        job.kind = .dump
        job.format = .file
        return job
    }
}
