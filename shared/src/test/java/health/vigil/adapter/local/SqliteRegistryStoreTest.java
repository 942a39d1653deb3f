package health.vigil.adapter.local;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.sha256;
import static health.vigil.contract.ContractFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.contract.Parallel;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.model.BucketSalt;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryRecord;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Displaced;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.RecentRequest;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.routing.TrafficRouter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the SQLite registry adds to the port's contract: persistence, several processes, schema guard. */
class SqliteRegistryStoreTest {
    private static final ModelName MODEL = new ModelName("readmission");

    @TempDir
    Path home;

    /**
     * A running ramp's patients keep their arm across a restart: its bucket salt is stored with it, so the deployment
     * read back from the database routes every patient as the one that was saved.
     */
    @Test
    void aStoredRampsPatientsKeepTheirArmAcrossARestart() {
        Deployment saved;
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            saved = store.saveDeployment(new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, 9_900),
                    new TrafficSlot(Slot.CANARY, 2, 100)), 2, "ops", T0, null, new CanaryRamp(2, 1,
                    CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT, CanaryStatus.RUNNING, 0, T0,
                    T0.plusSeconds(600), 0, "ops", T0, "started", "started by ops at 1 %", List.of(),
                    BucketSalt.draw())));
        }
        Pseudonymizer pseudonyms = new Pseudonymizer("store tests use this fixed 32+ byte key, no other"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));

        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            Deployment read = store.findDeployment(MODEL).orElseThrow();
            assertThat(read.canary().bucketSalt()).isNotNull().isEqualTo(saved.canary().bucketSalt());
            int onCanary = 0;
            for (int i = 0; i < 20_000; i++) {
                String patient = pseudonyms.pseudonym("MRN-" + i);
                TrafficSlot arm = TrafficRouter.route(read, patient);
                assertThat(arm).isEqualTo(TrafficRouter.route(saved, patient));
                onCanary += arm.slot() == Slot.CANARY ? 1 : 0;
            }
            assertThat(onCanary).isBetween(150, 250);
        }
    }

    @Test
    void keepsVersionsEtagsDeploymentsAndHandledEventsAcrossARestart() {
        VersionRecord approved;
        Deployment deployment;
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            VersionRecord first = store.createNextVersion(MODEL, n -> version(MODEL, n, sha256("p1")));
            approved = store.updateVersion(first.withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", T0)));
            // With the keyed requests it remembers: a rollback that named no version, a deploy that named one.
            deployment = store.saveDeployment(Deployment.stableOnly(MODEL, 1, 1, "ops", T0, null)
                    .remembering(RecentRequest.of(new IdempotencyKey("back-1"), "ops", RecentRequest.ROLLBACK,
                            OptionalInt.empty(), 1, 1, T0))
                    .remembering(RecentRequest.of(new IdempotencyKey("deploy-1"), "ops", RecentRequest.DEPLOY,
                            OptionalInt.of(1), 1, 1, T0)));
            store.markEventHandled("RegisterModel", "event-1");
        }

        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            assertThat(store.findVersion(MODEL, 1)).contains(approved);
            assertThat(store.findDeployment(MODEL)).contains(deployment);
            assertThat(store.findDeployment(MODEL).orElseThrow().requests()).hasSize(2);
            assertThat(store.isEventHandled("RegisterModel", "event-1")).isTrue();
            assertThat(store.createNextVersion(MODEL, n -> version(MODEL, n, sha256("p2"))).version()).isEqualTo(2);
        }
        assertThat(home.resolve(SqliteRegistryStore.FILE_NAME)).isRegularFile();
    }

    @Test
    void keepsWhatADeployTookOffLiveTrafficWithItsRevisionAndItsRequestAcrossARestart() {
        Displaced canary = new Displaced(2, Displaced.CANARY);
        Deployment unkeyed;
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            unkeyed = store.saveDeployment(Deployment.stableOnly(MODEL, 3, 5, "ops", T0, null)
                    .keeping(OptionalInt.of(1), Optional.of(canary)));
        }
        Deployment keyed;
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            Deployment read = store.findDeployment(MODEL).orElseThrow();
            assertThat(read).isEqualTo(unkeyed);
            assertThat(read.replacedByItsDeploy()).hasValue(1);
            assertThat(read.endedByItsDeploy()).contains(canary);
            keyed = store.saveDeployment(Deployment.stableOnly(MODEL, 4, 6, "ops", T0, read.etag()).following(read)
                    .remembering(RecentRequest.of(new IdempotencyKey("deploy-4"), "ops", RecentRequest.DEPLOY,
                            OptionalInt.of(4), 6, 4, T0, OptionalInt.of(3), Optional.empty())));
        }
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            Deployment read = store.findDeployment(MODEL).orElseThrow();
            assertThat(read).isEqualTo(keyed);
            // What revision 5 kept is its own, not carried forward.
            assertThat(read.replacedByItsDeploy()).hasValue(3);
            assertThat(read.endedByItsDeploy()).isEmpty();
        }
    }

    @Test
    void aCachedDeploymentIsReadAgainOnceAnyConnectionChangedTheFile() throws SQLException {
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home); SqliteRegistryStore other = SqliteRegistryStore.open(home)) {
            assertThat(store.findDeployment(MODEL)).isEmpty();
            Deployment first = store.saveDeployment(Deployment.stableOnly(MODEL, 1, 1, "ops", T0, null));
            assertThat(store.findDeployment(MODEL)).contains(first);

            Deployment second = other.saveDeployment(Deployment.stableOnly(MODEL, 2, 2, "ops", T0, first.etag()));
            assertThat(store.findDeployment(MODEL)).contains(second);

            // A change made outside Vigil's adapters altogether, straight into the file.
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteRegistryStore.FILE_NAME));
                    Statement s = c.createStatement()) {
                s.execute("DELETE FROM deployments");
            }
            assertThat(store.findDeployment(MODEL)).isEmpty();
        }
    }

    @Test
    void twoStoresOnOneFileLikeTheCliBesideVigilUpNeverShareANumber() throws Exception {
        try (SqliteRegistryStore a = SqliteRegistryStore.open(home); SqliteRegistryStore b = SqliteRegistryStore.open(home)) {
            List<List<Integer>> numbers = Parallel.run(6, t -> {
                SqliteRegistryStore mine = t % 2 == 0 ? a : b;
                List<Integer> got = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    got.add(mine.createNextVersion(MODEL, n -> version(MODEL, n, sha256(t + "/" + n))).version());
                }
                return got;
            });

            assertThat(numbers.stream().flatMap(List::stream).sorted().toList())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 60).boxed().toList());
            VersionRecord readByA = a.findVersion(MODEL, 1).orElseThrow();
            b.updateVersion(b.findVersion(MODEL, 1).orElseThrow().withStage(new StageChange(null, Stage.REJECTED, "store-test", "written directly to the store", T0)));
            assertThatThrownBy(() -> a.updateVersion(readByA.withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", T0))))
                    .isInstanceOfSatisfying(ConflictException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
        }
    }

    @Test
    void aFactoryThatFailsLeavesNothingBehindAndItsNumberIsGivenAgain() {
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            IllegalStateException boom = new IllegalStateException("manifest could not be built");

            assertThatThrownBy(() -> store.createNextVersion(MODEL, n -> {
                throw boom;
            })).isSameAs(boom);

            assertThat(store.listVersions(MODEL)).isEmpty();
            assertThat(store.listModels()).isEmpty();
            assertThat(store.createNextVersion(MODEL, n -> version(MODEL, n, sha256("p"))).version()).isEqualTo(1);
        }
    }

    @Test
    void looksUpPackagesThroughTheSha256Index() throws SQLException {
        SqliteRegistryStore.open(home).close();

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteRegistryStore.FILE_NAME));
                PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + SqliteRegistryStore.FIND_BY_PACKAGE)) {
            s.setString(1, "readmission");
            s.setString(2, sha256("package"));
            ResultSet plan = s.executeQuery();
            StringBuilder details = new StringBuilder();
            while (plan.next()) {
                details.append(plan.getString("detail")).append('\n');
            }
            assertThat(details.toString()).contains("USING INDEX versions_by_package (model=? AND package_sha256=?)");
        }
    }

    @Test
    void aRegistryDatabaseFromBeforeCanariesWereKeptGainsTheirTableAndKeepsItsDocuments() throws SQLException {
        Deployment deployment;
        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            store.createNextVersion(MODEL, n -> version(MODEL, n, sha256("p1")));
            deployment = store.saveDeployment(Deployment.stableOnly(MODEL, 1, 1, "ops", T0, null));
        }
        // Take the file back to schema version 1, as the previous release left it.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteRegistryStore.FILE_NAME));
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE canaries");
            s.execute("PRAGMA user_version = 1");
        }

        try (SqliteRegistryStore store = SqliteRegistryStore.open(home)) {
            assertThat(store.findDeployment(MODEL)).contains(deployment);
            assertThat(store.listCanaries(MODEL)).isEmpty();
            CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                    CanaryStatus.ABORTED, 0, T0, T0, 0, "ops", T0, "aborted", "aborted by ops", List.of());
            CanaryRecord kept = store.keepCanary(new CanaryRecord(MODEL, 3, "ops", T0, ramp));
            assertThat(store.findCanary(MODEL, 2)).contains(kept);
        }
    }

    @Test
    void refusesADatabaseWrittenByANewerVigil() throws SQLException {
        SqliteRegistryStore.open(home).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteRegistryStore.FILE_NAME));
                Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }

        assertThatThrownBy(() -> SqliteRegistryStore.open(home))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("schema version 99")
                .hasMessageContaining("upgrade Vigil");
    }

    @Test
    void aFileThatIsNotADatabaseIsAStoreFailureThatKeepsItsCause() throws Exception {
        Files.writeString(home.resolve(SqliteRegistryStore.FILE_NAME), "patient 1234 readmitted ".repeat(200));

        assertThatThrownBy(() -> SqliteRegistryStore.open(home))
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
                    assertThat(e.getCause()).isInstanceOf(SQLException.class);
                    assertThat(e.getMessage()).contains("not a SQLite database").doesNotContain("patient");
                });
    }

    @Test
    void aClosedStoreSaysSoInsteadOfFailingObscurely() {
        SqliteRegistryStore store = SqliteRegistryStore.open(home);
        store.close();

        assertThatThrownBy(() -> store.listModels()).isInstanceOf(StoreException.class).hasMessageContaining("closed");
    }
}
