package health.vigil.adapter.local;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.model.CanaryRecord;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.sqlite.SQLiteConfig;

/**
 * The local model registry in {@code {home}/registry.db}: version and deployment documents as JSON (the same
 * documents the Cosmos DB adapter keeps), each with an etag column that conditional updates compare, each canary
 * version's last ramp, and the handled-events table that makes event handlers idempotent.
 *
 * <p>Scoring reads a model's deployment on every request, so deployments are cached and the cache is dropped
 * whenever the database changed (any commit, by this process or another, such as a deploy or rollback, moves
 * SQLite's WAL index: {@link SqliteDatabase#commitMark()}). A change is therefore seen by the very next read,
 * at the cost of a shared-memory read instead of a query and a JSON parse.
 */
final class SqliteRegistryStore implements RegistryStore, AutoCloseable {
    public static final String FILE_NAME = "registry.db";
    /** Each entry takes the file from one schema version to the next (the first creates it). */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            "CREATE TABLE versions (model TEXT NOT NULL, version INTEGER NOT NULL, package_sha256 TEXT,"
                    + " etag TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (model, version)) WITHOUT ROWID",
            "CREATE INDEX versions_by_package ON versions (model, package_sha256)",
            "CREATE TABLE deployments (model TEXT PRIMARY KEY, etag TEXT NOT NULL, document TEXT NOT NULL)"
                    + " WITHOUT ROWID",
            "CREATE TABLE handled_events (handler TEXT NOT NULL, event_id TEXT NOT NULL, handled_at TEXT NOT NULL,"
                    + " PRIMARY KEY (handler, event_id)) WITHOUT ROWID"),
            // Version 2: each canary version's last ramp, kept when the deployment document no longer holds it.
            List.of("CREATE TABLE canaries (model TEXT NOT NULL, version INTEGER NOT NULL, revision INTEGER NOT NULL,"
                    + " document TEXT NOT NULL, PRIMARY KEY (model, version)) WITHOUT ROWID"));

    /**
     * Oldest first: should two versions ever share a package, the first registration is the answer. Without
     * statistics SQLite's planner prefers walking the model's primary-key range, hence the explicit index.
     */
    static final String FIND_BY_PACKAGE = "SELECT document, etag FROM versions INDEXED BY versions_by_package"
            + " WHERE model = ? AND package_sha256 = ? ORDER BY version LIMIT 1";

    private final SqliteDatabase db;
    private volatile CachedDeployments deployments = new CachedDeployments(null);

    /** Deployments as read while the database stood at one commit; replaced whole when it moves on. */
    private record CachedDeployments(SqliteDatabase.CommitMark mark,
            ConcurrentHashMap<ModelName, Optional<Deployment>> byModel) {
        CachedDeployments(SqliteDatabase.CommitMark mark) {
            this(mark, new ConcurrentHashMap<>());
        }
    }

    private SqliteRegistryStore(SqliteDatabase db) {
        this.db = db;
    }

    /**
     * Opens the registry under {@code home}, creating it on first use. Commits use {@code synchronous=FULL}:
     * registry writes are few, and a lost approval or version number is worse than an fsync.
     */
    public static SqliteRegistryStore open(Path home) {
        Objects.requireNonNull(home, "home");
        return new SqliteRegistryStore(SqliteDatabase.open(home.resolve(FILE_NAME), "registry database",
                SQLiteConfig.SynchronousMode.FULL, MIGRATIONS));
    }

    @Override
    public NewVersion createVersionOnce(ModelName model, IntFunction<VersionRecord> factory) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(factory, "factory");
        // The immediate transaction holds SQLite's write lock from the MAX() to the INSERT, so no other
        // connection, in this process or another, can take the same number in between.
        return db.write("register a new version of " + model, c -> {
            int next;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE model = ?")) {
                s.setString(1, model.value());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    next = rs.getInt(1);
                }
            }
            VersionRecord built = factory.apply(next);
            if (built == null || !built.modelName().equals(model) || built.version() != next) {
                throw new VigilException(ErrorCode.INTERNAL, "the registry assigned " + model + ":" + next
                        + " but the version factory built " + (built == null ? "nothing" : built.id().toString())
                        + "; the factory must build the record for the number it is given");
            }
            if (built.packageSha256() != null) {
                // Same transaction as the insert: two events announcing one package cannot both register it.
                try (PreparedStatement s = c.prepareStatement("SELECT document, etag FROM versions"
                        + " WHERE model = ? AND package_sha256 = ? ORDER BY version LIMIT 1")) {
                    s.setString(1, model.value());
                    s.setString(2, built.packageSha256());
                    try (ResultSet rs = s.executeQuery()) {
                        if (rs.next()) {
                            return new NewVersion(readDocument(rs.getString(1), VersionRecord.class)
                                    .withEtag(rs.getString(2)), false);
                        }
                    }
                }
            }
            String etag = newEtag();
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO versions (model, version, package_sha256, etag, document) VALUES (?, ?, ?, ?, ?)")) {
                s.setString(1, model.value());
                s.setInt(2, next);
                s.setString(3, built.packageSha256());
                s.setString(4, etag);
                s.setString(5, Json.write(built.withEtag(null)));
                s.executeUpdate();
            }
            return new NewVersion(built.withEtag(etag), true);
        });
    }

    @Override
    public Optional<VersionRecord> findVersion(ModelName model, int version) {
        Objects.requireNonNull(model, "model");
        return db.read("read version " + model + ":" + version, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT document, etag FROM versions WHERE model = ? AND version = ?")) {
                s.setString(1, model.value());
                s.setInt(2, version);
                return firstVersion(s);
            }
        });
    }

    @Override
    public Optional<VersionRecord> findByPackageSha256(ModelName model, String packageSha256) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(packageSha256, "packageSha256");
        return db.read("look up a package of " + model + " by sha256", c -> {
            try (PreparedStatement s = c.prepareStatement(FIND_BY_PACKAGE)) {
                s.setString(1, model.value());
                s.setString(2, packageSha256);
                return firstVersion(s);
            }
        });
    }

    @Override
    public List<VersionRecord> listVersions(ModelName model) {
        Objects.requireNonNull(model, "model");
        return db.read("list the versions of " + model, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT document, etag FROM versions WHERE model = ? ORDER BY version")) {
                s.setString(1, model.value());
                List<VersionRecord> out = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(versionFrom(rs));
                    }
                }
                return List.copyOf(out);
            }
        });
    }

    @Override
    public List<ModelName> listModels() {
        return db.read("list the registered models", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT model FROM versions ORDER BY model");
                    ResultSet rs = s.executeQuery()) {
                List<ModelName> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new ModelName(rs.getString(1)));
                }
                return List.copyOf(out);
            }
        });
    }

    @Override
    public VersionRecord updateVersion(VersionRecord record) {
        Objects.requireNonNull(record, "record");
        return db.write("update version " + record.id(), c -> {
            String stored;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT etag FROM versions WHERE model = ? AND version = ?")) {
                s.setString(1, record.modelName().value());
                s.setInt(2, record.version());
                stored = firstString(s);
            }
            if (stored == null) {
                throw new NotFoundException(ErrorCode.VERSION_NOT_FOUND, "version " + record.id()
                        + " is not registered, so it cannot be updated; register it first");
            }
            if (!stored.equals(record.etag())) {
                throw concurrentModification("version " + record.id());
            }
            String etag = newEtag();
            try (PreparedStatement s = c.prepareStatement("UPDATE versions SET package_sha256 = ?, etag = ?,"
                    + " document = ? WHERE model = ? AND version = ? AND etag = ?")) {
                s.setString(1, record.packageSha256());
                s.setString(2, etag);
                s.setString(3, Json.write(record.withEtag(null)));
                s.setString(4, record.modelName().value());
                s.setInt(5, record.version());
                s.setString(6, stored);
                s.executeUpdate();
            }
            return record.withEtag(etag);
        });
    }

    @Override
    public Optional<Deployment> findDeployment(ModelName model) {
        Objects.requireNonNull(model, "model");
        // The mark is taken before the read: a commit landing in between moves it on, so the next call
        // reads again rather than keep what this one read.
        SqliteDatabase.CommitMark mark = db.commitMark();
        CachedDeployments cached = deployments;
        if (!mark.equals(cached.mark())) {
            cached = new CachedDeployments(mark);
            deployments = cached;
        }
        Optional<Deployment> found = cached.byModel().get(model);
        if (found == null) {
            found = readDeployment(model);
            cached.byModel().putIfAbsent(model, found);
        }
        return found;
    }

    private Optional<Deployment> readDeployment(ModelName model) {
        return db.read("read the deployment of " + model, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT document, etag FROM deployments WHERE model = ?")) {
                s.setString(1, model.value());
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(deploymentFrom(rs)) : Optional.<Deployment>empty();
                }
            }
        });
    }

    @Override
    public Deployment saveDeployment(Deployment deployment) {
        Objects.requireNonNull(deployment, "deployment");
        ModelName model = deployment.modelName();
        return db.write("save the deployment of " + model, c -> {
            String stored;
            try (PreparedStatement s = c.prepareStatement("SELECT etag FROM deployments WHERE model = ?")) {
                s.setString(1, model.value());
                stored = firstString(s);
            }
            if (!Objects.equals(stored, deployment.etag())) {
                throw concurrentModification("the deployment of " + model);
            }
            String etag = newEtag();
            String document = Json.write(deployment.withEtag(null));
            String sql = stored == null
                    ? "INSERT INTO deployments (etag, document, model) VALUES (?, ?, ?)"
                    : "UPDATE deployments SET etag = ?, document = ? WHERE model = ?";
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, etag);
                s.setString(2, document);
                s.setString(3, model.value());
                s.executeUpdate();
            }
            return deployment.withEtag(etag);
        });
    }

    @Override
    public CanaryRecord keepCanary(CanaryRecord record) {
        Objects.requireNonNull(record, "record");
        return db.write("keep the canary of " + record.modelName() + ":" + record.version(), c -> {
            // One statement: the revision comparison and the write cannot interleave with another writer's.
            try (PreparedStatement s = c.prepareStatement("INSERT INTO canaries (model, version, revision, document)"
                    + " VALUES (?, ?, ?, ?) ON CONFLICT (model, version) DO UPDATE SET revision = excluded.revision,"
                    + " document = excluded.document WHERE excluded.revision > canaries.revision")) {
                s.setString(1, record.modelName().value());
                s.setInt(2, record.version());
                s.setLong(3, record.revision());
                s.setString(4, Json.write(record));
                s.executeUpdate();
            }
            return canary(c, record.modelName(), record.version()).orElseThrow();
        });
    }

    @Override
    public Optional<CanaryRecord> findCanary(ModelName model, int version) {
        Objects.requireNonNull(model, "model");
        return db.read("read the canary of " + model + ":" + version, c -> canary(c, model, version));
    }

    private static Optional<CanaryRecord> canary(Connection c, ModelName model, int version) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT document FROM canaries WHERE model = ? AND version = ?")) {
            s.setString(1, model.value());
            s.setInt(2, version);
            return canaries(s).stream().findFirst();
        }
    }

    @Override
    public List<CanaryRecord> listCanaries(ModelName model) {
        Objects.requireNonNull(model, "model");
        return db.read("list the canaries of " + model, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT document FROM canaries WHERE model = ? ORDER BY revision DESC")) {
                s.setString(1, model.value());
                return canaries(s);
            }
        });
    }

    private static List<CanaryRecord> canaries(PreparedStatement s) throws SQLException {
        List<CanaryRecord> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.add(readDocument(rs.getString(1), CanaryRecord.class));
            }
        }
        return List.copyOf(out);
    }

    @Override
    public boolean markEventHandled(String handler, String eventId) {
        requireKey(handler, "handler");
        requireKey(eventId, "eventId");
        return db.write("record that " + handler + " handled an event", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT OR IGNORE INTO handled_events (handler, event_id, handled_at) VALUES (?, ?, ?)")) {
                s.setString(1, handler);
                s.setString(2, eventId);
                s.setString(3, Instant.now().toString());
                return s.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean isEventHandled(String handler, String eventId) {
        requireKey(handler, "handler");
        requireKey(eventId, "eventId");
        return db.read("check whether " + handler + " handled an event", c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT 1 FROM handled_events WHERE handler = ? AND event_id = ?")) {
                s.setString(1, handler);
                s.setString(2, eventId);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    @Override
    public void close() {
        db.close();
    }

    private static Optional<VersionRecord> firstVersion(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            return rs.next() ? Optional.of(versionFrom(rs)) : Optional.empty();
        }
    }

    private static String firstString(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static VersionRecord versionFrom(ResultSet rs) throws SQLException {
        return readDocument(rs.getString(1), VersionRecord.class).withEtag(rs.getString(2));
    }

    private static Deployment deploymentFrom(ResultSet rs) throws SQLException {
        return readDocument(rs.getString(1), Deployment.class).withEtag(rs.getString(2));
    }

    /** A stored document that no longer parses is damage to the store, not a mistake of the caller. */
    private static <T> T readDocument(String json, Class<T> type) {
        try {
            return Json.read("stored " + type.getSimpleName(), json.getBytes(StandardCharsets.UTF_8), type);
        } catch (ValidationException e) {
            throw new StoreException("a stored " + type.getSimpleName() + " document in the registry database cannot"
                    + " be read; restore the database from a backup", e);
        }
    }


    private static ConflictException concurrentModification(String what) {
        return new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, what + " was changed by someone else since it"
                + " was read (its etag no longer matches); read it again and reapply the change");
    }

    private static void requireKey(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new ValidationException(name + " is missing: handled events are keyed on the handler's name and"
                    + " the event id");
        }
    }

    private static String newEtag() {
        return UUID.randomUUID().toString();
    }
}
