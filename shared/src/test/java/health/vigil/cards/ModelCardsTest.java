package health.vigil.cards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;

import health.vigil.audit.InMemoryArtifactStore;
import health.vigil.gates.GateChecks;
import health.vigil.gates.GatePolicy;
import health.vigil.model.CardFacts;
import health.vigil.model.Deployment;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.DriftThresholds;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.MonitoringReports;
import health.vigil.monitoring.PerformanceEstimate;
import health.vigil.monitoring.SegmentPerformance;
import health.vigil.port.PredictionLog;
import health.vigil.platform.CardMonitoring;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.ServiceFixtures;
import health.vigil.text.Words;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModelCardsTest {
    private static final ModelName MODEL = ServiceFixtures.READMISSION;
    private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final PredictionLog predictions = mock(PredictionLog.class);
    private final Map<ModelVersion, GateReport> reports = new LinkedHashMap<>();
    private final Map<ModelVersion, List<String>> changesSinceGates = new LinkedHashMap<>();
    private final MonitoringReports monitoringReports = new MonitoringReports(new InMemoryArtifactStore());
    private ModelCards cards;

    @BeforeEach
    void setUp() {
        cards = new ModelCards(new ModelRegistry(store), id -> Optional.ofNullable(reports.get(id)),
                version -> changesSinceGates.getOrDefault(version.id(), List.of()), windows(monitoringReports), predictions, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void everyHti1SourceAttributeIsOnTheCardGroupedAsTheRuleGroupsThem() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.REGISTERED));

        ModelCard card = cards.card(MODEL, 1);

        assertThat(card.hti1()).extracting(ModelCard.Section::title)
                .containsExactly("Details and output of the intervention", "Purpose of the intervention",
                        "Cautioned out-of-scope use", "Development details and input features",
                        "Process used to ensure fairness in development", "External validation process",
                        "Quantitative measures of performance", "Ongoing maintenance of implementation and use");
        List<String> keys = card.hti1().stream().flatMap(s -> s.attributes().stream()).map(ModelCard.Attribute::key).toList();
        assertThat(keys).hasSize(28).doesNotHaveDuplicates()
                .containsExactlyElementsOf(Arrays.stream(Hti1Attribute.values()).map(Hti1Attribute::key).toList());
        assertThat(card.hti1().get(6).attributes()).extracting(ModelCard.Attribute::paragraph)
                .containsExactly("(7)(i)", "(7)(ii)", "(7)(iii)", "(7)(iv)", "(7)(v)");
    }

    @Test
    void aManifestWithoutACardSectionShowsTheDevelopersFactsAsNotProvidedAndSaysWhatWouldProvideThem() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.REGISTERED));

        ModelCard card = cards.card(MODEL, 1);

        ModelCard.Attribute funding = attribute(card, "funding");
        assertThat(funding.provided()).isFalse();
        assertThat(funding.values()).isEmpty();
        assertThat(funding.missing()).isEqualTo("card.fundingSource");
        assertThat(funding.source()).isEqualTo("manifest card.fundingSource");
        // What the registry knows is there whatever the manifest says.
        assertThat(attribute(card, "intendedUse").values()).containsExactly("care coordinators prioritising follow-up calls");
        assertThat(attribute(card, "outputValue").values().get(0)).contains("readmitted within 30 days", "0.3");
        assertThat(attribute(card, "risksAndLimitations").values()).containsExactly("adults only");
        assertThat(card.summary().notProvided()).contains("funding", "patientPopulation", "inputVariables",
                "testValidity", "localValidity", "localFairness").doesNotContain("intendedUse", "outputType");
        assertThat(card.summary().gatesPassed()).isNull();
        assertThat(card.gates()).isNull();
        assertThat(card.curves()).isNull();
    }

    @Test
    void theDevelopersFactsAreShownAsGivenWithEveryInputVariableStated() {
        Map<String, List<String>> variables = new LinkedHashMap<>();
        CardFacts.INPUT_VARIABLES.forEach(v -> variables.put(v, List.of()));
        variables.put("sex", List.of("sex"));
        CardFacts facts = new CardFacts("ml-team@example.org", "Hospital quality budget", "Adult inpatients",
                "Care coordinators", "augments", List.of("Children"), "Adults discharged alive", "Hospice", variables,
                "Mirrors the hospital's 2024 census", "Same hospital", "Segment gates", "Reweighting", null, null, null,
                null, null, null, List.of("doi:10.0000/example"), "Quarterly");
        Manifest m = ServiceFixtures.manifest(MODEL);
        store.put(ServiceFixtures.version(MODEL, 1, Stage.REGISTERED, new Manifest(m.formatVersion(), m.name(), m.task(),
                m.description(), m.features(), m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(),
                m.owner(), m.provenance(), facts)));

        ModelCard card = cards.card(MODEL, 1);

        assertThat(attribute(card, "developer").values()).containsExactly("Owner: clinical-ml", "Contact: ml-team@example.org");
        assertThat(attribute(card, "developer").provided()).isTrue();
        assertThat(attribute(card, "decisionRole").values()).containsExactly("The output augments clinical management");
        assertThat(attribute(card, "inputVariables").values()).hasSize(9).contains("sex: used, as sex", "race: not used");
        assertThat(attribute(card, "trainingCriteria").values())
                .containsExactly("Inclusion: Adults discharged alive", "Exclusion: Hospice",
                        "Training data (registry): 5000 rows, sha256 " + "ab".repeat(32) + ", 2019-2024");
        assertThat(attribute(card, "outcomeEvaluations").values()).containsExactly("doi:10.0000/example");
        assertThat(attribute(card, "externalSource").provided()).isFalse();
        assertThat(card.summary().notProvided()).doesNotContain("developer", "funding", "inputVariables", "updateSchedule")
                .contains("externalSource", "externalParty", "externalValidity", "externalFairness");
    }

    @Test
    void theSummarySaysWhatChangedSinceTheGatesJudgedTheVersion() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.GATES_PASSED));
        reports.put(new ModelVersion(MODEL, 1), report(1));
        String change = "version 3 is in production now, and the gates compared it with version 1";
        changesSinceGates.put(new ModelVersion(MODEL, 1), List.of(change));

        ModelCard card = cards.card(MODEL, 1);

        assertThat(card.summary().gatesOutOfDate()).containsExactly(change);
        assertThat(card.summary().gatesOutcome()).contains("out of date: " + change)
                .contains("must run again before the version can be approved");
        assertThat(ModelCardMarkdown.render(card)).contains("out of date: version 3 is in production now");
        assertThat(ModelCardHtml.render(card)).contains("out of date: version 3 is in production now");
    }

    /**
     * A segments gate that passed with segments it could not judge is not a plain pass: the fairness line and the
     * JSON card's summary say what it flagged, and the flagged checks stay in the risks.
     */
    @Test
    void aFairnessGateThatPassedWithFlaggedSegmentsSaysSoInTheJsonCard() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.GATES_PASSED));
        GateReport report = reportWithFlaggedSegments(1);
        reports.put(new ModelVersion(MODEL, 1), report);
        assertThat(report.failedGates()).doesNotContain("segments");

        com.fasterxml.jackson.databind.JsonNode json = health.vigil.json.Json.mapper()
                .valueToTree(cards.card(MODEL, 1));

        String outcome = "passed, 2 checks flagged: not judged for site=north, site=east (too few rows with or"
                + " without the outcome); see (3)(ii) risks and limitations";
        assertThat(json.at("/summary/fairnessGate").asText()).isEqualTo(outcome);
        assertThat(json.at("/summary/gatesPassed").asBoolean()).isTrue();
        assertThat(json.at("/summary/flaggedChecks")).hasSize(2);
        com.fasterxml.jackson.databind.JsonNode fairness = json.at("/hti1/4/attributes/0");
        assertThat(fairness.path("key").asText()).isEqualTo("fairnessApproach");
        assertThat(fairness.path("values").get(0).asText()).endsWith("; outcome: " + outcome);
        assertThat(json.at("/hti1/2/attributes/1/values").toString()).contains("site=north:outcomes_per_class",
                "site=east:outcomes_per_class");
    }

    @Test
    void performanceSegmentsAndCurvesAreTheGateReportsOwn() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.GATES_PASSED));
        GateReport report = report(1);
        reports.put(new ModelVersion(MODEL, 1), report);

        ModelCard card = cards.card(MODEL, 1);

        double auroc = report.checksOf("discrimination").get(0).value();
        assertThat(card.summary().auroc()).isEqualTo(auroc);
        assertThat(card.summary().gatesPassed()).isEqualTo(report.passed());
        assertThat(attribute(card, "testValidity").values()).anySatisfy(v -> assertThat(v).startsWith("auroc ")
                .contains("95% CI"));
        assertThat(card.curves()).isEqualTo(report.curves());
        assertThat(card.gates().checks()).isEqualTo(report.checks());
        // The segment table holds each judged segment once, with the report's numbers.
        List<GateCheck> segmentChecks = report.checksOf("segments").stream()
                .filter(c -> c.check().endsWith(":auroc")).toList();
        assertThat(card.segments()).hasSize(segmentChecks.size());
        ModelCard.Segment first = card.segments().get(0);
        assertThat(first.column() + "=" + first.value() + ":auroc").isEqualTo(segmentChecks.get(0).check());
        assertThat(first.auroc()).isEqualTo(segmentChecks.get(0).value());
        assertThat(first.rows()).isEqualTo(Integer.parseInt(segmentChecks.get(0).note().split(" ")[0]));
        assertThat(attribute(card, "testFairness").values()).anySatisfy(v -> assertThat(v).startsWith("sex:worst_auroc_gap"));
    }

    @Test
    void approvalsHistoryAndTheLoggedDecisionsOfThisVersionAreShownWhileMonitoringIsNotProvided() {
        VersionRecord version = ServiceFixtures.version(MODEL, 2, Stage.APPROVED)
                .withSignature(new ElectronicSignature("approver", "Avery Approver", NOW, ElectronicSignature.Meaning.APPROVED_FOR_CANARY,
                        ServiceFixtures.sha('p', 2), "gates passed"), NOW);
        store.put(version);
        doAnswer(call -> {
            Consumer<PredictionRecord> sink = call.getArgument(3);
            for (int v : new int[] {1, 2, 2}) {
                sink.accept(new PredictionRecord("p" + v, MODEL, v, Slot.STABLE, "pseudonym", NOW, null, 0.4, false, null));
            }
            return null;
        }).when(predictions).scan(eq(MODEL), eq(NOW.minus(java.time.Duration.ofHours(24))), eq(NOW), any());

        ModelCard card = cards.card(MODEL, 2);

        assertThat(card.summary().signedBy()).containsExactly("Avery Approver (approved for canary)");
        assertThat(card.signatures()).isEqualTo(version.signatures());
        assertThat(card.monitoring().provided()).isFalse();
        assertThat(card.monitoring().predictionsLogged()).isEqualTo(2);
        assertThat(card.monitoring().deployedSlot()).isNull();
        assertThat(attribute(card, "localValidity").values()).containsExactly(
                "2 decisions of this version logged in the last 24 hours; not deployed");
        assertThat(attribute(card, "localValidity").missing()).contains("no production monitoring report");
    }

    @Test
    void theLatestMonitoringReportOfTheVersionFillsValidityAndFairnessInLocalData() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.RETIRED));
        monitoringReports.create(monitoringReport(1, Slot.STABLE, Instant.parse("2026-11-20T09:00:00Z"), true));
        MonitoringReport latest = monitoringReports.create(monitoringReport(1, Slot.STABLE,
                Instant.parse("2026-11-20T10:00:00Z"), true));
        // Neither another slot of the version nor a version whose number starts with 1 is read.
        monitoringReports.create(monitoringReport(1, Slot.CANARY, Instant.parse("2026-11-20T11:00:00Z"), true));
        monitoringReports.create(monitoringReport(10, Slot.STABLE, Instant.parse("2026-11-20T11:00:00Z"), true));

        ModelCard card = cards.card(MODEL, 1);

        assertThat(card.monitoring().provided()).isTrue();
        assertThat(card.monitoring().note()).contains(latest.id());
        assertThat(card.monitoring().report().id()).isEqualTo(latest.id());
        assertThat(card.monitoring().report()).isEqualTo(CardMonitoring.window(latest));
        assertThat(card.monitoring().report().performance().auroc()).isEqualTo(latest.performance().auroc());
        assertThat(card.monitoring().report().segments()).extracting(ModelCard.LocalSegment::value)
                .containsExactly("female", "male");
        assertThat(card.monitoring().report().expectedAuroc()).isEqualTo(0.7712);
        LabelledPerformance p = latest.performance();
        ModelCard.Attribute validity = attribute(card, "localValidity");
        assertThat(validity.provided()).isTrue();
        assertThat(validity.missing()).isNull();
        assertThat(validity.source()).isEqualTo("production monitoring report " + latest.id());
        assertThat(validity.values()).contains(
                "Window 2026-11-20 10:00:00 UTC to 2026-11-20 11:00:00 UTC on the stable slot, checked 2026-11-20 11:05:00 UTC;"
                        + " severity ok",
                "500 predictions, 400 with an outcome (80.0%)",
                "AUROC " + Words.number(p.auroc()) + " [95% CI " + Words.number(p.aurocLower()) + " to "
                        + Words.number(p.aurocUpper()) + "]",
                "Brier score " + Words.number(p.brier()) + " [95% CI " + Words.number(p.brierLower()) + " to "
                        + Words.number(p.brierUpper()) + "]; expected calibration error "
                        + Words.number(p.calibrationError()) + "; calibration slope " + Words.number(p.calibrationSlope()),
                "Expected AUROC from the scores alone (no labels): 0.7712");
        LabelledPerformance female = latest.segments().get(0).performance();
        ModelCard.Attribute fairness = attribute(card, "localFairness");
        assertThat(fairness.provided()).isTrue();
        assertThat(fairness.source()).contains(latest.id());
        assertThat(fairness.values()).contains(
                "sex=female: AUROC " + Words.number(female.auroc()) + " [95% CI " + Words.number(female.aurocLower())
                        + " to " + Words.number(female.aurocUpper()) + "], expected calibration error "
                        + Words.number(female.calibrationError()) + " (200 with an outcome, " + female.positives()
                        + " positive)",
                "sex=male: no AUROC: 30 with an outcome, 12 positive, fewer outcomes than the monitoring policy needs");
        assertThat(card.summary().notProvided()).doesNotContain("localValidity", "localFairness");
    }

    @Test
    void aDeployedVersionShowsTheReportOfTheSlotItServesAndNoSegmentsIsNotFairness() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.PRODUCTION));
        store.put(ServiceFixtures.version(MODEL, 2, Stage.CANARY));
        store.saveDeployment(new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, 9_000),
                new TrafficSlot(Slot.CANARY, 2, 1_000)), 1, "deployer", NOW, null));
        MonitoringReport canary = monitoringReports.create(monitoringReport(2, Slot.CANARY,
                Instant.parse("2026-11-20T10:00:00Z"), false));
        monitoringReports.create(monitoringReport(2, Slot.STABLE, Instant.parse("2026-11-20T11:00:00Z"), true));

        ModelCard card = cards.card(MODEL, 2);

        assertThat(card.monitoring().report().id()).isEqualTo(canary.id());
        assertThat(attribute(card, "localValidity").provided()).isTrue();
        assertThat(attribute(card, "localValidity").values()).anySatisfy(v -> assertThat(v).contains("on the canary slot"));
        ModelCard.Attribute fairness = attribute(card, "localFairness");
        assertThat(fairness.provided()).isFalse();
        assertThat(fairness.missing()).contains(canary.id(), "no segment");
        assertThat(card.summary().notProvided()).contains("localFairness").doesNotContain("localValidity");
    }

    @Test
    void aVersionWithoutAMonitoringReportOfItsOwnStillSaysNotProvided() {
        store.put(ServiceFixtures.version(MODEL, 2, Stage.APPROVED));
        monitoringReports.create(monitoringReport(20, Slot.STABLE, Instant.parse("2026-11-20T10:00:00Z"), true));
        monitoringReports.create(monitoringReport(1, Slot.STABLE, Instant.parse("2026-11-20T10:00:00Z"), true));

        ModelCard card = cards.card(MODEL, 2);

        assertThat(card.monitoring().provided()).isFalse();
        assertThat(card.monitoring().report()).isNull();
        assertThat(card.monitoring().note()).isEqualTo(ModelCards.NO_MONITORING);
        for (String key : List.of("localValidity", "localFairness")) {
            assertThat(attribute(card, key).provided()).isFalse();
            assertThat(attribute(card, key).missing()).isEqualTo(ModelCards.NO_MONITORING);
            assertThat(attribute(card, key).values()).containsExactly(
                    "0 decisions of this version logged in the last 24 hours; not deployed");
        }
        assertThat(card.summary().notProvided()).contains("localValidity", "localFairness");
    }

    /**
     * A window whose outcomes are too few for the monitoring check to judge its realised AUROC still has one, with an
     * interval; every rendering says it was not judged and why, so no reader takes it for a judged value.
     */
    @Test
    void aRealisedAurocTheMonitoringCheckDidNotJudgeIsMarkedNotJudgedWithTheCountsAndWhatTheCheckNeeds() {
        LabelledPerformance p = fortyOutcomesTwentyOfEachClass();
        assertThat(p.auroc()).isNotNull();
        String notJudged = FORTY_NOT_JUDGED;

        ModelCard card = cards.card(MODEL, 1);

        assertThat(attribute(card, "localValidity").values()).contains("AUROC " + Words.number(p.auroc())
                + " [95% CI " + Words.number(p.aurocLower()) + " to " + Words.number(p.aurocUpper()) + "], "
                + notJudged);
        assertThat(aurocNotJudged(card)).isEqualTo(notJudged);
        assertThat(ModelCardHtml.render(card)).contains("<li>AUROC " + Words.number(p.auroc()) + " [95% CI "
                + Words.number(p.aurocLower()) + " to " + Words.number(p.aurocUpper()) + "], " + notJudged + "</li>");
        assertThat(ModelCardMarkdown.render(card)).contains("- AUROC " + Words.number(p.auroc()) + " \\[95% CI "
                + Words.number(p.aurocLower()) + " to " + Words.number(p.aurocUpper()) + "\\], " + notJudged + "\n");
    }

    /**
     * Enough outcomes, but too few of one class under a policy whose small cells are smaller than its minimum of each
     * class: the card names both counts and that minimum.
     */
    @Test
    void aRealisedAurocOnTooFewOutcomesOfOneClassIsMarkedNotJudgedWithTheClassCounts() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.RETIRED));
        MonitoringReport report = monitoringReports.create(monitoringReport(1, Slot.STABLE,
                Instant.parse("2026-11-20T10:00:00Z"), false, 60, 4, TEN_OF_EACH_CLASS));
        LabelledPerformance p = report.performance();

        ModelCard card = cards.card(MODEL, 1);

        assertThat(aurocNotJudged(card)).isEqualTo("not judged: 60 outcomes, 4"
                + " positive and 56 negative, the check needs at least 10 of each class");
        assertThat(attribute(card, "localValidity").values()).anySatisfy(v -> assertThat(v)
                .startsWith("AUROC " + Words.number(p.auroc()) + " [95% CI ").endsWith("], not judged: 60 outcomes, 4"
                        + " positive and 56 negative, the check needs at least 10 of each class"));
    }

    /** A judged AUROC carries no mark: the report of 400 outcomes of both classes. */
    @Test
    void aRealisedAurocTheMonitoringCheckJudgedCarriesNoMark() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.RETIRED));
        monitoringReports.create(monitoringReport(1, Slot.STABLE, Instant.parse("2026-11-20T10:00:00Z"), false));

        ModelCard card = cards.card(MODEL, 1);

        assertThat(aurocNotJudged(card)).isNull();
        assertThat(attribute(card, "localValidity").values()).noneMatch(v -> v.contains("not judged"));
    }

    /**
     * The monitoring check judges a window's Brier score once it has the policy's minimum of outcomes, whatever their
     * classes: on 40 outcomes every rendering marks it not judged; on 60, 4 of them positive, it is judged (and the
     * AUROC is not), so it carries no mark.
     */
    @Test
    void aBrierScoreOnFewerOutcomesThanTheMonitoringCheckJudgesItOnIsMarkedNotJudged() {
        LabelledPerformance p = fortyOutcomesTwentyOfEachClass();
        String notJudged = FORTY_NOT_JUDGED;
        String brier = "Brier score " + Words.number(p.brier()) + " [95% CI " + Words.number(p.brierLower()) + " to "
                + Words.number(p.brierUpper()) + "], " + notJudged + "; expected calibration error ";

        ModelCard card = cards.card(MODEL, 1);

        assertThat(attribute(card, "localValidity").values()).anySatisfy(v -> assertThat(v).startsWith(brier));
        assertThat(notJudged(card, "brierNotJudged")).isEqualTo(notJudged);
        assertThat(ModelCardHtml.render(card)).contains("<li>" + brier);
        assertThat(ModelCardMarkdown.render(card)).contains("- " + brier.replace("[", "\\[").replace("]", "\\]"));

        monitoringReports.create(monitoringReport(1, Slot.STABLE, Instant.parse("2026-11-20T11:00:00Z"), false, 60, 4,
                TEN_OF_EACH_CLASS));

        ModelCard later = cards.card(MODEL, 1);

        assertThat(notJudged(later, "aurocNotJudged")).isNotNull();
        assertThat(notJudged(later, "brierNotJudged")).isNull();
        assertThat(attribute(later, "localValidity").values()).anySatisfy(v -> assertThat(v).startsWith("Brier score ")
                .doesNotContain("not judged"));
    }

    /** The mark of a realised figure on the 40 outcomes of {@link #fortyOutcomesTwentyOfEachClass}. */
    private static final String FORTY_NOT_JUDGED = "not judged: 40 outcomes, the check needs 50";
    /** A policy that judges an AUROC on 50 outcomes with 10 of each class, and shows counts from 3. */
    private static final MonitoringPolicy TEN_OF_EACH_CLASS = new MonitoringPolicy(Duration.ofHours(1),
            DriftThresholds.DEFAULTS, 1, 50, 10, 0.6, 0.25, 0.6, 3);

    /**
     * Version 1 with a monitoring report of 40 outcomes, 20 of each class: every count is shown, but the default policy
     * judges the AUROC and the Brier score on 50 or more. Returns the report's performance.
     */
    private LabelledPerformance fortyOutcomesTwentyOfEachClass() {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.RETIRED));
        return monitoringReports.create(monitoringReport(1, Slot.STABLE, Instant.parse("2026-11-20T10:00:00Z"), false,
                40, 20, MonitoringPolicy.DEFAULTS)).performance();
    }

    /** The JSON card's word on whether its monitoring window's realised AUROC was judged: null when it was. */
    private static String aurocNotJudged(ModelCard card) {
        return notJudged(card, "aurocNotJudged");
    }

    /** The JSON card's mark {@code key} on its monitoring window's realised performance: null when it has none. */
    private static String notJudged(ModelCard card, String key) {
        com.fasterxml.jackson.databind.JsonNode mark = health.vigil.json.Json.mapper().valueToTree(card)
                .at("/monitoring/report/performance/" + key);
        return mark.isMissingNode() ? null : mark.asText();
    }

    /**
     * A monitoring report of one hour from {@code from}, with the realised performance of 400 seeded labelled
     * predictions, a label-free expected AUROC of 0.7712 and, when {@code withSegments}, a measured segment and one
     * with too few outcomes.
     */
    static MonitoringReport monitoringReport(int version, Slot slot, Instant from, boolean withSegments) {
        return monitoringReport(version, slot, from, withSegments, 400, null, MonitoringPolicy.DEFAULTS);
    }

    /**
     * A monitoring report of one hour from {@code from} under {@code policy}, on {@code n} seeded labelled predictions
     * of which the first {@code positives} are the positive ones (null: as the seeded scores draw them).
     */
    static MonitoringReport monitoringReport(int version, Slot slot, Instant from, boolean withSegments, int n,
            Integer positives, MonitoringPolicy policy) {
        Random random = new Random(20261205);
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        for (int i = 0; i < n; i++) {
            scores[i] = random.nextDouble();
            labels[i] = positives == null ? random.nextDouble() < scores[i] : i < positives;
        }
        LabelledPerformance performance = LabelledPerformance.of(scores, labels, n);
        LabelledPerformance female = withSegments ? LabelledPerformance.of(scores, labels, 200) : null;
        List<SegmentPerformance> segments = withSegments ? List.of(
                new SegmentPerformance("sex", "female", 200L, female.positives(), SegmentPerformance.Status.MEASURED,
                        female, null),
                new SegmentPerformance("sex", "male", 30L, 12L, SegmentPerformance.Status.INSUFFICIENT_DATA, null,
                        null))
                : List.of();
        PerformanceEstimate estimate = new PerformanceEstimate(0.3, 500, 0.5, 0.7, 0.6, 0.8, 0.5, 0.7712, 0.001);
        Instant to = from.plus(Duration.ofHours(1));
        return new MonitoringReport(MonitoringReport.idOf(MODEL.value(), version, slot.wireName(), from, to),
                MODEL.value(), version, slot.wireName(), from, to, to.plus(Duration.ofMinutes(5)),
                MonitoringReport.Severity.OK, List.of(), 500, 0.8, 0, false, 0.7712 - performance.auroc(),
                new DriftReport(500, false, List.of(), null, estimate, List.of(), DriftThresholds.DEFAULTS), performance,
                policy, segments);
    }

    /** The card's view of stored monitoring reports, as the platform wires it. */
    static ModelCards.MonitoringWindows windows(MonitoringReports monitoringReports) {
        return (id, slot) -> monitoringReports.latest(id.name().value(), id.number(), slot).map(CardMonitoring::window);
    }

    static ModelCard.Attribute attribute(ModelCard card, String key) {
        return card.hti1().stream().flatMap(s -> s.attributes().stream()).filter(a -> a.key().equals(key)).findFirst()
                .orElse(null);
    }

    /**
     * A report of the real gate checks on 2,000 seeded rows whose segments gate passes with two segments of
     * {@code site} flagged, not judged: {@code north} and {@code east}, 100 rows each with 2 outcomes.
     */
    static GateReport reportWithFlaggedSegments(int version) {
        Random random = new Random(20261207);
        int n = 2000;
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        String[] site = new String[n];
        for (int i = 0; i < n; i++) {
            scores[i] = random.nextDouble();
            labels[i] = random.nextDouble() < scores[i];
            site[i] = i < 1800 ? (i % 2 == 0 ? "west" : "south") : i < 1900 ? "north" : "east";
            if (i >= 1800) {
                labels[i] = i % 100 < 2;
            }
        }
        GatePolicy policy = GatePolicy.defaults();
        List<GateCheck> checks = new ArrayList<>(GateChecks.segments(scores, labels, Map.of("site", site), policy));
        return new GateReport(MODEL.value(), version, checks.stream().noneMatch(GateCheck::failed), NOW,
                "cd".repeat(32), n, null, 0, checks, List.of(), GateChecks.curves(scores, labels));
    }

    /** A report of the real gate checks on 2,000 seeded rows with two segments of sex. */
    static GateReport report(int version) {
        Random random = new Random(20261120);
        int n = 2000;
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        String[] sex = new String[n];
        for (int i = 0; i < n; i++) {
            scores[i] = random.nextDouble();
            labels[i] = random.nextDouble() < scores[i];
            sex[i] = i % 2 == 0 ? "female" : "male";
        }
        GatePolicy policy = GatePolicy.defaults();
        List<GateCheck> checks = new ArrayList<>(GateChecks.discrimination(scores, labels, null, null, null, policy));
        checks.addAll(GateChecks.calibration(scores, labels, policy));
        checks.addAll(GateChecks.segments(scores, labels, Map.of("sex", sex), policy));
        return new GateReport(MODEL.value(), version, checks.stream().noneMatch(GateCheck::failed), NOW, "cd".repeat(32), n,
                null, 0, checks, List.of(), GateChecks.curves(scores, labels));
    }
}
