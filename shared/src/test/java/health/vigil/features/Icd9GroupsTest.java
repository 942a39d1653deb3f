package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Icd9GroupsTest {

    @Test
    void groupsCodesAsStrackEtAlDid() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("428", "circulatory"), Map.entry("414.01", "circulatory"), Map.entry("785", "circulatory"),
                Map.entry("486", "respiratory"), Map.entry("786.05", "respiratory"),
                Map.entry("577.1", "digestive"), Map.entry("787", "digestive"),
                Map.entry("250.83", "diabetes"), Map.entry("250", "diabetes"),
                Map.entry("820.8", "injury"), Map.entry("999", "injury"),
                Map.entry("715", "musculoskeletal"), Map.entry("599", "genitourinary"), Map.entry("788.2", "genitourinary"),
                Map.entry("174.9", "neoplasms"), Map.entry("239", "neoplasms"),
                Map.entry("276", "other"), Map.entry("038", "other"), Map.entry("V57", "other"), Map.entry("E909", "other"),
                Map.entry("789", "other"), Map.entry("249", "other"));
        expected.forEach((code, group) -> assertThat(Icd9Groups.groupOf(code)).as(code).isEqualTo(group));
    }

    @Test
    void aCodeIsReadAsThePatternReadsItForEveryStringOfUpToSevenCharactersOfItsAlphabet() {
        // Digits at both ends of the range, the two letters, the dot, another letter and a digit of another script
        // (the pattern's \\d is ASCII only): 8^0 + ... + 8^7 strings, every one compared.
        char[] alphabet = {'0', '7', '9', 'V', 'E', '.', 'x', '\u0663'};
        Pattern pattern = Pattern.compile(Icd9Groups.PATTERN);
        char[] text = new char[7];
        int compared = 0;
        int codes = 0;
        for (int length = 0; length <= text.length; length++) {
            int[] at = new int[length];
            while (true) {
                for (int i = 0; i < length; i++) {
                    text[i] = alphabet[at[i]];
                }
                String code = new String(text, 0, length);
                boolean expected = pattern.matcher(code).matches();
                assertThat(Icd9Groups.isCode(code)).as(code).isEqualTo(expected);
                compared++;
                codes += expected ? 1 : 0;
                int i = length - 1;
                while (i >= 0 && ++at[i] == alphabet.length) {
                    at[i--] = 0;
                }
                if (i < 0) {
                    break;
                }
            }
        }
        assertThat(compared).isEqualTo(2_396_745);
        assertThat(codes).isEqualTo(576); // 27 x 13 three-digit codes, 9 x 13 V codes, 27 x 4 E codes
    }

    @Test
    void everyThreeDigitCategoryIsInTheGroupOfTheFirstRangeThatHoldsIt() {
        for (int category = 0; category < 1000; category++) {
            String code = String.format("%03d", category);
            String expected = Icd9Groups.RANGES.stream()
                    .filter(r -> r.from() <= Integer.parseInt(code) && Integer.parseInt(code) <= r.to())
                    .map(Icd9Groups.Range::group).findFirst().orElse(Icd9Groups.OTHER);
            assertThat(Icd9Groups.groupOf(code)).as(code).isEqualTo(expected);
            assertThat(Icd9Groups.groupOf(code + ".9")).as(code + ".9").isEqualTo(expected);
        }
    }

    @Test
    void rejectsWhatIsNotAnIcd9DiagnosisCode() {
        for (String bad : new String[] {"38", "4280", "V5", "E90", "X12", "250.123", ""}) {
            assertThatThrownBy(() -> Icd9Groups.groupOf(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
