package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** The periods of the audit log the audit routes answer: in order, days of the years 1900 to 9999, at most 366 days. */
class AuditFunctionsTest {

    @Test
    void aYearHasRoomForALeapDayAndNoMore() {
        LocalDate to = LocalDate.parse("2026-12-05");
        assertThatCode(() -> AuditFunctions.checkPeriod(to.minusDays(365), to)).doesNotThrowAnyException();
        assertThatThrownBy(() -> AuditFunctions.checkPeriod(to.minusDays(366), to))
                .isInstanceOf(ValidationException.class).hasMessageContaining("longer than 366 days");
    }

    @Test
    void daysADateReaderAcceptsButTheLogCannotNameAreA400NotA500() {
        for (String day : new String[] {"+999999999-12-31", "-999999999-01-01", "+10000-01-01", "1899-12-31"}) {
            LocalDate parsed = LocalDate.parse(day);
            assertThatThrownBy(() -> AuditFunctions.checkPeriod(parsed, parsed)).as(day)
                    .isInstanceOf(ValidationException.class).hasMessageContaining("years 1900 to 9999");
        }
        assertThatThrownBy(() -> AuditFunctions.checkPeriod(LocalDate.parse("2026-12-05"),
                LocalDate.parse("+999999999-12-31"))).isInstanceOf(ValidationException.class);
    }

    @Test
    void aPeriodBackwardsSaysToSwapTheEnds() {
        assertThatThrownBy(() -> AuditFunctions.checkPeriod(LocalDate.parse("2026-12-05"), LocalDate.parse("2026-12-01")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("swap");
    }
}
