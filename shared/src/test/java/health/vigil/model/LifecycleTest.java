package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every pair of stages, against the lifecycle written out by hand as a matrix. */
class LifecycleTest {

    private static final ModelVersion V = new ModelVersion(new ModelName("readmission"), 3);

    /**
     * Rows: from; columns: to, in declaration order
     * REGISTERED, GATES_RUNNING, GATES_PASSED, GATES_FAILED, APPROVED, REJECTED, CANARY, PRODUCTION, ROLLED_BACK, RETIRED.
     */
    private static final String[] EXPECTED = {
        /* REGISTERED    */ ".x........",
        /* GATES_RUNNING */ "..xx......",
        /* GATES_PASSED  */ ".x..xx....",
        /* GATES_FAILED  */ ".x...x....",
        /* APPROVED      */ "......xx.x",
        /* REJECTED      */ "..........",
        /* CANARY        */ ".......xx.",
        /* PRODUCTION    */ "........xx",
        /* ROLLED_BACK   */ "......x..x",
        /* RETIRED       */ "......xx..",
    };

    @Test
    void everyPairOfStagesIsAllowedOrRefusedAsTheMatrixSays() {
        Stage[] stages = Stage.values();
        assertThat(EXPECTED).hasSize(stages.length);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < stages.length; i++) {
            for (int j = 0; j < stages.length; j++) {
                Stage from = stages[i];
                Stage to = stages[j];
                boolean expected = EXPECTED[i].charAt(j) == 'x';
                if (Lifecycle.allows(from, to) != expected) {
                    mismatches.add(from + " -> " + to + " expected " + (expected ? "allowed" : "refused"));
                }
                if (expected) {
                    assertThatCode(() -> Lifecycle.require(V, from, to)).doesNotThrowAnyException();
                } else {
                    ConflictException refused = catchThrowableOfType(ConflictException.class,
                            () -> Lifecycle.require(V, from, to));
                    assertThat(refused).as(from + " -> " + to).isNotNull();
                    assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_STATE);
                    assertThat(refused.getMessage()).as(from + " -> " + to)
                            .contains(V.toString(), to.wireName(), from.meaning());
                }
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void aRefusalSaysWhatMustHappenFirst() {
        ConflictException refused = catchThrowableOfType(ConflictException.class,
                () -> Lifecycle.require(V, Stage.REGISTERED, Stage.APPROVED));
        assertThat(refused.getMessage())
                .contains("cannot move to approved")
                .contains("its gates have not run yet")
                .contains("only from gates_passed")
                .contains("it can move to gates_running");
    }

    @Test
    void aRejectedVersionIsToldItCanNeverMoveAgain() {
        ConflictException refused = catchThrowableOfType(ConflictException.class,
                () -> Lifecycle.require(V, Stage.REJECTED, Stage.PRODUCTION));
        assertThat(refused.getMessage()).contains("can never move again");
    }

    @Test
    void onlyApprovedVersionsReachLiveTrafficForTheFirstTime() {
        // Canary and production are reachable only from approval or from stages that themselves follow it.
        assertThat(Lifecycle.from(Stage.CANARY))
                .containsExactlyInAnyOrder(Stage.APPROVED, Stage.ROLLED_BACK, Stage.RETIRED);
        assertThat(Lifecycle.from(Stage.PRODUCTION))
                .containsExactlyInAnyOrder(Stage.APPROVED, Stage.CANARY, Stage.RETIRED);
        assertThat(Lifecycle.from(Stage.APPROVED)).containsExactly(Stage.GATES_PASSED);
    }
}
