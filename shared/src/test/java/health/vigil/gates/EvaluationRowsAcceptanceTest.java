package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which evaluation rows a version's schema reads, and how its refusals are described to a data steward. */
class EvaluationRowsAcceptanceTest {
    private static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            Feature.integer("age", "years", 18, 110),
            Feature.categorical("race", List.of("Caucasian", "AfricanAmerican")).optional(),
            Feature.code("diag_1", "[0-9]{3}(\\.[0-9]{1,2})?").optional()));

    @Test
    void refusalsAreCountedByRuleTheMostFirstWithoutAValueOrARowNumber() {
        List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Map<String, Object> r = new HashMap<>(Map.of("age", 40L + i));
            if (i % 4 == 1) {
                r.put("race", "?");           // 5 rows: a source's missing-value mark
            } else if (i % 4 == 2) {
                r.put("diag_1", "8");         // 5 rows here and 2 below: codes without their leading zeros
            } else if (i == 3 || i == 7) {
                r.put("diag_1", "42");
            }
            records.add(r);
        }
        EvaluationRows rows = new EvaluationRows(records, new boolean[20], Map.of());

        EvaluationRows.Acceptance acceptance = rows.acceptedBy(SCHEMA);

        assertThat(acceptance.refused()).isEqualTo(12);
        assertThat(acceptance.firstRefusal()).startsWith("row 2 feature 'race'");
        assertThat(acceptance.refusedByRule().values()).containsExactly(5, 7);
        assertThat(acceptance.described()).startsWith(acceptance.firstRefusal() + "; by rule: 7 rows: feature 'diag_1'"
                + " is not a code matching").contains(", 5 rows: feature 'race' is not one of the allowed categories")
                .doesNotContain("'?'").doesNotContain("'8'").doesNotContain("row 3 ");
    }

    @Test
    void oneRuleOrNoRefusalIsDescribedAsBefore() {
        List<Map<String, Object>> records = new ArrayList<>();
        records.add(new HashMap<>(Map.of("age", 40L)));
        records.add(new HashMap<>(Map.of("age", 40L, "race", "?")));
        EvaluationRows.Acceptance one = new EvaluationRows(records, new boolean[2], Map.of()).acceptedBy(SCHEMA);
        assertThat(one.described()).isEqualTo(one.firstRefusal()).startsWith("row 2 ");

        EvaluationRows.Acceptance none = new EvaluationRows(List.of(Map.of("age", 40L)), new boolean[1], Map.of())
                .acceptedBy(SCHEMA);
        assertThat(none.described()).isNull();
        assertThat(none.refusedByRule()).isEmpty();
    }

    @Test
    void moreRulesThanShownAreCounted() {
        FeatureSchema wide = new FeatureSchema(List.of(
                Feature.integer("a", "x", 0, 1), Feature.integer("b", "x", 0, 1),
                Feature.integer("c", "x", 0, 1), Feature.integer("d", "x", 0, 1)));
        List<Map<String, Object>> records = new ArrayList<>();
        for (String broken : List.of("a", "b", "c", "d")) {
            Map<String, Object> r = new HashMap<>(Map.of("a", 0L, "b", 0L, "c", 0L, "d", 0L));
            r.put(broken, 5L);
            records.add(r);
        }
        String described = new EvaluationRows(records, new boolean[4], Map.of()).acceptedBy(wide).described();
        assertThat(described).endsWith(", and 1 more rule");
    }
}
