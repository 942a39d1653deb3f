package health.vigil.bench.audit;

import static health.vigil.bench.PeakHeap.measure;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.local.LocalAuditSigner;
import health.vigil.audit.AuditChain;
import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.audit.EvidenceFiles;
import health.vigil.audit.EvidenceReport;
import health.vigil.audit.EvidenceVerifier;
import health.vigil.audit.ExportResult;
import health.vigil.audit.SigningKeys;
import health.vigil.bench.BenchArguments;
import health.vigil.config.VigilConfig;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import health.vigil.bench.PeakHeap.Measured;

/**
 * Export and verification of a large audit log, each beside a baseline run in the same JVM, alternately:
 * <ul>
 *   <li>export: {@link AuditEvidence#export} (read the store, JSON Lines, sha256, signed digest, stored blob)
 *       against the bare cost of reading the same records from {@code audit.db} and writing them as JSON Lines;</li>
 *   <li>verification: {@link EvidenceVerifier} (parse every record, recompute its hash, check links, anchors and
 *       signatures) against computing the sha256 of the export file, the least any check of a file must do.</li>
 * </ul>
 * Time is wall clock (median of the rounds); memory is the peak heap in use during the step (the JVM's heap
 * pools' peak usage, reset after a full GC before each step).
 *
 * <p>Run: {@code java -Xmx1g -cp "bench/target/classes:bench/target/lib/*"
 * health.vigil.bench.audit.AuditEvidenceBenchmark [records] [days] [rounds]} (defaults 1000000 10 3).
 */
public final class AuditEvidenceBenchmark {
    private static final LocalDate FIRST_DAY = LocalDate.of(2026, 1, 1);

    private AuditEvidenceBenchmark() {}

