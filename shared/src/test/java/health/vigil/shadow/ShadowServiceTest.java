package health.vigil.shadow;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.audit.MutableClock;
import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.Deployment;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.routing.MirrorSampling;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ShadowServiceTest {
    private static final Instant START = Instant.parse("2026-12-02T08:00:00Z");
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final InMemoryPredictionLog log = new InMemoryPredictionLog();
    private final MutableClock clock = new MutableClock(START);
    private final AuditLog audit = new AuditLog(auditStore, clock);
    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    private final List<Integer> warmed = new CopyOnWriteArrayList<>();
    private int minCellSize = MonitoringPolicy.DEFAULT_MIN_CELL_SIZE;
    private final ShadowService shadows = new ShadowService(store, audit, published::add, log, clock,
            v -> warmed.add(v.version()), m -> Optional.empty(), m -> minCellSize);

    @BeforeEach
    void stableOneApprovedTwoRegisteredThree() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.put(version(READMISSION, 3, Stage.GATES_PASSED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", START.minusSeconds(3600), null));
    }

    private List<AuditRecord> shadowRecords() {
        return auditStore.read("2026-12-02").stream().filter(r -> r.action().equals(ShadowService.ACTION)).toList();
    }

    @Test
    void anApprovedVersionBecomesTheShadowOnceAuditedAndPublishedAndAReplayChangesNothing() {
        Deployment d = shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, 1_000), OPS);

        assertThat(d.revision()).isEqualTo(2);
        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 1_000, START));
        assertThat(warmed).containsExactly(2);
        List<AuditRecord> records = shadowRecords();
        assertThat(records).hasSize(1);
        assertThat(records.get(0).outcome()).isEqualTo("configured");
        assertThat(records.get(0).actor()).isEqualTo("ops-oncall");
        assertThat(records.get(0).details()).containsEntry("basisPoints", "1000").containsEntry("revision", "2");
        assertThat(published).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventTypes.SHADOW_CONFIGURED);
            assertThat(e.id()).isEqualTo(records.get(0).id());
            assertThat(e.subject()).isEqualTo("/models/readmission/versions/2");
        });

        Deployment again = shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, 1_000), OPS);
        assertThat(again.revision()).isEqualTo(2);
        assertThat(shadowRecords()).hasSize(1);
        assertThat(published).hasSize(1);
    }

    @Test
    void aConfigurationWhoseEventWasNotPublishedIsAnnouncedByTheNextCallUnderItsRecordsId() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        ShadowService failing = new ShadowService(store, audit, event -> {
            if (down.getAndSet(false)) {
                throw new health.vigil.error.StoreException("Event Grid did not answer", null);
            }
            published.add(event);
        }, log, clock, v -> warmed.add(v.version()), m -> Optional.empty(), m -> minCellSize);

        assertThatThrownBy(() -> failing.configure(READMISSION, new ShadowService.ConfigureCommand(2, 1_000), OPS))
                .isInstanceOf(health.vigil.error.StoreException.class);
        assertThat(shadowRecords()).as("the revision and its record were saved").hasSize(1);

        failing.status(READMISSION); // the next call that reads the deployment, as a retried request would
        failing.status(READMISSION);

        assertThat(published).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventTypes.SHADOW_CONFIGURED);
            assertThat(e.id()).isEqualTo(shadowRecords().get(0).id());
        });
        assertThat(shadowRecords()).hasSize(1);
    }

    @Test
    void onlyAnApprovedVersionOtherThanTheLiveOnesCanBeTheShadow() {
        assertThatThrownBy(() -> shadows.configure(READMISSION, new ShadowService.ConfigureCommand(3, 1_000), OPS))
                .isInstanceOf(ConflictException.class).hasMessageContaining("only an approved version");
        assertThatThrownBy(() -> shadows.configure(READMISSION, new ShadowService.ConfigureCommand(1, 1_000), OPS))
                .isInstanceOf(ConflictException.class).hasMessageContaining("is the stable version");
        assertThatThrownBy(() -> new ShadowService.ConfigureCommand(2, 0)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("1-10000 basis points");
        assertThat(store.findDeployment(READMISSION).orElseThrow().revision()).isEqualTo(1);
        assertThat(shadowRecords()).as("no shadow was set; the two attempts are on record as refused")
                .extracting(AuditRecord::outcome).containsExactly("refused", "refused");
        assertThat(published).isEmpty();
    }

    @Test
    void stoppingKeepsTheSlotAtZeroSoTheReportCanStillBeRead() {
        shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, 1_000), OPS);
        Deployment stopped = shadows.stop(READMISSION, OPS);
        shadows.stop(READMISSION, OPS);

        assertThat(stopped.slot(Slot.SHADOW)).contains(new TrafficSlot(Slot.SHADOW, 2, 0, START));
        assertThat(shadowRecords()).extracting(AuditRecord::outcome).containsExactly("configured", "stopped");
        assertThat(published).extracting(VigilEvent::type)
                .containsExactly(EventTypes.SHADOW_CONFIGURED, EventTypes.SHADOW_STOPPED);
        assertThat(shadows.report(READMISSION, Optional.empty(), Optional.empty(), Optional.empty()).shadowVersion())
                .isEqualTo(2);
    }

    @Test
    void aWriteWhoseWriterDiedBeforeItsRecordIsCompletedByTheNextReaderOnce() {
        Deployment current = store.findDeployment(READMISSION).orElseThrow();
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 500)), 2, "ops-oncall", START, current.etag(), null, null,
                ShadowService.CONFIGURED));

        shadows.status(READMISSION);
        shadows.status(READMISSION);

        assertThat(shadowRecords()).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry("basisPoints", "500"));
        assertThat(published).hasSize(1);
    }

    @Test
    void theReportPairsEachShadowPredictionWithItsLivePartnerAndComparesThem() {
        minCellSize = 1; // every count shown: this test checks the comparison itself (small cells: below)
        shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, 2_000), OPS);
        Random random = new Random(5);
        List<double[]> pairs = new ArrayList<>();
        int live = 0;
        int expected = 0;
        int shadowWritten = 0;
        for (int i = 0; i < 5_000; i++) {
            String id = UUID.nameUUIDFromBytes(("live-" + i).getBytes()).toString();
            Instant at = START.plusSeconds(i);
            double liveScore = random.nextDouble();
            log.append(List.of(record(id, 1, Slot.STABLE, at, liveScore, null)));
            live++;
            if (!MirrorSampling.mirrored(id, 2_000)) {
                continue;
            }
            expected++;
            if (expected % 10 == 0) {
                continue; // dropped
            }
            double shadowScore = Math.min(1, Math.max(0, liveScore + 0.03 + 0.05 * random.nextGaussian()));
            String sex = i % 2 == 0 ? "female" : "male";
            log.append(List.of(record(UUID.randomUUID().toString(), 2, Slot.SHADOW, at, shadowScore,
                    ShadowPairing.write(id, Map.of("sex", sex)))));
            shadowWritten++;
            pairs.add(new double[] {liveScore, shadowScore, i % 2});
        }
        clock.set(START.plus(Duration.ofHours(3)));

        ShadowReport report = shadows.report(READMISSION, Optional.empty(), Optional.of(START), Optional.empty());

        assertThat(report.livePredictions()).isEqualTo(live);
        assertThat(report.expectedMirrored()).isEqualTo(expected);
        assertThat(report.shadowPredictions()).isEqualTo(shadowWritten);
        assertThat(report.paired()).isEqualTo(shadowWritten);
        assertThat(report.missing()).isEqualTo(expected - shadowWritten);
        assertThat(expected).isBetween(900, 1_100);

        // Independently: counts of the 2 x 2 table and the differences, straight from the pairs written.
        long both = pairs.stream().filter(p -> p[0] >= 0.5 && p[1] >= 0.5).count();
        long liveOnly = pairs.stream().filter(p -> p[0] >= 0.5 && p[1] < 0.5).count();
        long shadowOnly = pairs.stream().filter(p -> p[0] < 0.5 && p[1] >= 0.5).count();
        double[] d = pairs.stream().mapToDouble(p -> p[1] - p[0]).sorted().toArray();
        ShadowComparison.Result overall = report.overall();
        assertThat(overall.pairs()).isEqualTo(pairs.size());
        assertThat(overall.bothFlagged()).isEqualTo(both);
        assertThat(overall.liveOnly()).isEqualTo(liveOnly);
        assertThat(overall.shadowOnly()).isEqualTo(shadowOnly);
        assertThat(overall.agreement()).isCloseTo(1 - (liveOnly + shadowOnly) / (double) pairs.size(), within(1e-12));
        assertThat(overall.scoreDifference().mean()).isCloseTo(Arrays.stream(d).average().orElseThrow(), within(1e-12));
        assertThat(overall.scoreDifference().quantiles().get("p50")).isCloseTo(median(d), within(1e-12));
        assertThat(overall.scoreDifference().pairedTPValue()).isLessThan(1e-6);
        assertThat(overall.scoreDifference().wilcoxonPValue()).isLessThan(1e-6);
        assertThat(overall.mcnemar().pValue()).isLessThan(0.05);
        assertThat(report.segments()).extracting(ShadowReport.Segment::value).containsExactly("female", "male");
        assertThat(report.segments()).extracting(s -> s.comparison().pairs())
                .containsExactly(pairs.stream().filter(p -> p[2] == 0).count(),
                        pairs.stream().filter(p -> p[2] == 1).count());
    }

    /**
     * Pairs written for a report over one hour: {@code count} pairs of segments {@code sex} and {@code ward}, each
     * flagged by both, live only or neither ({@code "both"}, {@code "live"}, {@code "neither"}).
     */
    private void pairs(int count, String sex, String ward, String decisions, int[] written) {
        for (int k = 0; k < count; k++) {
            int i = written[0]++;
            String id = UUID.nameUUIDFromBytes(("live-" + i).getBytes()).toString();
            Instant at = START.plusSeconds(i);
            double live = decisions.equals("neither") ? 0.2 : decisions.equals("both") ? 0.8 : 0.7;
            double shadow = decisions.equals("neither") ? 0.25 : decisions.equals("both") ? 0.85 : 0.4;
            log.append(List.of(record(id, 1, Slot.STABLE, at, live, null)));
            log.append(List.of(record(UUID.randomUUID().toString(), 2, Slot.SHADOW, at, shadow,
                    ShadowPairing.write(id, Map.of("sex", sex, "ward", ward)))));
        }
    }

    private static ShadowReport.Segment segment(ShadowReport report, String column, String value) {
        return report.segments().stream().filter(s -> s.column().equals(column) && s.value().equals(value))
                .findFirst().orElseThrow();
    }

    @Test
    void aSegmentOfAFewPairsOrAFewOfADecisionIsWithheldWithTheColumnsSmallestOtherSegment() {
        shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, TrafficSlot.ALL), OPS);
        int[] written = {0};
        // ward A: 19 both, 2 live only, 19 neither; ward B: 15 both, 12 live only, 16 neither; 83 pairs in all.
        pairs(3, "female", "A", "both", written);
        pairs(16, "unknown", "A", "both", written);
        pairs(2, "male", "A", "live", written);
        pairs(4, "unknown", "A", "neither", written);
        pairs(15, "male", "A", "neither", written);
        pairs(15, "male", "B", "both", written);
        pairs(12, "male", "B", "live", written);
        pairs(16, "male", "B", "neither", written);
        clock.set(START.plus(Duration.ofHours(3)));

        ShadowReport report = shadows.report(READMISSION, Optional.empty(), Optional.of(START), Optional.empty());

        ShadowComparison.Result female = segment(report, "sex", "female").comparison();
        assertThat(female.pairs()).isNull();
        assertThat(female.bothFlagged()).isNull();
        assertThat(female.agreement()).isNull();
        assertThat(female.scoreDifference()).isNull();
        assertThat(female.suppressed()).isEqualTo("fewer than 11 pairs");
        // 83 pairs minus male's 60 and unknown's 20 would give female's 3 back: unknown is withheld with it.
        ShadowComparison.Result unknown = segment(report, "sex", "unknown").comparison();
        assertThat(unknown.pairs()).isNull();
        assertThat(unknown.suppressed()).startsWith("withheld with a smaller segment of this column");
        assertThat(segment(report, "sex", "male").comparison().pairs()).isEqualTo(60);

        ShadowComparison.Result wardA = segment(report, "ward", "A").comparison();
        assertThat(wardA.pairs()).isEqualTo(40);
        assertThat(wardA.liveOnly()).isNull();
        assertThat(wardA.bothFlagged()).isNull();
        assertThat(wardA.liveFlagRate()).isNull();
        assertThat(wardA.agreement()).isNull();
        assertThat(wardA.mcnemar()).isNull();
        assertThat(wardA.scoreDifference().mean()).isCloseTo((19 * 0.05 - 2 * 0.3 + 19 * 0.05) / 40, within(1e-12));
        assertThat(wardA.suppressed())
                .isEqualTo("fewer than 11 pairs flagged by both, by live only, by shadow only or by neither");
        // The overall 14 live-only pairs minus ward B's 12 would give ward A's 2 back.
        ShadowComparison.Result wardB = segment(report, "ward", "B").comparison();
        assertThat(wardB.pairs()).isEqualTo(43);
        assertThat(wardB.liveOnly()).isNull();
        assertThat(wardB.suppressed()).startsWith("withheld with a smaller segment of this column");
        assertThat(report.overall().liveOnly()).isEqualTo(14);
        assertThat(report.overall().suppressed()).isNull();
        String json = Json.write(report);
        assertThat(json).doesNotContain("\"pairs\":3,", "\"pairs\":20,", "\"liveOnly\":2,", "\"liveOnly\":12,");
    }

    @Test
    void aCellSizeOfOneShowsEveryCountAndAFewPairsOverallShowNoStatistic() {
        shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, TrafficSlot.ALL), OPS);
        pairs(3, "female", "A", "live", new int[] {0});
        clock.set(START.plus(Duration.ofHours(3)));

        ShadowReport withheld = shadows.report(READMISSION, Optional.empty(), Optional.of(START), Optional.empty());
        assertThat(withheld.overall().pairs()).as("the report's paired count shows it anyway").isEqualTo(3);
        assertThat(withheld.overall().liveOnly()).isNull();
        assertThat(withheld.overall().scoreDifference()).isNull();
        assertThat(withheld.overall().suppressed()).isEqualTo("fewer than 11 pairs");
        assertThat(segment(withheld, "sex", "female").comparison().pairs()).isNull();

        minCellSize = 1;
        ShadowReport shown = shadows.report(READMISSION, Optional.empty(), Optional.of(START), Optional.empty());
        assertThat(shown.overall().liveOnly()).isEqualTo(3);
        assertThat(segment(shown, "sex", "female").comparison().pairs()).isEqualTo(3);
        assertThat(segment(shown, "sex", "female").comparison().suppressed()).isNull();
    }

    @Test
    void aReportWithoutAShadowOrWithABadWindowSaysWhatToDo() {
        assertThatThrownBy(() -> shadows.report(READMISSION, Optional.empty(), Optional.empty(), Optional.empty()))
                .isInstanceOf(ConflictException.class).hasMessageContaining("POST /models/readmission/shadow");
        shadows.configure(READMISSION, new ShadowService.ConfigureCommand(2, 100), OPS);
        assertThatThrownBy(() -> shadows.report(READMISSION, Optional.empty(), Optional.of(START),
                Optional.of(START.minusSeconds(1)))).isInstanceOf(ValidationException.class)
                .hasMessageContaining("must be before");
        assertThatThrownBy(() -> shadows.report(READMISSION, Optional.empty(), Optional.of(START),
                Optional.of(START.plus(Duration.ofDays(40))))).isInstanceOf(ValidationException.class)
                .hasMessageContaining("at most 31 days");
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static PredictionRecord record(String id, int version, Slot slot, Instant at, double score, String context) {
        return new PredictionRecord(id, READMISSION, version, slot, "ab12cd34", at, new float[] {1f}, score,
                score >= 0.5, context);
    }
}
