package health.vigil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PseudonymizerTest {
    private final Pseudonymizer pseudonymizer =
            new Pseudonymizer("pseudonymiser tests use this fixed 32+ byte key".getBytes(StandardCharsets.UTF_8));

    @Test
    void anIdentifierOfAtMost256CharactersIsTakenWhateverItsUtf16Length() {
        String emoji = "\ud83d\ude00";
        // 256 characters that take two UTF-16 units each: within the limit as the message counts.
        assertThat(pseudonymizer.pseudonym(emoji.repeat(256))).hasSize(64);
        assertThat(pseudonymizer.pseudonym("M".repeat(256))).hasSize(64);
        for (String tooLong : new String[] {emoji.repeat(257), "M".repeat(257)}) {
            assertThatThrownBy(() -> pseudonymizer.pseudonym(tooLong)).isInstanceOf(ValidationException.class)
                    .hasMessage("patientId is longer than 256 characters");
        }
        assertThat(pseudonymizer.pseudonym(emoji.repeat(3))).isNotEqualTo(pseudonymizer.pseudonym(emoji.repeat(4)));
    }

    @Test
    void spacesAroundAnIdentifierAreNotPartOfItAndAnIdentifierOfSpacesAloneIsRefused() {
        // A batch or outcome CSV cell is trimmed, a JSON string is not: one patient must have one pseudonym.
        String mrn = pseudonymizer.pseudonym("MRN1");
        for (String spaced : new String[] {" MRN1 ", "\tMRN1", "MRN1\n", "\u00a0MRN1\u202f", "\u2007 MRN1"}) {
            assertThat(pseudonymizer.pseudonym(spaced)).as(spaced).isEqualTo(mrn);
        }
        assertThat(pseudonymizer.pseudonym("MRN 1")).isNotEqualTo(pseudonymizer.pseudonym("MRN1"));
        for (String blank : new String[] {"", " ", "\u00a0", "\u2007\u202f\u3000", "\t\n"}) {
            assertThatThrownBy(() -> pseudonymizer.pseudonym(blank)).isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith("patientId is missing or blank");
        }
    }
}
