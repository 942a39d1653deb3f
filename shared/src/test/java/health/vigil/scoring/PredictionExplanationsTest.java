package health.vigil.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.FeatureMapping;
import health.vigil.explain.LinearShap;
import health.vigil.features.Column;
import health.vigil.features.Columns;
import health.vigil.features.DefinedPipeline;
import health.vigil.model.AuditRecord;
import health.vigil.model.Explanation;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.ServiceFixtures;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A past prediction's explanation read back from the prediction log, as the explanation route answers it. */
class PredictionExplanationsTest {
    private static final ModelName MODEL = ServiceFixtures.READMISSION;
    private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    private static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            Feature.integer("number_inpatient", "admissions", 0, 200)
                    .withDescription("inpatient admissions in the year before"),
            Feature.categorical("discharge_disposition", List.of("home", "facility")).optional()
                    .withDescription("where the patient was discharged to"),
            Feature.bool("insulin")));
    private static final List<String> COLUMNS = List.of("number_inpatient", "discharge_disposition=home",
            "discharge_disposition=facility", "discharge_disposition_missing", "insulin");
    private static final LinearShap SHAP = new LinearShap(new double[] {0.4, -0.3, 0.2, -0.6, 0.5}, -1.5,
            new double[] {1, 0.6, 0.3, 0.1, 0.4});
    private static final Map<String, List<String>> GROUPS = Map.of("discharge_disposition", COLUMNS.subList(1, 4));
    private static final ClinicalExplainer EXPLAINER = new ClinicalExplainer(SHAP,
            FeatureMapping.of(COLUMNS, GROUPS, FeatureMapping.unitsOf(SCHEMA)), 5);

    /** The pipeline of the columns above: a missing disposition is filled (no one-hot column set) and flagged. */
    private static final DefinedPipeline PIPELINE = new DefinedPipeline("readmission", SCHEMA, List.of(
            Columns.value("number_inpatient", 0), Columns.oneHot("discharge_disposition", "home"),
            Columns.oneHot("discharge_disposition", "facility"), Columns.missing("discharge_disposition"),
            Columns.flag("insulin", 0)));

    private final InMemoryPredictionLog log = new InMemoryPredictionLog();
    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final AuditLog audit = new AuditLog(auditStore, Clock.fixed(NOW, ZoneOffset.UTC));
    private final PredictionExplanations explanations = new PredictionExplanations(log, new ModelRegistry(store),
            new PredictionRetention(log, Duration.ofDays(30), Clock.fixed(NOW, ZoneOffset.UTC), null, audit),
            manifest -> PIPELINE, audit);

    /** Scores a patient as scoring does: explains the row, and logs the explanation with the prediction. */
    private String scored(double[] row, Map<String, Object> raw) {
        store.put(ServiceFixtures.version(MODEL, 1, Stage.PRODUCTION, ServiceFixtures.manifest(MODEL, SCHEMA, 0.3)));
        Explanation explanation = EXPLAINER.explain(row, raw);
        String id = PredictionIds.next(NOW);
        float[] inputs = new float[row.length];
        for (int i = 0; i < row.length; i++) {
            inputs[i] = (float) row[i];
        }
        log.append(List.of(new PredictionRecord(id, MODEL, 1, Slot.STABLE, null, NOW, inputs, explanation.score(),
                explanation.score() >= 0.3, ScoringService.loggedExplanation(explanation))));
        return id;
    }

    @Test
    void theSummaryNamesEachFactorByTheLabelItsRowCarriesAsThePageDoes() {
        Map<String, Object> raw = new HashMap<>(Map.of("number_inpatient", 3L, "discharge_disposition", "facility",
                "insulin", true));
        PredictionExplanation explanation = explanations.explanation(scored(new double[] {3, 0, 1, 0, 1}, raw),
                "clinician");

        assertThat(explanation.factors()).extracting(PredictionExplanation.ClinicalFactor::label).containsExactly(
                "inpatient admissions in the year before", "where the patient was discharged to", "insulin");
        assertThat(explanation.summary()).contains("Raised by inpatient admissions in the year before (+",
                "where the patient was discharged to (+", "insulin (+").doesNotContain("number inpatient",
                "discharge disposition");
    }

    @Test
    void theScoringAnswerNamesEachFactorInTheWordsOfThePageAndItsSummaryReadsTheSame() {
        Map<String, Object> raw = new HashMap<>(Map.of("number_inpatient", 3L, "discharge_disposition", "facility",
                "insulin", true));
        ClinicalExplainer scoring = new ClinicalExplainer(SHAP, FeatureMapping.of(PIPELINE, GROUPS), 5);

        String answered = scoring.explain(new double[] {3, 0, 1, 0, 1}, raw).summary();
        PredictionExplanation page = explanations.explanation(scored(new double[] {3, 0, 1, 0, 1}, raw), "clinician");

        assertThat(answered).contains("inpatient admissions in the year before 3 admissions (+",
                "where the patient was discharged to facility (+", "insulin yes (+").doesNotContain("number inpatient",
                "discharge disposition", "Insulin");
        for (PredictionExplanation.ClinicalFactor factor : page.factors()) {
            assertThat(answered).contains(factor.label());
        }
    }

    @Test
    void aMissingValueIsSaidToBeMissingAndFilledNotTakenForARecordedOne() {
        Map<String, Object> raw = new HashMap<>(Map.of("number_inpatient", 3L, "insulin", true));
        raw.put("discharge_disposition", null);
        String id = scored(new double[] {3, 0, 0, 1, 1}, raw);

        PredictionExplanation explanation = explanations.explanation(id, "clinician");

        PredictionExplanation.ClinicalFactor disposition = explanation.factors().stream()
                .filter(f -> f.feature().equals("discharge_disposition")).findFirst().orElseThrow();
        assertThat(disposition.missingValue()).isEqualTo("missing (not recorded): the model was given a stand-in value"
                + " and a flag saying the value was missing");
        assertThat(explanation.factors()).filteredOn(f -> !f.feature().equals("discharge_disposition"))
                .allSatisfy(f -> assertThat(f.missingValue()).isNull());
        assertThat(explanation.summary()).contains("where the patient was discharged to missing (");
    }

    @Test
    void anExplanationLoggedBeforeMissingValuesWereMarkedReadsAsBefore() {
        Map<String, Object> raw = new HashMap<>(Map.of("number_inpatient", 3L, "insulin", true));
        raw.put("discharge_disposition", null);
        String id = scored(new double[] {3, 0, 0, 1, 1}, raw);
        PredictionRecord logged = log.find(MODEL, id, NOW).orElseThrow();
        String older = logged.explanation().replaceFirst(",\\s*\"missing\":\\[[^\\]]*\\]", "");
        assertThat(older).doesNotContain("missing");
        String olderId = PredictionIds.next(NOW);
        log.append(List.of(new PredictionRecord(olderId, MODEL, 1, Slot.STABLE, null, NOW, logged.features(),
                logged.score(), logged.decision(), older)));

        PredictionExplanation explanation = explanations.explanation(olderId, "clinician");

        assertThat(explanation.factors()).allSatisfy(f -> assertThat(f.missingValue()).isNull());
        assertThat(explanation.summary()).doesNotContain("missing");
    }

    @Test
    void aComputedColumnIsLabelledAndGivenAUnitByThePipelinesWordsForIt() {
        FeatureSchema schema = new FeatureSchema(List.of(Feature.numeric("duration_min", "minutes", 5, 1440)));
        DefinedPipeline pipeline = new DefinedPipeline("complications", schema, List.of(Columns.derived("duration_hours",
                Column.Kind.CONTINUOUS, "duration_min / 60; r1", Column.Wording.showing("operation length",
                        "duration_min"), r -> ((Double) r.get("duration_min")) / 60)));
        store.put(ServiceFixtures.version(MODEL, 1, Stage.PRODUCTION, ServiceFixtures.manifest(MODEL, schema, 0.3)));
        Explanation explanation = new ClinicalExplainer(new LinearShap(new double[] {1}, -1, new double[] {1}),
                FeatureMapping.of(pipeline, Map.of()), 5).explain(new double[] {5.0 / 60}, Map.of("duration_min", 5.0));
        String id = PredictionIds.next(NOW);
        log.append(List.of(new PredictionRecord(id, MODEL, 1, Slot.STABLE, null, NOW, new float[] {5f / 60},
                explanation.score(), false, ScoringService.loggedExplanation(explanation))));

        PredictionExplanation read = new PredictionExplanations(log, new ModelRegistry(store), new PredictionRetention(
                log, Duration.ofDays(30), Clock.fixed(NOW, ZoneOffset.UTC), null, new AuditLog(new InMemoryAuditStore(),
                        Clock.fixed(NOW, ZoneOffset.UTC))), manifest -> pipeline, audit).explanation(id, "clinician");

        assertThat(read.factors()).extracting(PredictionExplanation.ClinicalFactor::label,
                PredictionExplanation.ClinicalFactor::unit).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("operation length", "minutes"));
        assertThat(read.summary()).contains("Lowered by operation length (").doesNotContain("duration");
    }

    @Test
    void everyLookupIsOneAuditRecordNamingTheReaderAndThePredictionButNeverTextThatIsNoId() {
        Map<String, Object> raw = new HashMap<>(Map.of("number_inpatient", 3L, "discharge_disposition", "facility",
                "insulin", true));
        String explained = scored(new double[] {3, 0, 1, 0, 1}, raw);
        String unexplained = PredictionIds.next(NOW);
        log.append(List.of(new PredictionRecord(unexplained, MODEL, 1, Slot.STABLE, null, NOW,
                new float[] {3, 0, 1, 0, 1}, 0.2, false, null)));
        String unknown = PredictionIds.next(NOW);

        explanations.explanation(explained.toUpperCase(java.util.Locale.ROOT), "clinician-a");
        assertThatThrownBy(() -> explanations.explanation(unexplained, "clinician-b"))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> explanations.explanation(unknown, "clinician-c"))
                .isInstanceOf(NotFoundException.class);
        // A record number typed into the box is hexadecimal digits too: refused as not found, never recorded.
        assertThatThrownBy(() -> explanations.explanation("20481234", "clinician-d"))
                .isInstanceOf(NotFoundException.class);

        List<AuditRecord> reads = auditStore.partitions().stream().flatMap(p -> auditStore.read(p).stream())
                .filter(r -> r.action().equals(PredictionExplanations.ACTION)).toList();
        assertThat(reads).extracting(AuditRecord::actor, AuditRecord::subject, AuditRecord::outcome).containsExactly(
                tuple("clinician-a", "predictions/" + explained, "read"),
                tuple("clinician-b", "predictions/" + unexplained, "not_recorded"),
                tuple("clinician-c", "predictions/" + unknown, "not_found"),
                tuple("clinician-d", "predictions", "invalid"));
        assertThat(reads.get(0).details()).isEqualTo(Map.of("model", MODEL.value(), "version", "1"));
        assertThat(reads).allSatisfy(r -> assertThat(r.toString()).doesNotContain("20481234"));
    }

    @Test
    void textThatIsNoHexadecimalIdIsRefusedAsInvalidInputAndRecordedOnceWithoutTheText() {
        assertThatThrownBy(() -> explanations.explanation("Smith, John 2048-1234", "clinician-e"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("hexadecimal digits and hyphens")
                .hasMessageNotContaining("Smith");

        List<AuditRecord> reads = auditStore.partitions().stream().flatMap(p -> auditStore.read(p).stream())
                .filter(r -> r.action().equals(PredictionExplanations.ACTION)).toList();
        assertThat(reads).extracting(AuditRecord::actor, AuditRecord::subject, AuditRecord::outcome)
                .containsExactly(tuple("clinician-e", "predictions", "invalid"));
        assertThat(reads.get(0).details()).isEmpty();
        assertThat(reads.get(0).toString()).doesNotContain("Smith", "2048");
    }
}
