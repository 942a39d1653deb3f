package health.vigil.audit;

/**
 * What an export produced: the digest and records blobs in {@code audit-exports}, and whether this call
 * wrote them or found an identical export already there (a repeated request or a replayed timer).
 */
public record ExportResult(String digest, String records, long count, String sha256, String keyId, boolean created) {}
