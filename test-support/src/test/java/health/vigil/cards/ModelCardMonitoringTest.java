package health.vigil.cards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.gates.EvaluationDataset;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.SegmentPerformance;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.text.Words;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The card of a deployed version on the wired local platform (SQLite, files, the real ONNX model) before and after
 * the monitoring check stores a report of its slot: validity and fairness in local data are the report's figures.
 */
class ModelCardMonitoringTest {
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

    @TempDir
    Path home;
    private final MutableClock clock = new MutableClock(START);
    private VigilPlatform platform;

    @AfterEach
    void close() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void theCardShowsTheRealisedPerformanceAndSegmentsOfTheReportTheMonitoringCheckStored() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { }).clock(clock).build();
        ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "readmission.zip");
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
        String csv = "age,admission_type,readmitted\n" + "71,emergency,1\n45,elective,0\n".repeat(10);
        platform.datasets().register(new EvaluationDataset.Declaration(model.value(), "eval.csv", "readmitted", null,
                null, List.of("admission_type")), csv.getBytes(), new Principal("data-steward",
                Set.of(Role.DATASETS_REGISTER)));
        SyntheticCohort cohort = SampleModels.readmissionCohort(400, 7);
        clock.set(START.plusSeconds(600));
        List<PatientRow> rows = IntStream.range(0, cohort.rows()).mapToObj(i -> new PatientRow("patient-" + i,
                Json.mapper().convertValue(cohort.records().get(i), new TypeReference<Map<String, JsonNode>>() { })))
                .toList();
        List<ScoredRow> scored = platform.scoring().score(new ScoreRequest(model, null, rows)).rows();
        double median = scored.stream().mapToDouble(ScoredRow::score).sorted().toArray()[scored.size() / 2];
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (ScoredRow row : scored.subList(0, 300)) {
            outcomes.add(Map.of("predictionId", row.predictionId(), "outcome", row.score() >= median ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));
        clock.set(START.plus(Duration.ofMinutes(65)));
        assertThat(platform.cards().card(model, 1).monitoring().provided()).isFalse();

        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);
        ModelCard card = platform.cards().card(model, 1);

        assertThat(card.monitoring().provided()).isTrue();
        assertThat(card.monitoring().report().id()).isEqualTo(report.id()).startsWith(model.value() + "/v1/stable/");
        LabelledPerformance p = report.performance();
        assertThat(p.labelled()).isEqualTo(300);
        ModelCard.Attribute validity = attribute(card, "localValidity");
        assertThat(validity.provided()).isTrue();
        assertThat(validity.source()).isEqualTo("production monitoring report " + report.id());
        assertThat(validity.values()).contains("400 predictions, 300 with an outcome (75.0%)",
                "AUROC " + Words.number(p.auroc()) + " [95% CI " + Words.number(p.aurocLower()) + " to "
                        + Words.number(p.aurocUpper()) + "]");
        List<SegmentPerformance> admission = report.segments().stream()
                .filter(s -> s.column().equals("admission_type")).toList();
        assertThat(admission).isNotEmpty();
        ModelCard.Attribute fairness = attribute(card, "localFairness");
        assertThat(fairness.provided()).isTrue();
        for (SegmentPerformance segment : admission) {
            if (segment.suppressed() != null) {
                assertThat(fairness.values()).anySatisfy(v -> assertThat(v)
                        .startsWith("admission_type=" + segment.value() + ": ").endsWith(segment.suppressed()));
                continue;
            }
            assertThat(fairness.values()).anySatisfy(v -> assertThat(v)
                    .startsWith("admission_type=" + segment.value() + ": " + (segment.performance() == null
                            ? "no AUROC" : "AUROC " + Words.number(segment.performance().auroc())))
                    .contains(segment.labelled() + " with an outcome, " + segment.positives() + " positive"));
        }
        assertThat(card.summary().notProvided()).doesNotContain("localValidity", "localFairness");
    }

    private static ModelCard.Attribute attribute(ModelCard card, String key) {
        return card.hti1().stream().flatMap(s -> s.attributes().stream()).filter(a -> a.key().equals(key)).findFirst()
                .orElseThrow();
    }
}
