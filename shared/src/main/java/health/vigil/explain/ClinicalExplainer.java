package health.vigil.explain;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.Explanation;
import health.vigil.model.Explanation.Direction;
import health.vigil.model.Explanation.Factor;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Turns a model's exact SHAP values into an {@link Explanation} a clinician can read: contributions per
 * clinical feature (grouped columns summed), with the values and units the caller gave, the top factors, and a
 * probability-space view with a short summary such as
 * "Risk 0.31 (baseline 0.12). Raised by prior inpatient 4 stays (+0.09); hba1c 9.1 % (+0.04). Lowered by age 42
 * years (-0.03)."
 *
 * <p>Probability view. SHAP values add up in margin (log-odds) space; the logistic function bends that scale,
 * so probability contributions need a rule. This one scales every margin contribution by the same secant
 * slope of the logistic function between the expected margin m0 and the row's margin m:
 * {@code (sigmoid(m) - sigmoid(m0)) / (m - m0)}, its derivative when m = m0 (DeepLIFT's rescale rule across
 * the final nonlinearity). The probability contributions then add up exactly to {@code score - baseScore} and
 * keep each factor's sign and rank; what they do not show is that a factor's effect on probability depends on
 * the others, which no additive probability view can.
 */
public final class ClinicalExplainer {

    /** What separates the factors a summary lists: not a comma, which labels and values use themselves. */
    public static final String FACTOR_SEPARATOR = "; ";

    private final MarginExplainer shap;
    private final FeatureMapping mapping;
    private final int topK;

    /**
     * @param topK how many factors the explanation ranks and the summary names, at least 1
     * @throws ValidationException (INVALID_PACKAGE) when the explainer and the mapping disagree on the number
     *     of model inputs
     */
    public ClinicalExplainer(MarginExplainer shap, FeatureMapping mapping, int topK) {
        this.shap = Objects.requireNonNull(shap, "shap");
        this.mapping = Objects.requireNonNull(mapping, "mapping");
        if (shap.featureCount() != mapping.columnCount()) {
            throw new ValidationException(ErrorCode.INVALID_PACKAGE, "the model takes " + shap.featureCount()
                    + " inputs but the feature mapping names " + mapping.columnCount() + " columns");
        }
        if (topK < 1) {
            throw new ValidationException("an explanation needs at least 1 top factor, not " + topK);
        }
        this.topK = topK;
    }

    /** Explains a row, taking each single-column feature's value from the row itself. */
    public Explanation explain(double[] row) {
        return explain(row, Map.of());
    }

    /**
     * Explains a row of model inputs.
     *
     * @param rawValues the values as the caller gave them, by clinical feature name; a feature not in the map
     *     shows its model input when it has a single column (NaN as missing) and no value when it groups several;
     *     a computed feature is missing when the map gives null for the raw field it cannot do without
     */
    public Explanation explain(double[] row, Map<String, ?> rawValues) {
        Objects.requireNonNull(row, "row");
        Objects.requireNonNull(rawValues, "rawValues");
        double[] phi = new double[shap.featureCount()];
        double margin = shap.explain(row, phi);
        double expectedMargin = shap.expectedMargin();
        double score = sigmoid(margin);
        double baseScore = sigmoid(expectedMargin);
        double slope = secantSlope(expectedMargin, margin);

        List<Factor> factors = new ArrayList<>(mapping.featureCount());
        List<Boolean> shown = new ArrayList<>(mapping.featureCount());
        for (int f = 0; f < mapping.featureCount(); f++) {
            double contribution = 0;
            for (int m = 0; m < mapping.columnCountOf(f); m++) {
                contribution += phi[mapping.column(f, m)];
            }
            String name = mapping.name(f);
            String source = mapping.shows(f) != null ? mapping.shows(f) : name;
            Object value;
            boolean known;
            if (rawValues.containsKey(source)) {
                value = rawValues.get(source);
                known = true;
            } else if (mapping.columnCountOf(f) == 1) {
                double x = row[mapping.column(f, 0)];
                value = Double.isNaN(x) ? null : x;
                known = true;
            } else {
                value = null;
                known = false;
            }
            String needed = mapping.missingWith(f);
            if (needed != null && rawValues.containsKey(needed) && rawValues.get(needed) == null) {
                // Computed from a value the record did not give: what the model was given is a stand-in.
                value = null;
                known = true;
            }
            factors.add(known && value == null ? Factor.missing(name, mapping.unit(f), contribution, slope * contribution)
                    : Factor.of(name, value, mapping.unit(f), contribution, slope * contribution));
            shown.add(known);
        }

        List<Integer> top = top(factors, topK);
        List<Factor> topFactors = top.stream().map(factors::get).toList();
        String summary = summary(score, baseScore, top, factors, shown,
                f -> mapping.label(f) != null ? mapping.label(f) : words(factors.get(f).feature()));
        return new Explanation(score, baseScore, margin, expectedMargin, factors, topFactors, summary);
    }

