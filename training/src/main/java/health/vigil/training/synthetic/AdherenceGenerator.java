package health.vigil.training.synthetic;

import static health.vigil.features.AdherenceFeatures.*;

import health.vigil.features.DaysCovered;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DispensingCohort;
import health.vigil.training.data.DispensingCohort.Fill;
import health.vigil.training.data.FlatCsvLoader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates dispensing histories of patients on a chronic medication, written as the CSV that
 * {@link DispensingCohort} loads, with a known probability of non-adherence. The generative process (also
 * in docs/models.md):
 * <ol>
 *   <li>Patient: age ~ N(62, 12) within 18-95, sex (1 % missing), drug class (statin 40 %,
 *       antihypertensive 30 %, oral antidiabetic 20 %, antidepressant 10 %), other chronic medications
 *       ~ Poisson(3), copay ~ lognormal(median 10 USD, sigma 0.8; 10 % missing), mail order 20 %; 90-day
 *       fills for 70 % of mail-order and 20 % of other patients, else 30-day fills.</li>
 *   <li>Baseline: from about 270 days before the index date the patient refills when supply runs out plus
 *       a delay: 15 % of refills come 1-7 days early, the rest Exponential(mu) days late, with
 *       mu = exp(1.6 + 0.5 [antidepressant] + 0.25 ln(1 + copay/10) - 0.4 [mail order]
 *       - 0.012 (age - 62) - 0.08 min(medications, 8) + N(0, 0.6)) days. Patients without a fill in the
 *       180-day baseline are redrawn (they are not in the cohort).</li>
 *   <li>From the baseline fills come the observable PDC, longest gap and days without supply at the index
 *       date (computed exactly as the feature pipeline does), and the label is Bernoulli(logistic(f)),
 *       f = -0.4 + 5 (0.85 - PDC) + 0.025 min(days without supply, 60) + 0.6 [longest gap > 30]
 *       + 0.5 [antidepressant] + 0.3 [copay > 25] - 0.3 [mail order] - 0.01 (age - 62).</li>
 *   <li>Follow-up fills continue the refill process with a mean delay of 45 days for a non-adherent label
 *       and 3 days otherwise, redrawn until the 180-day PDC falls on the label's side of 80 %, so the label
 *       the cohort computes from the fills is exactly the one drawn.</li>
 *   <li>The history ends with the first refill after the follow-up (the one the refill process drew last; for a
 *       history built on the label's side, the next on-time refill, or day 180), which the label does not count: the
 *       file's last fill date then comes at least 180 days after every index date, so every patient's follow-up is
 *       in it and the cohort leaves none out for follow-up still to come.</li>
 * </ol>
 * Patient ids are {@code synthetic-patient-N}; index dates fall in 2023-01-01 .. 2024-06-28.
 */
public final class AdherenceGenerator {
    private static final LocalDate FIRST_INDEX_DATE = LocalDate.of(2023, 1, 1);
    private final long seed;

    public AdherenceGenerator(long seed) {
        this.seed = seed;
    }

    /** The histories of {@code patients} patients as CSV, and each patient's true probability in file order. */
    public record Histories(byte[] csv, double[] trueProbability) {
        public Histories {
            csv = csv.clone();
            trueProbability = trueProbability.clone();
        }

        @Override
        public byte[] csv() {
            return csv.clone();
        }

        @Override
        public double[] trueProbability() {
            return trueProbability.clone();
        }
    }

    public SyntheticData generate(int patients) {
        Histories histories = histories(patients);
        Dataset dataset = DispensingCohort.load("synthetic-dispensing-seed-" + seed + ".csv", histories.csv());
        return new SyntheticData(dataset, histories.trueProbability());
    }

    public Histories histories(int patients) {
        if (patients < 1) {
            throw new IllegalArgumentException("patients must be at least 1");
        }
        Draw draw = new Draw(seed);
        StringBuilder csv = new StringBuilder(String.join(",", DispensingCohort.HEADER)).append('\n');
        double[] truth = new double[patients];
        for (int p = 0; p < patients; p++) {
            Patient patient;
            do {
                patient = patient(draw);
            } while (patient.baselineFills() == 0);
            double probability = Draw.logistic(patient.margin());
            truth[p] = probability;
            boolean nonAdherent = draw.chance(probability);
            List<Fill> fills = new ArrayList<>(patient.fills);
            fills.addAll(followUp(draw, patient, nonAdherent));
            LocalDate index = FIRST_INDEX_DATE.plusDays(draw.integer(0, 544));
            String prefix = "synthetic-patient-" + (p + 1) + "," + index + "," + patient.age + ","
                    + FlatCsvLoader.field(patient.sex) + "," + patient.drugClass + "," + patient.medications + ","
                    + FlatCsvLoader.field(patient.copay) + "," + patient.mailOrder + ",";
            for (Fill fill : fills) {
                csv.append(prefix).append(index.plusDays(fill.day())).append(',').append(fill.supply()).append('\n');
            }
        }
        return new Histories(csv.toString().getBytes(StandardCharsets.UTF_8), truth);
    }

    private static final class Patient {
        int age;
        String sex;
        String drugClass;
        int medications;
        Double copay;
        boolean mailOrder;
        int supply;
        double meanDelay;
        final List<Fill> fills = new ArrayList<>();
        int supplyEnd;

        int baselineFills() {
            return (int) fills.stream().filter(f -> f.day() >= -BASELINE_DAYS && f.day() < 0).count();
        }

        double margin() {
            List<Fill> baseline = fills.stream().filter(f -> f.day() >= -BASELINE_DAYS && f.day() < 0).toList();
            DaysCovered coverage = DaysCovered.of(baseline.stream().mapToInt(Fill::day).toArray(),
                    baseline.stream().mapToInt(Fill::supply).toArray());
            double pdc = coverage.proportion(-BASELINE_DAYS, 0);
            int withoutSupply = Math.max(0, -coverage.supplyEndsOn());
            int longestGap = coverage.longestGap(-BASELINE_DAYS, 0);
            return -0.4 + 5.0 * (0.85 - pdc) + 0.025 * Math.min(withoutSupply, 60) + (longestGap > 30 ? 0.6 : 0)
                    + (drugClass.equals("antidepressant") ? 0.5 : 0) + (copay != null && copay > 25 ? 0.3 : 0)
                    - (mailOrder ? 0.3 : 0) - 0.01 * (age - 62);
        }
    }

    private static Patient patient(Draw draw) {
        Patient p = new Patient();
        p.age = (int) Math.max(18, Math.min(95, Math.round(draw.gaussian(62, 12))));
        p.sex = draw.chance(0.01) ? null : draw.chance(0.52) ? "Female" : "Male";
        p.drugClass = DRUG_CLASSES.get(draw.weighted(0.40, 0.30, 0.20, 0.10));
        p.medications = Math.min(50, draw.poisson(3));
        p.copay = draw.chance(0.10) ? null : Math.min(2000, Math.round(100 * Math.exp(draw.gaussian(Math.log(10), 0.8))) / 100.0);
        p.mailOrder = draw.chance(0.20);
        p.supply = draw.chance(p.mailOrder ? 0.70 : 0.20) ? 90 : 30;
        double copayEffect = p.copay == null ? 0 : 0.25 * Math.log(1 + p.copay / 10);
        p.meanDelay = Math.exp(1.6 + (p.drugClass.equals("antidepressant") ? 0.5 : 0) + copayEffect
                - (p.mailOrder ? 0.4 : 0) - 0.012 * (p.age - 62) - 0.08 * Math.min(p.medications, 8)
                + draw.gaussian(0, 0.6));
        int day = -270 + draw.integer(0, 60);
        p.supplyEnd = day;
        while (day < 0) {
            p.fills.add(new Fill(day, p.supply));
            p.supplyEnd = Math.max(p.supplyEnd, day) + p.supply;
            day = nextFill(draw, p.supplyEnd, p.meanDelay);
        }
        return p;
    }

    /** Refills come 1-7 days before supply runs out (15 %) or Exponential(mean) days after. */
    private static int nextFill(Draw draw, int supplyEnd, double meanDelay) {
        return draw.chance(0.15) ? supplyEnd - draw.integer(1, 7) : supplyEnd + (int) Math.round(draw.exponential(meanDelay));
    }

    private static List<Fill> followUp(Draw draw, Patient patient, boolean nonAdherent) {
        double meanDelay = nonAdherent ? 45 : 3;
        for (int attempt = 0; attempt < 30; attempt++) {
            List<Fill> fills = new ArrayList<>();
            int supplyEnd = patient.supplyEnd;
            int day = nextFill(draw, supplyEnd, meanDelay);
            day = Math.max(day, 0);
            while (day < DispensingCohort.FOLLOW_UP_DAYS) {
                fills.add(new Fill(day, patient.supply));
                supplyEnd = Math.max(supplyEnd, day) + patient.supply;
                day = nextFill(draw, supplyEnd, meanDelay);
            }
            List<Fill> all = new ArrayList<>(patient.fills);
            all.addAll(fills);
            if (DispensingCohort.nonAdherent(all) == nonAdherent) {
                fills.add(new Fill(day, patient.supply)); // the first refill after the follow-up
                return fills;
            }
        }
        // Rare: fall back to histories that are on the label's side by construction. Supply on hand at the
        // index date is at most 7 + 90 days (refills come at most 7 days early), under 80 % of 180.
        List<Fill> fills = new ArrayList<>();
        int day = Math.max(0, patient.supplyEnd);
        if (!nonAdherent) {
            for (; day < DispensingCohort.FOLLOW_UP_DAYS; day += patient.supply) {
                fills.add(new Fill(day, patient.supply));
            }
        }
        fills.add(new Fill(Math.max(day, DispensingCohort.FOLLOW_UP_DAYS), patient.supply));
        return fills;
    }
}
