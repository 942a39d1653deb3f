package health.vigil.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.model.AuditRecord;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

/**
 * One page of the audit records of a period, in chain order, and the token that asks for the next page (null on
 * the last page).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditPage(LocalDate from, LocalDate to, List<AuditRecord> records, String continuationToken) {
    public AuditPage {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        records = List.copyOf(records);
    }
}
