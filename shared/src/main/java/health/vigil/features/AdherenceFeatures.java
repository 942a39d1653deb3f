package health.vigil.features;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The feature definition of the medication adherence model: a patient on a chronic medication, with the
 * dispensing history of the 180 days before the index date, becomes the model's input vector. The history
 * arrives as up to {@value #MAX_FILLS} fills (days before the index date, days' supply), most recent first
 * or in any order; the proportion of days covered, gaps and supply on hand are derived here, with the same
 * coverage rule ({@link DaysCovered}) that defines the adherence label.
 */
public final class AdherenceFeatures {
    public static final String NAME = "adherence";
    /** Fills a request can carry; a history with more keeps the most recent ones. */
    public static final int MAX_FILLS = 12;
    /** The look-back window before the index date, in days. */
    public static final int BASELINE_DAYS = 180;
    /** Fills of at least this many days count as 90-day fills. */
    public static final int NINETY_DAY_SUPPLY = 84;

    public static final String AGE = "age";
    public static final String SEX = "sex";
    public static final String DRUG_CLASS = "drug_class";
    public static final String CHRONIC_MEDICATIONS = "chronic_medications";
    public static final String COPAY = "copay_usd";
    public static final String MAIL_ORDER = "mail_order";

    public static final List<String> SEXES = List.of("Female", "Male");
    public static final List<String> DRUG_CLASSES = List.of("statin", "antihypertensive", "oral_antidiabetic", "antidepressant");

    private static final DefinedPipeline PIPELINE = new DefinedPipeline(NAME, rawSchema(), columns());

    private AdherenceFeatures() {}

    public static DefinedPipeline pipeline() {
        return PIPELINE;
    }

    /** Raw field holding how many days before the index date fill {@code k} (1-based) was dispensed. */
    public static String fillDaysBefore(int k) {
        return "fill_" + k + "_days_before";
    }

    /** Raw field holding fill {@code k}'s days' supply. */
    public static String fillSupply(int k) {
        return "fill_" + k + "_supply_days";
    }

    static FeatureSchema rawSchema() {
        List<Feature> f = new ArrayList<>();
        f.add(Feature.integer(AGE, "years", 18, 110).withDescription("age at the index date"));
        f.add(Feature.categorical(SEX, SEXES).optional().withDescription("sex as recorded; missing when unknown"));
        f.add(Feature.categorical(DRUG_CLASS, DRUG_CLASSES).withDescription("therapeutic class of the monitored medication"));
        f.add(Feature.integer(CHRONIC_MEDICATIONS, "medications", 0, 50)
                .withDescription("other chronic medications dispensed in the baseline window"));
        f.add(Feature.numeric(COPAY, "USD", 0, 2000).optional().withDescription("patient copay per fill"));
        f.add(Feature.bool(MAIL_ORDER).withDescription("fills come from a mail-order pharmacy"));
        for (int k = 1; k <= MAX_FILLS; k++) {
            Feature when = Feature.integer(fillDaysBefore(k), "days", 1, BASELINE_DAYS)
                    .withDescription("days before the index date that fill " + k + " was dispensed");
            Feature supply = Feature.integer(fillSupply(k), "days", 1, 365).withDescription("days' supply of fill " + k);
            f.add(k == 1 ? when : when.optional());
            f.add(k == 1 ? supply : supply.optional());
        }
        return new FeatureSchema(f);
    }

    static List<Column> columns() {
        List<Column> c = new ArrayList<>();
        c.add(Columns.value(AGE, 60.0));
        c.add(Columns.oneHot(SEX, "Female"));
        c.add(Columns.missing(SEX));
        c.addAll(Columns.oneHot(DRUG_CLASS, DRUG_CLASSES));
        c.add(Columns.value(CHRONIC_MEDICATIONS, 0.0));
        c.add(Columns.value(COPAY, 10.0));
        c.add(Columns.missing(COPAY));
        c.add(Columns.flag(MAIL_ORDER, 0.0));
        String window = " over fills 1-" + MAX_FILLS + " (day = -days_before), window [-" + BASELINE_DAYS
                + ", 0), overlapping fills shifted; r1";
        c.add(history("baseline_pdc", Column.Kind.CONTINUOUS, "proportion of days covered" + window,
                Column.Wording.of("proportion of days covered", null), h -> h.proportion(-BASELINE_DAYS, 0)));
        c.add(history("fill_count", Column.Kind.CONTINUOUS, "number of fills" + window,
                Column.Wording.of("fills", null), h -> h.fills()));
        c.add(history("longest_gap_days", Column.Kind.CONTINUOUS, "longest run of days without supply" + window,
                Column.Wording.of("longest gap in supply", "days"), h -> h.longestGap(-BASELINE_DAYS, 0)));
        c.add(history("days_without_supply_at_index", Column.Kind.CONTINUOUS,
                "days from the end of supply to the index date, 0 if supply lasts past it" + window,
                Column.Wording.of("days without supply at the index date", null), h -> Math.max(0, -h.supplyEndsOn())));
        c.add(history("supply_on_hand_days", Column.Kind.CONTINUOUS,
                "days of supply left at the index date" + window, Column.Wording.of("supply on hand", "days"),
                h -> Math.max(0, h.supplyEndsOn())));
        c.add(Columns.derived("days_since_last_fill", Column.Kind.CONTINUOUS,
                "min(fill_k_days_before) over fills 1-" + MAX_FILLS + "; r1",
                Column.Wording.of("days since the last fill", null), r -> {
                    int min = Integer.MAX_VALUE;
                    for (Fill fill : fills(r)) {
                        min = Math.min(min, fill.daysBefore);
                    }
                    return min;
                }));
        c.add(Columns.derived("share_90_day_fills", Column.Kind.CONTINUOUS,
                "share of fills with supply >= " + NINETY_DAY_SUPPLY + " days over fills 1-" + MAX_FILLS + "; r1",
                Column.Wording.of("share of 90-day fills", null), r -> {
                    List<Fill> fills = fills(r);
                    long ninety = fills.stream().filter(fill -> fill.supply >= NINETY_DAY_SUPPLY).count();
                    return (double) ninety / fills.size();
                }));
        return c;
    }

    private static Column history(String name, Column.Kind kind, String spec, Column.Wording wording,
            ToDoubleFunction<DaysCovered> metric) {
        return Columns.derived(name, kind, spec, wording, r -> metric.applyAsDouble(coverage(r)));
    }

    /** The coverage of a record's baseline fills (day = minus days before the index date). */
    public static DaysCovered coverage(Map<String, Object> record) {
        List<Fill> fills = fills(record);
        int[] days = new int[fills.size()];
        int[] supply = new int[fills.size()];
        for (int i = 0; i < fills.size(); i++) {
            days[i] = -fills.get(i).daysBefore;
            supply[i] = fills.get(i).supply;
        }
        return DaysCovered.of(days, supply);
    }

    private record Fill(int daysBefore, int supply) {}

    private static List<Fill> fills(Map<String, Object> record) {
        List<Fill> fills = new ArrayList<>(MAX_FILLS);
        for (int k = 1; k <= MAX_FILLS; k++) {
            Object when = record.get(fillDaysBefore(k));
            Object supply = record.get(fillSupply(k));
            if (when == null && supply == null) {
                continue;
            }
            if (when == null || supply == null) {
                String given = when == null ? fillSupply(k) : fillDaysBefore(k);
                String absent = when == null ? fillDaysBefore(k) : fillSupply(k);
                throw new ValidationException(ErrorCode.INVALID_FEATURE, "feature '" + given + "' is given without '"
                        + absent + "'; a fill needs both its days before the index date and its days' supply");
            }
            fills.add(new Fill(((Number) when).intValue(), ((Number) supply).intValue()));
        }
        if (fills.isEmpty()) {
            throw new ValidationException(ErrorCode.INVALID_FEATURE, "the record has no fill; give at least '"
                    + fillDaysBefore(1) + "' and '" + fillSupply(1) + "'");
        }
        return fills;
    }
}
