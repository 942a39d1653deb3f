package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A segment count from 1 to the policy's {@code minCellSize} less one, or one the window's totals would give back, is
 * withheld in the report itself: as made and as read, so the API, the CLI and the card show the same figures.
 */
class SmallCellsTest {
    private static final Instant FROM = Instant.parse("2026-12-03T10:00:00Z");

    /**
     * A report read from its stored form, with {@code segments} as {@code column value labelled positives} and the
     * policy's {@code minCellSize} set (or the default when null). Built from JSON, as a stored report is read.
     */
    private static JsonNode report(Integer minCellSize, String... segments) {
        MonitoringReport bare = new MonitoringReport(MonitoringReport.idOf("readmission", 1, "stable", FROM,
                FROM.plus(Duration.ofHours(1))), "readmission", 1, "stable", FROM, FROM.plus(Duration.ofHours(1)),
                FROM.plus(Duration.ofHours(1)), MonitoringReport.Severity.OK, List.of(), 500, 0.8, 0, false, null,
                null, null, MonitoringPolicy.DEFAULTS, List.of());
        ObjectNode tree = (ObjectNode) Json.readTree("report", Json.write(bare));
        if (minCellSize == null) {
            ((ObjectNode) tree.get("policy")).remove("minCellSize");
        } else {
            ((ObjectNode) tree.get("policy")).put("minCellSize", minCellSize);
        }
        ArrayNode array = tree.putArray("segments");
        for (String segment : segments) {
            String[] f = segment.split(" ");
            array.addObject().put("column", f[0]).put("value", f[1]).put("labelled", Long.parseLong(f[2]))
                    .put("positives", Long.parseLong(f[3])).put("status", "INSUFFICIENT_DATA");
        }
        MonitoringReport read = Json.read("report", Json.write(tree), MonitoringReport.class);
        return Json.readTree("report", Json.write(read));
    }

    private static JsonNode segment(JsonNode report, String column, String value) {
        for (JsonNode s : report.get("segments")) {
            if (s.get("column").asText().equals(column) && s.get("value").asText().equals(value)) {
                return s;
            }
        }
        throw new AssertionError("no segment " + column + "=" + value);
    }

    /**
     * A report made of a window of {@code labelled} outcomes, {@code positives} of them positive, out of 500
     * predictions, with its statistics, and {@code segments} as {@code column value labelled positives}; as stored
     * and read back.
     */
    private static JsonNode window(long labelled, long positives, String... segments) {
        List<SegmentPerformance> list = new java.util.ArrayList<>();
        for (String segment : segments) {
            String[] f = segment.split(" ");
            list.add(new SegmentPerformance(f[0], f[1], Long.parseLong(f[2]), Long.parseLong(f[3]),
                    SegmentPerformance.Status.INSUFFICIENT_DATA, null, null));
        }
        LabelledPerformance performance = new LabelledPerformance(labelled, positives, 0.7, 0.6, 0.8, 0.3, 0.2, 0.15,
                0.25, 0.05, 0.9);
        Instant to = FROM.plus(Duration.ofHours(1));
        MonitoringReport made = new MonitoringReport(MonitoringReport.idOf("readmission", 1, "stable", FROM, to),
                "readmission", 1, "stable", FROM, to, to, MonitoringReport.Severity.OK, List.of(), 500,
                labelled / 500.0, 0, false, 0.02, null, performance, MonitoringPolicy.DEFAULTS, list);
        JsonNode json = Json.readTree("report", Json.write(made));
        MonitoringReport read = Json.read("report", Json.write(made), MonitoringReport.class);
        assertThat(Json.readTree("report", Json.write(read))).as("read as made").isEqualTo(json);
        return json;
    }

    /**
     * No small segment count the report withholds is the window's shown total minus its column's shown counts: where
     * the total shows a count, a column withholding it from a small segment withholds it from another one too.
     */
    private static void noWithheldCountIsTheTotalMinusTheOthers(JsonNode r) {
        java.util.Set<String> columns = new java.util.TreeSet<>();
        r.get("segments").forEach(s -> columns.add(s.get("column").asText()));
        for (String count : List.of("labelled", "positives")) {
            if (!r.get("performance").has(count)) {
                continue;
            }
            for (String column : columns) {
                long withheld = 0;
                boolean small = false;
                for (JsonNode s : r.get("segments")) {
                    if (s.get("column").asText().equals(column) && !s.has(count)) {
                        withheld++;
                        small |= s.get("suppressed").asText().startsWith("fewer than");
                    }
                }
                assertThat(!small || withheld > 1).as(count + " of " + column + ": " + r.get("segments")).isTrue();
            }
        }
    }

