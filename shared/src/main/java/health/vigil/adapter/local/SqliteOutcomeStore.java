package health.vigil.adapter.local;

import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.sqlite.SQLiteConfig;

/**
 * The local outcome store in {@code {home}/outcomes.db}: one row per model and key, written with
 * {@code INSERT OR IGNORE} and read back in the same transaction, so the first outcome under a key stays. A batch of
 * outcomes is one transaction (one durable commit), not one per outcome.
 */
final class SqliteOutcomeStore implements OutcomeStore, AutoCloseable {
    public static final String FILE_NAME = "outcomes.db";
    /** Keys per SELECT; SQLite allows 32766 bound parameters, this keeps statements short. */
    private static final int KEYS_PER_READ = 500;
    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE outcomes (model TEXT NOT NULL, outcome_key TEXT NOT NULL, positive INTEGER NOT NULL,"
                    + " recorded_at TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (model, outcome_key))"
                    + " WITHOUT ROWID");

    private final SqliteDatabase db;

    private SqliteOutcomeStore(SqliteDatabase db) {
        this.db = db;
    }

    static SqliteOutcomeStore open(Path home) {
        Objects.requireNonNull(home, "home");
        // FULL: an acknowledged outcome is a clinical fact the sender will not send again.
        return new SqliteOutcomeStore(SqliteDatabase.open(home.resolve(FILE_NAME), "outcome store",
                SQLiteConfig.SynchronousMode.FULL, 1, SCHEMA));
    }

    @Override
    public Optional<Outcome> putIfAbsent(Outcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        return putAllIfAbsent(List.of(outcome)).get(0);
    }

    /** All in one transaction: one durable commit for the whole list, not one per outcome. */
    @Override
    public List<Optional<Outcome>> putAllIfAbsent(List<Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            return List.of();
        }
        return db.write("record " + outcomes.size() + " outcome(s) of " + outcomes.get(0).model(), c -> {
            List<Optional<Outcome>> out = new ArrayList<>(outcomes.size());
            try (PreparedStatement s = c.prepareStatement("INSERT OR IGNORE INTO outcomes (model, outcome_key,"
                    + " positive, recorded_at, source) VALUES (?, ?, ?, ?, ?)")) {
                for (Outcome outcome : outcomes) {
                    s.setString(1, outcome.model().value());
                    s.setString(2, outcome.key());
                    s.setInt(3, outcome.positive() ? 1 : 0);
                    s.setString(4, outcome.recordedAt().toString());
                    s.setString(5, outcome.source());
                    out.add(s.executeUpdate() == 1 ? Optional.empty()
                            : Optional.of(select(c, outcome.model(), List.of(outcome.key())).get(outcome.key())));
                }
            }
            return out;
        });
    }

    @Override
    public Map<String, Outcome> get(ModelName model, Collection<String> keys) {
        Objects.requireNonNull(model, "model");
        List<String> all = new ArrayList<>(keys);
        Map<String, Outcome> found = new HashMap<>();
        for (int from = 0; from < all.size(); from += KEYS_PER_READ) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + KEYS_PER_READ));
            found.putAll(db.read("read outcomes of " + model, c -> select(c, model, chunk)));
        }
        return found;
    }

    /**
     * In one transaction: the outcomes are read, those whose predictions all predate {@code cutoff} counted and
     * deleted, so a run that fails removes none and a retry counts the same ones again.
     */
    @Override
    public long purgeBefore(Instant cutoff, LongConsumer beforeRemoval) {
        Objects.requireNonNull(cutoff, "cutoff");
        Objects.requireNonNull(beforeRemoval, "beforeRemoval");
        return db.write("remove outcomes of predictions before " + cutoff, c -> {
            List<String[]> expired = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT model, outcome_key, recorded_at FROM outcomes");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Outcome o = new Outcome(new ModelName(rs.getString(1)), rs.getString(2), false,
                            Instant.parse(rs.getString(3)), "");
                    if (o.labelsOnlyPredictionsBefore(cutoff)) {
                        expired.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            }
            if (expired.isEmpty()) {
                return 0L;
            }
            beforeRemoval.accept(expired.size());
            try (PreparedStatement s = c.prepareStatement("DELETE FROM outcomes WHERE model = ? AND outcome_key = ?")) {
                for (String[] row : expired) {
                    s.setString(1, row[0]);
                    s.setString(2, row[1]);
                    s.addBatch();
                }
                s.executeBatch();
            }
            return (long) expired.size();
        });
    }

    private static Map<String, Outcome> select(java.sql.Connection c, ModelName model, List<String> keys)
            throws SQLException {
        Map<String, Outcome> found = new HashMap<>();
        if (keys.isEmpty()) {
            return found;
        }
        String marks = String.join(",", java.util.Collections.nCopies(keys.size(), "?"));
        try (PreparedStatement s = c.prepareStatement("SELECT outcome_key, positive, recorded_at, source FROM outcomes"
                + " WHERE model = ? AND outcome_key IN (" + marks + ")")) {
            s.setString(1, model.value());
            for (int i = 0; i < keys.size(); i++) {
                s.setString(i + 2, keys.get(i));
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getString(1), new Outcome(model, rs.getString(1), rs.getInt(2) == 1,
                            Instant.parse(rs.getString(3)), rs.getString(4)));
                }
            }
        }
        return found;
    }

    @Override
    public void close() {
        db.close();
    }
}
