package health.vigil.monitoring;


import health.vigil.error.ConflictException;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import health.vigil.port.StoredJson;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Monitoring reports as JSON blobs in the {@code monitoring} container, one per window under its report id, written
 * once: a second check of the same window finds the first report and keeps it (reports are evidence). The one
 * exception is a provisional report, made before its window settled: the final report replaces it, once.
 */
public final class MonitoringReports {
    private final ArtifactStore artifacts;
    private final StoredJson documents;

    public MonitoringReports(ArtifactStore artifacts) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.documents = new StoredJson(artifacts, ArtifactStore.MONITORING);
    }

    /** Stores {@code report} unless its window has one; returns the report now stored under its id. */
    public MonitoringReport create(MonitoringReport report) {
        return documents.createOnce(blobName(report.id()), report);
    }

    /**
     * Stores {@code report} unless its window has a report that stays: a final report replaces a provisional one (a
     * compare-and-swap on the stored blob, so of two checks finalising the window together exactly one replaces it),
     * and anything else keeps the stored report. Returns the report now stored under its id.
     */
    public MonitoringReport store(MonitoringReport report) {
        String name = blobName(report.id());
        Optional<ArtifactStore.StoredArtifact> blob = artifacts.describe(ArtifactStore.MONITORING, name);
        Optional<MonitoringReport> stored = blob.isEmpty() ? Optional.empty() : find(report.id());
        if (stored.isEmpty()) {
            return create(report);
        }
        if (report.provisional() || !stored.get().provisional()) {
            return stored.get();
        }
        try {
            artifacts.replace(ArtifactStore.MONITORING, name, new ByteArrayInputStream(Json.writeBytes(report)),
                    blob.get().etag());
            return report;
        } catch (ConflictException replacedElsewhere) {
            return find(report.id()).orElseThrow(() -> replacedElsewhere);
        }
    }

    public Optional<MonitoringReport> find(String id) {
        return documents.find(blobName(id), MonitoringReport.class);
    }

    /** A model's reports whose window starts in {@code [from, to)}, oldest first. */
    public List<MonitoringReport> list(String model, Instant from, Instant to) {
        List<MonitoringReport> out = new ArrayList<>();
        for (ArtifactStore.StoredArtifact blob : artifacts.list(ArtifactStore.MONITORING, model + "/")) {
            String id = blob.name().substring(0, blob.name().length() - ".json".length());
            Instant start = windowStart(id);
            if (start != null && !start.isBefore(from) && start.isBefore(to)) {
                find(id).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(MonitoringReport::from).thenComparing(MonitoringReport::version)
                .thenComparing(MonitoringReport::slot));
        return out;
    }

    /**
     * The report of the latest window checked for {@code version} of {@code model} in {@code slot} (a wire name such
     * as {@code stable}), or empty when that slot of the version was never checked. Reads one report, whatever the
     * number of windows.
     */
    public Optional<MonitoringReport> latest(String model, int version, String slot) {
        // The start every id of that slot shares, taken from the one method that writes ids.
        String any = MonitoringReport.idOf(model, version, slot, Instant.EPOCH, Instant.EPOCH.plusSeconds(1));
        String prefix = any.substring(0, any.lastIndexOf('/') + 1);
        String latest = null;
        Instant latestStart = null;
        for (ArtifactStore.StoredArtifact blob : artifacts.list(ArtifactStore.MONITORING, prefix)) {
            String id = blob.name().substring(0, blob.name().length() - ".json".length());
            Instant start = windowStart(id);
            // Of two windows starting together, the longer one's id sorts last.
            if (start != null && (latest == null || start.isAfter(latestStart)
                    || start.equals(latestStart) && id.compareTo(latest) > 0)) {
                latest = id;
                latestStart = start;
            }
        }
        return latest == null ? Optional.empty() : find(latest);
    }

    static String blobName(String id) {
        return id + ".json";
    }

    /** The window start written in a report id (the {@code 2026-12-01T100000Z} before {@code --} in its last segment), or null for a name that is not one. */
    static Instant windowStart(String id) {
        String last = id.substring(id.lastIndexOf('/') + 1);
        int end = last.indexOf("--");
        if (end != 18) {
            return null;
        }
        try {
            return Instant.parse(last.substring(0, 13) + ":" + last.substring(13, 15) + ":" + last.substring(15, 18));
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