    /**
     * The explanation of a past prediction from what the prediction log kept of it: the margins and each
     * feature's contributions, without the patient's values. Ranked and summarised as {@link #explain} does, with
     * the features named without values; the constructor of {@link Explanation} checks that the contributions
     * still add up to the margin, so a damaged or foreign record is refused rather than shown.
     *
     * @param contributions every clinical feature's factor as logged (values null), in the model's order
     */
    public static Explanation restore(double margin, double expectedMargin, List<Factor> contributions, int topK) {
        return restore(margin, expectedMargin, contributions, topK, ClinicalExplainer::words);
    }

    /**
     * As {@link #restore(double, double, List, int)}, the summary naming each feature by {@code label} (its clinical
     * label, as the page that shows the explanation names it) instead of its name in words.
     */
    public static Explanation restore(double margin, double expectedMargin, List<Factor> contributions, int topK,
            Function<String, String> label) {
        Objects.requireNonNull(contributions, "contributions");
        Objects.requireNonNull(label, "label");
        if (topK < 1) {
            throw new ValidationException("an explanation needs at least 1 top factor, not " + topK);
        }
        double score = sigmoid(margin);
        double baseScore = sigmoid(expectedMargin);
        List<Integer> top = top(contributions, topK);
        List<Boolean> shown = java.util.Collections.nCopies(contributions.size(), false);
        return new Explanation(score, baseScore, margin, expectedMargin, contributions,
                top.stream().map(contributions::get).toList(),
                summary(score, baseScore, top, contributions, shown, f -> label.apply(contributions.get(f).feature())));
    }

    /** The indexes of the {@code topK} factors that moved the risk most, largest first. */
    private static List<Integer> top(List<Factor> factors, int topK) {
        List<Integer> ranked = new ArrayList<>();
        for (int f = 0; f < factors.size(); f++) {
            if (factors.get(f).direction() != Direction.NEUTRAL) {
                ranked.add(f);
            }
        }
        // Stable sort: equal contributions keep the model's column order.
        ranked.sort(Comparator.comparingDouble(f -> -Math.abs(factors.get(f).marginContribution())));
        return ranked.subList(0, Math.min(topK, ranked.size()));
    }

    static double sigmoid(double margin) {
        return 1 / (1 + Math.exp(-margin));
    }

    /**
     * (sigmoid(b) - sigmoid(a)) / (b - a), accurate also when b is close to a: with sigmoid(x) =
     * (1 + tanh(x / 2)) / 2, the difference is sinh((b - a) / 2) / (2 cosh(a / 2) cosh(b / 2)).
     */
    static double secantSlope(double a, double b) {
        double half = (b - a) / 2;
        double ratio = half == 0 ? 0.5 : Math.sinh(half) / (b - a);
        double slope = ratio / (2 * Math.cosh(a / 2) * Math.cosh(b / 2));
        if (Double.isFinite(slope) && slope > 0) {
            return slope;
        }
        // Margins beyond about ±1400 overflow cosh; there the logistic is flat and the direct form is exact.
        return (sigmoid(b) - sigmoid(a)) / (b - a);
    }

    private static String summary(double score, double baseScore, List<Integer> top, List<Factor> factors,
            List<Boolean> shown, IntFunction<String> name) {
        StringBuilder raised = new StringBuilder();
        StringBuilder lowered = new StringBuilder();
        for (int f : top) {
            Factor factor = factors.get(f);
            StringBuilder part = factor.direction() == Direction.RAISES ? raised : lowered;
            if (part.length() > 0) {
                part.append(FACTOR_SEPARATOR);
            }
            part.append(describe(inSentence(name.apply(f)), factor, shown.get(f))).append(" (").append(signed(factor.probabilityContribution()))
                    .append(')');
        }
        StringBuilder sentence = new StringBuilder("Risk ").append(probability(score)).append(" (baseline ")
                .append(probability(baseScore)).append(')');
        if (top.isEmpty()) {
            return sentence.append("; no feature moved it from the baseline.").toString();
        }
        sentence.append('.');
        if (raised.length() > 0) {
            sentence.append(" Raised by ").append(raised).append('.');
        }
        if (lowered.length() > 0) {
            sentence.append(" Lowered by ").append(lowered).append('.');
        }
        return sentence.toString();
    }

    /**
     * A factor's label as a list of factors in a sentence names it. Such lists are joined with semicolons ({@link
     * #FACTOR_SEPARATOR}), so a label's own commas ("primary diagnosis, ICD-9-CM") read as the label's; one that holds
     * a semicolon ("HbA1c test result; None = not tested") is put in quotation marks, or it would read as two factors.
     */
    public static String inSentence(String label) {
        return label.indexOf(';') >= 0 ? "\u201c" + label + "\u201d" : label;
    }

