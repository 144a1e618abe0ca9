extension Manifest {
    /// The manifest beside `path` that describes it, if any (a file copied out of a store
    /// with its manifest keeps its hash check).
    public static func describing(_ path: String) throws -> Manifest? {
        let folder = FileSystem.parent(of: path)
        let name = FileSystem.basename(of: path)
        guard let names = try? FileSystem.contents(of: folder) else { return nil }
        for candidate in names where candidate.hasSuffix(BackupName.manifestSuffix) {
            let manifestPath = folder + "/" + candidate
            if let manifest = try? Manifest.decode(
                FileSystem.readSmallFile(manifestPath, limit: Manifest.maximumSize), path: manifestPath),
                manifest.file == name
            {
                return manifest
            }
        }
        return nil
    }
}
