package health.vigil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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

    @Test
    void aPseudonymIsTheHmacSha256OfTheIdentifierAsRfc4231Computes() {
        // RFC 4231, test case 6: a key longer than SHA-256's block is hashed first.
        byte[] key = new byte[131];
        Arrays.fill(key, (byte) 0xaa);
        assertThat(new Pseudonymizer(key).pseudonym("Test Using Larger Than Block-Size Key - Hash Key First"))
                .isEqualTo("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    @Test
    void aPseudonymIsTheJdksHmacSha256ForKeysAndIdentifiersOfEveryLengthAroundTheBlock() throws Exception {
        SplittableRandom random = new SplittableRandom(20261206);
        for (int keyLength : new int[] {32, 33, 55, 63, 64, 65, 100, 128, 129, 200}) {
            byte[] key = new byte[keyLength];
            random.nextBytes(key);
            Pseudonymizer pseudonymizer = new Pseudonymizer(key);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            // Identifiers either side of where SHA-256 pads into a second block (55/56 bytes) and past one block.
            for (int length = 1; length <= 140; length++) {
                StringBuilder id = new StringBuilder(length);
                for (int i = 0; i < length; i++) {
                    id.append((char) ('!' + random.nextInt(94)));
                }
                String expected = HexFormat.of().formatHex(mac.doFinal(id.toString().getBytes(StandardCharsets.UTF_8)));
                // Twice: the second call starts from the same keyed state, not from what the first left.
                assertThat(pseudonymizer.pseudonym(id.toString())).as("key %d, id %d", keyLength, length)
                        .isEqualTo(expected);
                assertThat(pseudonymizer.pseudonym(id.toString())).isEqualTo(expected);
            }
        }
    }

    @Test
    void threadsSharingOnePseudonymizerEachGetTheSamePseudonyms() throws Exception {
        String expected = pseudonymizer.pseudonym("MRN-shared");
        Thread[] threads = new Thread[4];
        String[][] seen = new String[threads.length][1_000];
        for (int t = 0; t < threads.length; t++) {
            int index = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < seen[index].length; i++) {
                    seen[index][i] = pseudonymizer.pseudonym("MRN-shared");
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        for (String[] perThread : seen) {
            assertThat(perThread).containsOnly(expected);
        }
    }
}
