package health.vigil.training.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import health.vigil.training.synthetic.AdherenceGenerator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DispensingCohortTest {
    private static final String HEADER = String.join(",", DispensingCohort.HEADER) + "\n";

    @Test
    void buildsBaselineFillsAndLabelsFromFollowUpCoverageWithCarryOver() {
        String csv = HEADER
                // Patient a: fills at -100 and -10 (90 days each; the second shifted to start at -10) -> 80 days carried
                // into follow-up; a follow-up fill on day 100 for 90 days -> covered 0..79 and 100..179 = 160/180.
                + "a,2024-06-01,70,Female,statin,2,,false,2024-02-22,90\n"
                + "a,2024-06-01,70,Female,statin,2,,false,2024-05-22,90\n"
                + "a,2024-06-01,70,Female,statin,2,,false,2024-09-09,90\n"
                // Patient b: one 30-day fill 20 days before index, nothing after -> 10/180 covered: non-adherent.
                + "b,2024-06-01,55,,antidepressant,0,12.5,true,2024-05-12,30\n"
                // Patient c: fills only long before the baseline -> not in the cohort. Its last fill ends the file
                // 179 days after the index date of a and b: their whole follow-up is in it.
                + "c,2024-06-01,60,Male,statin,1,,false,2023-01-01,30\n"
                + "c,2024-06-01,60,Male,statin,1,,false,2024-11-27,30\n";
        Dataset data = DispensingCohort.load("fills.csv", csv.getBytes(StandardCharsets.UTF_8));
        assertThat(data.size()).isEqualTo(2);
        assertThat(data.labels()).containsExactly(false, true);
        Map<String, Object> a = data.records().get(0);
        assertThat(a).containsEntry("fill_1_days_before", 10L).containsEntry("fill_2_days_before", 100L)
                .containsEntry("fill_1_supply_days", 90L).doesNotContainKey("copay_usd").doesNotContainKey("fill_3_days_before");
        assertThat(data.records().get(1)).containsEntry("copay_usd", 12.5).containsEntry("mail_order", true)
                .doesNotContainKey("sex");
        assertThat(data.notes()).anyMatch(n -> n.startsWith("1 patients without a fill"));
        assertThat(data.dateRange()).isEqualTo("2023-01-01/2024-11-27");
    }

    /**
     * The file ends at its last fill date: a patient indexed less than 179 days before it has follow-up fills still to
     * come, so they are left out (counted, never named) rather than labelled non-adherent for refills not yet made.
     */
    @Test
    void aPatientWhoseFollowUpRunsPastTheEndOfTheFileIsLeftOutAndCounted() {
        String csv = HEADER
                // Indexed 179 days before the file's last fill date: days 0-179 are all in the file. Nothing after
                // the baseline fill: non-adherent.
                + "complete,2024-06-01,64,Female,statin,2,,false,2024-05-20,30\n"
                // Indexed 178 and 100 days before it: one baseline fill each and no refill yet.
                + "one-day-short,2024-06-02,58,Male,statin,1,,false,2024-05-25,30\n"
                + "recent-patient,2024-08-19,47,Female,antihypertensive,3,,true,2024-08-01,90\n"
                // Another patient's fill ends the file.
                + "last-fill,2023-11-01,71,Male,statin,4,,false,2023-10-15,90\n"
                + "last-fill,2023-11-01,71,Male,statin,4,,false,2024-11-27,90\n";

        Dataset data = DispensingCohort.load("fills.csv", csv.getBytes(StandardCharsets.UTF_8));

        assertThat(data.patientKeys()).containsExactly("complete", "last-fill");
        assertThat(data.labels()).containsExactly(true, true);
        assertThat(data.notes()).contains("2 patients indexed less than 179 days before the file's last fill date left"
                + " out: their 180-day follow-up is not all in the file");
        assertThat(String.join("\n", data.notes())).doesNotContain("one-day-short", "recent-patient");
    }

    @Test
    void rejectsAPatientWhoseAttributesChangeBetweenRows() {
        String csv = HEADER + "a,2024-06-01,70,Female,statin,2,,false,2024-05-22,90\n"
                + "a,2024-06-01,71,Female,statin,2,,false,2024-04-22,30\n";
        assertThatThrownBy(() -> DispensingCohort.load("fills.csv", csv.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ValidationException.class).hasMessageContaining("row 3").hasMessageContaining("same on every row");
    }

    @Test
    void theGeneratorsLabelIsExactlyTheLabelTheCohortComputesFromTheFills() {
        AdherenceGenerator generator = new AdherenceGenerator(17);
        AdherenceGenerator.Histories histories = generator.histories(3_000);
        Dataset data = DispensingCohort.load("synthetic.csv", histories.csv());
        assertThat(data.size()).isEqualTo(3_000);
        // Bernoulli(p) labels: the mean of p and the positive rate agree within sampling error.
        double meanP = java.util.Arrays.stream(histories.trueProbability()).average().orElseThrow();
        assertThat((double) data.positives() / data.size()).isCloseTo(meanP, org.assertj.core.api.Assertions.within(0.03));
        String text = new String(histories.csv(), StandardCharsets.UTF_8);
        assertThat(text).doesNotContainPattern("\\d{3}-\\d{2}-\\d{4}"); // nothing shaped like an SSN
        assertThat(List.of(text.split("\n")).subList(1, 4)).allMatch(l -> l.startsWith("synthetic-patient-"));
    }

    @Test
    void aGeneratedFileHoldsTheWholeFollowUpOfEveryPatientHoweverFewThereAre() {
        for (int patients : new int[] {1, 2, 5, 40}) {
            for (long seed = 1; seed <= 5; seed++) {
                Dataset data = DispensingCohort.load("synthetic.csv", new AdherenceGenerator(seed).histories(patients)
                        .csv());
                assertThat(data.size()).as("%d patients, seed %d", patients, seed).isEqualTo(patients);
            }
        }
    }
}
