package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.testing.samples.PatientRows;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's monitoring page of a model, on the platform's real local stores and the model's default monitoring
 * policy: the period's count of outcomes and its calibration per risk bin (a count and the share it happened to, so
 * the positives) withhold counts of a few patients as a monitoring report does.
 */
class MonitoringPageSmallCellsTest {
    private static final PageRequest OPERATOR_PAGE = new PageRequest(new Principal("operator", "Olu",
            Set.of(Role.DEPLOYMENTS_OPERATE)), Map.of("name", "readmission-demo"), Map.of());
    private static final Pattern COUNT_CELL = Pattern.compile(
            "data-label=\"#?Predictions\"[^>]*>(?:<span class=\"wraps\">)?([^<]*)<");

    @TempDir
    Path home;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:10:00Z"));
    private VigilPlatform platform;
    private ModelName model;
    private List<ScoredRow> scored;

    @BeforeEach
    void fortyPredictionsOfADeployedModel() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).clock(clock).eventPublisher(event -> { }).build();
        model = SetUpApproval.deployFirstVersion(platform, SampleModels.readmissionLogistic(), "readmission.zip");
        assertThat(model.value()).isEqualTo(OPERATOR_PAGE.route().get("name"));
        SyntheticCohort cohort = SampleModels.readmissionCohort(40, 3);
        List<PatientRow> rows = new ArrayList<>();
        for (int i = 0; i < cohort.rows(); i++) {
            rows.add(PatientRows.of("patient-" + i, cohort.records().get(i)));
        }
        scored = platform.scoring().score(new ScoreRequest(model, null, rows)).rows();
        clock.advance(Duration.ofMinutes(5));
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void aPeriodOfAFewOutcomesShowsNeitherTheirCountNorACalibration() {
        label(0, 3, 1);

        String page = page();

        assertThat(page).contains("<strong data-fact=\"rows\">40</strong> predictions")
                .contains("outcomes withheld (fewer than 11 outcomes)")
                .doesNotContain("data-fact=\"labelled\"")
                .contains("Calibration withheld (fewer than 11 outcomes in the period)")
                .doesNotContain("id=\"calibration\"");
    }

    @Test
    void aRiskBinOfAFewOutcomesShowsNoCount() {
        label(0, 40, 20);

        String page = page();

        assertThat(page).contains("<strong data-fact=\"labelled\">40</strong> with an outcome");
        String table = page.substring(page.indexOf("<table id=\"calibration\""));
        table = table.substring(0, table.indexOf("</table>"));
        Matcher cells = COUNT_CELL.matcher(table);
        List<String> counts = new ArrayList<>();
        while (cells.find()) {
            counts.add(cells.group(1));
        }
        assertThat(counts).as(table).isNotEmpty().allSatisfy(count -> assertThat(count.startsWith("withheld: ")
                || count.equals("0") || Long.parseLong(count) >= 11).as(count).isTrue())
                .anyMatch(count -> count.startsWith("withheld: "));
    }

    /** Outcomes for the predictions {@code from} to {@code from + count - 1}, the first {@code positives} positive. */
    private void label(int from, int count, int positives) {
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            outcomes.add(Map.of("predictionId", scored.get(from + i).predictionId(), "outcome", i < positives ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        assertThat(platform.outcomes().submit("outcomes-feed", body,
                Json.readTree("outcomes", body.getBytes(StandardCharsets.UTF_8))).recorded()).isEqualTo(count);
    }

    private String page() {
        return new MonitoringView(() -> platform).ofOneModel().render(OPERATOR_PAGE).body();
    }
}
