package health.vigil.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailuresTest {
    @Test
    void everyItemHasItsTurnAndTheFirstFailureIsThrownWithTheLaterOnesSuppressed() {
        List<String> ran = new ArrayList<>();
        IllegalStateException first = new IllegalStateException("b");
        IllegalArgumentException second = new IllegalArgumentException("d");

        assertThatThrownBy(() -> Failures.forEach(List.of("a", "b", "c", "d", "e"), item -> {
            ran.add(item);
            if (item.equals("b")) {
                throw first;
            }
            if (item.equals("d")) {
                throw second;
            }
        })).isSameAs(first);

        assertThat(ran).containsExactly("a", "b", "c", "d", "e");
        assertThat(first.getSuppressed()).containsExactly(second);
    }

    @Test
    void aPassWithoutFailuresThrowsNothing() {
        List<String> ran = new ArrayList<>();
        Failures.forEach(List.of("a", "b"), ran::add);
        new Failures().throwIfAny();
        assertThat(ran).containsExactly("a", "b");
    }
}