    /** A feature's name in words: "prior inpatient" of prior_inpatient. */
    static String words(String feature) {
        return feature.replace('_', ' ');
    }

    /** "prior inpatient 4 stays", "hba1c missing", "on insulin yes", "admission type emergency". */
    static String describe(Factor factor, boolean valueKnown) {
        return describe(words(factor.feature()), factor, valueKnown);
    }

    /** The factor named {@code name}, with its value and unit when the value is known. */
    static String describe(String name, Factor factor, boolean valueKnown) {
        StringBuilder text = new StringBuilder(name);
        if (factor.missing()) {
            return text.append(" missing").toString();
        }
        Object value = factor.value();
        if (!valueKnown || value == null) {
            return text.toString();
        }
        String unit = factor.unit();
        if (unit != null && isQuantity(value) && SCALE.matcher(unit).matches()) {
            // A scale's name reads before its value, as a clinician says it: "ASA class 3", never "3 ASA class"; and
            // not at all when the name already says it.
            if (!name.toLowerCase(Locale.ROOT).contains(unit.toLowerCase(Locale.ROOT))) {
                text.append(' ').append(unit);
            }
            return text.append(' ').append(format(value)).toString();
        }
        text.append(' ').append(format(value));
        // A unit that only repeats the name says nothing the name has not.
        if (factor.unit() != null && isQuantity(value) && !factor.unit().equalsIgnoreCase(name)) {
            text.append(' ').append(value instanceof Number n && n.doubleValue() == 1 ? singular(factor.unit())
                    : factor.unit());
        }
        return text.toString();
    }

    /**
     * Whether a unit belongs after the value: a number, or a category that is one (">7", "[70-80)"); not a yes/no or
     * a category in words, where "HbA1c Norm %" or "glucose None mg/dL" would read as a measurement that is not there.
     */
    private static boolean isQuantity(Object value) {
        return value instanceof Number || value instanceof CharSequence text && text.chars().anyMatch(Character::isDigit);
    }

    /** A count noun's singular ("1 admission", "1 day"); a unit such as "%", "mg/dL" or "kg" is left as it is. */
    static String singular(String unit) {
        return PLURAL_NOUN.matcher(unit).matches() ? unit.substring(0, unit.length() - 1) : unit;
    }

    /**
     * A unit that names a scale rather than measuring: "ASA class", "NYHA class", "tumour grade"; a bare "class"
     * follows the value as any unit does.
     */
    private static final java.util.regex.Pattern SCALE = java.util.regex.Pattern.compile(
            "(?i).+\\s(class|grade|stage|score)");

    /** Lower-case letters ending in a single s: a count noun's plural. Compiled once, not per explained factor. */
    private static final java.util.regex.Pattern PLURAL_NOUN = java.util.regex.Pattern.compile("[a-z]{2,}[^s]s");

    static String format(Object value) {
        if (value instanceof Boolean b) {
            return b ? "yes" : "no";
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                return String.valueOf(d);
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            // Four significant digits: what a chart shows, without binary noise such as 9.100000000000001.
            return new BigDecimal(d).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
        return String.valueOf(value);
    }

    static String probability(double p) {
        if (p > 0 && p < 0.005) {
            return "<0.01";
        }
        if (p < 1 && p >= 0.995) {
            return ">0.99";
        }
        return twoDecimals(new StringBuilder(4), p).toString();
    }

    static String signed(double delta) {
        String sign = delta < 0 ? "-" : "+";
        double size = Math.abs(delta);
        return size < 0.005 ? sign + "<0.01" : twoDecimals(new StringBuilder(5).append(sign), size).toString();
    }

    /**
     * Appends {@code v} with two decimals, its {@link Double#toString} digits rounded half up, as
     * {@code String.format(Locale.US, "%.2f", v)} writes it; that costs about a microsecond a call in Java 17 (it
     * parses the pattern with a regular expression each time), and a summary has seven. Away from a tie, rounding
     * {@code v * 100} to the nearest whole number gives the same digits: the product and the decimal differ by far
     * less than the 1e-7 kept from .5; at a tie, or close to one, the decimal digits decide.
     */
    static StringBuilder twoDecimals(StringBuilder text, double v) {
        if (!(v >= 0 && v < 1e6)) {
            return text.append(String.format(Locale.US, "%.2f", v));
        }
        double scaled = v * 100;
        double whole = Math.floor(scaled);
        double fraction = scaled - whole;
        long hundredths = Math.abs(fraction - 0.5) > 1e-7
                ? (long) whole + (fraction > 0.5 ? 1 : 0)
                : new BigDecimal(Double.toString(v)).movePointRight(2).setScale(0, RoundingMode.HALF_UP).longValueExact();
        int cents = (int) (hundredths % 100);
        return text.append(hundredths / 100).append('.').append(cents < 10 ? "0" : "").append(cents);
    }
}
