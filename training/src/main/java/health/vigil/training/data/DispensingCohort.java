package health.vigil.training.data;

import static health.vigil.features.AdherenceFeatures.*;

import health.vigil.features.DaysCovered;
import health.vigil.features.RawRecordValidator;
import health.vigil.hash.Sha256;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the adherence cohort from dispensing histories: one CSV row per fill ({@value #HEADER_TEXT}), the
 * patient's attributes repeated on each row. For each patient the baseline is the 180 days before the index
 * date (at most {@value health.vigil.features.AdherenceFeatures#MAX_FILLS} most recent fills become the
 * record; a patient without a baseline fill is not in the cohort) and the label is non-adherence in the 180
 * days from the index date: proportion of days covered below {@value #PDC_THRESHOLD}, counting supply
 * carried over from earlier fills. The file must hold every fill up to 179 days after the index date; it ends at its
 * last fill date, so a patient indexed less than 179 days before that date is not in the cohort: their follow-up is
 * not complete in the file, and labelling it from the fills so far would call them non-adherent for refills that
 * are still to come.
 */
public final class DispensingCohort {
    static final String HEADER_TEXT = "patient_id,index_date,age,sex,drug_class,chronic_medications,copay_usd,"
            + "mail_order,fill_date,days_supply";
    public static final List<String> HEADER = List.of(HEADER_TEXT.split(","));
    /** PDC below this is non-adherent (the usual 80 % cut-off). */
    public static final double PDC_THRESHOLD = 0.8;
    public static final int FOLLOW_UP_DAYS = 180;

    private DispensingCohort() {}

    /** One fill: days relative to the index date (negative before it) and days' supply. */
    public record Fill(int day, int supply) {}

    /** Non-adherence label from the whole history: PDC over [0, 180) below the threshold. */
    public static boolean nonAdherent(List<Fill> fills) {
        int[] days = fills.stream().filter(f -> f.day < FOLLOW_UP_DAYS).mapToInt(Fill::day).toArray();
        int[] supply = fills.stream().filter(f -> f.day < FOLLOW_UP_DAYS).mapToInt(Fill::supply).toArray();
        return DaysCovered.of(days, supply).proportion(0, FOLLOW_UP_DAYS) < PDC_THRESHOLD;
    }

    public static Dataset load(String name, byte[] data) {
        CsvTable table = CsvTable.read(name, new InputStreamReader(new ByteArrayInputStream(data), StandardCharsets.UTF_8));
        table.require(HEADER);
        Map<String, Patient> patients = new LinkedHashMap<>();
        LocalDate first = null;
        LocalDate last = null;
        for (int row = 0; row < table.size(); row++) {
            String key = table.get(row, "patient_id");
            if (key.isEmpty()) {
                throw table.invalid(row, "patient_id", "the patient key is empty");
            }
            Map<String, Object> attributes = new HashMap<>();
            for (String column : List.of(AGE, SEX, DRUG_CLASS, CHRONIC_MEDICATIONS, COPAY, MAIL_ORDER)) {
                String text = table.get(row, column);
                if (!text.isEmpty()) {
                    attributes.put(column, FlatCsvLoader.parse(table, row,
                            pipeline().rawSchema().get(pipeline().rawSchema().indexOf(column).orElseThrow()), text));
                }
            }
            LocalDate index = FlatCsvLoader.date(table, row, "index_date");
            LocalDate fillDate = FlatCsvLoader.date(table, row, "fill_date");
            long supply = table.integer(row, "days_supply");
            if (supply < 1 || supply > 365) {
                throw table.invalid(row, "days_supply", "out of range; allowed range is 1-365");
            }
            first = first == null || fillDate.isBefore(first) ? fillDate : first;
            last = last == null || fillDate.isAfter(last) ? fillDate : last;
            Patient patient = patients.computeIfAbsent(key, k -> new Patient(index, attributes));
            if (!patient.index.equals(index) || !patient.attributes.equals(attributes)) {
                throw table.invalid(row, "patient_id", "the patient's index date or attributes differ from an"
                        + " earlier row of the same patient; they must be the same on every row");
            }
            patient.fills.add(new Fill(Math.toIntExact(ChronoUnit.DAYS.between(index, fillDate)), (int) supply));
        }
        RawRecordValidator validator = new RawRecordValidator(pipeline().rawSchema());
        List<Map<String, Object>> records = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        int withoutBaseline = 0;
        int withoutFollowUp = 0;
        int truncated = 0;
        int number = 0;
        for (Map.Entry<String, Patient> entry : patients.entrySet()) {
            Patient patient = entry.getValue();
            number++;
            List<Fill> baseline = patient.fills.stream()
                    .filter(f -> f.day >= -BASELINE_DAYS && f.day < 0)
                    .sorted(Comparator.comparingInt(Fill::day).reversed())
                    .toList();
            if (baseline.isEmpty()) {
                withoutBaseline++;
                continue;
            }
            if (ChronoUnit.DAYS.between(patient.index, last) < FOLLOW_UP_DAYS - 1) {
                withoutFollowUp++;
                continue;
            }
            if (baseline.size() > MAX_FILLS) {
                truncated++;
                baseline = baseline.subList(0, MAX_FILLS);
            }
            Map<String, Object> r = new HashMap<>(patient.attributes);
            for (int k = 0; k < baseline.size(); k++) {
                r.put(fillDaysBefore(k + 1), (long) -baseline.get(k).day);
                r.put(fillSupply(k + 1), (long) baseline.get(k).supply);
            }
            validator.validate(r, name + " patient " + number);
            records.add(r);
            keys.add(entry.getKey());
            labels.add(nonAdherent(patient.fills));
        }
        boolean[] y = new boolean[labels.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
        }
        List<String> notes = List.of(table.size() + " fills of " + patients.size() + " patients read",
                withoutBaseline + " patients without a fill in the 180-day baseline left out",
                withoutFollowUp + " patients indexed less than " + (FOLLOW_UP_DAYS - 1) + " days before the file's"
                        + " last fill date left out: their " + FOLLOW_UP_DAYS + "-day follow-up is not all in the file",
                truncated + " patients with more than " + MAX_FILLS + " baseline fills kept their most recent "
                        + MAX_FILLS);
        return new Dataset("dispensing histories (" + name + ")", records, y, keys, Sha256.hex(data),
                first == null ? null : first + "/" + last, notes);
    }

    private static final class Patient {
        final LocalDate index;
        final Map<String, Object> attributes;
        final List<Fill> fills = new ArrayList<>();

        Patient(LocalDate index, Map<String, Object> attributes) {
            this.index = index;
            this.attributes = attributes;
        }
    }
}