    public static void main(String[] args) throws Exception {
        BenchArguments arguments = new BenchArguments("AuditEvidenceBenchmark [records] [days] [rounds]", args);
        int records = arguments.atLeast(0, "records", 1_000_000, 1);
        int days = arguments.atLeast(1, "days", 10, 1);
        int rounds = arguments.atLeast(2, "rounds", 3, 1);
        Path home = Files.createTempDirectory("vigil-audit-bench-");
        long started = System.nanoTime();
        fill(home, records, days);
        System.out.printf("filled audit.db with %,d records over %d days in %.1f s%n", records, days,
                (System.nanoTime() - started) / 1e9);
        LocalDate lastDay = FIRST_DAY.plusDays(days - 1);
        List<Measured> baselineExport = new ArrayList<>();
        List<Measured> vigilExport = new ArrayList<>();
        List<Measured> baselineVerify = new ArrayList<>();
        List<Measured> vigilVerify = new ArrayList<>();
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            AuditStore store = local.auditStore();
            LocalAuditSigner signer = LocalAuditSigner.open(home);
            var trusted = List.of(SigningKeys.fromPem(SigningKeys.pem(signer.publicKey())).orElseThrow());
            for (int round = 1; round <= rounds; round++) {
                Path out = home.resolve("round-" + round);
                Files.createDirectories(out);
                baselineExport.add(measure(() -> bareExport(store, days, out.resolve("bare.jsonl"))));
                LocalAdapters roundFiles = LocalAdapters.at(out, VigilConfig.PredictionLogDurability.DEFAULT);
                ArtifactStore artifacts = roundFiles.artifactStore();
                // A fixed clock a day after the last one: each round's export is a new export of the same records.
                Clock clock = Clock.fixed(lastDay.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC)
                        .plus(Duration.ofMinutes(round)), ZoneOffset.UTC);
                AuditEvidence evidence = new AuditEvidence(store, new AuditLog(store, clock), artifacts, signer, clock);
                Measured exported = measure(() -> evidence.export(FIRST_DAY, lastDay, "benchmark").count());
                vigilExport.add(exported);
                Path container = LocalAdapters.blobFolder(out, ArtifactStore.AUDIT_EXPORTS);
                Path exportFile;
                try (var files = Files.list(container.resolve("exports"))) {
                    exportFile = files.findFirst().orElseThrow();
                }
                baselineVerify.add(measure(() -> {
                    try (InputStream in = Files.newInputStream(exportFile)) {
                        return (long) Sha256.hex(in).length();
                    }
                }));
                Measured verified = measure(() -> {
                    EvidenceReport report = new EvidenceVerifier(trusted).verify(EvidenceFiles.folder(container));
                    if (!report.valid()) {
                        throw new IllegalStateException("the benchmark's own export did not verify: " + report.firstProblem());
                    }
                    return report.records();
                });
                vigilVerify.add(verified);
                System.out.printf("round %d: export %.2f s (bare %.2f s), verify %.2f s (sha256 %.2f s), %,d bytes%n",
                        round, exported.seconds(), baselineExport.get(round - 1).seconds(), verified.seconds(),
                        baselineVerify.get(round - 1).seconds(), Files.size(exportFile));
            }
        }
        report("export", records, vigilExport, "read + JSON Lines", baselineExport);
        report("verify", records, vigilVerify, "sha256 of the file", baselineVerify);
        deleteAll(home);
    }

    /** The run leaves about 1.5 GB per million records and round behind; it is removed at the end. */
    private static void deleteAll(Path home) throws IOException {
        try (var files = Files.walk(home)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }



    private static void report(String what, int records, List<Measured> vigil, String baselineName,
            List<Measured> baseline) {
        double v = median(vigil.stream().mapToDouble(Measured::seconds).toArray());
        double b = median(baseline.stream().mapToDouble(Measured::seconds).toArray());
        long vm = vigil.stream().mapToLong(Measured::peakHeapBytes).max().orElse(0);
        long bm = baseline.stream().mapToLong(Measured::peakHeapBytes).max().orElse(0);
        System.out.printf("%s of %,d records: %.2f s (%,.0f records/s), peak heap %,d MB | baseline (%s) %.2f s,"
                + " peak heap %,d MB | ratio %.2fx%n", what, records, v, records / v, vm >> 20, baselineName, b,
                bm >> 20, v / b);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    /** The baseline export: the same reads from the store and the same JSON Lines, no hash, signature or blob. */
    private static long bareExport(AuditStore store, int days, Path file) throws IOException {
        long count = 0;
        var writer = Json.mapper().writer();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int d = 0; d < days; d++) {
                for (AuditRecord record : store.read(FIRST_DAY.plusDays(d).toString())) {
                    out.write(writer.writeValueAsBytes(record));
                    out.write('\n');
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * Writes a hash-chained log straight into {@code audit.db} in one transaction: appending a million records
     * through the store (one durable commit each) would take hours and measure nothing this benchmark is about.
     */
    private static void fill(Path home, int records, int days) throws SQLException {
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            local.auditStore(); // creates the schema
        }
        int perDay = records / days;
        String previous = AuditChain.GENESIS_HASH;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + LocalAdapters.auditDatabase(home))) {
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO audit (partition, sequence, id, document) VALUES (?, ?, ?, ?)")) {
                for (int d = 0; d < days; d++) {
                    Instant dayStart = FIRST_DAY.plusDays(d).atStartOfDay().toInstant(ZoneOffset.UTC);
                    String partition = AuditLog.partitionOf(dayStart);
                    int count = d == days - 1 ? records - perDay * (days - 1) : perDay;
                    for (int s = 1; s <= count; s++) {
                        Instant time = dayStart.plusMillis((long) s * 80_000_000L / count);
                        AuditRecord unsigned = new AuditRecord(UUID.randomUUID().toString(), partition, s, time,
                                "user-" + (s % 17), s % 5 == 0 ? "access.refused" : "model.register",
                                "/models/readmission/versions/" + (s % 40 + 1), "ok",
                                Map.of("version", Integer.toString(s % 40 + 1), "route", "/models/readmission"),
                                previous, null);
                        String hash = AuditChain.hashOf(unsigned);
                        AuditRecord record = new AuditRecord(unsigned.id(), partition, s, time, unsigned.actor(),
                                unsigned.action(), unsigned.subject(), unsigned.outcome(), unsigned.details(), previous,
                                hash);
                        insert.setString(1, partition);
                        insert.setLong(2, s);
                        insert.setString(3, record.id());
                        insert.setString(4, Json.write(record));
                        insert.addBatch();
                        if (s % 10_000 == 0) {
                            insert.executeBatch();
                        }
                        previous = hash;
                    }
                    insert.executeBatch();
                }
            }
            c.commit();
        }
    }
}
