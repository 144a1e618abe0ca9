import Logging

extension LogEvent {
    /// The metadata to emit for this event: the handler's, then the provider's, then the call's own.
    ///
    /// Later sources win on a clash, the order swift-log's `StreamLogHandler` uses. An error
    /// passed as `logger.error(…, error:)` becomes the `error` key unless the call set one,
    /// so operators find it under one journal field (`LITESAFE_ERROR`) however it was logged.
    func mergedMetadata(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?
    ) -> Logger.Metadata {
        var merged = handler
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        if let error, merged["error"] == nil {
            merged["error"] = .string(String(describing: error))
        }
        return merged
    }
}
