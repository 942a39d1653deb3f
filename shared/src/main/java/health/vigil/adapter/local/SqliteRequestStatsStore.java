package health.vigil.adapter.local;

import health.vigil.json.Json;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import health.vigil.port.RequestStatsStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.sqlite.SQLiteConfig;

/**
 * Per-minute request statistics in {@code request-stats.db} under the Vigil home: one row per model, version, slot,
 * canary step, minute and instance, replaced as the instance's count of the minute grows. The step is the ISO-8601
 * start of the step, or the empty string in rows of schema version 1, whose routing is unknown. Commits use {@code synchronous=NORMAL}:
 * a crash may lose the last few seconds of counts, which only delays a canary step's judgement.
 */
final class SqliteRequestStatsStore implements RequestStatsStore {
    static final String FILE_NAME = "request-stats.db";
    private static final List<String> SCHEMA_1 = List.of(
            "CREATE TABLE request_stats (model TEXT NOT NULL, minute INTEGER NOT NULL, version INTEGER NOT NULL,"
                    + " slot TEXT NOT NULL, instance TEXT NOT NULL, answered INTEGER NOT NULL, refused INTEGER NOT NULL,"
                    + " failed INTEGER NOT NULL, latency TEXT NOT NULL,"
                    + " PRIMARY KEY (model, minute, version, slot, instance))",
            "CREATE INDEX request_stats_by_minute ON request_stats (minute)");
    /**
     * Version 2: the canary step that routed the requests, in the key, so that two steps' requests in one minute are
     * kept apart (ADR 0035); the rows of version 1 keep an empty step.
     */
    private static final List<String> SCHEMA_2 = List.of(
            "CREATE TABLE request_stats_2 (model TEXT NOT NULL, minute INTEGER NOT NULL, version INTEGER NOT NULL,"
                    + " slot TEXT NOT NULL, step TEXT NOT NULL, instance TEXT NOT NULL, answered INTEGER NOT NULL,"
                    + " refused INTEGER NOT NULL, failed INTEGER NOT NULL, latency TEXT NOT NULL,"
                    + " PRIMARY KEY (model, minute, version, slot, step, instance))",
            "INSERT INTO request_stats_2 (model, minute, version, slot, step, instance, answered, refused, failed,"
                    + " latency) SELECT model, minute, version, slot, '', instance, answered, refused, failed, latency"
                    + " FROM request_stats",
            "DROP TABLE request_stats",
            "ALTER TABLE request_stats_2 RENAME TO request_stats",
            "CREATE INDEX request_stats_by_minute ON request_stats (minute)");
    /** The stored step of a record without one. */
    private static final String UNKNOWN_STEP = "";

    private final SqliteDatabase db;

    private SqliteRequestStatsStore(SqliteDatabase db) {
        this.db = db;
    }

    static SqliteRequestStatsStore open(Path home) {
        Objects.requireNonNull(home, "home");
        return new SqliteRequestStatsStore(SqliteDatabase.open(home.resolve(FILE_NAME), "request statistics database",
                SQLiteConfig.SynchronousMode.NORMAL, List.of(SCHEMA_1, SCHEMA_2)));
    }

    @Override
    public void upsert(List<SlotMinuteStats> records) {
        if (records.isEmpty()) {
            return;
        }
        db.write("store " + records.size() + " request statistics", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT OR REPLACE INTO request_stats (model, minute, version,"
                    + " slot, step, instance, answered, refused, failed, latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (SlotMinuteStats r : records) {
                    s.setString(1, r.model().value());
                    s.setLong(2, r.minute().getEpochSecond());
                    s.setInt(3, r.version());
                    s.setString(4, r.slot().name());
                    s.setString(5, r.step() == null ? UNKNOWN_STEP : r.step().toString());
                    s.setString(6, r.instance());
                    s.setLong(7, r.answered());
                    s.setLong(8, r.refused());
                    s.setLong(9, r.failed());
                    s.setString(10, Json.write(r.latency().counts()));
                    s.addBatch();
                }
                s.executeBatch();
            }
            return null;
        });
    }

    @Override
    public List<SlotMinuteStats> read(ModelName model, Instant from, Instant to) {
        Objects.requireNonNull(model, "model");
        return db.read("read the request statistics of " + model, c -> {
            List<SlotMinuteStats> found = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT minute, version, slot, instance, answered, refused,"
                    + " failed, latency, step FROM request_stats WHERE model = ? AND minute >= ? AND minute < ?"
                    + " ORDER BY minute, version, slot, step, instance")) {
                s.setString(1, model.value());
                s.setLong(2, from.truncatedTo(ChronoUnit.MINUTES).getEpochSecond());
                s.setLong(3, to.getEpochSecond() + (to.getNano() > 0 ? 1 : 0));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        long[] latency = Json.read("request latency counts",
                                rs.getString(8).getBytes(StandardCharsets.UTF_8), long[].class);
                        String step = rs.getString(9);
                        found.add(new SlotMinuteStats(model, rs.getInt(2), Slot.valueOf(rs.getString(3)),
                                step.equals(UNKNOWN_STEP) ? null : Instant.parse(step),
                                Instant.ofEpochSecond(rs.getLong(1)), rs.getString(4), rs.getLong(5), rs.getLong(6),
                                rs.getLong(7), new LatencyHistogram(latency)));
                    }
                }
            }
            return found;
        });
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        return db.write("purge request statistics", c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM request_stats WHERE minute < ?")) {
                s.setLong(1, cutoff.getEpochSecond());
                return (long) s.executeUpdate();
            }
        });
    }

    @Override
    public void close() {
        db.close();
    }
}
