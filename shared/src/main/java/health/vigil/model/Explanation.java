package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import health.vigil.error.ValidationException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Why a model gave one patient its risk: the risk ({@code score}), the baseline it is measured from
 * ({@code baseScore}, the risk at the expected margin), and each clinical feature's signed contribution, both in
 * margin (log-odds) units, where the contributions add up exactly to {@code margin - expectedMargin}, and in
 * probability units, where they add up to {@code score - baseScore}. {@code summary} is the one-line reading
 * for a clinician. It carries the patient's feature values: it goes to the caller that asked for it, never into
 * a log, and {@link #toString()} prints no values.
 */
public record Explanation(
        double score,
        double baseScore,
        double margin,
        double expectedMargin,
        List<Factor> contributions,
        List<Factor> topFactors,
        String summary) {

    public Explanation {
        requireProbability("score", score);
        requireProbability("baseScore", baseScore);
        requireFinite("margin", margin);
        requireFinite("expectedMargin", expectedMargin);
        contributions = List.copyOf(Objects.requireNonNull(contributions, "contributions"));
        topFactors = List.copyOf(Objects.requireNonNull(topFactors, "topFactors"));
        if (topFactors.size() > contributions.size()) {
            throw new ValidationException("an explanation lists more top factors than features");
        }
        if (summary == null || summary.isBlank()) {
            throw new ValidationException("an explanation needs a summary sentence");
        }
        double sum = 0;
        for (Factor factor : contributions) {
            sum += factor.marginContribution();
        }
        double expected = margin - expectedMargin;
        if (Math.abs(sum - expected) > 1e-6 * Math.max(1, Math.abs(margin) + Math.abs(expectedMargin))) {
            throw new ValidationException("the margin contributions of an explanation must add up to margin"
                    + " - expectedMargin; these do not, so they were not computed from this prediction");
        }
    }

    private static void requireProbability(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new ValidationException("explanation." + name + " must be a probability between 0 and 1");
        }
    }

    private static void requireFinite(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new ValidationException("explanation." + name + " must be a finite number");
        }
    }

    @Override
    public String toString() {
        // Feature names only: values are patient data.
        return "Explanation[features=" + contributions.size() + ", top="
                + topFactors.stream().map(Factor::feature).toList() + "]";
    }

    /**
     * One clinical feature's part in a prediction: its name, the value as the caller gave it ({@code null} when
     * missing or not given), its unit, its signed contribution in margin and in probability units, and whether the
     * patient's value was missing (not recorded), which a {@code null} value alone does not say: an explanation
     * read back from the prediction log has no values.
     */
    public record Factor(
            String feature,
            Object value,
            String unit,
            double marginContribution,
            double probabilityContribution,
            Direction direction,
            boolean missing) {

        public Factor {
            if (feature == null || feature.isBlank()) {
                throw new ValidationException("an explanation factor has no feature name");
            }
            if (!Double.isFinite(marginContribution) || !Double.isFinite(probabilityContribution)) {
                throw new ValidationException("the contribution of feature '" + feature + "' is not a finite number");
            }
            Objects.requireNonNull(direction, "direction");
            if (direction != Direction.of(marginContribution)) {
                throw new ValidationException("feature '" + feature + "' is marked " + direction.wireName()
                        + " but its contribution has the other sign");
            }
            if (missing && value != null) {
                throw new ValidationException("feature '" + feature + "' is marked missing but has a value");
            }
        }

        /** A factor whose value was not missing, or is not known to have been. */
        public Factor(String feature, Object value, String unit, double marginContribution,
                double probabilityContribution, Direction direction) {
            this(feature, value, unit, marginContribution, probabilityContribution, direction, false);
        }

        /** A factor whose direction follows the sign of its margin contribution. */
        public static Factor of(String feature, Object value, String unit, double marginContribution,
                double probabilityContribution) {
            return new Factor(feature, value, unit, marginContribution, probabilityContribution,
                    Direction.of(marginContribution));
        }

        /** A factor whose value was missing, its direction following the sign of its margin contribution. */
        public static Factor missing(String feature, String unit, double marginContribution,
                double probabilityContribution) {
            return new Factor(feature, null, unit, marginContribution, probabilityContribution,
                    Direction.of(marginContribution), true);
        }

        @Override
        public String toString() {
            return "Factor[" + feature + " " + direction.wireName() + "]";
        }
    }

    /** Whether a feature raised the risk above the baseline, lowered it, or left it where it was. */
    public enum Direction {
        RAISES,
        LOWERS,
        NEUTRAL;

        public static Direction of(double contribution) {
            return contribution > 0 ? RAISES : contribution < 0 ? LOWERS : NEUTRAL;
        }

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Direction fromWire(String value) {
            return Direction.valueOf(value.trim().toUpperCase(Locale.ROOT));
        }
    }
}
