package health.vigil.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.Explanation.Factor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LoggedExplanationTest {

    @Test
    void theLoggedExplanationHoldsTheBaselineMarginsAndEveryContributionInOrderAndReadsBackBitForBit() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 2_000; i++) {
            Explanation explanation = randomExplanation(random, 1 + random.nextInt(40));
            String logged = ScoringService.loggedExplanation(explanation);
            JsonNode node = Json.readTree("logged explanation", logged.getBytes(StandardCharsets.UTF_8));

            assertThat(node.get("baseScore").doubleValue()).isEqualTo(explanation.baseScore());
            assertThat(node.get("expectedMargin").doubleValue()).isEqualTo(explanation.expectedMargin());
            assertThat(node.get("margin").doubleValue()).isEqualTo(explanation.margin());
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            assertThat(names).containsExactly("baseScore", "expectedMargin", "margin", "contributions");
            Iterator<Map.Entry<String, JsonNode>> fields = node.get("contributions").fields();
            for (Factor factor : explanation.contributions()) {
                Map.Entry<String, JsonNode> field = fields.next();
                assertThat(field.getKey()).isEqualTo(factor.feature());
                assertThat(field.getValue().size()).isEqualTo(2);
                assertThat(field.getValue().get(0).doubleValue()).isEqualTo(factor.marginContribution());
                assertThat(field.getValue().get(1).doubleValue()).isEqualTo(factor.probabilityContribution());
            }
            assertThat(fields.hasNext()).isFalse();
            // The same tree as the map the log was written from before the streaming writer.
            assertThat(node).isEqualTo(Json.readTree("map", Json.write(asMap(explanation))
                    .getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void featureNamesThatNeedEscapingAreWrittenAsValidJson() {
        Explanation explanation = new Explanation(0.6, 0.5, 0.4, 0.0,
                List.of(Factor.of("quote\" and \\ back", null, null, 0.3, 0.07),
                        Factor.of("line\nbreak é", null, null, 0.1, 0.03)),
                List.of(), "Risk 0.60 (baseline 0.50).");
        JsonNode node = Json.readTree("logged", ScoringService.loggedExplanation(explanation)
                .getBytes(StandardCharsets.UTF_8));
        assertThat(node.get("contributions").get("quote\" and \\ back").get(0).doubleValue()).isEqualTo(0.3);
        assertThat(node.get("contributions").get("line\nbreak é").get(1).doubleValue()).isEqualTo(0.03);
    }

    private static Explanation randomExplanation(SplittableRandom random, int features) {
        List<Factor> factors = new ArrayList<>();
        double sum = 0;
        for (int f = 0; f < features; f++) {
            double margin = random.nextInt(10) == 0 ? 0 : Math.scalb(random.nextDouble() - 0.5, -random.nextInt(30));
            double probability = margin * random.nextDouble();
            factors.add(Factor.of("feature_" + f, null, null, margin, probability));
            sum += margin;
        }
        double expectedMargin = random.nextDouble() * 4 - 2;
        double margin = expectedMargin + sum;
        return new Explanation(1 / (1 + Math.exp(-margin)), 1 / (1 + Math.exp(-expectedMargin)), margin,
                expectedMargin, factors, List.of(), "Risk.");
    }

    private static Map<String, Object> asMap(Explanation explanation) {
        Map<String, Object> logged = new LinkedHashMap<>();
        logged.put("baseScore", explanation.baseScore());
        logged.put("expectedMargin", explanation.expectedMargin());
        logged.put("margin", explanation.margin());
        Map<String, double[]> contributions = new LinkedHashMap<>();
        for (Factor f : explanation.contributions()) {
            contributions.put(f.feature(), new double[] {f.marginContribution(), f.probabilityContribution()});
        }
        logged.put("contributions", contributions);
        return logged;
    }
}