    @Test
    void aWindowOfAFewOutcomesShowsNoCountNoStatisticAndNoLabelledShare() {
        JsonNode r = window(8, 3, "sex female 5 2", "sex male 3 1");

        JsonNode performance = r.get("performance");
        assertThat(performance.has("labelled")).isFalse();
        assertThat(performance.has("positives")).isFalse();
        assertThat(performance.get("auroc").isNull()).isTrue();
        assertThat(performance.get("aurocLower").isNull()).isTrue();
        assertThat(performance.get("brier").isNull()).isTrue();
        assertThat(performance.get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        // 500 predictions times the labelled share would give the 8 back.
        assertThat(r.has("labelledFraction")).isFalse();
        assertThat(r.has("estimateError")).isFalse();
        assertThat(r.get("predictions").asLong()).isEqualTo(500);
    }

    @Test
    void aWindowWithAFewOfAClassShowsItsOutcomesNotItsPositivesAndNoCellComesBackFromItsTotals() {
        JsonNode r = window(300, 6, "sex female 150 6", "sex male 150 0", "ward A 290 6", "ward B 10 0");

        JsonNode performance = r.get("performance");
        assertThat(performance.get("labelled").asLong()).isEqualTo(300);
        assertThat(performance.has("positives")).isFalse();
        assertThat(performance.get("auroc").isNull()).isTrue();
        assertThat(performance.get("brier").isNull()).isTrue();
        assertThat(performance.get("suppressed").asText())
                .isEqualTo("fewer than 11 positive or fewer than 11 negative outcomes");
        assertThat(r.get("labelledFraction").asDouble()).isEqualTo(0.6);
        assertThat(r.has("estimateError")).as("the realised AUROC minus it is withheld").isFalse();
        noWithheldCountIsTheTotalMinusTheOthers(r);
        // The 300 outcomes minus ward A's 290 would give ward B's 10 back: A is withheld with it.
        assertThat(segment(r, "ward", "A").has("labelled")).isFalse();

        JsonNode shown = window(300, 45, "sex female 1 1", "sex male 269 40", "sex unknown 30 4");
        assertThat(shown.get("performance").get("positives").asLong()).isEqualTo(45);
        assertThat(shown.get("performance").get("auroc").asDouble()).isEqualTo(0.7);
        assertThat(shown.get("performance").has("suppressed")).isFalse();
        noWithheldCountIsTheTotalMinusTheOthers(shown);
    }

    /**
     * A column of one segment has no other value to withhold with a small count: its segment is the whole window, so
     * the window's count is withheld with it.
     */
    @Test
    void aColumnOfOneSegmentWithholdsItsSmallCountAndTheWindowsWithIt() {
        JsonNode few = window(7, 2, "ward A 7 2", "sex female 4 1", "sex male 3 1");
        assertThat(segment(few, "ward", "A").has("labelled")).isFalse();
        assertThat(segment(few, "ward", "A").get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        assertThat(few.get("performance").has("labelled")).isFalse();
        assertThat(few.get("performance").has("positives")).isFalse();
        assertThat(few.toString()).doesNotContain("\"labelled\":7", "\"positives\":2", "0.014");

        JsonNode fewPositives = window(200, 4, "ward A 200 4");
        assertThat(segment(fewPositives, "ward", "A").get("labelled").asLong()).isEqualTo(200);
        assertThat(segment(fewPositives, "ward", "A").has("positives")).isFalse();
        assertThat(fewPositives.get("performance").get("labelled").asLong()).isEqualTo(200);
        assertThat(fewPositives.get("performance").has("positives")).isFalse();
        noWithheldCountIsTheTotalMinusTheOthers(fewPositives);
    }

    @Test
    void aSegmentOfOnePatientShowsNoCountAndTheColumnsSmallestOtherSegmentIsWithheldWithIt() {
        JsonNode r = report(null, "sex female 1 1", "sex male 299 40", "sex unknown 30 4");

        JsonNode female = segment(r, "sex", "female");
        assertThat(female.has("labelled")).isFalse();
        assertThat(female.has("positives")).isFalse();
        assertThat(female.get("status").asText()).isEqualTo("SUPPRESSED");
        assertThat(female.get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        // 330 outcomes in the window minus 299 and 30 would give the 1 back: the next smallest is withheld too.
        JsonNode unknown = segment(r, "sex", "unknown");
        assertThat(unknown.has("labelled")).isFalse();
        assertThat(unknown.has("positives")).isFalse();
        assertThat(unknown.get("suppressed").asText()).startsWith("withheld with a smaller segment of this column");
        JsonNode male = segment(r, "sex", "male");
        assertThat(male.get("labelled").asLong()).isEqualTo(299);
        assertThat(male.get("positives").asLong()).isEqualTo(40);
        assertThat(male.has("suppressed")).isFalse();
        assertThat(r.toString()).doesNotContain("\"labelled\":1,", "\"labelled\":30,");
    }

    @Test
    void aFewOfOneClassWithholdTheSegmentsPositivesAndZeroStaysZero() {
        JsonNode r = report(null, "age 50-69 40 35", "age 70-79 100 50", "age 80+ 60 30", "ward A 25 0",
                "ward B 30 15");

        JsonNode fewNegatives = segment(r, "age", "50-69");
        assertThat(fewNegatives.get("labelled").asLong()).isEqualTo(40);
        assertThat(fewNegatives.has("positives")).isFalse();
        assertThat(fewNegatives.get("suppressed").asText())
                .isEqualTo("fewer than 11 positive or fewer than 11 negative outcomes");
        assertThat(segment(r, "age", "80+").has("positives")).isFalse();
        assertThat(segment(r, "age", "70-79").get("positives").asLong()).isEqualTo(50);
        JsonNode none = segment(r, "ward", "A");
        assertThat(none.get("positives").asLong()).isZero();
        assertThat(none.has("suppressed")).isFalse();
    }

    @Test
    void aReportReadAgainShowsTheSameFiguresAndACellSizeOfOneShowsEveryCount() {
        JsonNode r = report(11, "sex female 1 1", "sex male 299 40", "sex unknown 30 4");
        MonitoringReport again = Json.read("report", Json.write(r), MonitoringReport.class);
        assertThat(Json.readTree("report", Json.write(again))).isEqualTo(r);

        JsonNode off = report(1, "sex female 1 1", "sex male 299 40");
        assertThat(segment(off, "sex", "female").get("labelled").asLong()).isEqualTo(1);
        assertThat(segment(off, "sex", "female").has("suppressed")).isFalse();
    }

    /**
     * A report stored before the window's counts were withheld: its performance gives 60 outcomes, 1 positive, and
     * its reasons word them. Read now, the counts are withheld and the reasons no longer give them back.
     */
    @Test
    void aReportStoredBeforeTheWindowsCountsWereWithheldDoesNotGiveThemInItsReasons() {
        MonitoringReport bare = new MonitoringReport(MonitoringReport.idOf("readmission", 1, "stable", FROM,
                FROM.plus(Duration.ofHours(1))), "readmission", 1, "stable", FROM, FROM.plus(Duration.ofHours(1)),
                FROM.plus(Duration.ofHours(1)), MonitoringReport.Severity.ALERT, List.of(), 500, null, 0, true, null,
                null, null, MonitoringPolicy.DEFAULTS, List.of());
        ObjectNode tree = (ObjectNode) Json.readTree("report", Json.write(bare));
        tree.put("labelledFraction", 0.12);
        tree.putObject("performance").put("labelled", 60).put("positives", 1).put("brier", 0.31)
                .put("brierLower", 0.26).put("brierUpper", 0.36).put("calibrationError", 0.2);
        tree.putArray("reasons").add("drift in age (1 window in a row)")
                .add("the realised AUROC is not judged yet: 60 outcomes, 1 positive and 59 negative; at least 10 of"
                        + " each class are needed")
                .add("Brier score 0.310 (95% CI 0.260 to 0.360) on 60 outcomes is above 0.250")
                .add("AUROC 0.412 (95% CI 0.300 to 0.520) on 60 outcomes, 1 positive, is below 0.600")
                .add("AUROC 0.412 on 60 outcomes is below 0.600")
                .add("Brier score 0.310 on 60 outcomes is above 0.250");

        MonitoringReport read = Json.read("report", Json.write(tree), MonitoringReport.class);

        String withheld = "60 outcomes (fewer than 11 positive or fewer than 11 negative outcomes)";
        assertThat(read.performance().positives()).isNull();
        assertThat(read.reasons()).containsExactly("drift in age (1 window in a row)",
                "the realised AUROC is not judged yet: " + withheld + "; at least 10 of each class are needed",
                "the Brier score on " + withheld + " is above 0.250",
                "the AUROC on " + withheld + " is below 0.600",
                "the AUROC on " + withheld + " is below 0.600",
                "the Brier score on " + withheld + " is above 0.250");
        assertThat(Json.write(read)).doesNotContain("outcomes, 1 positive", "59 negative", "0.310", "0.412");
        MonitoringReport again = Json.read("report", Json.write(read), MonitoringReport.class);
        assertThat(again.reasons()).as("read again").isEqualTo(read.reasons());

        // A window of a few outcomes: only why.
        ((ObjectNode) tree.get("performance")).put("labelled", 8).put("positives", 3);
        tree.putArray("reasons").add("Brier score 0.310 (95% CI 0.260 to 0.360) on 8 outcomes is above 0.250");
        assertThat(Json.read("report", Json.write(tree), MonitoringReport.class).reasons())
                .containsExactly("the Brier score on fewer than 11 outcomes is above 0.250");

        // Counts the report shows keep their reasons as they were written.
        ((ObjectNode) tree.get("performance")).put("labelled", 300).put("positives", 45);
        assertThat(Json.read("report", Json.write(tree), MonitoringReport.class).reasons())
                .containsExactly("Brier score 0.310 (95% CI 0.260 to 0.360) on 8 outcomes is above 0.250");
    }

    /**
     * The outcome feed's window: its parts per version and slot add up to its totals, so they are one column of
     * segments; a part of a few outcomes is withheld with the smallest other part, and the window's own counts follow
     * the window's rule.
     */
    @Test
    void anOutcomeWindowsSmallPartIsWithheldWithTheSmallestOtherAndItsTotalsByTheWindowsRule() {
        LabelledWindow window = new LabelledWindow("readmission", FROM, FROM.plus(Duration.ofHours(1)), 900, 265L, 49L,
                265 / 900.0, 2, List.of(new LabelledWindow.Part(1, "stable", 600, 200L, 40L, 200 / 600.0, null),
                        new LabelledWindow.Part(2, "canary", 20, 5L, 1L, 0.25, null),
                        new LabelledWindow.Part(1, "batch", 280, 60L, 8L, 60 / 280.0, null)), null);

        JsonNode shown = Json.readTree("window", Json.write(SmallCells.window(window, 11)));

        assertThat(shown.get("labelled").asLong()).isEqualTo(265);
        assertThat(shown.get("positives").asLong()).isEqualTo(49);
        assertThat(shown.has("suppressed")).isFalse();
        JsonNode canary = shown.at("/parts/1");
        assertThat(canary.has("labelled")).isFalse();
        assertThat(canary.has("positives")).isFalse();
        assertThat(canary.get("labelledFraction").isNull()).as("20 predictions times it give the 5 back").isTrue();
        assertThat(canary.get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        // 265 minus the stable part's 200 would give the canary's 5 back: the batch part is withheld with it.
        JsonNode batch = shown.at("/parts/2");
        assertThat(batch.has("labelled")).isFalse();
        assertThat(batch.get("suppressed").asText()).startsWith("withheld with a smaller segment of this column");
        assertThat(shown.at("/parts/0/labelled").asLong()).isEqualTo(200);
        assertThat(shown.at("/parts/0/positives").asLong()).isEqualTo(40);
        assertThat(shown.at("/parts/2/predictions").asLong()).isEqualTo(280);
        assertThat(Json.readTree("window", Json.write(SmallCells.window(SmallCells.window(window, 11), 11))))
                .as("applied again").isEqualTo(shown);
        assertThat(SmallCells.window(window, 1)).as("a cell size of 1 shows every count").isEqualTo(window);
    }

    @Test
    void aNegativeCellSizeIsRefusedSayingWhatTurnsItOff() {
        assertThatThrownBy(() -> new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS, 1, 50, 10, 0.6,
                0.25, 0.6, -1)).isInstanceOf(ValidationException.class)
                .hasMessage("minCellSize must be 0 or more (0 or 1 shows every segment count); it is -1");
    }
}
