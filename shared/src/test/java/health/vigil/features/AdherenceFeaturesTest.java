package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdherenceFeaturesTest {

    private static Map<String, Object> patient() {
        Map<String, Object> r = new HashMap<>();
        r.put("age", 64L);
        r.put("drug_class", "statin");
        r.put("chronic_medications", 3L);
        r.put("mail_order", false);
        return r;
    }

    private static Map<String, Float> columns(Map<String, Object> record) {
        DefinedPipeline pipeline = AdherenceFeatures.pipeline();
        float[] x = pipeline.transform(record);
        Map<String, Float> byName = new HashMap<>();
        for (int i = 0; i < x.length; i++) {
            byName.put(pipeline.columns().get(i), x[i]);
        }
        return byName;
    }

    @Test
    void derivesCoverageFromTheFillHistory() {
        Map<String, Object> r = patient();
        // Fills on days -170 (30 d), -120 (30 d), -95 (90 d, early: shifted to start at -90), stock to day 0.
        r.put("fill_1_days_before", 95L);
        r.put("fill_1_supply_days", 90L);
        r.put("fill_2_days_before", 170L);
        r.put("fill_2_supply_days", 30L);
        r.put("fill_3_days_before", 120L);
        r.put("fill_3_supply_days", 30L);
        Map<String, Float> x = columns(r);
        // Covered: -170..-141 (30), -120..-91 (30), -90..-1 (90) = 150 of 180.
        assertThat(x.get("baseline_pdc")).isEqualTo(150f / 180f);
        assertThat(x.get("fill_count")).isEqualTo(3f);
        // Gaps: -180..-171 (10 days) and -140..-121 (20 days).
        assertThat(x.get("longest_gap_days")).isEqualTo(20f);
        assertThat(x.get("days_without_supply_at_index")).isZero();
        assertThat(x.get("supply_on_hand_days")).isZero();
        assertThat(x.get("days_since_last_fill")).isEqualTo(95f);
        assertThat(x.get("share_90_day_fills")).isEqualTo(1f / 3f);
        assertThat(x.get("copay_usd_missing")).isEqualTo(1f);
    }

    @Test
    void aFillWithoutItsSupplyIsAClearClientError() {
        Map<String, Object> r = patient();
        r.put("fill_1_days_before", 10L);
        r.put("fill_1_supply_days", 30L);
        r.put("fill_2_days_before", 40L);
        assertThatThrownBy(() -> AdherenceFeatures.pipeline().transform(r))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE);
                    assertThat(e.getMessage()).contains("fill_2_days_before").contains("fill_2_supply_days");
                });
    }
}
