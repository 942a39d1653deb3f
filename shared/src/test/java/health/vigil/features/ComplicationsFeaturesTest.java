package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComplicationsFeaturesTest {

    @Test
    void egfrFollowsTheCkdEpi2021Equation() {
        // Hand-computed: 142 * (1.2/0.9)^-1.2 * 0.9938^60 = 142 * 0.70808 * 0.68855 = 69.23
        assertThat(ComplicationsFeatures.ckdEpi2021(1.2, 60, false)).isCloseTo(69.23, within(0.05));
        // Female at kappa: 142 * 1 * 1 * 0.9938^50 * 1.012 = 142 * 0.73291 * 1.012 = 105.32
        assertThat(ComplicationsFeatures.ckdEpi2021(0.7, 50, true)).isCloseTo(105.32, within(0.05));
        // Below kappa the alpha term raises eGFR: (0.5/0.7)^-0.241 = 1.0845
        assertThat(ComplicationsFeatures.ckdEpi2021(0.5, 50, true)).isCloseTo(105.32 * 1.0845, within(0.1));
    }

    @Test
    void missingLabsAreFilledAndFlagged() {
        DefinedPipeline pipeline = ComplicationsFeatures.pipeline();
        Map<String, Object> record = new HashMap<>(Map.of(
                "procedure_type", "colorectal", "asa_class", 3L, "emergency", true, "age", 70L,
                "duration_min", 240.0));
        for (String c : ComplicationsFeatures.COMORBIDITIES) {
            record.put(c, c.equals("diabetes"));
        }
        float[] x = pipeline.transform(record);
        Map<String, Float> byName = new HashMap<>();
        for (int i = 0; i < x.length; i++) {
            byName.put(pipeline.columns().get(i), x[i]);
            assertThat(x[i]).as(pipeline.columns().get(i)).isNotNaN();
        }
        assertThat(byName).containsEntry("procedure_type=colorectal", 1f).containsEntry("procedure_type=cardiac", 0f)
                .containsEntry("albumin", 4.0f).containsEntry("albumin_missing", 1f)
                .containsEntry("hypoalbuminemia", 0f).containsEntry("egfr", 90f).containsEntry("creatinine_missing", 1f)
                .containsEntry("duration_hours", 4f).containsEntry("comorbidity_count", 1f)
                .containsEntry("sex_missing", 1f).containsEntry("emergency", 1f);
    }
}
